// Builds the registry fixtures from the real peers: circomlibjs 0.1.7 (Poseidon, circomlib's
// parameters), poseidon-lite 0.3.0 (what @semaphore-protocol/group hashes with; a second,
// independent Poseidon), @zk-kit/lean-imt 2.2.5 (the tree) and @semaphore-protocol/group 4.14.3.
// Inputs come from a seeded generator (SHA-256 in counter mode), so the output is the same on
// every run: check.mjs rebuilds it and compares with the committed files.
import { buildPoseidon, buildPoseidonReference } from "circomlibjs";
import * as lite from "poseidon-lite";
import { LeanIMT } from "@zk-kit/lean-imt";
import { Group } from "@semaphore-protocol/group";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const here = dirname(fileURLToPath(import.meta.url));
export const fixtureDir = join(here, "..", "..", "tests", "fixtures", "registry");
export const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

// Read from node_modules by path: circomlibjs's "exports" hides its package.json and src/.
const modules = join(here, "node_modules");
export const versions = Object.fromEntries(
  ["circomlibjs", "poseidon-lite", "@zk-kit/lean-imt", "@semaphore-protocol/group"].map((p) => [p, JSON.parse(readFileSync(join(modules, p, "package.json"), "utf8")).version]),
);

/** A deterministic stream of field elements: SHA-256(seed ‖ counter) as a 256-bit integer, mod r. */
export function fieldStream(seed) {
  let counter = 0;
  return () => {
    const h = createHash("sha256").update(`${seed}/${counter++}`).digest("hex");
    return BigInt("0x" + h) % R;
  };
}

const be32 = (v) => Buffer.from(v.toString(16).padStart(64, "0"), "hex");

