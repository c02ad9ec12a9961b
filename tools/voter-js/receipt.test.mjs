// node --test receipt.test.mjs
// The receipt verifier against trees, notes and records built here independently of it: node:crypto
// (SHA-256, Ed25519 key pairs) and RFC 9162 §2.1.1 / §2.1.3.1 written recursively, as the RFC
// states them. With Go installed (golang-go golang-golang-x-mod-dev), the same receipts and proofs
// also go through tools/tlog-verify (Go's sumdb/note and sumdb/tlog).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CODES, murmur2, partitionOf, verifyReceipt } from "./receipt.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const H = (...parts) => createHash("sha256").update(Buffer.concat(parts)).digest();
const ELECTION = "6f1c2b9e-8d4a-4e3b-9a7c-2f5e1d0b3a94";

// Nullifiers with their murmur2 and partitions among 4, 7 and 64, computed by the C# engine's
// KeyPartitioner (engine/TVS.Protocol/Votes/KeyPartitioner.cs) for key = SHA-256("tvs receipt nullifier i").
const CSHARP = [
  ["87df5bd97bc47edffc12084152e353db77dd76dde70125d503783ad715f2da88", 609715270, 2, 3, 6],
  ["a405f018ea01dfde33e3f5784a5a5ec1ac24101b56bdbae920a3b724553aca37", 685736407, 3, 6, 23],
  ["b7d6d9fe54b3642a19f4ad74c6bcfe9859146edaf079a377b5b92e989dd8db8a", 1326691488, 0, 3, 32],
  ["0d5e384ce868ea5d06cd515cdae630b42ff7c5627cce6966a83dc3ca7b1dddba", 68703332, 0, 5, 36],
  ["01e9b48da86de9bfa841d6fbddc02015b6825a97ad52ee4b924759fb8dea22af", -1030312630, 2, 5, 10],
  ["c54eecf8ff25be4ccdad2e6031126f5ae50677713001d6ed5685b4bbf3b533ea", -941118124, 0, 0, 20],
  ["4d05558652bc451faf06436e0601a533f33d03a7c1a967f2e672a786963ba99e", -269054764, 0, 3, 20],
  ["8a66b1a598c29c7f0dc7c8e1a6d68ba86f4924e4ab2bce8da9c4e320e667f189", -97523176, 0, 0, 24],
];

/** RFC 9162 §2.1.1 MTH and §2.1.3.1 PATH over the leaf hashes, memoised by range. */
class Tree {
  constructor(leaves) {
    this.leaves = leaves;
    this.hashes = leaves.map((d) => H(Buffer.of(0), d));
    this.memo = new Map();
  }
  mth(lo, hi) {
    const key = `${lo},${hi}`;
    if (!this.memo.has(key)) {
      let h;
      if (hi - lo === 0) h = H();
      else if (hi - lo === 1) h = this.hashes[lo];
      else {
        const k = lo + split(hi - lo);
        h = H(Buffer.of(1), this.mth(lo, k), this.mth(k, hi));
      }
      this.memo.set(key, h);
    }
    return this.memo.get(key);
  }
  path(m, lo, hi) {
    if (hi - lo <= 1) return [];
    const k = split(hi - lo);
    return m < k ? [...this.path(m, lo, lo + k), this.mth(lo + k, hi)] : [...this.path(m - k, lo + k, hi), this.mth(lo, lo + k)];
  }
}
/** The largest power of two smaller than n (RFC 9162's k). */
const split = (n) => { let k = 1; while (k * 2 < n) k *= 2; return k; };

function newKey(name) {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const pub = Buffer.from(publicKey.export({ format: "jwk" }).x, "base64url");
  const id = H(Buffer.from(name), Buffer.of(0x0a, 0x01), pub).subarray(0, 4);
  return { name, id, privateKey, vkey: `${name}+${id.toString("hex")}+${Buffer.concat([Buffer.of(1), pub]).toString("base64")}` };
}

