#!/usr/bin/env bash
# Gateway benchmark (docs/PERFORMANCE.md, "Gateway"): starts `tvs dev kafka` (librdkafka's mock
# cluster, 3 brokers), `tvs gateway run` in front of it, writes real sealed votes with
# `tvs dev votes`, and runs autocannon against POST /v1/elections/{id}/votes.
# Usage: tools/gateway-bench/run.sh [connections=64] [seconds=20] [pipelining=1]
# Everything runs on 127.0.0.1 and stops by itself.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
connections="${1:-64}"; seconds="${2:-20}"; pipelining="${3:-1}"
port="${TVS_BENCH_PORT:-18480}"
election="6f1c2b9e-8d4a-4e3b-9a7c-2f5e1d0b3a94"
out="$here/out"; mkdir -p "$out"

(cd "$here" && [[ -d node_modules/autocannon ]] || npm ci --no-audit --no-fund --loglevel=error >/dev/null)
"$root/tvs" --help >/dev/null  # builds the CLI once if needed
tvs=(dotnet "$root/.tvs/bin/tvs.dll")

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

"${tvs[@]}" dev kafka --brokers 3 --partitions 8 --json >"$out/kafka.json" 2>"$out/kafka.err" &
pids+=($!)
for _ in $(seq 1 300); do [[ -s "$out/kafka.json" ]] && break; sleep 0.1; done
bootstrap=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).bootstrapServers)' "$out/kafka.json")
echo "mock cluster: $bootstrap"

[[ -s "$out/votes.bin" ]] || "${tvs[@]}" dev votes --election "$election" --count 4000 --out "$out/votes.bin"

# One load generator = one client IP: the per-client limit is lifted for the benchmark (the
# rate limiter still runs on every request).
# The CLI turns tiered compilation off (short verification runs want optimised code at once); a
# long-running server wants it on, for dynamic PGO. TVS_BENCH_TIERED=0 measures without.
DOTNET_TieredCompilation="${TVS_BENCH_TIERED:-1}" "${tvs[@]}" gateway run --bootstrap "$bootstrap" --election "$election" --port "$port" \
  --rate 10000000 --burst 10000000 --no-status ${TVS_BENCH_KAFKA_CONFIG:+--kafka-config "$TVS_BENCH_KAFKA_CONFIG"} >"$out/gateway.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { echo "gateway not ready"; cat "$out/gateway.log"; exit 1; }

# Warm-up (JIT is off in the CLI, but connections, Kafka batches and the thread pool settle).
node "$here/bench.js" "http://127.0.0.1:$port" "$election" "$out/votes.bin" "$connections" 5 "$pipelining" >/dev/null 2>&1 || true
# CPU time of each process over the measured run (user + system, clock ticks): on a shared
# machine the CPU cost per request is steadier than the wall-clock rate.
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
gw_pid=${pids[1]}; kafka_pid=${pids[0]}
gw0=$(cpu "$gw_pid"); k0=$(cpu "$kafka_pid")
echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -f "autocannon cpu: %U s user, %S s system" -o "$out/node-cpu.txt" \
  node "$here/bench.js" "http://127.0.0.1:$port" "$election" "$out/votes.bin" "$connections" "$seconds" "$pipelining" | tee "$out/result.txt"
echo "load after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
hz=$(getconf CLK_TCK)
total=$(sed -n 's/^RESULT .*"requests_total":\([0-9]*\).*/\1/p' "$out/result.txt")
gw1=$(cpu "$gw_pid"); k1=$(cpu "$kafka_pid")
awk -v g=$((gw1 - gw0)) -v k=$((k1 - k0)) -v hz="$hz" -v n="${total:-0}" 'BEGIN {
  printf "cpu over the run: gateway %.1f s, mock kafka %.1f s", g / hz, k / hz;
  if (n > 0) printf "; per request: gateway %.0f us, mock kafka %.0f us", g / hz / n * 1e6, k / hz / n * 1e6;
  printf "\n" }'
cat "$out/node-cpu.txt"
curl -s "http://127.0.0.1:$port/metrics" | grep -E '^tvs_gateway_(requests_total|requests_in_flight|kafka_failures_total|body_failures_total)' || true
