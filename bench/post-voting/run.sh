#!/usr/bin/env bash
# The steps after voting at scale (docs/PERFORMANCE.md "After voting at scale"): peak RSS and ballots/s
# of one trustee's decrypt, the tally, the record export and the verifier over a closed synthetic
# election of N votes (tvs dev synthetic-election: tallyable ballots, proofs made with the simulated
# setup's trapdoor, published straight onto a board).
#   bench/post-voting/run.sh [votes=100000] [partitions=4] [threads=all cores] [dir=bench/post-voting/out/N]
# The election is kept in DIR between runs (a second run skips making it). GNU time gives the peak RSS.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
votes="${1:-100000}"; partitions="${2:-4}"; threads="${3:-$(nproc)}"; dir="${4:-$here/out/$votes}"
command -v /usr/bin/time >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
# Its own copy of the CLI: a build of the source tree during a long run must not change the binary under it.
bin="$here/out/bin"
dotnet build "$root/tools/TVS.Cli/TVS.Cli.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly -o "$bin" >/dev/null
tvs=(dotnet "$bin/tvs.dll")
if [[ ! -f "$dir/board/close.note" ]]; then
  rm -rf "$dir"; mkdir -p "$dir"
  "${tvs[@]}" dev synthetic-election --dir "$dir" --votes "$votes" --partitions "$partitions" | tail -n1
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load before: $(cut -d' ' -f1-3 /proc/loadavg); $votes votes, $partitions partitions, $threads threads; $(date -u +%F)"
measure() { # name, command…: wall seconds, ballots/s and peak RSS of one command
  local name="$1"; shift
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$dir/$name.rss" "$@" >"$dir/$name.log" 2>&1 || { echo "$name failed:"; tail -n 20 "$dir/$name.log"; exit 1; }
  end=$(date +%s.%N)
  awk -v n="$name" -v s="$start" -v e="$end" -v v="$votes" -v r="$(cat "$dir/$name.rss")" \
    'BEGIN { t = e - s; printf "%-10s %8.1f s  %10.0f ballots/s  peak RSS %7.1f MiB\n", n, t, v / t, r / 1024 }'
}
trustee="$dir/trustees/trustee-01"
rm -rf "$dir/shares" "$dir/tally"
measure decrypt "${tvs[@]}" trustee decrypt --election "$dir/election" --board "$dir/board" --share "$trustee/share.key" \
  --passphrase-file "$trustee/passphrase" --out "$dir/shares" --threads "$threads"
for j in 2 3 4 5; do
  t="$dir/trustees/trustee-0$j"
  "${tvs[@]}" trustee decrypt --election "$dir/election" --board "$dir/board" --share "$t/share.key" --passphrase-file "$t/passphrase" \
    --out "$dir/shares" --threads "$threads" >/dev/null
done
measure tally "${tvs[@]}" tally --election "$dir/election" --board "$dir/board" --shares "$dir/shares" --out "$dir/tally" --threads "$threads"
grep -E "^tallied" "$dir/tally.log" || true
rm -rf "$dir/record" "$dir/verify-state"
measure export "${tvs[@]}" record export --election "$dir/election" --data "$dir/data" --board "$dir/board" --tally "$dir/tally" --out "$dir/record"
measure verify "${tvs[@]}" verify "$dir/record" --threads "$threads" --state "$dir/verify-state"
grep -E "ballots/s" "$dir/verify.log" | tail -n1 || true
