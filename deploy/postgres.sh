#!/usr/bin/env bash
# Start, stop and inspect a local PostgreSQL for the sink (the Debian package's binaries; no service
# manager needed). State in var/postgres; port WIREWATCH_PG_PORT (default 5432). Idempotent.
#   postgres.sh up|down|wipe|url
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
state=${WIREWATCH_PG_DIR:-$repo/var/postgres}
port=${WIREWATCH_PG_PORT:-5432}

log() { printf '[postgres] %s\n' "$*" >&2; }

bindir() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  [[ -n "$found" ]] || { log "PostgreSQL is not installed (Debian: apt-get install postgresql)"; exit 1; }
  echo "$found"
}

# initdb refuses to run as root: run the server as Debian's postgres account then
as_owner() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

up() {
  local bin; bin=$(bindir)
  mkdir -p "$state"
  [[ $(id -u) -eq 0 ]] && chown postgres "$state"
  if [[ ! -f "$state/data/PG_VERSION" ]]; then
    as_owner "$bin/initdb" -D "$state/data" -A trust -U wirewatch >/dev/null
  fi
  if as_owner "$bin/pg_ctl" -D "$state/data" status >/dev/null 2>&1; then log "already running on 127.0.0.1:$port"; return; fi
  as_owner "$bin/pg_ctl" -D "$state/data" -l "$state/postgres.log" -w \
    -o "-p $port -k $state -c listen_addresses=127.0.0.1" start >/dev/null
  log "running on 127.0.0.1:$port"
}

down() {
  local bin; bin=$(bindir)
  if [[ -f "$state/data/PG_VERSION" ]] && as_owner "$bin/pg_ctl" -D "$state/data" status >/dev/null 2>&1; then
    as_owner "$bin/pg_ctl" -D "$state/data" -m fast -w stop >/dev/null
    log "stopped"
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  wipe) down; rm -rf "$state"; log "state removed" ;;
  url) echo "postgresql://wirewatch@127.0.0.1:$port/postgres" ;;
  *) echo "usage: $0 {up|down|wipe|url}" >&2; exit 2 ;;
esac
