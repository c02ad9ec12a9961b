#!/usr/bin/env node
// Verifies C2SP tlog-cosignature (cosignature/v1, Ed25519) on a checkpoint note, written from
// the C2SP texts alone (signed-note, tlog-checkpoint, tlog-cosignature), sharing no code with TVS.
// Node's built-in crypto only.
//
//   node verify-cosignature.mjs --vkey NAME+HEX8+BASE64 [--vkey …] [--quorum K] NOTE_FILE
//
// Exit 0 and "OK name time T" per witness when at least K (default: all given) listed witnesses
// validly cosigned; 1 otherwise (reason on stderr); 2 on bad usage.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';

function fail(code, msg) { process.stderr.write(msg + '\n'); process.exit(code); }

const args = process.argv.slice(2);
const vkeys = [];
let quorum = null, file = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--vkey') vkeys.push(args[++i]);
  else if (args[i] === '--quorum') quorum = Number(args[++i]);
  else file = args[i];
}
if (!file || vkeys.length === 0) fail(2, 'usage: verify-cosignature.mjs --vkey VKEY [--vkey …] [--quorum K] NOTE_FILE');
quorum ??= vkeys.length;

const STRICT_B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
function b64(s) {
  if (!STRICT_B64.test(s) || s.length === 0) throw new Error('bad base64: ' + s);
  return Buffer.from(s, 'base64');
}

// vkey: <name>+<hex key ID>+<base64(type byte || public key)>; type 0x04 = Ed25519 cosignature/v1.
function parseVkey(text) {
  const i = text.indexOf('+'), j = text.indexOf('+', i + 1);
  if (i <= 0 || j < 0) throw new Error('malformed vkey ' + text);
  const name = text.slice(0, i), hex = text.slice(i + 1, j), key = b64(text.slice(j + 1));
  if (!/^[0-9a-f]{8}$/i.test(hex)) throw new Error('malformed key ID in ' + text);
  if (key.length !== 33 || key[0] !== 0x04) throw new Error('not an Ed25519 cosignature/v1 (0x04) vkey: ' + text);
  const pub = key.subarray(1);
  // Key ID = SHA-256(name || "\n" || 0x04 || public key)[:4]
  const id = createHash('sha256').update(Buffer.concat([Buffer.from(name + '\n', 'utf8'), Buffer.from([0x04]), pub])).digest().subarray(0, 4);
  if (id.toString('hex') !== hex.toLowerCase()) throw new Error('key ID does not match the key in ' + text);
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: pub.toString('base64url') }, format: 'jwk' });
  return { name, id, publicKey };
}

const witnesses = vkeys.map(parseVkey);
const note = readFileSync(file, 'utf8');
// signed-note: the text ends at the last blank line; every following line is "— name base64".
const split = note.lastIndexOf('\n\n');
if (split < 0 || !note.endsWith('\n')) fail(1, 'malformed note');
const text = note.slice(0, split + 1);
const lines = note.slice(split + 2, -1).split('\n');
const good = new Map();
for (const line of lines) {
  const m = /^\u2014 (\S+) (\S+)$/.exec(line);
  if (!m) fail(1, 'malformed signature line: ' + line);
  const sig = b64(m[2]);
  for (const w of witnesses) {
    if (w.name !== m[1] || !sig.subarray(0, 4).equals(w.id)) continue; // not this witness's line
    if (sig.length !== 4 + 8 + 64) fail(1, `cosignature by ${w.name}: wrong length ${sig.length}`);
    const t = sig.readBigUInt64BE(4);
    if (t >= 2n ** 63n) fail(1, `cosignature by ${w.name}: timestamp out of range`);
    const msg = Buffer.from(`cosignature/v1\ntime ${t}\n${text}`, 'utf8');
    if (!verify(null, msg, w.publicKey, sig.subarray(12))) fail(1, `cosignature by ${w.name} does not verify`);
    good.set(w.name, t);
  }
}
for (const [name, t] of good) process.stdout.write(`OK ${name} time ${t}\n`);
if (good.size < quorum) fail(1, `${good.size} of ${quorum} required witnesses cosigned`);
