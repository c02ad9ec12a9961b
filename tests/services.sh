#!/usr/bin/env bash
# Throwaway services for the storage tests: a PostgreSQL cluster (Debian's postgresql package,
# owned by the postgres user, trust auth on 127.0.0.1 only) and the local S3 server
# (tools/s3-server). Writes their coordinates to .tvs/services.env, which the tests read
# (tests/TVS.Tests/Storage/TestServices.cs); environment variables of the same names win.
#
#   tests/services.sh [start]   install if needed, start (or find running), write .tvs/services.env
#   tests/services.sh stop      stop both
#   tests/services.sh pg-stop | pg-start | s3-stop | s3-start   (the outage tests use these)
#
# Idempotent: a second start finds the running services. Each checkout gets its own state
# directory and ports (derived from its path), so worktrees and CI clones do not collide.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
hash=$(printf '%s' "$root" | cksum | cut -d' ' -f1)
# Under /tmp, not the checkout: the postgres user must be able to reach its data directory, and a
# checkout under /root is not traversable by it.
state="${TVS_SERVICES_DIR:-/tmp/tvs-services-$hash}"
base=$((20000 + (hash % 2000) * 10))
pg_port="${TVS_PG_PORT:-$base}"
s3_port="${TVS_S3_PORT:-$((base + 1))}"
pgdata="$state/pg"
env_file="$root/.tvs/services.env"

log() { echo "services: $*" >&2; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }

# Run as the postgres user when root (initdb and the server refuse to run as root).
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install_pg() {
  local bin; bin=$(pg_bin)
  if [[ -n "$bin" && -x "$bin/initdb" && -x "$bin/pg_ctl" ]]; then return 0; fi
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    log "PostgreSQL is not installed (apt-get install postgresql)"; return 1
  fi
  log "installing postgresql (apt-get)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >"$state/apt.log" 2>&1 \
    || { log "apt-get install postgresql failed, see $state/apt.log"; return 1; }
  # The package's own cluster (main, port 5432) is not ours; stop it if the package started it.
  command -v pg_ctlcluster >/dev/null 2>&1 && pg_ctlcluster "$(basename "$(dirname "$(pg_bin)")")" main stop >/dev/null 2>&1 || true
  bin=$(pg_bin)
  [[ -n "$bin" && -x "$bin/initdb" ]]
}

pg_ready() { "$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p "$pg_port" >/dev/null 2>&1; }

start_pg() {
  install_pg || return 1
  local bin; bin=$(pg_bin)
  mkdir -p "$state"; chmod 755 "$state"
  if [[ ! -f "$pgdata/PG_VERSION" ]]; then
    rm -rf "$pgdata"; mkdir -p "$pgdata"
    [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$pgdata"
    as_pg "$bin/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 --no-locale >"$state/initdb.log" 2>&1 \
      || { log "initdb failed, see $state/initdb.log"; return 1; }
    # Local TCP only, socket in the data directory (the Debian default /var/run/postgresql may not exist).
    as_pg bash -c "cat >> '$pgdata/postgresql.conf'" <<CONF
# tests/services.sh
port = $pg_port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$pgdata'
max_connections = 50
CONF
  fi
  if ! pg_ready; then
    as_pg "$bin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w -t 60 start >/dev/null 2>&1 \
      || { log "PostgreSQL did not start, see $pgdata/server.log"; tail -n 20 "$pgdata/server.log" >&2; return 1; }
  fi
  local psql=("$bin/psql" -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -v ON_ERROR_STOP=1 -tA)
  if [[ -z "$("${psql[@]}" -c "select 1 from pg_roles where rolname = 'tvs_test'")" ]]; then
    "${psql[@]}" -c "create role tvs_test login createdb" >/dev/null || return 1
  fi
  if [[ -z "$("${psql[@]}" -c "select 1 from pg_database where datname = 'tvs_test'")" ]]; then
    "${psql[@]}" -c "create database tvs_test owner tvs_test" >/dev/null || return 1
  fi
}

stop_pg() {
  local bin; bin=$(pg_bin)
  [[ -n "$bin" && -f "$pgdata/postmaster.pid" ]] || return 0
  as_pg "$bin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null 2>&1 || true
}

start_s3() {
  mkdir -p "$state"
  if ! command -v node >/dev/null 2>&1; then log "node is not installed: no S3 server"; return 1; fi
  if [[ ! -x "$root/tools/s3-server/node_modules/.bin/s3rver" ]]; then
    (cd "$root/tools/s3-server" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || { log "npm ci failed in tools/s3-server"; return 1; }
  fi
  bash "$root/tools/s3-server/start.sh" --port "$s3_port" --dir "$state/s3" --pid-file "$state/s3.pid" --log "$state/s3.log" >/dev/null
}

stop_s3() {
  if [[ -f "$state/s3.pid" ]]; then
    local pid; pid=$(cat "$state/s3.pid")
    # Only our own server: the pid file's process, if it is still s3rver.
    if kill -0 "$pid" 2>/dev/null && grep -q s3rver "/proc/$pid/cmdline" 2>/dev/null; then
      kill -9 "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$state/s3.pid"
  fi
}

write_env() {
  mkdir -p "$(dirname "$env_file")"
  local tmp="$env_file.tmp"
  : >"$tmp"
  echo "export TVS_TEST_SERVICES='$root/tests/services.sh'" >>"$tmp"
  if [[ $1 -eq 0 ]]; then
    echo "export TVS_TEST_PG='Host=127.0.0.1;Port=$pg_port;Username=tvs_test;Database=tvs_test'" >>"$tmp"
    echo "export TVS_TEST_PG_ADMIN='Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres'" >>"$tmp"
  fi
  if [[ $2 -eq 0 ]]; then
    echo "export TVS_TEST_S3_ENDPOINT='http://127.0.0.1:$s3_port'" >>"$tmp"
    echo "export TVS_TEST_S3_ACCESS_KEY='S3RVER'" >>"$tmp"
    echo "export TVS_TEST_S3_SECRET_KEY='S3RVER'" >>"$tmp"
  fi
  mv "$tmp" "$env_file"
}

case "${1:-start}" in
  start)
    mkdir -p "$state"
    start_pg; pg=$?
    start_s3; s3=$?
    write_env $pg $s3
    [[ $pg -eq 0 ]] && log "PostgreSQL on 127.0.0.1:$pg_port (data $pgdata)"
    [[ $s3 -eq 0 ]] && log "S3 (s3rver) on http://127.0.0.1:$s3_port (data $state/s3)"
    log "coordinates in $env_file"
    [[ $pg -eq 0 && $s3 -eq 0 ]] ;;
  stop) stop_s3; stop_pg ;;
  pg-stop) stop_pg ;;
  pg-start) start_pg ;;
  s3-stop) stop_s3 ;;
  s3-start) start_s3 ;;
  *) echo "usage: $0 [start|stop|pg-stop|pg-start|s3-stop|s3-start]" >&2; exit 2 ;;
esac