/** A witness's cosignature/v1 key (C2SP tlog-cosignature): key ID over name || "\n" || 0x04 || pubkey. */
function newWitness(name) {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const pub = Buffer.from(publicKey.export({ format: "jwk" }).x, "base64url");
  const id = H(Buffer.from(name), Buffer.of(0x0a, 0x04), pub).subarray(0, 4);
  return { name, id, privateKey, vkey: `${name}+${id.toString("hex")}+${Buffer.concat([Buffer.of(4), pub]).toString("base64")}` };
}
/** Adds witness w's cosignature line at time t: keyID || t (8 bytes BE) || Ed25519("cosignature/v1\ntime t\n" || text). */
function cosign(note, w, t = 1765000000) {
  const text = note.slice(0, note.lastIndexOf("\n\n") + 1);
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(BigInt(t));
  const sig = sign(null, Buffer.from(`cosignature/v1\ntime ${t}\n${text}`), w.privateKey);
  return note + `\u2014 ${w.name} ${Buffer.concat([w.id, ts, sig]).toString("base64")}\n`;
}

/** A C2SP signed note: text, blank line, one "— name base64(keyID || signature)" line per key. */
const signNote = (text, ...keys) =>
  text + "\n" + keys.map((k) => `\u2014 ${k.name} ${Buffer.concat([k.id, sign(null, Buffer.from(text), k.privateKey)]).toString("base64")}\n`).join("");
const cpText = (origin, size, root) => `${origin}\n${size}\n${root.toString("base64")}\n`;

let counter = 0;
/** A v1 vote record (docs/formats.md "Vote record (v1)") with a random proof and ballot. */
function voteRecord(electionId, nullifier, ballot = 40 + (counter++ % 50)) {
  const b = Buffer.alloc(347 + ballot);
  b.write("TVSV", 0, "latin1");
  b[4] = 1;
  Buffer.from(electionId.replace(/-/g, ""), "hex").copy(b, 6);
  b[22] = 20;
  H(Buffer.from(`root ${counter}`)).copy(b, 23);
  Buffer.from(nullifier).copy(b, 55);
  for (let i = 87; i < 343; i++) b[i] = (i * 7 + counter) & 0xff;
  b.writeUInt32BE(ballot, 343);
  H(Buffer.from(`ballot ${counter}`)).copy(b, 347, 0, Math.min(32, ballot));
  return b;
}

/**
 * A partition log of size votes of the election, with the vote at index carrying nullifier;
 * returns the receipt for it, the election and what a test needs to tamper with it.
 */
function scenario({ size, index, nullifier = H(Buffer.from(`n ${size} ${index}`)), partition = 0, partitions = 1, key = newKey(`tvs-${ELECTION.slice(0, 8)}`), electionId = ELECTION }) {
  const leaves = Array.from({ length: size }, (_, i) => (i === index ? voteRecord(electionId, nullifier) : voteRecord(electionId, H(Buffer.from(`other ${i}`)))));
  const tree = new Tree(leaves);
  const origin = `tvs/${electionId}/p${partition}`;
  const checkpoint = signNote(cpText(origin, size, tree.mth(0, size)), key);
  const receipt = {
    version: 1,
    electionId,
    nullifier: Buffer.from(nullifier).toString("hex"),
    partition,
    index,
    record: leaves[index].toString("base64"),
    leafHash: tree.hashes[index].toString("base64"),
    treeSize: size,
    inclusionProof: tree.path(index, 0, size).map((h) => h.toString("base64")),
    checkpoint,
  };
  const election = { version: 1, electionId, partitions, checkpointVerifierKey: key.vkey };
  return { receipt, election, tree, key, origin, record: leaves[index] };
}

const expectCode = async (receipt, election, code, options) => {
  const r = await verifyReceipt(receipt, election, options);
  assert.equal(r.ok, false, `expected ${code}, the receipt passed: ${JSON.stringify(receipt)?.slice(0, 300)}`);
  assert.equal(r.code, code, `expected ${code}, got ${r.code}: ${r.message}`);
  seen.add(code);
};
const seen = new Set();

