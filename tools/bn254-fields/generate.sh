#!/usr/bin/env bash
# Writes the BN254 prime fields Fp and Fr from one template, so that both are one source while
# each stays a type of its own (why not a generic struct: docs/bn254.md, "Fields").
# Usage: generate.sh [output folder]. Run after editing PrimeField.cs.template; FieldTests.GeneratedFieldsMatchTemplate fails until then.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../../engine/TVS.Crypto/Bn254}" # another folder: to compare with the committed files

generate() { # type, description, modulus letter, modulus in decimal
  sed -e "s/@Type@/$1/g" -e "s/@Description@/$2/g" -e "s/@q@/$3/g" -e "s/@ModulusDecimal@/$4/g" \
    "$here/PrimeField.cs.template" > "$out/$1.g.cs"
}

generate Fp "the BN254 base field Fp (coordinates of G1 and, through Fp2, of G2)" p \
  21888242871839275222246405745257275088696311157297823662689037894645226208583
generate Fr "the BN254 scalar field Fr (exponents and scalars; r is the order of G1 and G2)" r \
  21888242871839275222246405745257275088548364400416034343698204186575808495617
