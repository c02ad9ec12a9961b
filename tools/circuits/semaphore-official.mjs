// Builds tests/fixtures/groth16/semaphore-official-d4/: proofs made exactly as a new user of
// @semaphore-protocol/proof 4.x makes them, with Semaphore's own published artifacts (the
// `@zk-kit/semaphore-artifacts` npm package, the files `generateProof` would otherwise download,
// version "4.13.0" as generateProof asks for), and every proof's verdict from the real
// verifiers: `verifyProof` of @semaphore-protocol/proof for the proof objects, snarkjs
// `groth16.verify` for the snarkjs files. No network: everything comes from node_modules.
//   node semaphore-official.mjs [OUT_DIR]   (default tests/fixtures/groth16/semaphore-official-d4)
//
// Writes:
//   verification_key.json      semaphore-4.json of the artifacts (what verifyProof uses for depth 4)
//   objects/NNN.json           generateProof's return values, as JSON.stringify writes them
//   valid/proof_NNN.json       unpackGroth16Proof(points): snarkjs proof, affine [x, y] points
//   valid/public_NNN.json      [merkleTreeRoot, nullifier, hash(message), hash(scope)]
//   tampered/, malformed/      forged variants of both forms
//   cases.json, list.txt       the snarkjs-file cases, same contract as the other sets
//   objects.json               the proof-object cases: { name, kind, vk, object, snarkjs, expected, note }
//   inputs.json                how the valid proofs were made
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { groth16 } from "snarkjs";
import { Identity } from "@semaphore-protocol/identity";
import { Group } from "@semaphore-protocol/group";
import { generateProof, verifyProof } from "@semaphore-protocol/proof";
import { unpackGroth16Proof } from "@zk-kit/utils/proof-packing";
import { keccak256, toBeHex } from "ethers";
import { buildBn128, utils } from "ffjavascript";
import { P, R, pad3, writeJson, readJson, snarkjsVerdict } from "./lib.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(process.argv[2] ?? path.join(here, "../../tests/fixtures/groth16/semaphore-official-d4"));
const DEPTH = 4;
const MEMBERS = 10; // a LeanIMT of 10 leaves has depth 4
const require = createRequire(import.meta.url);
const artifacts = path.dirname(require.resolve("@zk-kit/semaphore-artifacts/package.json"));
const artifactsVersion = readJson(path.join(artifacts, "package.json")).version;
const snarkArtifacts = { wasm: path.join(artifacts, `semaphore-${DEPTH}.wasm`), zkey: path.join(artifacts, `semaphore-${DEPTH}.zkey`) };

// Semaphore's hash(x) = keccak256(x as 32-byte big-endian) >> 8, as in @semaphore-protocol/proof.
const semaphoreHash = (x) => (BigInt(keccak256(toBeHex(x, 32))) >> 8n).toString();
const clone = (o) => JSON.parse(JSON.stringify(o));
const plus = (s, k) => (BigInt(s) + k).toString();

fs.rmSync(out, { recursive: true, force: true });
const vk = readJson(path.join(artifacts, `semaphore-${DEPTH}.json`));
writeJson(path.join(out, "verification_key.json"), vk);

