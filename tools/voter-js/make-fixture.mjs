// Writes tests/fixtures/voter-js/: votes made end to end by this JS voter client with REAL
// Semaphore v4 proofs (artifacts from build-artifacts.sh: minutes to build, seconds per proof,
// so CI does not redo this; it re-checks the committed output and re-seals it, see reseal.mjs).
//
//   bash build-artifacts.sh && node make-fixture.mjs
//
// EVERY KEY HERE IS TEST-ONLY: the election secret and the ingest private key are derived from
// public labels and written into the fixture, so anyone can decrypt these ballots and open these
// envelopes. Never use them for anything else.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Identity } from "@semaphore-protocol/identity";
import { Group } from "@semaphore-protocol/group";
import { generateProof } from "@semaphore-protocol/proof";
import { CipherSuite, DhkemX25519HkdfSha256, HkdfSha256, Aes256Gcm } from "@hpke/core";
import { ristretto255 } from "@noble/curves/ed25519.js";
import { keccak256, toBeHex } from "ethers";
import { createHash } from "node:crypto";
import { encryptBallot, ballotMessage, electionScope, proofBytes, voteRecord, sealVote, labelScalar, hex, toLe32 } from "./lib.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(here, "../../tests/fixtures/voter-js");
const DEPTH = Number(process.env.DEPTH ?? 4);
const art = path.join(here, "build", `semaphore-d${DEPTH}`);
const wasm = path.join(art, `semaphore-d${DEPTH}_js`, `semaphore-d${DEPTH}.wasm`);
const zkey = path.join(art, `semaphore-d${DEPTH}.zkey`);
if (!fs.existsSync(zkey)) throw new Error(`${zkey} missing: run build-artifacts.sh first`);

const electionId = "5a1e7c3d-4b2a-4f19-8e6d-0c9b8a7f6e5d";
const semaphoreHash = (x) => (BigInt(keccak256(toBeHex(BigInt(x), 32))) >> 8n).toString();

// TEST-ONLY election key (as if from the trustees' DKG) and ingest key.
const electionSecret = labelScalar("election secret (TEST ONLY)");
const electionKey = ristretto255.Point.BASE.multiply(electionSecret).toHex();
const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
const ingest = await suite.kem.deriveKeyPair(createHash("sha256").update("TVS voter-js ingest key (TEST ONLY)").digest());
const ingestPublicKey = hex(new Uint8Array(await suite.kem.serializePublicKey(ingest.publicKey)));
const ingestPrivateKey = hex(new Uint8Array(await suite.kem.serializePrivateKey(ingest.privateKey)));

// Registry A: the election's real registry (its root gets t issuer signatures in the test).
// Registry B: a forged registry whose root only t − 1 issuers sign: its member's vote must be unknown_root.
const members = (tag, n) => Array.from({ length: n }, (_, i) => new Identity(`voter-js-${tag}-${i}`));
const a = members("a", 6), b = members("b", 3);
const groupA = new Group(a.map((m) => m.commitment));
const groupB = new Group(b.map((m) => m.commitment));

const votes = [];
async function vote(identity, group, groupName, i, selections) {
  const ballot = encryptBallot(electionKey, electionId, selections, labelScalar(`ballot r ${groupName} ${i}`));
  const message = ballotMessage(ballot);
  const scope = electionScope(electionId);
  const merkleProof = group.generateMerkleProof(group.indexOf(identity.commitment));
  const merkleJson = { root: merkleProof.root.toString(), leaf: merkleProof.leaf.toString(), index: merkleProof.index, siblings: merkleProof.siblings.map(String) };
  const siblings = Array.from({ length: DEPTH }, (_, k) => (merkleProof.siblings[k] ?? 0n).toString());
  const circuitInput = {
    secret: identity.secretScalar.toString(), merkleProofLength: merkleProof.siblings.length, merkleProofIndex: merkleProof.index,
    merkleProofSiblings: siblings, message: semaphoreHash(message), scope: semaphoreHash(scope),
  };
  const t0 = Date.now();
  const sp = await generateProof(identity, merkleProof, message, scope, DEPTH, { wasm, zkey });
  const proof = proofBytes(sp.points);
  const plaintext = voteRecord(electionId, DEPTH, sp.merkleTreeRoot, sp.nullifier, proof, ballot);
  const sealed = await sealVote(ingestPublicKey, electionId, sp.nullifier, plaintext);
  votes.push({
    voter: `${groupName}-${i}`, registry: groupName, selections, depth: DEPTH,
    root: sp.merkleTreeRoot, nullifier: sp.nullifier, ballot: hex(ballot), proof: hex(proof),
    message: message.toString(), scope: scope.toString(), merkleProof: merkleJson, circuitInput,
    semaphoreProof: sp, key: hex(sealed.key), value: hex(sealed.value),
    expected: groupName === "A" ? "accepted" : "unknown_root",
  });
  console.error(`vote ${groupName}-${i}: proved in ${Date.now() - t0} ms`);
}
for (let i = 0; i < a.length; i++) await vote(a[i], groupA, "A", i, [i % 3, (i + 1) % 4]);
await vote(b[0], groupB, "B", 0, [1, 1]);

fs.mkdirSync(out, { recursive: true });
fs.copyFileSync(path.join(art, "verification_key.json"), path.join(out, "verification_key.json"));
fs.writeFileSync(path.join(out, "election.json"), JSON.stringify({
  TEST_ONLY: "Every secret in this directory is derived from a public label: test fixtures only, never for a real election.",
  electionId, depth: DEPTH, verificationKey: "verification_key.json",
  electionKey, electionSecret: hex(toLe32(electionSecret)),
  ingestPublicKey, ingestPrivateKey,
  registries: {
    A: { size: groupA.size, depth: groupA.depth, root: groupA.root.toString(), members: a.map((m) => m.commitment.toString()) },
    B: { size: groupB.size, depth: groupB.depth, root: groupB.root.toString(), members: b.map((m) => m.commitment.toString()) },
  },
  made: "tools/voter-js/make-fixture.mjs with @semaphore-protocol/proof 4.14.3 and artifacts of tools/voter-js/build-artifacts.sh",
}, null, 1) + "\n");
fs.writeFileSync(path.join(out, "votes.json"), JSON.stringify(votes, null, 1) + "\n");
console.error(`wrote ${votes.length} votes to ${out}`);
process.exit(0); // snarkjs leaves worker threads that would keep node alive
