// Keccak-256 (Ethereum) test vectors for TVS.Crypto.Hashing.Keccak256, computed with ethers'
// keccak256 (@noble/hashes underneath). Writes tests/fixtures/keccak.json.
//   node tools/circuits/keccak-vectors.mjs
import { keccak256 } from "ethers";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "..", "tests", "fixtures", "keccak.json");

// Pattern i*7+3 mod 256: deterministic, non-trivial, easy to rebuild in C#.
const pattern = (n) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);
const hex = (b) => Buffer.from(b).toString("hex");

// Every length around the rate (136) and its multiples, plus bigger ones.
const lengths = [0, 1, 3, 31, 32, 33, 55, 56, 64, 100, 134, 135, 136, 137, 200, 271, 272, 273, 408, 1000, 4096, 65536];
const vectors = lengths.map((n) => {
  const data = pattern(n);
  return { length: n, input: n <= 1000 ? hex(data) : null, hash: keccak256(data).slice(2) };
});
vectors.push({ length: 3, input: hex(Buffer.from("abc")), hash: keccak256(Buffer.from("abc")).slice(2) });

writeFileSync(out, JSON.stringify({ generator: "tools/circuits/keccak-vectors.mjs (ethers keccak256)", pattern: "byte i = (i*7+3) mod 256; input null when longer than 1000", vectors }, null, 1) + "\n");
console.log(`wrote ${vectors.length} vectors to ${out}`);