// ---- the valid proofs: each member proves once; message and scope in each of the input
// types generateProof takes (bigint, text, number, bytes).
const ELECTION_ID = "6f1c2b9e-8d4a-4e3b-9a7c-2f5e1d0b3a94";
const ids = Array.from({ length: MEMBERS }, (_, i) => new Identity(`official-${i}`));
const group = new Group(ids.map((id) => id.commitment));
if (group.depth !== DEPTH) throw new Error(`group depth ${group.depth}, wanted ${DEPTH}`);
const sha = (text) => BigInt("0x" + crypto.createHash("sha256").update(text).digest("hex"));
const inputs = [
    { message: sha("ballot official/0"), scope: BigInt("0x" + ELECTION_ID.replace(/-/g, "")), how: "message SHA-256 of a ballot (bigint), scope the election id as a 128-bit bigint" },
    { message: "yes", scope: "election-2026", how: "message and scope as text (generateProof encodes them with encodeBytes32String)" },
    { message: (1n << 256n) - 1n, scope: 42, how: "message 2^256 - 1 (the largest), scope a number" },
    { message: new Uint8Array(32).fill(0xab), scope: 0n, how: "message 32 bytes, scope 0" },
];
const objects = [];
for (let i = 0; i < inputs.length; i++) {
    const sp = await generateProof(ids[i], group, inputs[i].message, inputs[i].scope, DEPTH, snarkArtifacts);
    if (!(await verifyProof(sp))) throw new Error(`proof ${i}: verifyProof says false`);
    objects.push(sp);
    writeJson(path.join(out, `objects/${pad3(i)}.json`), sp);
    const pub = [sp.merkleTreeRoot, sp.nullifier, semaphoreHash(sp.message), semaphoreHash(sp.scope)];
    writeJson(path.join(out, `valid/proof_${pad3(i)}.json`), unpackGroth16Proof(sp.points));
    writeJson(path.join(out, `valid/public_${pad3(i)}.json`), pub);
}

// verifyProof's verdict on an object as a user's code reaches it (JSON.parse, then verifyProof;
// an exception counts as false).
async function semaphoreVerdict(file) {
    let obj;
    try {
        obj = JSON.parse(fs.readFileSync(path.join(out, file), "utf8"));
    } catch (e) {
        return { verdict: false, error: `JSON.parse fails (${e.message.split("\n")[0]})` };
    }
    try {
        return { verdict: (await verifyProof(obj)) === true, error: null };
    } catch (e) {
        return { verdict: false, error: `verifyProof throws (${String(e.message || e).split("\n")[0]})` };
    }
}

const NON_CANONICAL = " [non-canonical encoding: TVS rejects it whatever the JS verifier says]";

