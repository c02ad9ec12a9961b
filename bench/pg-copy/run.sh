#!/usr/bin/env bash
# PostgreSQL binary COPY benchmark (docs/PERFORMANCE.md "PostgreSQL binary COPY").
#   bench/pg-copy/run.sh [rows=500000] [batch=4096] [rounds=3] [writers=1] [writeBufferBytes=0] [lookups=50000]
# One run prints four loads of the same rows side by side (binary COPY and psql \copy, each into
# the two-table schema before migration 0005 and into votes alone) and the status lookup's rate
# in both schemas (docs/PERFORMANCE.md "One row per vote").
#   bench/pg-copy/run.sh stop          stop the bench's own clusters
# TVS_BENCH_PGCONF=default (the default) uses the tests/services.sh cluster (PostgreSQL's default
# settings), database tvs_bench. TVS_BENCH_PGCONF=tuned runs against the bench's own throwaway
# cluster next to it (same state directory, port + 2) with postgresql.bench.conf appended: the
# settings docs/ops/storage.md recommends; both can run, so the two are measured side by side.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
psql_bin="$bin/psql"
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
hash=$(printf '%s' "$root" | cksum | cut -d' ' -f1)
state="${TVS_SERVICES_DIR:-/tmp/tvs-services-$hash}"
tuned_data="$state/pg-bench-tuned"
tuned_port=$((${TVS_PG_PORT:-$((20000 + (hash % 2000) * 10))} + 2))

if [[ "${1:-}" == stop ]]; then
  [[ -f "$tuned_data/postmaster.pid" ]] && as_pg "$bin/pg_ctl" -D "$tuned_data" -m fast -w stop >/dev/null
  exit 0
fi

if [[ "${TVS_BENCH_PGCONF:-default}" == tuned ]]; then
  mkdir -p "$state"; chmod 755 "$state"
  if [[ ! -f "$tuned_data/PG_VERSION" ]]; then
    mkdir -p "$tuned_data"; [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$tuned_data"
    as_pg "$bin/initdb" -D "$tuned_data" -U postgres --auth=trust -E UTF8 --no-locale >/dev/null
    as_pg bash -c "cat >> '$tuned_data/postgresql.conf'" <<CONF
port = $tuned_port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$tuned_data'
CONF
    as_pg bash -c "cat >> '$tuned_data/postgresql.conf'" <"$root/bench/pg-copy/postgresql.bench.conf"
  fi
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$tuned_port" || as_pg "$bin/pg_ctl" -D "$tuned_data" -l "$tuned_data/server.log" -w -t 60 start >/dev/null
  port=$tuned_port
  "$psql_bin" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -tA -c "select 1 from pg_roles where rolname = 'tvs_test'" | grep -q 1 \
    || "$psql_bin" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "create role tvs_test login"
else
  bash "$root/tests/services.sh" start >/dev/null 2>&1 || true
  # shellcheck disable=SC1091
  source "$root/.tvs/services.env"
  port=$(sed -n 's/.*Port=\([0-9]*\).*/\1/p' <<<"$TVS_TEST_PG_ADMIN")
fi
if [[ -z "$("$psql_bin" -X -tA -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "select 1 from pg_database where datname = 'tvs_bench'")" ]]; then
  "$psql_bin" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "create database tvs_bench owner tvs_test"
fi
echo "cluster: ${TVS_BENCH_PGCONF:-default} (port $port): $("$psql_bin" -X -tA -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "select string_agg(name || '=' || current_setting(name), ' ' order by name) from pg_settings where name in ('shared_buffers','wal_buffers','max_wal_size','checkpoint_timeout','wal_compression','fsync','synchronous_commit','full_page_writes')")"
dotnet build "$root/bench/pg-copy/PgCopyBench.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
dotnet "$root/bench/pg-copy/bin/Release/net10.0/PgCopyBench.dll" \
  "Host=127.0.0.1;Port=$port;Username=tvs_test;Database=tvs_bench" "${1:-500000}" "${2:-4096}" "$psql_bin" "${3:-3}" "${4:-1}" "${5:-0}" "${6:-50000}"
