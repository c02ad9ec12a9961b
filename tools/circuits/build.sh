#!/usr/bin/env bash
# Regenerates tests/fixtures/groth16/ from scratch, offline: compiles the circuits with circom2,
# makes a local powers of tau and Groth16 setups with snarkjs, proves with snarkjs and
# @semaphore-protocol/proof, derives the tampered cases and checks every recorded verdict.
#
#   tools/circuits/build.sh            # everything (reuses build/ptau if present)
#   CLEAN=1 tools/circuits/build.sh    # also remake the powers of tau
#
# Environment: POWER (ptau size, default 14), DEPTHS (Semaphore depths, default "4 10 20 32"),
# BIG_DEPTH (the depth that gets BIG_COUNT proofs, default 20), COUNT (proofs per other set, 16),
# BIG_COUNT (32). Build outputs go to tools/circuits/build/ (gitignored).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"

POWER="${POWER:-14}"
DEPTHS="${DEPTHS:-4 10 20 32}"
BIG_DEPTH="${BIG_DEPTH:-20}"
COUNT="${COUNT:-16}"
BIG_COUNT="${BIG_COUNT:-32}"
OUT="$root/tests/fixtures/groth16"
B="$here/build"
snarkjs() { node "$here/node_modules/snarkjs/build/cli.cjs" "$@"; }
circom2() { node "$here/node_modules/circom2/cli.js" "$@"; }
# Fixed beacons (hex): the ceremony is deterministic, so the verification keys are reproducible.
PTAU_BEACON="$(printf 'TVS fixtures powers of tau' | sha256sum | cut -c1-64)"
ZKEY_BEACON="$(printf 'TVS fixtures phase 2' | sha256sum | cut -c1-64)"
t0=$(date +%s)
stamp() { echo "[$(( $(date +%s) - t0 ))s] $*"; }

[[ -d node_modules/snarkjs ]] || npm ci
[[ "${CLEAN:-0}" == 1 ]] && rm -rf "$B"
mkdir -p "$B/src" "$B/ptau"

# circom2 (WebAssembly/WASI) only sees files under its working directory: stage every source
# next to the main files.
cp node_modules/circomlib/circuits/*.circom "$B/src/"
cp node_modules/@zk-kit/binary-merkle-root.circom/src/binary-merkle-root.circom "$B/src/"
cp node_modules/@semaphore-protocol/circuits/src/semaphore.circom "$B/src/"
cp circuits/poseidon-preimage.circom "$B/src/simple.circom"
for d in $DEPTHS; do sed "s/@DEPTH@/$d/" circuits/semaphore-main.circom.in > "$B/src/semaphore-d$d.circom"; done

# 1. powers of tau: new + a fixed beacon + phase 2 preparation (cached in build/ptau).
ptau="$B/ptau/pot${POWER}_final.ptau"
if [[ ! -f "$ptau" ]]; then
  stamp "powers of tau 2^$POWER"
  snarkjs powersoftau new bn128 "$POWER" "$B/ptau/pot${POWER}_0000.ptau"
  snarkjs powersoftau beacon "$B/ptau/pot${POWER}_0000.ptau" "$B/ptau/pot${POWER}_0001.ptau" "$PTAU_BEACON" 10 -n="TVS fixtures beacon"
  snarkjs powersoftau prepare phase2 "$B/ptau/pot${POWER}_0001.ptau" "$ptau.tmp"
  mv "$ptau.tmp" "$ptau"
  stamp "powers of tau done"
fi

# 2. per circuit: compile, setup, beacon, export keys.
setup() { # name set
  local name="$1" set="$2" dir="$B/$1"
  mkdir -p "$dir"
  stamp "$name: compile"
  (cd "$B/src" && circom2 "$name.circom" --O2 --r1cs --wasm -o "../$name" > "../$name/compile.log")
  snarkjs r1cs info "$dir/$name.r1cs" | sed 's/\x1b\[[0-9;]*m//g' | tee "$dir/r1cs-info.txt" | grep -E "Constraints|Public Inputs|Outputs"
  stamp "$name: groth16 setup"
  snarkjs groth16 setup "$dir/$name.r1cs" "$ptau" "$dir/${name}_0000.zkey" > "$dir/setup.log"
  snarkjs zkey beacon "$dir/${name}_0000.zkey" "$dir/$name.zkey" "$ZKEY_BEACON" 10 -n="TVS fixtures phase 2 beacon" >> "$dir/setup.log"
  rm -rf "$OUT/$set"; mkdir -p "$OUT/$set/tampered"
  snarkjs zkey export verificationkey "$dir/$name.zkey" "$OUT/$set/verification_key.json" > /dev/null
  snarkjs zkey export verificationkey "$dir/${name}_0000.zkey" "$OUT/$set/tampered/weak_setup_vk.json" > /dev/null
}

setup simple simple
stamp "simple: proofs"
node gen.mjs simple "$OUT/simple" "$B/simple/simple_js/simple.wasm" "$B/simple/simple.zkey" "$B/simple/simple_0000.zkey" "$COUNT"

for d in $DEPTHS; do
  setup "semaphore-d$d" "semaphore-d$d"
  n="$COUNT"; [[ "$d" == "$BIG_DEPTH" ]] && n="$BIG_COUNT"
  members=$(( n > 16 ? n + 8 : n ))              # every proof from a distinct member
  (( d == 4 )) && members=16                       # a depth-4 tree holds at most 16
  (( d >= 10 && members < 40 )) && members=40
  stamp "semaphore-d$d: $n proofs, group of $members"
  node gen.mjs semaphore "$OUT/semaphore-d$d" "$B/semaphore-d$d/semaphore-d${d}_js/semaphore-d$d.wasm" \
    "$B/semaphore-d$d/semaphore-d$d.zkey" "$B/semaphore-d$d/semaphore-d${d}_0000.zkey" "$n" "$d" "$members"
done

# 3. tampered and malformed cases, cases.json, list.txt.
stamp "tampered cases"
node tamper.mjs "$OUT/simple"
read -r -a depths <<<"$DEPTHS"
for d in "${depths[@]}"; do
  # "another depth" for the vk_other_depth case: the first depth, or the second for the first.
  other="${depths[0]}"; [[ "$d" == "$other" ]] && other="${depths[1]:-}"
  node tamper.mjs "$OUT/semaphore-d$d" ${other:+"$OUT/semaphore-d$other"}
done

# 4. proofs as a Semaphore user makes them: Semaphore's published artifacts, no setup of ours.
stamp "semaphore-official-d4"
node semaphore-official.mjs "$OUT/semaphore-official-d4"

# 5. every recorded verdict must reproduce.
stamp "check"
node check.mjs "$OUT"
for s in simple $(for d in $DEPTHS; do echo semaphore-d$d; done); do
  grep -h "Constraints" "$B/$s/r1cs-info.txt" | sed "s/.*# of /$s: /"
done
stamp "done"
