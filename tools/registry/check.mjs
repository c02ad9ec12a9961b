// The live check the C# tests run (tests/TVS.Tests/PoseidonTests.cs):
//   node check.mjs [tvs-output.json]
// 1. Rebuilds the fixtures with the real peers and compares them with the committed files.
// 2. With a file: checks what TVS computed on fresh random inputs against the peers:
//    { "poseidon": [{ "inputs": ["…"], "output": "…" }],
//      "trees": [{ "leaves": ["…"], "root": "…", "depth": n, "proofs": [{ "leafIndex": i, "root", "leaf", "index", "siblings" }] }] }
// Prints one line per failure and "OK n checks" at the end; exits 1 on any failure.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildPoseidon, buildPoseidonReference } from "circomlibjs";
import { LeanIMT } from "@zk-kit/lean-imt";
import { Group } from "@semaphore-protocol/group";
import { build, fixtureDir } from "./lib.mjs";

let checks = 0, failures = 0;
const fail = (m) => { failures++; console.log("FAIL " + m); };

const fresh = await build();
for (const [name, value] of Object.entries(fresh)) {
  checks++;
  const committed = readFileSync(join(fixtureDir, `${name}.json`), "utf8");
  if (committed !== JSON.stringify(value, null, 1) + "\n") fail(`tests/fixtures/registry/${name}.json differs from what the peers give now`);
}

const file = process.argv[2];
if (file) {
  const tvs = JSON.parse(readFileSync(file, "utf8"));
  const ref = await buildPoseidonReference();
  const poseidon = (xs) => ref.F.toObject(ref(xs));
  const wasm = await buildPoseidon();
  const hash2 = (a, b) => wasm.F.toObject(wasm([a, b]));
  for (const c of tvs.poseidon ?? []) {
    checks++;
    const want = poseidon(c.inputs.map(BigInt));
    if (want.toString() !== c.output) fail(`poseidon(${c.inputs.length} inputs): TVS ${c.output}, circomlibjs ${want}`);
  }
  for (const t of tvs.trees ?? []) {
    checks++;
    const leaves = t.leaves.map(BigInt);
    const tree = new LeanIMT(hash2, leaves);
    const group = new Group(leaves);
    if (tree.root.toString() !== t.root || group.root.toString() !== t.root || tree.depth !== t.depth)
      fail(`tree of ${leaves.length}: TVS root ${t.root} depth ${t.depth}, lean-imt ${tree.root} depth ${tree.depth}, group ${group.root}`);
    for (const p of t.proofs ?? []) {
      checks++;
      const want = tree.generateProof(p.leafIndex);
      const same = want.root.toString() === p.root && want.leaf.toString() === p.leaf && want.index === p.index
        && want.siblings.length === p.siblings.length && want.siblings.every((x, i) => x.toString() === p.siblings[i]);
      if (!same) fail(`proof ${p.leafIndex} of ${leaves.length}: differs from lean-imt's generateProof`);
      const proof = { root: BigInt(p.root), leaf: BigInt(p.leaf), index: p.index, siblings: p.siblings.map(BigInt) };
      if (!LeanIMT.verifyProof(proof, hash2)) fail(`proof ${p.leafIndex} of ${leaves.length}: lean-imt's verifyProof rejects TVS's proof`);
    }
  }
}
console.log(failures === 0 ? `OK ${checks} checks` : `${failures} of ${checks} checks failed`);
process.exit(failures === 0 ? 0 : 1);
