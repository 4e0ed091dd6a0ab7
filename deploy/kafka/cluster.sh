#!/usr/bin/env bash
# Start, stop and inspect a local 3-node Apache Kafka cluster (KRaft, each node broker+controller,
# a 3-voter controller quorum) from the same Maven jars as kafka.sh. Every command is idempotent.
#
#   cluster.sh up|down|wipe|status       the whole cluster
#   cluster.sh start N|stop N|kill N     one node (1..3): kill is kill -9; the fault suite uses them
#   cluster.sh pid N                     the node's process id
#   cluster.sh describe [PREFIX]         replicas / in-sync replicas of every topic, read with Kafka's
#                                        own Java AdminClient (DescribeTopics.java); exit 1 unless 3 and 3
#
# Defaults: brokers on 127.0.0.1:9092,9093,9094, controllers on 9192,9193,9194, state in var/kafka-cluster.
# WIREWATCH_CLUSTER_PORTS / WIREWATCH_CLUSTER_CONTROLLER_PORTS / WIREWATCH_CLUSTER_DIR / WIREWATCH_CLUSTER_HEAP
# move them (the fault suite runs its own cluster beside the shared broker that way).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=deploy/kafka/jars.sh
source "$here/jars.sh"
state=${WIREWATCH_CLUSTER_DIR:-$repo/var/kafka-cluster}
read -r -a ports <<<"${WIREWATCH_CLUSTER_PORTS:-9092 9093 9094}"
read -r -a cports <<<"${WIREWATCH_CLUSTER_CONTROLLER_PORTS:-9192 9193 9194}"
heap=${WIREWATCH_CLUSTER_HEAP:-384m}
single_state=${WIREWATCH_KAFKA_DIR:-$repo/var/kafka}

log() { printf '[cluster] %s\n' "$*" >&2; }