// ---- proof objects
const objectCases = [];
async function objectCase(name, kind, obj, note, { nonCanonical = false, text } = {}) {
    const file = kind === "valid" ? `objects/${name.slice("valid_".length)}.json` : `${kind}/${name}.semaphore.json`;
    if (kind !== "valid") {
        fs.mkdirSync(path.join(out, kind), { recursive: true });
        fs.writeFileSync(path.join(out, file), text ?? JSON.stringify(obj, null, 1) + "\n");
    }
    const { verdict, error } = await semaphoreVerdict(file);
    objectCases.push({
        name, kind, vk: "verification_key.json", object: file, snarkjs: verdict,
        expected: kind === "valid", note: note + (error ? `; ${error}` : "") + (nonCanonical ? NON_CANONICAL : ""),
    });
}
for (let i = 0; i < objects.length; i++) await objectCase(`valid_${pad3(i)}`, "valid", null, inputs[i].how);
const o0 = objects[0];
const withObject = (f) => { const o = clone(o0); f(o); return o; };
const withPoints = (f) => withObject((o) => f(o.points));
await objectCase("forged_message", "tampered", withObject((o) => { o.message = plus(o.message, 1n); }), "message + 1");
await objectCase("forged_message_of_other_proof", "tampered", withObject((o) => { o.message = objects[1].message; }), "message of proof 001");
await objectCase("forged_scope", "tampered", withObject((o) => { o.scope = plus(o.scope, 1n); }), "scope + 1");
await objectCase("forged_nullifier", "tampered", withObject((o) => { o.nullifier = plus(o.nullifier, 1n); }), "nullifier + 1 (a double vote)");
await objectCase("forged_nullifier_of_other_proof", "tampered", withObject((o) => { o.nullifier = objects[1].nullifier; }), "nullifier of proof 001");
await objectCase("forged_root", "tampered", withObject((o) => { o.merkleTreeRoot = plus(o.merkleTreeRoot, 1n); }), "merkleTreeRoot + 1");
await objectCase("nullifier_plus_r", "tampered", withObject((o) => { o.nullifier = plus(o.nullifier, R); }), "nullifier + r: a public signal not below r");
await objectCase("message_hex", "tampered", withObject((o) => { o.message = toBeHex(BigInt(o.message)); }), "message as 0x hex, the right value (generateProof writes decimal)", { nonCanonical: true });
await objectCase("message_leading_zero", "tampered", withObject((o) => { o.message = "0" + o.message; }), "message with a leading zero, the right value", { nonCanonical: true });
await objectCase("message_negative", "tampered", withObject((o) => { o.message = "-" + o.message; }), "message negative");
await objectCase("message_2_256", "tampered", withObject((o) => { o.message = (1n << 256n).toString(); }), "message 2^256: not 32 bytes");
await objectCase("points_a_x_plus_p", "tampered", withPoints((p) => { p[0] = plus(p[0], P); }), "points[0] (pi_a.x) + p", { nonCanonical: true });
await objectCase("points_b_x_c0_plus_p", "tampered", withPoints((p) => { p[3] = plus(p[3], P); }), "points[3] (pi_b.x.c0) + p", { nonCanonical: true });
await objectCase("points_c_y_plus_p", "tampered", withPoints((p) => { p[7] = plus(p[7], P); }), "points[7] (pi_c.y) + p", { nonCanonical: true });
await objectCase("points_a_off_curve", "tampered", withPoints((p) => { p[1] = plus(p[1], 1n); }), "points[1] (pi_a.y) + 1: not on the curve");
await objectCase("points_b_off_curve", "tampered", withPoints((p) => { p[5] = plus(p[5], 1n); }), "points[5] (pi_b.y.c0) + 1: not on the twist");
await objectCase("points_b_in_snarkjs_order", "tampered", withPoints((p) => { [p[2], p[3]] = [p[3], p[2]]; [p[4], p[5]] = [p[5], p[4]]; }), "pi_b packed as snarkjs orders it (c0 before c1) instead of Semaphore's c1 before c0");
await objectCase("points_c_of_other_proof", "tampered", withPoints((p) => { p[6] = objects[1].points[6]; p[7] = objects[1].points[7]; }), "pi_c of proof 001");
await objectCase("points_seven", "malformed", withPoints((p) => { p.pop(); }), "7 points");
await objectCase("depth_as_string", "malformed", withObject((o) => { o.merkleTreeDepth = String(o.merkleTreeDepth); }), "merkleTreeDepth a string");
await objectCase("depth_zero", "malformed", withObject((o) => { o.merkleTreeDepth = 0; }), "merkleTreeDepth 0 (Semaphore takes 1 to 32)");
await objectCase("root_as_number", "malformed", withObject((o) => { o.merkleTreeRoot = Number(o.merkleTreeRoot); }), "merkleTreeRoot a JSON number");
await objectCase("scope_missing", "malformed", withObject((o) => { delete o.scope; }), "no scope");
await objectCase("not_json", "malformed", null, "not JSON", { text: "{ merkleTreeDepth: 4 " });
writeJson(path.join(out, "objects.json"), objectCases);

