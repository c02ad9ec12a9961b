pragma circom 2.1.5;

include "poseidon.circom";

// The "simple" fixture circuit: knowledge of a Poseidon preimage.
// One public signal: the output `hash` = Poseidon(preimage) (circomlib parameters).
template PoseidonPreimage() {
    signal input preimage;
    signal output hash;
    hash <== Poseidon(1)([preimage]);
}

component main = PoseidonPreimage();