[[ ${#ports[@]} -eq 3 && ${#cports[@]} -eq 3 ]] || { log "3 broker and 3 controller ports are needed"; exit 2; }

node_dir() { echo "$state/node$1"; }
pid_of() { cat "$(node_dir "$1")/kafka.pid" 2>/dev/null; }
running() { local pid; pid=$(pid_of "$1") && [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; }
answering() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
java_log() { echo "-Dlog4j.configuration=file:$state/log4j.properties"; }

voters() {
  local out="" n
  for n in 1 2 3; do out+="${out:+,}$n@127.0.0.1:${cports[n - 1]}"; done
  echo "$out"
}

# The single-node broker of kafka.sh also listens on 9092: two brokers cannot share a port, and
# services pointed at 9092 would silently talk to whichever answered. Refuse instead of guessing.
refuse_conflicts() {
  local pidfile="$single_state/kafka.pid" n
  if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    log "the single-node broker (make kafka-up, $single_state) is running: stop it first with make kafka-down"
    exit 1
  fi
  for n in 1 2 3; do
    if ! running "$n"; then
      for p in "${ports[n - 1]}" "${cports[n - 1]}"; do
        if answering "$p"; then log "port $p is taken (the single broker of make kafka-up? make kafka-down stops it): refusing to start"; exit 1; fi
      done
    fi
  done
}

configure() {
  "$here/kafka.sh" install
  mkdir -p "$state"
  printf 'log4j.rootLogger=WARN, stdout\nlog4j.appender.stdout=org.apache.log4j.ConsoleAppender\nlog4j.appender.stdout.layout=org.apache.log4j.PatternLayout\nlog4j.appender.stdout.layout.ConversionPattern=[%%d] %%p %%m (%%c)%%n\nlog4j.logger.kafka=INFO\nlog4j.logger.org.apache.kafka=WARN\n' >"$state/log4j.properties"
  if [[ ! -f "$state/cluster.id" ]]; then
    java "$(java_log)" -cp "$libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1 >"$state/cluster.id"
  fi
  local n dir
  for n in 1 2 3; do
    dir=$(node_dir "$n")
    mkdir -p "$dir/data"
    sed -e "s#@DATA@#$dir/data#" -e "s#@NODE@#$n#" -e "s#@PORT@#${ports[n - 1]}#" \
      -e "s#@CPORT@#${cports[n - 1]}#" -e "s#@VOTERS@#$(voters)#" \
      "$here/cluster.properties.in" >"$dir/server.properties"
    if [[ ! -f "$dir/data/meta.properties" ]]; then
      java "$(java_log)" -cp "$libs/*" kafka.tools.StorageTool format --ignore-formatted \
        -c "$dir/server.properties" -t "$(cat "$state/cluster.id")" >/dev/null
    fi
  done
}

launch() {
  local n=$1 dir; dir=$(node_dir "$n")
  if running "$n"; then return; fi
  log "starting node $n: broker 127.0.0.1:${ports[n - 1]}, controller :${cports[n - 1]} (heap $heap)"
  # a restart appends to the log: the readiness check counts "started" lines from here on
  if [[ -f "$dir/kafka.log" ]]; then wc -l <"$dir/kafka.log" >"$dir/log.mark"; else echo 0 >"$dir/log.mark"; fi
  nohup java "-Xmx$heap" "-Xms$heap" -XX:+UseG1GC -XX:ActiveProcessorCount=2 "$(java_log)" \
    -cp "$libs/*" kafka.Kafka "$dir/server.properties" >>"$dir/kafka.log" 2>&1 &
  echo $! >"$dir/kafka.pid"
}

started() {
  local dir; dir=$(node_dir "$1")
  answering "${ports[$1 - 1]}" && tail -n "+$(($(cat "$dir/log.mark") + 1))" "$dir/kafka.log" | grep -q "Kafka Server started"
}

wait_ready() {
  local n
  for _ in $(seq 1 240); do
    local all=1
    for n in "$@"; do
      running "$n" || { log "node $n exited; see $(node_dir "$n")/kafka.log"; tail -n 30 "$(node_dir "$n")/kafka.log" >&2; exit 1; }
      started "$n" || all=0
    done
    if [[ $all -eq 1 ]]; then log "ready: node(s) $*"; return; fi
    sleep 0.5
  done
  log "node(s) $* not ready in 120 s; see $state/node*/kafka.log"; exit 1
}

bootstrap() { local p out=""; for p in "${ports[@]}"; do out+="${out:+,}127.0.0.1:$p"; done; echo "$out"; }

up() {
  local all=1 n
  for n in 1 2 3; do running "$n" || all=0; done
  if [[ $all -eq 1 ]]; then log "already running: $(bootstrap)"; return; fi
  refuse_conflicts
  configure
  for n in 1 2 3; do launch "$n"; done
  wait_ready 1 2 3
  echo "WIREWATCH_KAFKA_BOOTSTRAP=$(bootstrap) WIREWATCH_TOPIC_REPLICATION=3"
}

stop_node() {
  local n=$1 sig=${2:-TERM} pid
  running "$n" || { rm -f "$(node_dir "$n")/kafka.pid"; return 0; }
  pid=$(pid_of "$n")
  log "stopping node $n (pid $pid, SIG$sig)"
  kill "-$sig" "$pid"
  for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$(node_dir "$n")/kafka.pid"
}

start_node() {
  local n=$1
  [[ -f "$(node_dir "$n")/server.properties" ]] || { log "node $n is not configured: run up first"; exit 1; }
  launch "$n"
  wait_ready "$n"
}

# All at once: stopped one by one, the last node would wait for a controller quorum that is gone.
down() {
  local n pids=()
  for n in 1 2 3; do if running "$n"; then pids+=("$(pid_of "$n")"); fi; done
  if [[ ${#pids[@]} -gt 0 ]]; then
    log "stopping nodes (pids ${pids[*]})"
    kill "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "${pids[@]}" 2>/dev/null || break; sleep 0.5; done
    for n in "${pids[@]}"; do kill -9 "$n" 2>/dev/null || true; done
  fi
  rm -f "$state"/node*/kafka.pid
}

node_arg() { [[ "${1:-}" =~ ^[123]$ ]] || { log "node must be 1, 2 or 3"; exit 2; }; echo "$1"; }

status() {
  local n rc=0
  for n in 1 2 3; do
    if running "$n" && answering "${ports[n - 1]}"; then echo "node $n: running on 127.0.0.1:${ports[n - 1]} (pid $(pid_of "$n"))"
    else echo "node $n: stopped"; rc=1; fi
  done
  return $rc
}

# Kafka's AdminClient from the same jars, through the JDK's single-file source launcher: an outside
# client for the replication check, independent of the aiokafka code the services run on.
describe() { java -cp "$libs/*" "$here/DescribeTopics.java" "$(bootstrap)" "${1:-}" 3; }

case "${1:-}" in
  up) up ;;
  down) down ;;
  wipe) down; rm -rf "$state"; log "state removed" ;;
  status) status ;;
  bootstrap) bootstrap ;;
  start) start_node "$(node_arg "${2:-}")" ;;
  stop) stop_node "$(node_arg "${2:-}")" TERM ;;
  kill) stop_node "$(node_arg "${2:-}")" KILL ;;
  pid) pid_of "$(node_arg "${2:-}")" ;;
  describe) describe "${2:-}" ;;
  *) echo "usage: $0 {up|down|wipe|status|bootstrap|describe [PREFIX]|start N|stop N|kill N|pid N}" >&2; exit 2 ;;
esac