const b64 = (b) => Buffer.from(b).toString("base64");
const unb64 = (s) => Buffer.from(s, "base64");
const flipB64 = (s, byte = 0, bit = 1) => { const b = unb64(s); b[byte] ^= bit; return b64(b); };
const withRecord = (receipt, mutate) => {
  const rec = unb64(receipt.record);
  mutate(rec);
  return { ...receipt, record: b64(rec), leafHash: b64(H(Buffer.of(0), rec)) };
};

test("murmur2 and the partition are Kafka's and the C# engine's", () => {
  // Kafka's UtilsTest.testMurmur2 vectors.
  const kafka = { "21": -973932308, foobar: -790332482, "a-little-bit-long-string": -985981536, "a-little-bit-longer-string": -1486304829, lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8: -58897971, abc: 479470107 };
  for (const [s, v] of Object.entries(kafka)) assert.equal(murmur2(Buffer.from(s)), v, s);
  for (const [hex, m, p4, p7, p64] of CSHARP) {
    const key = Buffer.from(hex, "hex");
    assert.equal(murmur2(key), m, hex);
    assert.deepEqual([partitionOf(key, 4), partitionOf(key, 7), partitionOf(key, 64), partitionOf(key, 1)], [p4, p7, p64, 0], hex);
  }
});

test("valid receipts pass at many (index, size) pairs", async () => {
  const key = newKey("tvs-board");
  const pairs = [];
  for (let size = 1; size <= 33; size++) for (let index = 0; index < size; index++) pairs.push([index, size]);
  for (const size of [63, 64, 65, 255, 256, 257, 1000, 1025]) for (const index of [0, 1, size >> 1, size - 2, size - 1]) pairs.push([index, size]);
  for (const [index, size] of pairs) {
    const s = scenario({ size, index, key });
    const r = await verifyReceipt(s.receipt, s.election, { expectedRecord: new Uint8Array(s.record) });
    assert.equal(r.ok, true, `index ${index} size ${size}: ${r.code} ${r.message}`);
    // A JSON text round trip changes nothing; the election's id may be upper case.
    const text = await verifyReceipt(JSON.stringify(s.receipt), JSON.stringify({ ...s.election, electionId: ELECTION.toUpperCase() }));
    assert.equal(text.ok, true, `${text.code} ${text.message}`);
  }
});

test("a proof only proves its own index: every other index of the tree is bad_proof", async () => {
  // RFC 9162 §2.1.3.2 ends with "sn is 0": without it, in a tree of 5 leaves, leaf 4's proof
  // [MTH(D[0:4])] would also "prove" it at index 1 or 3.
  const key = newKey("tvs-board");
  for (let size = 2; size <= 20; size++) {
    for (let index = 0; index < size; index++) {
      const s = scenario({ size, index, key });
      for (let other = 0; other < size; other++) {
        if (other !== index) await expectCode({ ...s.receipt, index: other }, s.election, "bad_proof");
      }
    }
  }
});

