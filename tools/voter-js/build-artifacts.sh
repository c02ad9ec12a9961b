#!/usr/bin/env bash
# Builds the Semaphore v4 proving artifacts the JS voter client proves with, offline and once:
# a small local powers of tau (2^POWER, fixed beacon), Semaphore(DEPTH) compiled with circom2,
# a Groth16 setup with a fixed phase-2 beacon. Reuses the pinned circom2/snarkjs/circomlib of
# tools/circuits (npm ci there first). Outputs go to tools/voter-js/build/ (gitignored): they are
# large and take minutes here, so CI never rebuilds them; make-fixture.mjs commits what it needs
# (the verification key, proofs) under tests/fixtures/voter-js/.
#
# INSECURE by construction: the beacons are public, so anyone can recompute the toxic waste. For
# tests and demos only; a real election uses a real ceremony's zkey.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
C="$here/../circuits"
POWER="${POWER:-12}"
DEPTH="${DEPTH:-4}"
B="$here/build"
snarkjs() { node "$C/node_modules/snarkjs/build/cli.cjs" "$@"; }
circom2() { node "$C/node_modules/circom2/cli.js" "$@"; }
PTAU_BEACON="$(printf 'TVS voter-js powers of tau' | sha256sum | cut -c1-64)"
ZKEY_BEACON="$(printf 'TVS voter-js phase 2' | sha256sum | cut -c1-64)"
t0=$(date +%s)
stamp() { echo "[$(( $(date +%s) - t0 ))s] $*"; }

[[ -d "$C/node_modules/snarkjs" ]] || (cd "$C" && npm ci)
mkdir -p "$B/src" "$B/ptau"
cp "$C"/node_modules/circomlib/circuits/*.circom "$B/src/"
cp "$C/node_modules/@zk-kit/binary-merkle-root.circom/src/binary-merkle-root.circom" "$B/src/"
cp "$C/node_modules/@semaphore-protocol/circuits/src/semaphore.circom" "$B/src/"
name="semaphore-d$DEPTH"
sed "s/@DEPTH@/$DEPTH/" "$C/circuits/semaphore-main.circom.in" > "$B/src/$name.circom"

ptau="$B/ptau/pot${POWER}_final.ptau"
if [[ ! -f "$ptau" ]]; then
  stamp "powers of tau 2^$POWER"
  snarkjs powersoftau new bn128 "$POWER" "$B/ptau/pot${POWER}_0000.ptau"
  snarkjs powersoftau beacon "$B/ptau/pot${POWER}_0000.ptau" "$B/ptau/pot${POWER}_0001.ptau" "$PTAU_BEACON" 10 -n="TVS voter-js beacon"
  snarkjs powersoftau prepare phase2 "$B/ptau/pot${POWER}_0001.ptau" "$ptau.tmp"
  mv "$ptau.tmp" "$ptau"
fi
if [[ ! -f "$B/$name/$name.zkey" ]]; then
  mkdir -p "$B/$name"
  stamp "$name: compile"
  (cd "$B/src" && circom2 "$name.circom" --O2 --r1cs --wasm -o "../$name" > "../$name/compile.log")
  stamp "$name: groth16 setup"
  snarkjs groth16 setup "$B/$name/$name.r1cs" "$ptau" "$B/$name/${name}_0000.zkey" > "$B/$name/setup.log"
  snarkjs zkey beacon "$B/$name/${name}_0000.zkey" "$B/$name/$name.zkey.tmp" "$ZKEY_BEACON" 10 -n="TVS voter-js phase 2 beacon" >> "$B/$name/setup.log"
  mv "$B/$name/$name.zkey.tmp" "$B/$name/$name.zkey"
fi
snarkjs zkey export verificationkey "$B/$name/$name.zkey" "$B/$name/verification_key.json" > /dev/null
stamp "done: $B/$name/{${name}_js/$name.wasm,$name.zkey,verification_key.json}"
