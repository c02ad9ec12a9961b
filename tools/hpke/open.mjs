// Opens one C#-sealed HPKE message with @hpke/core. Input (stdin, JSON):
//   { "aead": "aes-256-gcm" | "aes-128-gcm", "skR": hex, "info": hex, "aad": hex, "enc": hex, "ciphertext": hex,
//     "exporterContext"?: hex, "exportLength"?: n }
// Output (stdout, JSON): { "ok": true, "plaintext": hex, "pkR": hex, "exported"?: hex } or
// { "ok": false, "error": "..." }. Exit code 0 either way unless the input is unreadable.
import { Aes128Gcm, Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";

const hex = (b) => Buffer.from(new Uint8Array(b)).toString("hex");
const unhex = (s) => new Uint8Array(Buffer.from(s, "hex"));

let input = "";
for await (const chunk of process.stdin) input += chunk;
const req = JSON.parse(input);

const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: req.aead === "aes-128-gcm" ? new Aes128Gcm() : new Aes256Gcm(),
});

try {
  const skR = await suite.kem.deserializePrivateKey(unhex(req.skR));
  const pkRKey = await suite.kem.deserializePublicKey(await derivePublic(req.skR));
  const recipientKey = { privateKey: skR, publicKey: pkRKey };
  const ctx = await suite.createRecipientContext({ recipientKey, enc: unhex(req.enc), info: unhex(req.info) });
  const pt = await ctx.open(unhex(req.ciphertext), unhex(req.aad));
  const res = { ok: true, plaintext: hex(pt), pkR: hex(await suite.kem.serializePublicKey(pkRKey)) };
  if (req.exporterContext !== undefined) {
    res.exported = hex(await ctx.export(unhex(req.exporterContext), req.exportLength ?? 32));
  }
  process.stdout.write(JSON.stringify(res));
} catch (e) {
  process.stdout.write(JSON.stringify({ ok: false, error: String(e?.name ?? e) }));
}

// X25519 public key from the raw private key through WebCrypto (PKCS#8 wrapper, then JWK x).
async function derivePublic(skHex) {
  const pkcs8 = new Uint8Array([
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20, ...unhex(skHex),
  ]);
  const k = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "X25519" }, true, ["deriveBits"]);
  const jwk = await crypto.subtle.exportKey("jwk", k);
  return new Uint8Array(Buffer.from(jwk.x, "base64url"));
}