test("every tampering gets its code", async () => {
  const [nHex, , p4] = CSHARP[0];
  const s = scenario({ size: 300, index: 123, nullifier: Buffer.from(nHex, "hex"), partition: p4, partitions: 4 });
  const { receipt, election } = s;
  assert.deepEqual(await verifyReceipt(receipt, election, { expectedRecord: s.record }), { ok: true, electionId: ELECTION, partition: 2, index: 123, treeSize: 300, root: b64(s.tree.mth(0, 300)) });

  // Not JSON, not an object.
  for (const bad of ["{", "", "[]", "null", "42", null, 7, [receipt], " ".repeat(4 << 20) + JSON.stringify(receipt)]) await expectCode(bad, election, "bad_json");
  // Every field missing, of the wrong type or encoding.
  for (const f of Object.keys(receipt)) {
    const { [f]: _, ...without } = receipt;
    await expectCode(without, election, "malformed");
    await expectCode({ ...receipt, [f]: null }, election, "malformed");
    await expectCode({ ...receipt, [f]: { x: 1 } }, election, "malformed");
  }
  await expectCode({ ...receipt, version: 2 }, election, "unsupported_version");
  for (const [f, v] of [
    ["electionId", ELECTION.toUpperCase()], ["electionId", ELECTION.slice(1)], ["nullifier", nHex.toUpperCase()], ["nullifier", nHex.slice(2)],
    ["partition", -1], ["partition", 1.5], ["partition", "2"], ["index", -1], ["index", 2 ** 53], ["treeSize", 1e300],
    ["record", "not base64!"], ["record", receipt.record.slice(0, -2)], ["record", receipt.record + "===="], ["leafHash", receipt.leafHash.replace(/=$/, "")], ["leafHash", b64(Buffer.alloc(31))],
    ["leafHash", receipt.leafHash.slice(0, -1) + "B"], ["inclusionProof", "x"], ["inclusionProof", [...receipt.inclusionProof, "%%%"]],
    ["inclusionProof", [b64(Buffer.alloc(33))]], ["inclusionProof", Array(65).fill(receipt.leafHash)],
  ]) await expectCode({ ...receipt, [f]: v }, election, "malformed");

  // The election given is not usable.
  await expectCode(receipt, "not json", "bad_election");
  await expectCode(receipt, { ...election, electionId: "nope" }, "bad_election");
  await expectCode(receipt, { ...election, partitions: 0 }, "bad_election");
  await expectCode(receipt, { ...election, partitions: 4097 }, "bad_election");
  await expectCode(receipt, { ...election, checkpointVerifierKey: election.checkpointVerifierKey.replace(/\+([0-9a-f]{8})\+/, "+00000000+") }, "bad_election");
  await expectCode(receipt, { ...election, checkpointVerifierKey: "tvs+abc" }, "bad_election");
  await expectCode(receipt, { ...election, checkpointVerifierKey: undefined }, "bad_election");

  // Another election.
  const other = "00000000-0000-4000-8000-000000000000";
  await expectCode({ ...receipt, electionId: other }, election, "wrong_election");
  await expectCode(receipt, { ...election, electionId: other }, "wrong_election");
  const foreign = withRecord(receipt, (r) => { r[6] ^= 1; });
  await expectCode(foreign, election, "wrong_election");

  // The checkpoint: its signature, its key, its shape.
  const note = receipt.checkpoint;
  const sigStart = note.lastIndexOf(" ") + 1;
  const sig = unb64(note.slice(sigStart, -1));
  for (let i = 0; i < sig.length; i++) {
    const bad = Buffer.from(sig);
    bad[i] ^= 0x10;
    // A flip in the key ID makes it another key's signature (ignored, so no signature is left).
    await expectCode({ ...receipt, checkpoint: note.slice(0, sigStart) + b64(bad) + "\n" }, election, i < 4 ? "unknown_key" : "bad_signature");
  }
  const text = note.slice(0, note.lastIndexOf("\n\n") + 1);
  await expectCode({ ...receipt, checkpoint: note.replace("\n300\n", "\n301\n") }, election, "bad_signature");
  await expectCode({ ...receipt, checkpoint: note.replace("\n\u2014", "\n\u2014\u2014") }, election, "bad_checkpoint");
  const stranger = newKey(s.key.name); // same name, another key: another key ID
  await expectCode({ ...receipt, checkpoint: signNote(text, stranger) }, election, "unknown_key");
  await expectCode({ ...receipt, checkpoint: signNote(text, newKey("witness.example")) }, election, "unknown_key");
  await expectCode(receipt, { ...election, checkpointVerifierKey: stranger.vkey }, "unknown_key");
  // Unknown signatures beside the election's are ignored, in any order.
  assert.equal((await verifyReceipt({ ...receipt, checkpoint: signNote(text, newKey("witness.example"), s.key, stranger) }, election)).ok, true);
  // A bad signature by the election's key refuses the note even beside a good one.
  const twice = signNote(text, s.key, s.key);
  // The last base64 digit before "=" carries 4 bits and 2 zero bits: flip between A and E, both
  // canonical ("B" would leave a non-zero padding bit, a malformed line: bad_checkpoint, 1 run in 64).
  await expectCode({ ...receipt, checkpoint: twice.slice(0, -3) + (twice.at(-3) === "A" ? "E" : "A") + twice.slice(-2) }, election, "bad_signature");
  for (const bad of [
    text, // unsigned
    text + "\n", // empty signature block
    note.slice(0, -1), // signature line unterminated
    note.replace("tvs/", "tvs\u0001/"), // control character
    note.replace(/\u2014 \S+ /, "\u2014  "), // empty key name
    note.replace(/ [A-Za-z0-9+/]+=*\n$/, " !!!!\n"), // signature not base64
    note.replace(/ [A-Za-z0-9+/]+=*\n$/, " AAAA\n"), // signature of 3 bytes
    "x".repeat(1 << 20) + note,
    note.replace("tvs/", "tvs/\ud800"), // not valid UTF-8
  ]) await expectCode({ ...receipt, checkpoint: bad }, election, "bad_checkpoint");
  for (const body of [`${s.origin}\n0300\n${b64(s.tree.mth(0, 300))}\n`, `${s.origin}\n300\n${b64(Buffer.alloc(31))}\n`, `${s.origin}\n300\n`, `${s.origin}\n300\n${b64(s.tree.mth(0, 300))}\n\n`, `\n300\n${b64(s.tree.mth(0, 300))}\n`]) {
    await expectCode({ ...receipt, checkpoint: signNote(body, s.key) }, election, "bad_checkpoint");
  }

  // The partition: not the nullifier's (C# says p2 of 4, p3 of 7), or out of range.
  await expectCode({ ...receipt, partition: 3 }, election, "wrong_partition");
  await expectCode({ ...receipt, partition: 4 }, election, "wrong_partition");
  await expectCode(receipt, { ...election, partitions: 7 }, "wrong_partition");
  await expectCode(receipt, { ...election, partitions: undefined }, "wrong_partition"); // absent = 1: p0
  await expectCode({ ...receipt, nullifier: CSHARP[1][0] }, election, "wrong_partition"); // p3 of 4

  // Another log: another partition of this election (signed by its key), another election's.
  for (const origin of [`tvs/${ELECTION}/p1`, `tvs/${other}/p2`, `tvs/${ELECTION}/p2/`, "example.com/log"]) {
    await expectCode({ ...receipt, checkpoint: signNote(cpText(origin, 300, s.tree.mth(0, 300)), s.key) }, election, "wrong_origin");
  }

  await expectCode({ ...receipt, treeSize: 301 }, election, "size_mismatch");
  await expectCode({ ...receipt, treeSize: 299 }, election, "size_mismatch");
  // A smaller tree's checkpoint, signed, with the receipt's size following it.
  await expectCode({ ...receipt, treeSize: 100, checkpoint: signNote(cpText(s.origin, 100, s.tree.mth(0, 100)), s.key) }, election, "bad_index");
  await expectCode({ ...receipt, index: 300 }, election, "bad_index");
  await expectCode({ ...receipt, index: 1e9 }, election, "bad_index");

  await expectCode({ ...receipt, leafHash: flipB64(receipt.leafHash, 31, 0x80) }, election, "bad_leaf");
  await expectCode({ ...receipt, record: flipB64(receipt.record, 400) }, election, "bad_leaf");
  await expectCode({ ...receipt, record: b64(unb64(receipt.record).subarray(0, 347)) }, election, "bad_leaf");

  await expectCode(withRecord(receipt, (r) => { r[0] ^= 1; }), election, "bad_record");
  await expectCode(withRecord(receipt, (r) => { r[4] = 2; }), election, "bad_record");
  await expectCode(withRecord(receipt, (r) => { r[5] = 1; }), election, "bad_record");
  await expectCode(withRecord(receipt, (r) => { r[346] ^= 1; }), election, "bad_record");
  await expectCode({ ...receipt, record: b64(Buffer.concat([unb64(receipt.record), Buffer.of(0)])), leafHash: b64(H(Buffer.of(0), unb64(receipt.record), Buffer.of(0))) }, election, "bad_record");
  await expectCode({ ...receipt, record: b64(unb64(receipt.record).subarray(0, 347)), leafHash: b64(H(Buffer.of(0), unb64(receipt.record).subarray(0, 347))) }, election, "bad_record");
  await expectCode({ ...receipt, record: "", leafHash: b64(H(Buffer.of(0))) }, election, "bad_record");

  // Another nullifier in the receipt (same partition, C#: p2 of 4), or in the record.
  await expectCode({ ...receipt, nullifier: CSHARP[4][0] }, election, "wrong_nullifier");
  await expectCode(withRecord(receipt, (r) => { r[86] ^= 1; }), election, "wrong_nullifier");

  // The proof: each hash altered, one dropped, one added, reordered; another index; another record.
  for (let i = 0; i < receipt.inclusionProof.length; i++) {
    const proof = [...receipt.inclusionProof];
    proof[i] = flipB64(proof[i], i % 32);
    await expectCode({ ...receipt, inclusionProof: proof }, election, "bad_proof");
  }
  await expectCode({ ...receipt, inclusionProof: receipt.inclusionProof.slice(1) }, election, "bad_proof");
  await expectCode({ ...receipt, inclusionProof: receipt.inclusionProof.slice(0, -1) }, election, "bad_proof");
  await expectCode({ ...receipt, inclusionProof: [...receipt.inclusionProof, receipt.leafHash] }, election, "bad_proof");
  await expectCode({ ...receipt, inclusionProof: [...receipt.inclusionProof].reverse() }, election, "bad_proof");
  await expectCode({ ...receipt, inclusionProof: [] }, election, "bad_proof");
  for (const index of [122, 124, 0, 299]) await expectCode({ ...receipt, index }, election, "bad_proof");
  await expectCode(withRecord(receipt, (r) => { r[400] ^= 1; }), election, "bad_proof");
  // The root itself, signed: the proof leads elsewhere.
  await expectCode({ ...receipt, checkpoint: signNote(cpText(s.origin, 300, s.tree.mth(0, 299)), s.key) }, election, "bad_proof");

  // Not what this device sealed.
  const sealed = Buffer.from(s.record);
  sealed[sealed.length - 1] ^= 1;
  await expectCode(receipt, election, "record_mismatch", { expectedRecord: new Uint8Array(sealed) });
  await expectCode(receipt, election, "record_mismatch", { expectedRecord: new Uint8Array(s.record.subarray(1)) });
  await assert.rejects(verifyReceipt(receipt, election, { expectedRecord: "a string" }), TypeError);

  // With witnesses: the checkpoint counts only with witnessQuorum valid cosignatures of listed witnesses.
  const [w1, w2, w3] = [newWitness("witness.example/w1"), newWitness("witness.example/w2"), newWitness("witness.example/w3")];
  const witnessed = { ...election, witnesses: [w1.vkey, w2.vkey, w3.vkey], witnessQuorum: 2 };
  const two = cosign(cosign(receipt.checkpoint, w1), w3);
  assert.equal((await verifyReceipt({ ...receipt, checkpoint: two }, witnessed)).ok, true);
  assert.equal((await verifyReceipt(receipt, election)).ok, true, "without witnesses in election.json cosignatures are not needed");
  assert.equal((await verifyReceipt({ ...receipt, checkpoint: two }, election)).ok, true, "nor looked at");
  await expectCode(receipt, witnessed, "below_quorum");
  await expectCode({ ...receipt, checkpoint: cosign(receipt.checkpoint, w2) }, witnessed, "below_quorum");
  // The same witness twice counts once; an unlisted witness does not count.
  await expectCode({ ...receipt, checkpoint: cosign(cosign(receipt.checkpoint, w2), w2, 1765000001) }, witnessed, "below_quorum");
  await expectCode({ ...receipt, checkpoint: cosign(cosign(receipt.checkpoint, w2), newWitness("witness.example/w4")) }, witnessed, "below_quorum");
  // A cosignature of another checkpoint (size 299) moved onto this one does not verify.
  const smaller = cosign(signNote(cpText(s.origin, 299, s.tree.mth(0, 299)), s.key), w2);
  const moved = two + smaller.slice(smaller.lastIndexOf("\n\u2014 ") + 1);
  await expectCode({ ...receipt, checkpoint: moved }, witnessed, "bad_cosignature");
  // A log key (type 0x01) is not a witness key, and the quorum must be 1..n.
  await expectCode(receipt, { ...witnessed, witnesses: [s.key.vkey, w2.vkey] }, "bad_election");
  await expectCode(receipt, { ...witnessed, witnessQuorum: 4 }, "bad_election");
  await expectCode(receipt, { ...witnessed, witnesses: [w1.vkey, w1.vkey] }, "bad_election");
  await expectCode(receipt, { ...election, witnessQuorum: 1 }, "bad_election");

  assert.deepEqual([...CODES].filter((c) => !seen.has(c)), [], "every code has a test");
});

