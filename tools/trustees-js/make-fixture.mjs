// Independent recomputation of TVS trustee crypto with @noble/curves (ristretto255) and node:crypto
// (SHA-512, HKDF-SHA256, AES-256-GCM), following docs/formats.md ("Encrypted ballot",
// "Decryption share"). Deterministic: every scalar is SHA-512("TVS fixture " + label) mod ℓ.
// Prints the fixture JSON (tests/fixtures/trustees/noble.json) on stdout.
import { ristretto255 } from '@noble/curves/ed25519.js';
import { createHash, hkdfSync, createCipheriv } from 'node:crypto';

const P = ristretto255.Point;
const L = P.Fn.ORDER;
const enc = new TextEncoder();
const hex = (b) => Buffer.from(b).toString('hex');
const le = (bytes) => { let x = 0n; for (let i = bytes.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(bytes[i]); return x; };
const toLe32 = (x) => { const b = new Uint8Array(32); for (let i = 0; i < 32; i++) { b[i] = Number(x & 0xffn); x >>= 8n; } return b; };
const sha512 = (...parts) => { const h = createHash('sha512'); for (const p of parts) h.update(p); return new Uint8Array(h.digest()); };
const scalar = (label) => le(sha512(enc.encode('TVS fixture ' + label))) % L;
const uuidBytes = (u) => Buffer.from(u.replace(/-/g, ''), 'hex');
const mod = (x) => ((x % L) + L) % L;

const electionId = '0b9c2f3e-1d4a-4c5b-9e6f-7a8b9c0d1e2f';
const eid = uuidBytes(electionId);
const G = P.BASE;

// 1. k·G for small and large k
const ks = [1n, 2n, 15n, L - 1n, scalar('k0'), scalar('k1'), scalar('k2')];
const multiples = ks.map((k) => ({ k: hex(toLe32(k)), point: G.multiply(k).toHex() }));

// 2. DLEQ (Chaum–Pedersen): log_G(Y_i) = log_R(D_i)
const s = scalar('share');
const Yi = G.multiply(s);
const R = G.multiply(scalar('r'));
const D = R.multiply(s);
const k = scalar('nonce');
const A = G.multiply(k);
const B = R.multiply(k);
const c = le(sha512(enc.encode('TVS-v1-DLEQ-ristretto255'), eid, G.toBytes(), Yi.toBytes(), R.toBytes(), D.toBytes(), A.toBytes(), B.toBytes())) % L;
const z = mod(k + c * s);
const dleq = {
  secret: hex(toLe32(s)), publicKey: Yi.toHex(), ephemeral: R.toHex(), share: D.toHex(), nonce: hex(toLe32(k)),
  challenge: hex(toLe32(c)), response: hex(toLe32(z)),
};

// 3. Ballot KEM: R = r·G, K = r·Y; HKDF-SHA256(salt "TVS v1 ballot KEM", IKM R‖K, info Y‖election id, 44) → key ‖ nonce
const sk = scalar('election secret');
const Y = G.multiply(sk);
const r = scalar('ballot r');
const Rb = G.multiply(r);
const K = Y.multiply(r);
const okm = new Uint8Array(hkdfSync('sha256', Buffer.concat([Rb.toBytes(), K.toBytes()]), enc.encode('TVS v1 ballot KEM'), Buffer.concat([Y.toBytes(), eid]), 44));
const selections = [2, 0, 65535, 11];
const plain = Buffer.alloc(2 + 2 * selections.length);
plain.writeUInt16BE(selections.length, 0);
selections.forEach((v, i) => plain.writeUInt16BE(v, 2 + 2 * i));
const cipher = createCipheriv('aes-256-gcm', okm.subarray(0, 32), okm.subarray(32, 44));
cipher.setAAD(Buffer.concat([Buffer.from([1]), eid]));
const body = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
const ballot = {
  secret: hex(toLe32(sk)), publicKey: Y.toHex(), r: hex(toLe32(r)), selections,
  ballot: hex(Buffer.concat([Buffer.from([1]), Rb.toBytes(), body])),
};

// 4. Lagrange at 0 over {1, 3, 4} of f(x) = a0 + a1 x + a2 x² (interpolation in the exponent)
const a = [scalar('a0'), scalar('a1'), scalar('a2')];
const f = (x) => mod(a[0] + a[1] * x + a[2] * x * x);
const inv = (x) => { let r = 1n, b = mod(x), e = L - 2n; while (e > 0n) { if (e & 1n) r = r * b % L; b = b * b % L; e >>= 1n; } return r; };
const idx = [1n, 3n, 4n];
const lambdas = idx.map((i) => idx.filter((j) => j !== i).reduce((acc, j) => mod(acc * j * inv(j - i)), 1n));
const lagrange = {
  indices: idx.map(Number), shares: idx.map((i) => hex(toLe32(f(i)))), lambdas: lambdas.map((l) => hex(toLe32(l))),
  secretTimesG: G.multiply(a[0]).toHex(),
};

process.stdout.write(JSON.stringify({ generator: '@noble/curves 2.4.0 ristretto255', electionId, multiples, dleq, ballot, lagrange }, null, 2) + '\n');
