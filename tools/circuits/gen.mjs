// Generates the valid proofs of one fixture set with the real provers.
//   node gen.mjs simple    SETDIR WASM ZKEY WEAK_ZKEY COUNT
//   node gen.mjs semaphore SETDIR WASM ZKEY WEAK_ZKEY COUNT DEPTH MEMBERS
// SETDIR must already hold verification_key.json. WEAK_ZKEY is the zkey straight out of
// `groth16 setup` (no contribution: delta = gamma = the G2 generator); one proof is made with it
// for the gamma == delta cases (see tamper.mjs).
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { groth16 } from "snarkjs";
import { Identity } from "@semaphore-protocol/identity";
import { Group } from "@semaphore-protocol/group";
import { generateProof } from "@semaphore-protocol/proof";
import { unpackGroth16Proof } from "@zk-kit/utils/proof-packing";
import { keccak256, toBeHex } from "ethers";
import { pad3, writeJson, readJson, snarkjsProofFromPacked } from "./lib.mjs";

const [kind, setDir, wasm, zkey, weakZkey, countStr, depthStr, membersStr] = process.argv.slice(2);
const count = Number(countStr);
const vk = readJson(path.join(setDir, "verification_key.json"));

// The election id of every Semaphore set: a UUID read as a 128-bit big-endian integer.
export const ELECTION_ID = "6f1c2b9e-8d4a-4e3b-9a7c-2f5e1d0b3a94";
const SCOPE = BigInt("0x" + ELECTION_ID.replace(/-/g, ""));

// Semaphore's hash(x) = keccak256(x as 32-byte big-endian) >> 8, as in @semaphore-protocol/proof.
const semaphoreHash = (x) => (BigInt(keccak256(toBeHex(x, 32))) >> 8n).toString();

async function mustVerify(v, pub, proof, what) {
    if (!(await groth16.verify(v, pub, proof))) throw new Error(`${what} does not verify`);
}

const started = Date.now();
const meta = { kind, count, prover: "" };

if (kind === "simple") {
    meta.prover = "snarkjs 0.7.6 groth16.fullProve";
    meta.circuit = "tools/circuits/circuits/poseidon-preimage.circom: hash = Poseidon(preimage), hash public";
    meta.preimages = [];
    for (let i = 0; i < count; i++) {
        const preimage = 1000n + BigInt(i) * 7919n;
        const { proof, publicSignals } = await groth16.fullProve({ preimage }, wasm, zkey);
        await mustVerify(vk, publicSignals, proof, `simple proof ${i}`);
        writeJson(path.join(setDir, `valid/proof_${pad3(i)}.json`), proof);
        writeJson(path.join(setDir, `valid/public_${pad3(i)}.json`), publicSignals);
        meta.preimages.push(preimage.toString());
    }
    const { proof, publicSignals } = await groth16.fullProve({ preimage: 42n }, wasm, weakZkey);
    writeJson(path.join(setDir, "tampered/weak_setup_proof.json"), proof);
    writeJson(path.join(setDir, "tampered/weak_setup_public.json"), publicSignals);
} else if (kind === "semaphore") {
    const depth = Number(depthStr);
    const members = Number(membersStr);
    meta.prover = "@semaphore-protocol/proof 4.14.3 generateProof (snarkjs 0.7.5 inside), converted to snarkjs JSON";
    meta.depth = depth;
    meta.electionId = ELECTION_ID;
    meta.scope = SCOPE.toString();
    meta.identities = `new Identity("seed-<i>") for i in 0..${members - 1}`;
    const ids = Array.from({ length: members }, (_, i) => new Identity(`seed-${i}`));
    const group = new Group(ids.map((id) => id.commitment));
    meta.members = ids.map((id) => id.commitment.toString());
    meta.groupDepth = group.depth;
    meta.merkleTreeRoot = group.root.toString();
    meta.messages = "SHA-256 of the UTF-8 text `ballot <depth>/<i>`, read as a big-endian integer";
    const proveOne = async (i, zk) => {
        const message = BigInt("0x" + crypto.createHash("sha256").update(`ballot ${depth}/${i}`).digest("hex"));
        const sp = await generateProof(ids[i % members], group, message, SCOPE, depth, { wasm, zkey: zk });
        const proof = snarkjsProofFromPacked(unpackGroth16Proof(sp.points));
        const pub = [sp.merkleTreeRoot, sp.nullifier, semaphoreHash(sp.message), semaphoreHash(sp.scope)];
        return { sp, proof, pub };
    };
    for (let i = 0; i < count; i++) {
        const { sp, proof, pub } = await proveOne(i, zkey);
        await mustVerify(vk, pub, proof, `semaphore d${depth} proof ${i}`);
        writeJson(path.join(setDir, `valid/proof_${pad3(i)}.json`), proof);
        writeJson(path.join(setDir, `valid/public_${pad3(i)}.json`), pub);
        writeJson(path.join(setDir, `valid/semaphore-proof-${pad3(i)}.json`), sp);
    }
    const { proof, pub } = await proveOne(count, weakZkey);
    writeJson(path.join(setDir, "tampered/weak_setup_proof.json"), proof);
    writeJson(path.join(setDir, "tampered/weak_setup_public.json"), pub);
} else {
    throw new Error(`unknown kind ${kind}`);
}
meta.seconds = (Date.now() - started) / 1000;
writeJson(path.join(setDir, "inputs.json"), meta);
console.log(`${setDir}: ${count} proofs in ${meta.seconds.toFixed(1)} s`);
process.exit(0);
