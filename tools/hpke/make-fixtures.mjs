// Writes tests/fixtures/hpke/jsvectors.json: messages sealed by @hpke/core (an independent
// HPKE implementation) with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM to a fixed
// recipient key, for the C# tests to open. The recipient key is DeriveKeyPair(ikmR) so that
// the C# side also checks its DeriveKeyPair against @hpke/core. Ephemeral keys are random
// (as a real client's), so running this again gives new enc/ciphertexts that still open.
//   node tools/hpke/make-fixtures.mjs
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "..", "tests", "fixtures", "hpke", "jsvectors.json");
const hex = (b) => Buffer.from(new Uint8Array(b)).toString("hex");
const unhex = (s) => new Uint8Array(Buffer.from(s, "hex"));

const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Aes256Gcm(),
});

// Fixed recipient: ikmR is 32 bytes 0x00..0x1f.
const ikmR = Uint8Array.from({ length: 32 }, (_, i) => i);
const recipient = await suite.kem.deriveKeyPair(ikmR.buffer);
const pkR = await suite.kem.serializePublicKey(recipient.publicKey);
const skR = await suite.kem.serializePrivateKey(recipient.privateKey);

// The TVS envelope info: "TVS v1 vote envelope" ‖ election id (UUID, 16 bytes big-endian).
const electionId = "0f8fad5b-d9cb-469f-a165-70867728950e";
const info = new Uint8Array([...Buffer.from("TVS v1 vote envelope", "utf8"), ...unhex(electionId.replaceAll("-", ""))]);
const aad = unhex("a3f1c2d4e5b60718293a4b5c6d7e8f90112233445566778899aabbccddeeff00");

const messages = [];
for (const size of [0, 1, 100, 4096]) {
  const pt = Uint8Array.from({ length: size }, (_, i) => (i * 31 + size) & 0xff);
  const sender = await suite.createSenderContext({ recipientPublicKey: recipient.publicKey, info });
  const ct = await sender.seal(pt, aad);
  // Sanity: @hpke/core opens its own message.
  const r = await suite.createRecipientContext({ recipientKey: recipient, enc: sender.enc, info });
  if (hex(await r.open(ct, aad)) !== hex(pt)) throw new Error("self-check failed");
  messages.push({ size, plaintext: hex(pt), enc: hex(sender.enc), ciphertext: hex(ct) });
}

const pkg = JSON.parse(readFileSync(join(here, "node_modules", "@hpke", "core", "package.json"), "utf8"));
const doc = {
  generator: `@hpke/core ${pkg.version} via tools/hpke/make-fixtures.mjs`,
  suite: { kem: "0x0020", kdf: "0x0001", aead: "0x0002" },
  ikmR: hex(ikmR),
  skR: hex(skR),
  pkR: hex(pkR),
  electionId,
  info: hex(info),
  aad: hex(aad),
  messages,
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(doc, null, 2) + "\n");
console.log(`wrote ${out}`);
