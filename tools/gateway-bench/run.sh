#!/usr/bin/env bash
# Gateway benchmark (docs/PERFORMANCE.md, "Gateway"): starts `tvs dev kafka` (librdkafka's mock
# cluster, 3 brokers), `tvs gateway run` in front of it, writes real sealed votes with
# `tvs dev votes`, and drives POST /v1/elections/{id}/votes with wrk (Debian package `wrk`,
# script votes.lua) or, with TVS_BENCH_TOOL=autocannon, with autocannon (npm, bench.js).
# Usage: tools/gateway-bench/run.sh [connections=64] [seconds=20] [wrk threads=2]
# Environment:
#   TVS_BENCH_TOOL=wrk|autocannon   load tool (wrk is the measuring one)
#   TVS_BENCH_PIPELINING=1          autocannon only
#   TVS_BENCH_TIERED=1              DOTNET_TieredCompilation of the gateway (0: fully optimised JIT, no PGO)
#   TVS_BENCH_GATEWAY_ENV="K=V …"   extra environment of the gateway process (e.g. DOTNET_gcServer=1)
#   TVS_BENCH_KAFKA_CONFIG=K=V      one extra librdkafka producer setting of the gateway
#   TVS_BENCH_PORT=18480
# Everything runs on 127.0.0.1 and stops by itself.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
connections="${1:-64}"; seconds="${2:-20}"; threads="${3:-2}"
tool="${TVS_BENCH_TOOL:-wrk}"; pipelining="${TVS_BENCH_PIPELINING:-1}"
port="${TVS_BENCH_PORT:-18480}"
election="6f1c2b9e-8d4a-4e3b-9a7c-2f5e1d0b3a94"
out="$here/out"; mkdir -p "$out"

case "$tool" in
  wrk)
    if ! command -v wrk >/dev/null; then
      # Debian's wrk (4.1.0, LuaJIT): the load tool of record.
      if [[ $(id -u) -eq 0 ]]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
      else
        echo "wrk is missing: apt-get install wrk (as root)" >&2; exit 1
      fi
    fi ;;
  autocannon)
    (cd "$here" && [[ -d node_modules/autocannon ]] || npm ci --no-audit --no-fund --loglevel=error >/dev/null) ;;
  *) echo "TVS_BENCH_TOOL must be wrk or autocannon" >&2; exit 2 ;;
esac
"$root/tvs" --help >/dev/null  # builds the CLI once if needed
# The run's own processes add 3-5 to the load average: this is the machine before them.
echo "load before starting: $(cut -d' ' -f1-3 /proc/loadavg)"
tvs=(dotnet "$root/.tvs/bin/tvs.dll")

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

"${tvs[@]}" dev kafka --brokers 3 --partitions 8 --json >"$out/kafka.json" 2>"$out/kafka.err" &
pids+=($!)
for _ in $(seq 1 300); do [[ -s "$out/kafka.json" ]] && break; sleep 0.1; done
bootstrap=$(sed -n 's/.*"bootstrapServers" *: *"\([^"]*\)".*/\1/p' "$out/kafka.json")
[[ -n "$bootstrap" ]] || { echo "mock cluster did not start"; cat "$out/kafka.json" "$out/kafka.err"; exit 1; }
echo "mock cluster: $bootstrap"

[[ -s "$out/votes.bin" ]] || "${tvs[@]}" dev votes --election "$election" --count 4000 --out "$out/votes.bin"

# One load generator = one client IP: the per-client limit is lifted for the benchmark (the
# rate limiter still runs on every request).
# The CLI turns tiered compilation off (short verification runs want optimised code at once); a
# long-running server wants it on, for dynamic PGO. TVS_BENCH_TIERED=0 measures without.
# shellcheck disable=SC2086
env DOTNET_TieredCompilation="${TVS_BENCH_TIERED:-1}" ${TVS_BENCH_GATEWAY_ENV:-} "${tvs[@]}" gateway run \
  --bootstrap "$bootstrap" --election "$election" --partitions 8 --port "$port" \
  --rate 10000000 --burst 10000000 --no-status ${TVS_BENCH_KAFKA_CONFIG:+--kafka-config "$TVS_BENCH_KAFKA_CONFIG"} >"$out/gateway.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { echo "gateway not ready"; cat "$out/gateway.log"; exit 1; }

# load SECONDS [COMMAND PREFIX…]: one run of the load tool.
load() {
  local s="$1"; shift
  case "$tool" in
    wrk) "$@" wrk -t"$threads" -c"$connections" -d"${s}s" --latency -s "$here/votes.lua" "http://127.0.0.1:$port" -- "$election" "$out/votes.bin" ;;
    autocannon) "$@" node "$here/bench.js" "http://127.0.0.1:$port" "$election" "$out/votes.bin" "$connections" "$s" "$pipelining" ;;
  esac
}
accepted() { curl -s "http://127.0.0.1:$port/metrics" | sed -n 's/^tvs_gateway_requests_total{code="202"} \([0-9.e+]*\)$/\1/p' | awk '{printf "%d", $1 + 0}'; }

# Warm-up: tiered JIT and dynamic PGO, connections, Kafka batches and the thread pool settle.
load 8 >/dev/null 2>&1 || true
# CPU time of each process over the measured run (user + system, clock ticks): on a shared
# machine the CPU cost per request is steadier than the wall-clock rate.
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
gw_pid=${pids[1]}; kafka_pid=${pids[0]}
gw0=$(cpu "$gw_pid"); k0=$(cpu "$kafka_pid"); a0=$(accepted)
echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
load "$seconds" /usr/bin/time -f "%U %S" -o "$out/tool-cpu.txt" | tee "$out/result.txt"
echo "load after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
gw1=$(cpu "$gw_pid"); k1=$(cpu "$kafka_pid"); a1=$(accepted)
hz=$(getconf CLK_TCK)
total=$(sed -n 's/^RESULT .*"requests_total":\([0-9]*\).*/\1/p' "$out/result.txt")
read -r tool_user tool_sys <"$out/tool-cpu.txt"
awk -v g=$((gw1 - gw0)) -v k=$((k1 - k0)) -v hz="$hz" -v n="${total:-0}" -v acc=$((a1 - a0)) -v s="$seconds" \
    -v tu="$tool_user" -v ts="$tool_sys" -v tool="$tool" 'BEGIN {
  printf "accepted (gateway 202 counter): %d, %.0f/s over %d s\n", acc, acc / s, s;
  printf "cpu over the run: gateway %.1f s, mock kafka %.1f s, %s %.1f s", g / hz, k / hz, tool, tu + ts;
  if (n > 0) printf "; per request: gateway %.1f us, mock kafka %.1f us, %s %.1f us", g / hz / n * 1e6, k / hz / n * 1e6, tool, (tu + ts) / n * 1e6;
  printf "\n" }'
curl -s "http://127.0.0.1:$port/metrics" | grep -E '^tvs_gateway_(requests_total|requests_in_flight|kafka_failures_total|body_failures_total)' || true
