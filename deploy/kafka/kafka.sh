#!/usr/bin/env bash
# Install, start, stop and inspect a single-node Apache Kafka (KRaft) on 127.0.0.1.
# No Docker: the broker's jars come from Maven Central (pom.xml beside this file),
# copied once into $WIREWATCH_CACHE. Every command is idempotent.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=deploy/kafka/jars.sh
source "$here/jars.sh"
state=${WIREWATCH_KAFKA_DIR:-$repo/var/kafka}
port=${WIREWATCH_KAFKA_PORT:-9092}
cport=${WIREWATCH_KAFKA_CONTROLLER_PORT:-9093}
heap=${WIREWATCH_KAFKA_HEAP:-512m}
pidfile="$state/kafka.pid"

log() { printf '[kafka] %s\n' "$*" >&2; }

install() {
  if [[ -f "$libs/.complete" ]]; then return; fi
  command -v java >/dev/null || { log "java (17+) is required"; exit 1; }
  command -v mvn >/dev/null || { log "maven is required to fetch the Kafka jars"; exit 1; }
  log "fetching Apache Kafka $version jars from Maven Central into $libs"
  mkdir -p "$libs"
  mvn -B -q -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs"
  touch "$libs/.complete"
}

running() { [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

answering() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

configure() {
  mkdir -p "$state/data"
  sed -e "s#@DATA@#$state/data#" -e "s#@PORT@#$port#g" -e "s#@CPORT@#$cport#g" \
    "$here/server.properties.in" >"$state/server.properties"
  printf 'log4j.rootLogger=WARN, stdout\nlog4j.appender.stdout=org.apache.log4j.ConsoleAppender\nlog4j.appender.stdout.layout=org.apache.log4j.PatternLayout\nlog4j.appender.stdout.layout.ConversionPattern=[%%d] %%p %%m (%%c)%%n\nlog4j.logger.kafka=INFO\nlog4j.logger.org.apache.kafka=WARN\n' >"$state/log4j.properties"
  if [[ ! -f "$state/data/meta.properties" ]]; then
    local id
    id=$(java "-Dlog4j.configuration=file:$state/log4j.properties" -cp "$libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)
    java "-Dlog4j.configuration=file:$state/log4j.properties" -cp "$libs/*" kafka.tools.StorageTool format --ignore-formatted -c "$state/server.properties" -t "$id" >/dev/null
  fi
}

# The 3-node cluster (cluster.sh) also listens on 9092 by default: refuse rather than share the port.
cluster_running() {
  local f taken=" ${WIREWATCH_CLUSTER_PORTS:-9092 9093 9094} ${WIREWATCH_CLUSTER_CONTROLLER_PORTS:-9192 9193 9194} "
  [[ "$taken" == *" $port "* || "$taken" == *" $cport "* ]] || return 1
  for f in "${WIREWATCH_CLUSTER_DIR:-$repo/var/kafka-cluster}"/node*/kafka.pid; do
    [[ -f "$f" ]] && kill -0 "$(cat "$f")" 2>/dev/null && return 0
  done
  return 1
}

up() {
  install
  if cluster_running; then log "the 3-node cluster (make cluster-up) is running: stop it first with make cluster-down"; exit 1; fi
  if running && answering; then log "already running on 127.0.0.1:$port"; return; fi
  if answering; then log "a broker from elsewhere already answers on 127.0.0.1:$port; using it"; return; fi
  configure
  log "starting broker+controller on 127.0.0.1:$port (heap $heap)"
  nohup java "-Xmx$heap" "-Xms$heap" -XX:+UseG1GC "-Dlog4j.configuration=file:$state/log4j.properties" \
    -cp "$libs/*" kafka.Kafka "$state/server.properties" >"$state/kafka.log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 120); do
    if answering && grep -q "Kafka Server started\|\[KafkaRaftServer nodeId=1\] Kafka Server started" "$state/kafka.log" 2>/dev/null; then
      log "ready"; return
    fi
    running || { log "broker exited; see $state/kafka.log"; tail -n 30 "$state/kafka.log" >&2; exit 1; }
    sleep 0.5
  done
  log "broker did not become ready in 60 s; see $state/kafka.log"; exit 1
}

down() {
  if running; then
    local pid; pid=$(cat "$pidfile")
    log "stopping broker (pid $pid)"
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

wipe() { down; rm -rf "$state"; log "state removed"; }

status() { if running && answering; then echo "running on 127.0.0.1:$port"; else echo "stopped"; return 1; fi; }

case "${1:-}" in
  install) install ;;
  up) up ;;
  down) down ;;
  wipe) wipe ;;
  status) status ;;
  *) echo "usage: $0 {install|up|down|wipe|status}" >&2; exit 2 ;;
esac