// ---- snarkjs files: affine proofs straight from unpackGroth16Proof, and variants
const curve = await buildBn128(true);
const cases = [];
const proof0 = readJson(path.join(out, "valid/proof_000.json"));
const public0 = readJson(path.join(out, "valid/public_000.json"));
async function fileCase(name, kind, { proof, pub, note, nonCanonical = false, proofText }) {
    const c = { name, kind, vk: "verification_key.json", proof: "valid/proof_000.json", public: "valid/public_000.json" };
    const dir = kind === "valid" ? "valid" : kind;
    if (proof || proofText) {
        c.proof = `${dir}/${name}.proof.json`;
        fs.mkdirSync(path.join(out, dir), { recursive: true });
        fs.writeFileSync(path.join(out, c.proof), proofText ?? JSON.stringify(proof, null, 1) + "\n");
    }
    if (pub) { c.public = `${dir}/${name}.public.json`; writeJson(path.join(out, c.public), pub); }
    const { verdict, error } = await snarkjsVerdict(out, c);
    c.snarkjs = verdict;
    c.expected = kind === "valid";
    c.note = note + (error ? `; ${error}` : "") + (nonCanonical ? NON_CANONICAL : "");
    cases.push(c);
}
for (let i = 0; i < objects.length; i++) {
    const c = { name: `valid_${pad3(i)}`, kind: "valid", vk: "verification_key.json", proof: `valid/proof_${pad3(i)}.json`, public: `valid/public_${pad3(i)}.json` };
    c.snarkjs = (await snarkjsVerdict(out, c)).verdict;
    c.expected = true;
    c.note = "unpackGroth16Proof(points) of objects/" + pad3(i) + ".json: affine [x, y] points";
    cases.push(c);
}
const withProof = (f) => { const p = clone(proof0); f(p); return p; };
const z1 = (p) => { p.pi_a = [...p.pi_a, "1"]; p.pi_b = [...p.pi_b, ["1", "0"]]; p.pi_c = [...p.pi_c, "1"]; };
await fileCase("valid_z1_000", "valid", { proof: withProof(z1), note: "proof_000 with z = 1 added, as snarkjs writes proofs" });
await fileCase("valid_mixed_000", "valid", { proof: withProof((p) => { p.pi_b = [...p.pi_b, ["1", "0"]]; }), note: "proof_000 with pi_b in the 3-coordinate form, pi_a and pi_c affine" });
await fileCase("affine_pi_a_x_plus_p", "tampered", { proof: withProof((p) => { p.pi_a[0] = plus(p.pi_a[0], P); }), note: "pi_a.x + p", nonCanonical: true });
await fileCase("affine_pi_a_y_plus_p", "tampered", { proof: withProof((p) => { p.pi_a[1] = plus(p.pi_a[1], P); }), note: "pi_a.y + p", nonCanonical: true });
await fileCase("affine_pi_b_x_c1_plus_p", "tampered", { proof: withProof((p) => { p.pi_b[0][1] = plus(p.pi_b[0][1], P); }), note: "pi_b.x.c1 + p", nonCanonical: true });
await fileCase("affine_pi_c_y_plus_p", "tampered", { proof: withProof((p) => { p.pi_c[1] = plus(p.pi_c[1], P); }), note: "pi_c.y + p", nonCanonical: true });
await fileCase("affine_pi_a_off_curve", "tampered", { proof: withProof((p) => { p.pi_a[1] = plus(p.pi_a[1], 1n); }), note: "pi_a.y + 1: not on the curve" });
await fileCase("affine_pi_b_off_curve", "tampered", { proof: withProof((p) => { p.pi_b[1][0] = plus(p.pi_b[1][0], 1n); }), note: "pi_b.y.c0 + 1: not on the twist" });
await fileCase("affine_pi_c_off_curve", "tampered", { proof: withProof((p) => { p.pi_c[0] = plus(p.pi_c[0], 1n); }), note: "pi_c.x + 1: not on the curve" });
await fileCase("affine_pi_a_zero", "tampered", { proof: withProof((p) => { p.pi_a = ["0", "0"]; }), note: "pi_a = [0, 0] (the EVM's infinity): not on the curve" });
await fileCase("affine_pi_b_c0_c1_swapped", "tampered", { proof: withProof((p) => { p.pi_b = p.pi_b.map(([c0, c1]) => [c1, c0]); }), note: "pi_b with c0 and c1 swapped (Semaphore's packed order read as snarkjs's)" });
const A = curve.G1.fromObject(utils.unstringifyBigInts(proof0.pi_a));
const negA = utils.stringifyBigInts(curve.G1.toObject(curve.G1.toAffine(curve.G1.neg(A))));
await fileCase("affine_pi_a_negated", "tampered", { proof: withProof((p) => { p.pi_a = negA.slice(0, 2); }), note: "pi_a negated" });
const pubWith = (i, v) => public0.map((s, k) => (k === i ? v : s));
await fileCase("public_forged_root", "tampered", { pub: pubWith(0, plus(public0[0], 1n)), note: "merkleTreeRoot + 1" });
await fileCase("public_forged_nullifier", "tampered", { pub: pubWith(1, plus(public0[1], 1n)), note: "nullifier + 1" });
await fileCase("public_forged_message", "tampered", { pub: pubWith(2, semaphoreHash(BigInt(objects[0].message) - 1n)), note: "hash(message - 1)" });
await fileCase("public_forged_scope", "tampered", { pub: pubWith(3, semaphoreHash(BigInt(objects[0].scope) + 1n)), note: "hash(scope + 1)" });
await fileCase("public_message_unhashed", "tampered", { pub: pubWith(2, (BigInt(objects[0].message) % R).toString()), note: "message itself (mod r) instead of hash(message)" });
await fileCase("affine_pi_a_one_coordinate", "malformed", { proof: withProof((p) => { p.pi_a = [p.pi_a[0]]; }), note: "pi_a = [x]" });
await fileCase("affine_pi_b_one_coordinate", "malformed", { proof: withProof((p) => { p.pi_b = [p.pi_b[0]]; }), note: "pi_b = [x]" });
await fileCase("affine_pi_b_x_three_limbs", "malformed", { proof: withProof((p) => { p.pi_b[0] = [...p.pi_b[0], "0"]; }), note: "pi_b.x with three components: ffjavascript reads the first two", nonCanonical: true });
await fileCase("pi_a_four_coordinates", "malformed", { proof: withProof((p) => { p.pi_a = [...p.pi_a, "1", "1"]; }), note: "pi_a = [x, y, 1, 1]: ffjavascript reads the first three", nonCanonical: true });
writeJson(path.join(out, "cases.json"), cases);
fs.writeFileSync(path.join(out, "list.txt"), cases.filter((c) => c.name.match(/^valid_\d+$/)).map((c) => `${c.proof} ${c.public}`).join("\n") + "\n");

