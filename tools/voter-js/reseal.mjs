// The live part CI runs (fast, no proving): rebuilds each committed JS vote's v1 record from its
// fields (depth, root, nullifier, the 256-byte proof, the encrypted ballot) and HPKE-seals it with
// @hpke/core to the ingest public key given on the command line.
//   node reseal.mjs <ingest public key hex> [votes.json]
// Prints a JSON array of { key, value } (hex), in the order of votes.json.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { voteRecord, sealVote, unhex, hex } from "./lib.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const [pk, file = path.resolve(here, "../../tests/fixtures/voter-js/votes.json")] = process.argv.slice(2);
if (!/^[0-9a-f]{64}$/.test(pk ?? "")) { console.error("usage: node reseal.mjs <ingest public key, 64 hex> [votes.json]"); process.exit(2); }
const electionId = JSON.parse(fs.readFileSync(path.join(path.dirname(file), "election.json"), "utf8")).electionId;
const out = [];
for (const v of JSON.parse(fs.readFileSync(file, "utf8"))) {
  const plaintext = voteRecord(electionId, v.depth, v.root, v.nullifier, unhex(v.proof), unhex(v.ballot));
  const s = await sealVote(pk, electionId, v.nullifier, plaintext);
  out.push({ key: hex(s.key), value: hex(s.value) });
}
process.stdout.write(JSON.stringify(out));
