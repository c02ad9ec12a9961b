#!/usr/bin/env bash
# PostgreSQL binary COPY benchmark (docs/PERFORMANCE.md "PostgreSQL binary COPY"): starts the
# throwaway services (tests/services.sh), makes a tvs_bench database on that cluster and runs
# PgCopyBench against it.   bench/pg-copy/run.sh [rows] [batch]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bash "$root/tests/services.sh" start >/dev/null 2>&1 || true
# shellcheck disable=SC1091
source "$root/.tvs/services.env"
admin="$TVS_TEST_PG_ADMIN"
port=$(sed -n 's/.*Port=\([0-9]*\).*/\1/p' <<<"$admin")
psql_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)/psql"
if [[ -z "$("$psql_bin" -X -tA -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "select 1 from pg_database where datname = 'tvs_bench'")" ]]; then
  "$psql_bin" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "create database tvs_bench owner tvs_test"
fi
dotnet build "$root/bench/pg-copy/PgCopyBench.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly
dotnet "$root/bench/pg-copy/bin/Release/net10.0/PgCopyBench.dll" \
  "Host=127.0.0.1;Port=$port;Username=tvs_test;Database=tvs_bench" "${1:-500000}" "${2:-4096}" "$psql_bin" "${3:-3}"
