// Offline check of a TVS voter receipt (docs/formats.md "Voter receipt"): that the vote record the
// voter's device sealed is in the election's bulletin board, under a checkpoint signed by the
// election's checkpoint key. Written from the specifications, not from the C# code, so that it is
// an independent check: C2SP signed-note and tlog-checkpoint for the checkpoint, RFC 9162 §2.1 for
// the leaf hash and §2.1.3.2 for the inclusion proof, docs/formats.md "Vote record (v1)" for the
// record's fields, Kafka's default partitioner (murmur2) for the partition.
//
// With witnesses in election.json ("witnesses", "witnessQuorum"), the checkpoint must also carry
// witnessQuorum valid cosignatures of distinct listed witnesses, checked from C2SP
// tlog-cosignature (cosignature/v1, Ed25519, key type 0x04).
//
// Only Web Crypto (globalThis.crypto.subtle: SHA-256, Ed25519) and no dependency, so the same file
// runs in a browser and in node >= 20.
//
//   import { verifyReceipt } from "./receipt.mjs";
//   const r = await verifyReceipt(receipt, election, { expectedRecord });   // { ok: true } or { ok: false, code, message }
//
//   node receipt.mjs verify --receipt FILE --election election.json [--record FILE]
//     prints "OK ..." (exit 0) or "FAIL code: message" (exit 1); bad usage exits 2.
//   node receipt.mjs verify-all --dir DIR --election election.json
//     checks every DIR/*.json receipt (with DIR/NAME.record as the sealed record when present) in
//     one process; prints "FAIL NAME code: message" per refused receipt, then
//     "checked N ok N failed N" (exit 0 when every receipt passed, 1 otherwise).

const subtle = globalThis.crypto?.subtle;
const utf8 = new TextEncoder();

/** Every code verifyReceipt can return, in the order the checks run (the first failure wins). */
export const CODES = Object.freeze([
  "bad_json", // the receipt is not JSON or not an object
  "malformed", // a field is missing, of the wrong type, or not in its encoding (hex, base64, lengths)
  "unsupported_version", // receipt version other than 1
  "bad_election", // the election.json given is unusable (electionId, partitions, checkpointVerifierKey)
  "wrong_election", // the receipt's electionId, or the record's election id, is not the election's
  "bad_checkpoint", // the checkpoint is not a well-formed signed note or tlog-checkpoint
  "unknown_key", // no signature on the checkpoint is by the election's checkpoint key
  "bad_signature", // a signature by the election's checkpoint key does not verify
  "bad_cosignature", // a cosignature line of a witness listed in election.json does not verify
  "below_quorum", // fewer than witnessQuorum listed witnesses validly cosigned the checkpoint
  "wrong_partition", // the partition is not the nullifier's (murmur2 mod partitions) or out of range
  "wrong_origin", // the checkpoint's origin is not tvs/{electionId}/p{partition}
  "size_mismatch", // the checkpoint's tree size is not treeSize
  "bad_index", // index outside [0, treeSize)
  "bad_leaf", // leafHash is not SHA-256(0x00 || record)
  "bad_record", // the record is not a v1 vote record (magic, version, flags, ballot length)
  "wrong_nullifier", // the record's nullifier is not the receipt's
  "bad_proof", // the inclusion proof does not lead from leafHash to the checkpoint's root
  "record_mismatch", // the record is not the one the voter's device sealed (expectedRecord)
]);

class Refusal extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
const fail = (code, message) => { throw new Refusal(code, message); };

// Offsets in the v1 vote record plaintext (docs/formats.md "Vote record (v1)"). Only the framing,
// the election id and the nullifier are looked at: the proof is the engine's and the record
// verifier's business, the receipt only says where this record is.
const RECORD_MAGIC = [0x54, 0x56, 0x53, 0x56]; // "TVSV"
const RECORD_VERSION = 1;
const RECORD_HEADER = 347; // fixed part; the ballot (at least 1 byte) follows
const ELECTION_ID_AT = 6; // 16 bytes, RFC 4122 byte order
const NULLIFIER_AT = 55; // 32 bytes, big-endian
const BALLOT_LENGTH_AT = 343; // u32 big-endian: the bytes after the header

