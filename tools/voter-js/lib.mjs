// The TVS voter client steps in JavaScript, byte for byte as the C# side defines them
// (docs/formats.md: "Encrypted ballot", "Vote record (v1)", "HPKE envelope"):
//   choices --BallotCipher--> ballot --SHA-256--> message --Semaphore v4--> proof
//   --v1 record--> plaintext --HPKE (X25519/HKDF-SHA256/AES-256-GCM)--> sealed vote.
import { ristretto255 } from "@noble/curves/ed25519.js";
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";
import { createHash, hkdfSync, createCipheriv, randomBytes } from "node:crypto";

export const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const P = ristretto255.Point;
const L = P.Fn.ORDER;
const enc = new TextEncoder();

export const hex = (b) => Buffer.from(b).toString("hex");
export const unhex = (s) => new Uint8Array(Buffer.from(s, "hex"));
export const uuidBytes = (u) => new Uint8Array(Buffer.from(u.replace(/-/g, ""), "hex"));
const le = (bytes) => { let x = 0n; for (let i = bytes.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(bytes[i]); return x; };
export const toLe32 = (x) => { const b = new Uint8Array(32); for (let i = 0; i < 32; i++) { b[i] = Number(x & 0xffn); x >>= 8n; } return b; };
export const be32 = (x) => { const b = new Uint8Array(32); for (let i = 31; i >= 0; i--) { b[i] = Number(x & 0xffn); x >>= 8n; } return b; };
export const beInt = (bytes) => BigInt("0x" + (hex(bytes) || "0"));

/** A scalar mod ℓ from 64 random bytes (or a label, deterministic: fixtures only). */
export const randomScalar = () => le(randomBytes(64)) % L;
export const labelScalar = (label) => le(createHash("sha512").update(enc.encode("TVS voter-js " + label)).digest()) % L;

/**
 * BallotCipher.Encrypt: 0x01 ‖ R ‖ AES-256-GCM(count ‖ choices, u16 BE) ‖ tag, with
 * R = r·G, K = r·Y, key ‖ nonce = HKDF-SHA256(salt "TVS v1 ballot KEM", IKM R ‖ K, info Y ‖ id, 44),
 * aad = 0x01 ‖ election id. r must be fresh per ballot.
 */
export function encryptBallot(electionKeyHex, electionId, selections, r = randomScalar()) {
  if (r === 0n) throw new Error("r must be nonzero");
  const Y = P.fromHex(electionKeyHex);
  const eid = uuidBytes(electionId);
  const Rb = P.BASE.multiply(r);
  const K = Y.multiply(r);
  const okm = new Uint8Array(hkdfSync("sha256", Buffer.concat([Rb.toBytes(), K.toBytes()]), enc.encode("TVS v1 ballot KEM"), Buffer.concat([Y.toBytes(), eid]), 44));
  const plain = Buffer.alloc(2 + 2 * selections.length);
  plain.writeUInt16BE(selections.length, 0);
  selections.forEach((v, i) => plain.writeUInt16BE(v, 2 + 2 * i));
  const cipher = createCipheriv("aes-256-gcm", okm.subarray(0, 32), okm.subarray(32, 44));
  cipher.setAAD(Buffer.concat([Buffer.from([1]), eid]));
  const body = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  return new Uint8Array(Buffer.concat([Buffer.from([1]), Rb.toBytes(), body]));
}

/** message = SHA-256(encrypted ballot) as a 256-bit big-endian integer (the prover hashes it). */
export const ballotMessage = (ballot) => beInt(createHash("sha256").update(ballot).digest());

/** scope = the election id (UUID) as a 128-bit big-endian integer. */
export const electionScope = (electionId) => beInt(uuidBytes(electionId));

/**
 * The record's 256-byte proof: A (x ‖ y) ‖ B (x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0) ‖ C (x ‖ y), 32-byte BE each.
 * Semaphore's packed `points` (packGroth16Proof) are already in exactly this order.
 */
export function proofBytes(points) {
  if (points.length !== 8) throw new Error("a packed Groth16 proof has 8 coordinates");
  return new Uint8Array(Buffer.concat(points.map((p) => be32(BigInt(p)))));
}

/** Largest ballot (VoteRecord.MaxBallot): 347 + 65,188 = 65,535 bytes, one tlog-tiles entry (uint16 length). */
export const MAX_BALLOT = 65535 - 347;

/** The v1 plaintext: "TVSV" ‖ 1 ‖ 0 ‖ id ‖ depth ‖ root ‖ nullifier ‖ proof (256) ‖ L (u32) ‖ ballot. */
export function voteRecord(electionId, depth, root, nullifier, proof256, ballot) {
  if (ballot.length < 1 || ballot.length > MAX_BALLOT) throw new Error(`ballot length must be 1..${MAX_BALLOT}`);
  if (BigInt(root) >= R || BigInt(nullifier) >= R) throw new Error("root and nullifier must be < r");
  const head = Buffer.alloc(347);
  head.write("TVSV", 0, "ascii");
  head[4] = 1;
  head[5] = 0;
  Buffer.from(uuidBytes(electionId)).copy(head, 6);
  head[22] = depth;
  Buffer.from(be32(BigInt(root))).copy(head, 23);
  Buffer.from(be32(BigInt(nullifier))).copy(head, 55);
  Buffer.from(proof256).copy(head, 87);
  head.writeUInt32BE(ballot.length, 343);
  return new Uint8Array(Buffer.concat([head, Buffer.from(ballot)]));
}

const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });

/**
 * HPKE base mode seal to the ingest key: info = "TVS v1 vote envelope" ‖ election id, aad = the
 * record key (the nullifier, 32 bytes BE); value = enc ‖ ciphertext. Returns { key, value }.
 */
export async function sealVote(ingestPublicKeyHex, electionId, nullifier, plaintext) {
  const key = be32(BigInt(nullifier));
  const info = Buffer.concat([Buffer.from("TVS v1 vote envelope", "ascii"), uuidBytes(electionId)]);
  const recipientPublicKey = await suite.kem.deserializePublicKey(unhex(ingestPublicKeyHex));
  const sender = await suite.createSenderContext({ recipientPublicKey, info });
  const ct = await sender.seal(plaintext, key);
  return { key, value: new Uint8Array(Buffer.concat([Buffer.from(sender.enc), Buffer.from(ct)])) };
}
