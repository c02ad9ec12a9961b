// Verifies every proof of a list file with snarkjs groth16.verify, in one process, after
// loading the verification key once; prints the throughput.
//   node bench/snarkjs-verify.mjs VK LIST [REPEAT]
// LIST lines: "proof.json public.json", relative to the list file's folder (or absolute).
// Uses the snarkjs pinned in tools/circuits (run `npm ci` there first).
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "../tools/circuits/package.json"));
const snarkjs = require("snarkjs");
const snarkjsVersion = JSON.parse(fs.readFileSync(path.join(here, "../tools/circuits/node_modules/snarkjs/package.json"), "utf8")).version;

const [vkPath, listPath, repeatStr = "1"] = process.argv.slice(2);
if (!vkPath || !listPath) { console.error("usage: snarkjs-verify.mjs VK LIST [REPEAT]"); process.exit(2); }
const repeat = Math.max(1, Number(repeatStr));
const vk = JSON.parse(fs.readFileSync(vkPath, "utf8"));
const base = path.dirname(path.resolve(listPath));
const items = fs.readFileSync(listPath, "utf8").split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
    const [p, s] = l.split(/\s+/);
    return {
        proof: JSON.parse(fs.readFileSync(path.resolve(base, p), "utf8")),
        pub: JSON.parse(fs.readFileSync(path.resolve(base, s), "utf8")),
    };
});
// Warm-up (builds the curve's WebAssembly once), not timed.
await snarkjs.groth16.verify(vk, items[0].pub, items[0].proof);

let valid = 0, n = 0;
const t0 = process.hrtime.bigint();
for (let k = 0; k < repeat; k++) {
    for (const it of items) {
        if (await snarkjs.groth16.verify(vk, it.pub, it.proof)) valid++;
        n++;
    }
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`snarkjs ${snarkjsVersion}: ${n} proofs, ${valid} valid, ${n - valid} invalid, ${(n / seconds).toFixed(2)} proofs/s, ${(1000 * seconds / n).toFixed(3)} ms/proof`);
process.exit(0);
