#!/usr/bin/env bash
# Voter receipts from PostgreSQL and the board, through the gateway (docs/PERFORMANCE.md "Voter receipts").
#   bench/receipts/run.sh [votes=1000000] [partitions=4] [connections=64] [seconds=20] [wrk threads=2]
# Uses the tests/services.sh PostgreSQL (database tvs_receipts_bench, kept between runs: a second run
# with the same vote count skips the fill) and wrk (Debian package). Everything on 127.0.0.1.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
votes="${1:-1000000}"; partitions="${2:-4}"; connections="${3:-64}"; seconds="${4:-20}"; threads="${5:-2}"
port="${TVS_BENCH_PORT:-18490}"
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
bash "$root/tests/services.sh" start >/dev/null 2>&1 || true
# shellcheck disable=SC1091
source "$root/.tvs/services.env"
pgport=$(sed -n 's/.*Port=\([0-9]*\).*/\1/p' <<<"$TVS_TEST_PG_ADMIN")
psql=("$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)/psql" -X -q -h 127.0.0.1 -p "$pgport" -U postgres -d postgres -tA)
[[ -n "$("${psql[@]}" -c "select 1 from pg_database where datname = 'tvs_receipts_bench'")" ]] \
  || "${psql[@]}" -c "create database tvs_receipts_bench owner tvs_test"
out="$here/out"; mkdir -p "$out"
dotnet build "$here/ReceiptsBench.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
fifo="$out/stdin"; rm -f "$fifo"; mkfifo "$fifo"
dotnet "$here/bin/Release/net10.0/ReceiptsBench.dll" "Host=127.0.0.1;Port=$pgport;Username=tvs_test;Database=tvs_receipts_bench;Maximum Pool Size=32" \
  "$votes" "$partitions" "$out/board" "$out" "$port" <"$fifo" >"$out/serve.txt" &
server=$!
exec 3>"$fifo"
trap 'exec 3>&-; wait $server 2>/dev/null || true; rm -f "$fifo"' EXIT
for _ in $(seq 1 3600); do grep -q serving "$out/serve.txt" 2>/dev/null && break; sleep 1; done
base=$(sed -n 's/^serving //p' "$out/serve.txt")
urlpath="/${base#http://*/}"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); $votes votes in $partitions partitions"
wrk -t1 -c8 -d5s -s "$here/receipts.lua" "$base" -- "$urlpath" "$out/nullifiers.txt" >/dev/null  # warm-up
wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -s "$here/receipts.lua" "$base" -- "$urlpath" "$out/nullifiers.txt"