writeJson(path.join(out, "inputs.json"), {
    prover: "@semaphore-protocol/proof 4.14.3 generateProof with the artifacts of @zk-kit/semaphore-artifacts " + artifactsVersion,
    verifiers: "objects: verifyProof of @semaphore-protocol/proof 4.14.3; files: snarkjs 0.7.6 groth16.verify",
    depth: DEPTH,
    identities: `new Identity("official-<i>") for i in 0..${MEMBERS - 1}`,
    members: ids.map((id) => id.commitment.toString()),
    merkleTreeRoot: group.root.toString(),
    proofs: inputs.map((x, i) => `${pad3(i)}: member ${i}; ${x.how}`),
});

// A recorded verdict must match what the set promises: valid cases true for the JS verifiers,
// and TVS never laxer than them.
for (const c of [...cases, ...objectCases]) {
    if (c.kind === "valid" && !c.snarkjs) throw new Error(`${c.name}: a valid case the JS verifier refuses`);
    if (c.expected && !c.snarkjs) throw new Error(`${c.name}: expected true, JS verifier false`);
}
const lax = (xs) => xs.filter((c) => c.snarkjs && !c.expected).map((c) => c.name);
console.log(`${out}: ${cases.length} file cases (JS accepts ${lax(cases).join(", ")} that TVS refuses), ` +
    `${objectCases.length} object cases (JS accepts ${lax(objectCases).join(", ")} that TVS refuses)`);
process.exit(0);