// A proof of an index in a tree of n < 2^53 leaves has fewer than 54 hashes; bounding the
// array keeps a hostile receipt from costing more than that.
const MAX_PROOF = 64;
const MAX_RECEIPT = 4 << 20;
// C2SP signed-note: verifiers must accept at least 16 signatures; Go's note.Open stops at 100.
const MAX_SIGNATURES = 100;
// Key name rules (signed-note): non-empty, no Unicode space, no "+".
const SPACE = /[\s\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/** Strict standard base64 (RFC 4648 §4, padded, canonical): one value, one encoding. */
export function fromBase64(s) {
  if (typeof s !== "string" || !B64.test(s)) return null;
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return toBase64(out) === s ? out : null; // refuses non-zero padding bits
}

export function toBase64(bytes) {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

const fromHex = (s) => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export async function sha256(...parts) {
  return new Uint8Array(await subtle.digest("SHA-256", concat(...parts)));
}

/** RFC 9162 §2.1.1: leaf hash = SHA-256(0x00 || data). */
export const leafHash = (data) => sha256(Uint8Array.of(0), data);
/** RFC 9162 §2.1.1: interior node = SHA-256(0x01 || left || right). */
export const nodeHash = (left, right) => sha256(Uint8Array.of(1), left, right);

/**
 * RFC 9162 §2.1.3.2: verify an inclusion proof of the leaf at index in a tree of size leaves
 * against root. index and size are BigInt-able integers; proof a list of 32-byte hashes.
 */
export async function verifyInclusion(index, size, leaf, proof, root) {
  let fn = BigInt(index);
  let sn = BigInt(size) - 1n;
  if (fn < 0n || fn > sn) return false;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && equalBytes(r, root);
}

/**
 * Kafka's murmur2 (the Java client's Utils.murmur2, librdkafka's murmur2 partitioner): seed
 * 0x9747b28c, 4-byte little-endian blocks, 32-bit arithmetic; a signed 32-bit result like Java's.
 */
export function murmur2(data) {
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ data.length) | 0;
  const blocks = data.length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  switch (data.length & 3) {
    case 3: h ^= data[blocks + 2] << 16; // falls through
    case 2: h ^= data[blocks + 1] << 8; // falls through
    case 1: h ^= data[blocks]; h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition of votes.pending a record key goes to: (murmur2(key) & 0x7fffffff) mod partitions. */
export const partitionOf = (key, partitions) => (murmur2(key) & 0x7fffffff) % partitions;

/** signed-note key ID: the first 4 bytes of SHA-256(name || "\n" || 0x01 || Ed25519 public key), big-endian. */
async function keyId(name, publicKey) {
  const h = await sha256(utf8.encode(name), Uint8Array.of(0x0a, 0x01), publicKey);
  return ((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0;
}

const validKeyName = (name) => name.length > 0 && !name.includes("+") && !SPACE.test(name);

/** Parses a verifier key "name+hex8(keyID)+base64(0x01 || pubkey32)"; null when it is not one. */
export async function parseVerifierKey(vkey) {
  if (typeof vkey !== "string") return null;
  // name+hash+key, split at the first two "+" only: the base64 key may hold "+" itself.
  const m = /^([^+]*)\+([0-9a-fA-F]{8})\+(.*)$/s.exec(vkey);
  if (!m || !validKeyName(m[1])) return null;
  const parts = m.slice(1);
  const data = fromBase64(parts[2]);
  if (!data || data.length !== 33 || data[0] !== 0x01) return null;
  const publicKey = data.subarray(1);
  const id = parseInt(parts[1], 16) >>> 0;
  if (id !== (await keyId(parts[0], publicKey))) return null;
  let key;
  try {
    key = await subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  } catch {
    return null;
  }
  return { name: parts[0], id, key };
}

/**
 * Parses a witness's cosignature/v1 verifier key "name+hex8(keyID)+base64(0x04 || pubkey32)"
 * (C2SP tlog-cosignature: key ID = first 4 bytes of SHA-256(name || "\n" || 0x04 || pubkey));
 * null when it is not one.
 */
export async function parseCosignerKey(vkey) {
  if (typeof vkey !== "string") return null;
  const m = /^([^+]*)\+([0-9a-fA-F]{8})\+(.*)$/s.exec(vkey);
  if (!m || !validKeyName(m[1])) return null;
  const data = fromBase64(m[3]);
  if (!data || data.length !== 33 || data[0] !== 0x04) return null;
  const publicKey = data.subarray(1);
  const h = await sha256(utf8.encode(m[1]), Uint8Array.of(0x0a, 0x04), publicKey);
  const id = parseInt(m[2], 16) >>> 0;
  if (id !== (((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0)) return null;
  let key;
  try {
    key = await subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  } catch {
    return null;
  }
  return { name: m[1], id, key, publicKey: toHex(publicKey) };
}

/** election.json "witnesses" and "witnessQuorum": null when neither is present; bad_election when malformed. */
async function parseWitnesses(e) {
  const hasList = "witnesses" in e && e.witnesses !== undefined, hasQuorum = "witnessQuorum" in e && e.witnessQuorum !== undefined;
  if (!hasList && !hasQuorum) return null;
  if (!Array.isArray(e.witnesses) || !Number.isInteger(e.witnessQuorum)) fail("bad_election", "election: witnesses (array of vkeys) and witnessQuorum (integer) go together");
  if (e.witnesses.length < 1 || e.witnesses.length > 64) fail("bad_election", "election: witnesses must list 1 to 64 keys");
  const keys = [];
  for (const [i, v] of e.witnesses.entries()) {
    const k = await parseCosignerKey(v);
    if (!k) fail("bad_election", `election: witnesses[${i}] is not a cosignature/v1 (type 0x04) verifier key`);
    if (keys.some((o) => o.name === k.name || o.publicKey === k.publicKey)) fail("bad_election", `election: witnesses[${i}] repeats a name or a public key`);
    keys.push(k);
  }
  if (e.witnessQuorum < 1 || e.witnessQuorum > keys.length) fail("bad_election", `election: witnessQuorum must be 1..${keys.length}`);
  return { keys, quorum: e.witnessQuorum };
}

/**
 * C2SP tlog-cosignature: a listed witness's line (same name and key ID) must be 76 bytes,
 * keyID(4) || timestamp(8, big-endian, < 2^63) || Ed25519 signature of
 * "cosignature/v1\ntime {timestamp}\n" || the note text. Counts distinct listed witnesses.
 */
async function checkCosignatures(text, lines, witnesses) {
  const cosigned = new Set();
  for (const { name, id, sig } of lines) {
    for (const w of witnesses.keys) {
      if (w.name !== name || w.id !== id) continue;
      let ok = false;
      if (sig.length === 76) {
        const t = new DataView(sig.buffer, sig.byteOffset).getBigUint64(4);
        if (t < 1n << 63n) {
          try {
            ok = await subtle.verify({ name: "Ed25519" }, w.key, sig.subarray(12), utf8.encode(`cosignature/v1\ntime ${t}\n${text}`));
          } catch {
            ok = false;
          }
        }
      }
      if (!ok) fail("bad_cosignature", `a cosignature line of listed witness ${w.name} does not verify`);
      cosigned.add(w.publicKey);
    }
  }
  if (cosigned.size < witnesses.quorum) {
    fail("below_quorum", `the checkpoint has valid cosignatures of ${cosigned.size} listed witness(es), the election needs ${witnesses.quorum}`);
  }
}

/**
 * Opens a C2SP signed note with one trusted key and returns its text. Malformed notes are
 * bad_checkpoint; signatures by other keys (another name or key ID) are ignored; a signature by
 * the trusted key that does not verify refuses the note (bad_signature); none at all is unknown_key.
 */
async function openNote(msg, verifier) {
  if (typeof msg !== "string" || msg.length > 1 << 20) fail("bad_checkpoint", "checkpoint is not a string of at most 1 MiB");
  // Valid UTF-8 (no lone surrogates in a JS string) and no control characters but newline.
  const wellFormed = typeof msg.isWellFormed === "function" ? msg.isWellFormed() : !/\p{Surrogate}/u.test(msg);
  if (!wellFormed || /[\u0000-\u0009\u000b-\u001f]/.test(msg)) fail("bad_checkpoint", "checkpoint has control characters or invalid UTF-8");
  const split = msg.lastIndexOf("\n\n");
  if (split < 0) fail("bad_checkpoint", "checkpoint has no signature block");
  const text = msg.slice(0, split + 1);
  const sigs = msg.slice(split + 2);
  if (sigs.length === 0 || !sigs.endsWith("\n")) fail("bad_checkpoint", "checkpoint signature block is empty or unterminated");
  const lines = sigs.slice(0, -1).split("\n");
  if (lines.length > MAX_SIGNATURES) fail("bad_checkpoint", `more than ${MAX_SIGNATURES} signatures`);
  const textBytes = utf8.encode(text);
  const parsed = [];
  let verified = 0;
  for (const line of lines) {
    if (!line.startsWith("\u2014 ")) fail("bad_checkpoint", "signature line does not start with an em dash");
    const rest = line.slice(2);
    const sp = rest.indexOf(" ");
    const name = sp < 0 ? rest : rest.slice(0, sp);
    const sig = sp < 0 ? null : fromBase64(rest.slice(sp + 1));
    if (!validKeyName(name) || !sig || sig.length < 5) fail("bad_checkpoint", "malformed signature line");
    const id = ((sig[0] << 24) | (sig[1] << 16) | (sig[2] << 8) | sig[3]) >>> 0;
    parsed.push({ name, id, sig });
    if (name !== verifier.name || id !== verifier.id) continue; // another key: ignored, as the spec requires
    let ok = false;
    if (sig.length === 4 + 64) {
      try {
        ok = await subtle.verify({ name: "Ed25519" }, verifier.key, sig.subarray(4), textBytes);
      } catch {
        ok = false;
      }
    }
    if (!ok) fail("bad_signature", `the signature by ${verifier.name} does not verify`);
    verified++;
  }
  if (verified === 0) fail("unknown_key", `the checkpoint is not signed by ${verifier.name}+${verifier.id.toString(16).padStart(8, "0")}`);
  return { text, lines: parsed };
}

/** C2SP tlog-checkpoint body: origin, decimal size, base64 root, optional non-empty extension lines. */
function parseCheckpoint(text) {
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3 || lines[0] === "" || !DECIMAL.test(lines[1])) fail("bad_checkpoint", "checkpoint: malformed origin or size line");
  const size = BigInt(lines[1]);
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) fail("bad_checkpoint", "checkpoint: size beyond 2^53");
  const root = fromBase64(lines[2]);
  if (!root || root.length !== 32) fail("bad_checkpoint", "checkpoint: root is not a base64 32-byte hash");
  if (lines.slice(3).some((l) => l === "")) fail("bad_checkpoint", "checkpoint: empty extension line");
  return { origin: lines[0], size: Number(size), root };
}

const isObject = (x) => x !== null && typeof x === "object" && !Array.isArray(x);
const isIndex = (x) => Number.isSafeInteger(x) && x >= 0;

function need(r, field, check, what) {
  if (!(field in r) || !check(r[field])) fail("malformed", `receipt ${field}: ${what}`);
  return r[field];
}

function bytesOf(x) {
  if (x instanceof Uint8Array) return x;
  if (x instanceof ArrayBuffer) return new Uint8Array(x);
  if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  return null;
}

async function check(receipt, election, expectedRecord) {
  if (!subtle) throw new Error("Web Crypto (globalThis.crypto.subtle) is not available");
  let r = receipt;
  if (typeof r === "string") {
    // A receipt is a record (at most ~88 KB in base64) and a checkpoint of a few hundred bytes:
    // anything this large is not one, and is not worth parsing.
    if (r.length > MAX_RECEIPT) fail("bad_json", `receipt text longer than ${MAX_RECEIPT} characters`);
    try { r = JSON.parse(r); } catch { fail("bad_json", "receipt is not JSON"); }
  }
  if (!isObject(r)) fail("bad_json", "receipt is not a JSON object");
  need(r, "version", Number.isInteger, "not an integer");
  if (r.version !== 1) fail("unsupported_version", `receipt version ${r.version}, only 1 is known`);
  const electionId = need(r, "electionId", (x) => typeof x === "string" && UUID.test(x), "not a lowercase UUID");
  const nullifierHex = need(r, "nullifier", (x) => typeof x === "string" && HEX64.test(x), "not 64 lowercase hex digits");
  const partition = need(r, "partition", isIndex, "not a non-negative integer");
  const index = need(r, "index", isIndex, "not a non-negative integer");
  const treeSize = need(r, "treeSize", isIndex, "not a non-negative integer");
  const record = fromBase64(need(r, "record", (x) => typeof x === "string", "not a string"));
  if (!record) fail("malformed", "receipt record: not base64");
  const leaf = fromBase64(need(r, "leafHash", (x) => typeof x === "string", "not a string"));
  if (!leaf || leaf.length !== 32) fail("malformed", "receipt leafHash: not a base64 32-byte hash");
  const proofList = need(r, "inclusionProof", (x) => Array.isArray(x) && x.length <= MAX_PROOF, `not an array of at most ${MAX_PROOF} hashes`);
  const proof = proofList.map((h, i) => {
    const b = fromBase64(h);
    if (!b || b.length !== 32) fail("malformed", `receipt inclusionProof[${i}]: not a base64 32-byte hash`);
    return b;
  });
  const note = need(r, "checkpoint", (x) => typeof x === "string", "not a string");
  let expected = null;
  if (expectedRecord !== undefined && expectedRecord !== null) {
    expected = bytesOf(expectedRecord);
    if (!expected) throw new TypeError("expectedRecord must be a Uint8Array");
  }

  // The election: the voter's trusted copy of election.json.
  let e = election;
  if (typeof e === "string") {
    try { e = JSON.parse(e); } catch { fail("bad_election", "election.json is not JSON"); }
  }
  if (!isObject(e) || typeof e.electionId !== "string" || !UUID.test(e.electionId.toLowerCase())) fail("bad_election", "election: no electionId UUID");
  const partitions = e.partitions ?? 1;
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 4096) fail("bad_election", "election: partitions must be 1..4096");
  const verifier = await parseVerifierKey(e.checkpointVerifierKey);
  if (!verifier) fail("bad_election", "election: checkpointVerifierKey is not an Ed25519 note verifier key");
  const witnesses = await parseWitnesses(e);
  if (electionId !== e.electionId.toLowerCase()) fail("wrong_election", `receipt for election ${electionId}, not ${e.electionId}`);

  const opened = await openNote(note, verifier);
  const cp = parseCheckpoint(opened.text);
  if (witnesses) await checkCosignatures(opened.text, opened.lines, witnesses);
  const nullifier = fromHex(nullifierHex);
  const home = partitionOf(nullifier, partitions);
  if (partition !== home) fail("wrong_partition", `partition ${partition}, the nullifier belongs to partition ${home} of ${partitions}`);
  const origin = `tvs/${electionId}/p${partition}`;
  if (cp.origin !== origin) fail("wrong_origin", `checkpoint origin ${JSON.stringify(cp.origin)}, expected ${JSON.stringify(origin)}`);
  if (cp.size !== treeSize) fail("size_mismatch", `checkpoint size ${cp.size}, receipt treeSize ${treeSize}`);
  if (index >= treeSize) fail("bad_index", `index ${index} outside a tree of ${treeSize}`);
  if (!equalBytes(await leafHash(record), leaf)) fail("bad_leaf", "leafHash is not SHA-256(0x00 || record)");
  const ballotLength = record.length > RECORD_HEADER ? new DataView(record.buffer, record.byteOffset).getUint32(BALLOT_LENGTH_AT) : -1;
  if (ballotLength !== record.length - RECORD_HEADER || RECORD_MAGIC.some((b, i) => record[i] !== b) || record[4] !== RECORD_VERSION || record[5] !== 0) {
    fail("bad_record", "record is not a v1 vote record");
  }
  if (!equalBytes(record.subarray(ELECTION_ID_AT, ELECTION_ID_AT + 16), fromHex(electionId.replace(/-/g, "")))) {
    fail("wrong_election", "the record is for another election");
  }
  if (!equalBytes(record.subarray(NULLIFIER_AT, NULLIFIER_AT + 32), nullifier)) fail("wrong_nullifier", "the record carries another nullifier");
  if (!(await verifyInclusion(index, treeSize, leaf, proof, cp.root))) {
    fail("bad_proof", `the inclusion proof of index ${index} does not lead to the root of the checkpoint of size ${treeSize}`);
  }
  if (expected && !equalBytes(expected, record)) fail("record_mismatch", "the record is not the one this device sealed");
  return { electionId, partition, index, treeSize, root: toBase64(cp.root) };
}

/**
 * Checks a voter receipt against the election (parsed election.json, or its text): resolves to
 * { ok: true, ... } or { ok: false, code, message } with code one of CODES. Hostile input never
 * throws; only a misuse does (no Web Crypto, expectedRecord not bytes).
 */
export async function verifyReceipt(receipt, election, { expectedRecord } = {}) {
  try {
    return { ok: true, ...(await check(receipt, election, expectedRecord)) };
  } catch (e) {
    if (e instanceof Refusal) return { ok: false, code: e.code, message: e.message };
    throw e;
  }
}

async function main(argv) {
  const { readFile } = await import("node:fs/promises");
  const args = {};
  const [verb, ...rest] = argv;
  for (let i = 0; i < rest.length; i += 2) {
    if (!["--receipt", "--election", "--record", "--dir"].includes(rest[i]) || rest[i + 1] === undefined) args.bad = true;
    else args[rest[i].slice(2)] = rest[i + 1];
  }
  if (verb === "verify-all" && !args.bad && args.dir && args.election && !args.receipt && !args.record) return verifyAll(args.dir, args.election);
  if (verb !== "verify" || args.bad || !args.receipt || !args.election || args.dir) {
    console.error("usage: node receipt.mjs verify --receipt FILE --election election.json [--record FILE]\n"
      + "       node receipt.mjs verify-all --dir DIR --election election.json");
    return 2;
  }
  let receipt, election, record;
  try {
    receipt = await readFile(args.receipt, "utf8");
    election = await readFile(args.election, "utf8");
    if (args.record) record = new Uint8Array(await readFile(args.record));
  } catch (e) {
    console.log(`FAIL io: ${e.message}`);
    return 1;
  }
  const r = await verifyReceipt(receipt, election, { expectedRecord: record });
  if (!r.ok) {
    console.log(`FAIL ${r.code}: ${r.message}`);
    return 1;
  }
  console.log(`OK receipt election ${r.electionId} partition ${r.partition} index ${r.index} of ${r.treeSize} root ${r.root}${record ? " record matches" : ""}`);
  return 0;
}

/** Many receipts in one process (an auditor's or a test's batch): DIR/*.json, each with DIR/NAME.record if present. */
async function verifyAll(dir, electionFile) {
  const { readFile, readdir } = await import("node:fs/promises");
  const { join } = await import("node:path");
  let election, names;
  try {
    election = await readFile(electionFile, "utf8");
    names = (await readdir(dir)).filter((n) => n.endsWith(".json")).sort();
  } catch (e) {
    console.log(`FAIL io: ${e.message}`);
    return 1;
  }
  const present = new Set(await readdir(dir));
  let ok = 0, failed = 0;
  for (const name of names) {
    const base = name.slice(0, -".json".length);
    let r;
    try {
      const receipt = await readFile(join(dir, name), "utf8");
      const record = present.has(`${base}.record`) ? new Uint8Array(await readFile(join(dir, `${base}.record`))) : undefined;
      r = await verifyReceipt(receipt, election, { expectedRecord: record });
    } catch (e) {
      r = { ok: false, code: "io", message: e.message };
    }
    if (r.ok) ok++;
    else {
      failed++;
      console.log(`FAIL ${base} ${r.code}: ${r.message}`);
    }
  }
  console.log(`checked ${names.length} ok ${ok} failed ${failed}`);
  return failed === 0 ? 0 : 1;
}

// Run as a program under node; imported (or in a browser) nothing happens.
if (typeof process !== "undefined" && process.argv?.[1]) {
  const { pathToFileURL } = await import("node:url");
  const { realpathSync } = await import("node:fs");
  let self;
  try { self = pathToFileURL(realpathSync(process.argv[1])).href; } catch { self = null; }
  if (self === import.meta.url) process.exitCode = await main(process.argv.slice(2));
}
