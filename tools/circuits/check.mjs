// Re-runs snarkjs 0.7.6 over every committed fixture set and asserts that each verdict
// recorded in cases.json reproduces, that the contract's shape holds, and that the raw
// Semaphore proofs match their snarkjs conversions.
//   node check.mjs [FIXTURES_DIR]   (default: tests/fixtures/groth16)
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { groth16 } from "snarkjs";
import { unpackGroth16Proof } from "@zk-kit/utils/proof-packing";
import { keccak256, toBeHex } from "ethers";
import { verifyProof } from "@semaphore-protocol/proof";
import { readJson, snarkjsVerdict, snarkjsProofFromPacked } from "./lib.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(process.argv[2] ?? path.join(here, "../../tests/fixtures/groth16"));
const semaphoreHash = (x) => (BigInt(keccak256(toBeHex(x, 32))) >> 8n).toString();
let failures = 0, checked = 0;
const fail = (m) => { failures++; console.error("FAIL " + m); };
const KEYS = ["name", "kind", "vk", "proof", "public", "snarkjs", "expected", "note"];

for (const set of fs.readdirSync(root).sort()) {
    const setDir = path.join(root, set);
    if (!fs.existsSync(path.join(setDir, "cases.json"))) continue;
    const cases = readJson(path.join(setDir, "cases.json"));
    const names = new Set();
    let lax = 0;
    for (const c of cases) {
        if (JSON.stringify(Object.keys(c)) !== JSON.stringify(KEYS)) fail(`${set}/${c.name}: keys ${Object.keys(c)}`);
        if (names.has(c.name)) fail(`${set}/${c.name}: duplicate name`);
        names.add(c.name);
        for (const f of [c.vk, c.proof, c.public]) if (!fs.existsSync(path.join(setDir, f))) fail(`${set}/${c.name}: missing ${f}`);
        if (c.kind === "valid" && !(c.expected && c.snarkjs)) fail(`${set}/${c.name}: a valid case must be true/true`);
        if (c.kind !== "valid" && c.expected) fail(`${set}/${c.name}: only valid cases may be expected true`);
        if (!c.snarkjs && c.expected) fail(`${set}/${c.name}: TVS is never laxer than snarkjs`);
        const { verdict } = await snarkjsVerdict(setDir, c);
        if (verdict !== c.snarkjs) fail(`${set}/${c.name}: snarkjs now says ${verdict}, recorded ${c.snarkjs}`);
        if (c.snarkjs && !c.expected) lax++;
        checked++;
    }
    const list = fs.readFileSync(path.join(setDir, "list.txt"), "utf8").trim().split("\n");
    for (const line of list) {
        const [p, s] = line.split(" ");
        if (!cases.some((c) => c.kind === "valid" && c.proof === p && c.public === s)) fail(`${set}: list.txt line "${line}" is not a valid case`);
    }
    // Raw Semaphore proofs: the packed points and the public values must give the same
    // snarkjs proof and public signals as the committed pair, which verify.
    const vk = readJson(path.join(setDir, "verification_key.json"));
    const raws = fs.readdirSync(path.join(setDir, "valid")).filter((f) => f.startsWith("semaphore-proof-")).sort();
    for (const f of raws) {
        const n = f.match(/(\d+)\.json$/)[1];
        const sp = readJson(path.join(setDir, "valid", f));
        const proof = snarkjsProofFromPacked(unpackGroth16Proof(sp.points));
        const pub = [sp.merkleTreeRoot, sp.nullifier, semaphoreHash(sp.message), semaphoreHash(sp.scope)];
        if (JSON.stringify(proof) !== JSON.stringify(readJson(path.join(setDir, `valid/proof_${n}.json`)))) fail(`${set}/${f}: points differ from proof_${n}.json`);
        if (JSON.stringify(pub) !== JSON.stringify(readJson(path.join(setDir, `valid/public_${n}.json`)))) fail(`${set}/${f}: public values differ from public_${n}.json`);
        if (!(await groth16.verify(vk, pub, proof))) fail(`${set}/${f}: does not verify`);
        checked++;
    }
    // Semaphore proof objects (semaphore-official-d4): verifyProof's recorded verdicts reproduce.
    const objects = fs.existsSync(path.join(setDir, "objects.json")) ? readJson(path.join(setDir, "objects.json")) : [];
    for (const c of objects) {
        let verdict;
        try {
            verdict = (await verifyProof(JSON.parse(fs.readFileSync(path.join(setDir, c.object), "utf8")))) === true;
        } catch {
            verdict = false;
        }
        if (verdict !== c.snarkjs) fail(`${set}/objects/${c.name}: verifyProof now says ${verdict}, recorded ${c.snarkjs}`);
        if (!c.snarkjs && c.expected) fail(`${set}/objects/${c.name}: TVS is never laxer than verifyProof`);
        if (c.snarkjs && !c.expected) lax++;
        checked++;
    }
    console.log(`${set}: ${cases.length} cases, ${objects.length} Semaphore proof objects, ${list.length} listed proofs, ${raws.length} raw Semaphore proofs; snarkjs accepts ${lax} that TVS rejects`);
}
console.log(failures ? `${failures} failures in ${checked} checks` : `all ${checked} checks pass`);
process.exit(failures ? 1 : 0);