export async function build() {
  const poseidonRef = await buildPoseidonReference();
  const F = poseidonRef.F;
  const poseidon = (xs) => F.toObject(poseidonRef(xs));
  const litePoseidon = (xs) => lite[`poseidon${xs.length}`](xs);
  // Trees hash with circomlibjs's wasm Poseidon (same function, ~9x faster than the reference
  // JS one); the cases above already tie both to poseidon-lite.
  const wasm = await buildPoseidon();
  const hash2 = (a, b) => wasm.F.toObject(wasm([a, b]));
  const s = (v) => v.toString();

  // circomlibjs's constants (its src/poseidon_constants.js is not exported: read by path), as
  // SHA-256 over C then M, each element 32 bytes big-endian, per width t: the C# derivation must
  // reproduce them bit for bit.
  const { default: pc } = await import(join(modules, "circomlibjs", "src", "poseidon_constants.js"));
  const constants = pc.C.map((c, k) => {
    const h = createHash("sha256");
    for (const x of c) h.update(be32(BigInt(x)));
    for (const row of pc.M[k]) for (const x of row) h.update(be32(BigInt(x)));
    return { t: k + 2, constants: c.length, sha256: h.digest("hex"), c0: s(BigInt(c[0])), m00: s(BigInt(pc.M[k][0][0])) };
  });

  // Poseidon, every arity: edge inputs (all 0, all 1, all r−1, 0..n−1) and random ones.
  const rnd = fieldStream("tvs-poseidon");
  const poseidonCases = [];
  for (let n = 1; n <= 16; n++) {
    const inputsList = [
      Array(n).fill(0n),
      Array(n).fill(1n),
      Array(n).fill(R - 1n),
      Array.from({ length: n }, (_, i) => BigInt(i)),
      Array.from({ length: n }, (_, i) => (i % 2 ? R - 1n : 0n)),
    ];
    for (let k = 0; k < 4; k++) inputsList.push(Array.from({ length: n }, rnd));
    for (const inputs of inputsList) {
      const out = poseidon(inputs);
      if (out !== litePoseidon(inputs)) throw new Error(`circomlibjs and poseidon-lite disagree on ${inputs}`);
      poseidonCases.push({ inputs: inputs.map(s), output: s(out) });
    }
  }

  // LeanIMT: one pool of leaves; a tree of size n holds the pool's first n.
  const leafRnd = fieldStream("tvs-leanimt-leaves");
  const pool = Array.from({ length: 1025 }, leafRnd);
  const updRnd = fieldStream("tvs-leanimt-updates");
  const sizes = [...Array.from({ length: 40 }, (_, i) => i + 1), 63, 64, 65, 1000, 1025];
  const proofJson = (p) => ({ root: s(p.root), leaf: s(p.leaf), index: p.index, siblings: p.siblings.map(s) });
  const trees = [];
  for (const size of sizes) {
    const leaves = pool.slice(0, size);
    const tree = new LeanIMT(hash2, leaves);
    // insert one by one must give the same tree as insertMany
    const one = new LeanIMT(hash2);
    for (const l of leaves) one.insert(l);
    if (one.root !== tree.root || one.depth !== tree.depth) throw new Error(`insert and insertMany disagree at size ${size}`);
    const indices = size <= 16 ? [...Array(size).keys()] : [...new Set([0, 1, size >> 1, size - 2, size - 1])];
    const proofs = indices.map((i) => {
      const p = tree.generateProof(i);
      if (!tree.verifyProof(p)) throw new Error("lean-imt rejects its own proof");
      return { leafIndex: i, ...proofJson(p) };
    });
    // updates: three positions (first, middle, last), root and a proof after each
    const updates = [...new Set([0, size >> 1, size - 1])].map((i) => {
      const leaf = updRnd();
      tree.update(i, leaf);
      return { index: i, leaf: s(leaf), root: s(tree.root), proof: proofJson(tree.generateProof(i)) };
    });
    trees.push({ size, depth: one.depth, root: s(one.root), proofs, updates });
  }
  // Mixed growth: insertMany, insert, insertMany on one tree, root after each step.
  const mixed = new LeanIMT(hash2);
  const steps = [];
  for (const [kind, n] of [["insertMany", 5], ["insert", 1], ["insertMany", 10], ["insert", 1], ["insert", 1], ["insertMany", 14]]) {
    const from = mixed.size;
    if (kind === "insert") mixed.insert(pool[from]);
    else mixed.insertMany(pool.slice(from, from + n));
    steps.push({ kind, count: n, size: mixed.size, depth: mixed.depth, root: s(mixed.root) });
  }

  // @semaphore-protocol/group (poseidon-lite inside): roots, a Merkle proof, removal (leaf := 0).
  const members = pool.slice(0, 37);
  const group = new Group(members);
  const groupCase = {
    members: members.map(s),
    size: group.size,
    depth: group.depth,
    root: s(group.root),
    proof: proofJson(group.generateMerkleProof(20)),
    proofIndex: 20,
    emptyRoot: s(new Group().root),
  };
  group.removeMember(7);
  groupCase.removedIndex = 7;
  groupCase.rootAfterRemove = s(group.root);
  let zeroRefused = null;
  try { new Group().addMembers([1n, 0n]); } catch (e) { zeroRefused = e.message; }
  groupCase.addZeroError = zeroRefused;
  const dup = new Group([5n, 5n]);
  groupCase.duplicates = { members: ["5", "5"], size: dup.size, root: s(dup.root), indexOf5: dup.indexOf(5n) };

  return {
    poseidon: { generator: versions, constants, cases: poseidonCases },
    leanimt: { generator: versions, pool: pool.map(s), trees, mixed: steps },
    group: { generator: versions, ...groupCase },
  };
}

/** circomlibjs poseidon([a, b]) and poseidon-lite poseidon2 speed, for docs/PERFORMANCE.md. */
export async function bench(seconds = 1) {
  const poseidonRef = await buildPoseidonReference();
  const wasm = await buildPoseidon();
  const a = 123456789n, b = R - 5n;
  const time = (name, f) => {
    for (let i = 0; i < 50; i++) f();
    const t0 = process.hrtime.bigint();
    let n = 0, ns = 0;
    do { for (let i = 0; i < 20; i++) f(); n += 20; ns = Number(process.hrtime.bigint() - t0); } while (ns < seconds * 1e9);
    ns /= n;
    return { name, usPerHash: +(ns / 1000).toFixed(2), hashesPerSecond: Math.round(1e9 / ns) };
  };
  return [
    time("circomlibjs buildPoseidonReference, 2 inputs", () => poseidonRef([a, b])),
    time("circomlibjs buildPoseidon (wasm), 2 inputs", () => wasm([a, b])),
    time("poseidon-lite poseidon2", () => lite.poseidon2([a, b])),
    time("poseidon-lite poseidon16", () => lite.poseidon16(Array(16).fill(b))),
  ];
}
