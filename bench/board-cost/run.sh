#!/usr/bin/env bash
# What publishing the bulletin board costs the engine (docs/PERFORMANCE.md "Bulletin board"):
# `tvs demo --engine-only` with and without --no-board, alternated in one run so that both see
# the same machine, ROUNDS times each; prints records/s of each run and the medians.
#   bench/board-cost/run.sh [voters=20000] [rounds=3]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
voters="${1:-20000}"; rounds="${2:-3}"
"$root/tvs" --help >/dev/null
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
with=(); without=()
rate() { python3 -c 'import json,sys; d=json.load(sys.stdin); b=d.get("board") or {}; print(d["summary"]["VotesPerSecond"] if "VotesPerSecond" in d["summary"] else d["summary"]["votesPerSecond"], b.get("publishSeconds", 0), b.get("tilesWritten", 0), d["ok"])'; }
for i in $(seq 1 "$rounds"); do
  read -r r s t ok < <("$root/tvs" demo --engine-only --no-baseline --voters "$voters" --json 2>/dev/null | rate)
  echo "round $i with board:    $r records/s (publishing $s s, $t tiles and bundles, ok=$ok)"; with+=("$r")
  read -r r s t ok < <("$root/tvs" demo --engine-only --no-baseline --voters "$voters" --json --no-board 2>/dev/null | rate)
  echo "round $i without board: $r records/s (ok=$ok)"; without+=("$r")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mw=$(median "${with[@]}"); mo=$(median "${without[@]}")
echo "median with board $mw, without $mo records/s: publishing costs $(python3 -c "print(f'{(1-$mw/$mo)*100:.1f}')") %"