test("a vote logged in a partition its nullifier does not belong to is wrong_partition", async () => {
  // C#: this nullifier is in p0 of 4; the log and checkpoint are p3's, genuinely signed.
  const [nHex, , p4] = CSHARP[2];
  assert.equal(p4, 0);
  const s = scenario({ size: 50, index: 7, nullifier: Buffer.from(nHex, "hex"), partition: 3, partitions: 4 });
  await expectCode(s.receipt, s.election, "wrong_partition");
  // The same in p0 passes, and the 64-partition election places it in p32.
  const good = scenario({ size: 50, index: 7, nullifier: Buffer.from(nHex, "hex"), partition: 0, partitions: 4 });
  assert.equal((await verifyReceipt(good.receipt, good.election)).ok, true);
  const wide = scenario({ size: 50, index: 49, nullifier: Buffer.from(nHex, "hex"), partition: 32, partitions: 64 });
  assert.equal((await verifyReceipt(wide.receipt, wide.election)).ok, true);
});

test("the CLI prints OK or FAIL code and exits 0, 1 or 2", () => {
  const dir = mkdtempSync(join(tmpdir(), "tvs-receipt-"));
  try {
    const s = scenario({ size: 20, index: 5 });
    const files = {
      receipt: join(dir, "receipt.json"), election: join(dir, "election.json"), record: join(dir, "record.bin"),
      tampered: join(dir, "tampered.json"), other: join(dir, "other.bin"),
    };
    writeFileSync(files.receipt, JSON.stringify(s.receipt));
    writeFileSync(files.election, JSON.stringify(s.election));
    writeFileSync(files.record, s.record);
    writeFileSync(files.other, Buffer.from("another record"));
    writeFileSync(files.tampered, JSON.stringify({ ...s.receipt, inclusionProof: [...s.receipt.inclusionProof].reverse() }));
    const run = (...args) => spawnSync(process.execPath, [join(HERE, "receipt.mjs"), ...args], { encoding: "utf8" });
    let r = run("verify", "--receipt", files.receipt, "--election", files.election, "--record", files.record);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^OK receipt election 6f1c2b9e-\S+ partition 0 index 5 of 20 root \S+ record matches\n$/);
    r = run("verify", "--receipt", files.tampered, "--election", files.election);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^FAIL bad_proof: /);
    r = run("verify", "--receipt", files.receipt, "--election", files.election, "--record", files.other);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^FAIL record_mismatch: /);
    r = run("verify", "--receipt", files.election, "--election", files.election);
    assert.match(r.stdout, /^FAIL malformed: /);
    r = run("verify", "--receipt", join(dir, "missing.json"), "--election", files.election);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^FAIL io: /);
    assert.equal(run("verify", "--receipt", files.receipt).status, 2);
    assert.equal(run("check", "--receipt", files.receipt, "--election", files.election).status, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** tools/tlog-verify built into dir, or null (a skip note) without Go; CI=true requires it. */
function buildGo(t, dir) {
  const go = ["/usr/bin/go", "/usr/lib/go/bin/go", "/usr/local/go/bin/go"].find(existsSync);
  if (!go || !existsSync("/usr/share/gocode/src/golang.org/x/mod/sumdb/tlog")) {
    assert.notEqual(process.env.CI, "true", "CI requires Go and golang-golang-x-mod-dev for the receipt cross-check");
    t.skip("go or golang-golang-x-mod-dev missing: no cross-check with Go's tlog");
    return null;
  }
  const exe = join(dir, "tlog-verify");
  execFileSync(go, ["build", "-o", exe, "."], {
    cwd: join(HERE, "..", "tlog-verify"),
    env: { ...process.env, GOPROXY: "off", GOFLAGS: "-mod=mod", GO111MODULE: "on", GOTOOLCHAIN: "local", GOSUMDB: "off" },
  });
  return exe;
}

test("Go's tlog and note agree: receipts, proofs (tlog.ProveRecord) and roots", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "tvs-receipt-go-"));
  try {
    const exe = buildGo(t, dir);
    if (!exe) return;
    const go = (...args) => spawnSync(exe, args, { encoding: "utf8" });
    const key = newKey("tvs-board");
    const keyFile = join(dir, "board.vkey");
    writeFileSync(keyFile, key.vkey + "\n");
    for (const size of [1, 2, 3, 5, 8, 13, 100, 256, 257, 700]) {
      const s = scenario({ size, index: size >> 1, key });
      // Every proof of the tree byte for byte as tlog.ProveRecord over the leaves, and the root.
      const indexes = [...new Set([0, 1, size >> 2, size >> 1, size - 2, size - 1].filter((i) => i >= 0 && i < size))];
      const leaves = s.tree.leaves.map(b64);
      writeFileSync(join(dir, "cp.note"), s.receipt.checkpoint);
      writeFileSync(join(dir, "proofs.json"), JSON.stringify({ leaves, inclusion: indexes.map((i) => ({ index: i, leafHash: b64(s.tree.hashes[i]), proof: s.tree.path(i, 0, size).map(b64) })) }));
      let r = go("-key", keyFile, "-note", join(dir, "cp.note"), "-origin", s.origin, "-proofs", join(dir, "proofs.json"));
      assert.equal(r.status, 0, `size ${size}: ${r.stdout} ${r.stderr}`);
      // The receipt itself, and tampered ones.
      const file = join(dir, `receipt-${size}.json`);
      writeFileSync(file, JSON.stringify(s.receipt));
      r = go("-key", keyFile, "-receipt", file, "-partitions", "1");
      assert.equal(r.status, 0, `size ${size}: ${r.stdout} ${r.stderr}`);
      for (const bad of [
        { ...s.receipt, index: s.receipt.index + 1 },
        { ...s.receipt, treeSize: size + 1 },
        { ...s.receipt, leafHash: flipB64(s.receipt.leafHash) },
        withRecord(s.receipt, (rec) => { rec[100] ^= 1; }),
        withRecord(s.receipt, (rec) => { rec[60] ^= 1; }),
        { ...s.receipt, electionId: "00000000-0000-4000-8000-000000000000" },
        { ...s.receipt, checkpoint: s.receipt.checkpoint.replace(`\n${size}\n`, `\n${size + 1}\n`) },
        { ...s.receipt, partition: 1 },
      ]) {
        writeFileSync(file, JSON.stringify(bad));
        r = go("-key", keyFile, "-receipt", file);
        assert.equal(r.status, 1, `size ${size}: Go accepted ${JSON.stringify(bad).slice(0, 80)}`);
        assert.match(r.stderr, /^FAIL: /);
      }
      // -make-tiles computes the same root from the same records.
      const entries = Buffer.concat(s.tree.leaves.flatMap((l) => [Buffer.from([l.length >> 8, l.length & 0xff]), l]));
      writeFileSync(join(dir, "entries"), entries);
      r = go("-make-tiles", join(dir, `board-${size}`), "-entries", join(dir, "entries"));
      assert.equal(r.stdout.trim(), b64(s.tree.mth(0, size)), r.stderr);
    }
    // The partition check: C# places CSHARP[0] in p2 of 4.
    const s = scenario({ size: 10, index: 3, nullifier: Buffer.from(CSHARP[0][0], "hex"), partition: 2, partitions: 4, key });
    const file = join(dir, "receipt-p.json");
    writeFileSync(file, JSON.stringify(s.receipt));
    assert.equal(go("-key", keyFile, "-receipt", file, "-partitions", "4").status, 0);
    assert.equal(go("-key", keyFile, "-receipt", file, "-partitions", "7").status, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
