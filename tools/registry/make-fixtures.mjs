// Writes tests/fixtures/registry/{poseidon,leanimt,group}.json from the real peers (lib.mjs).
//   cd tools/registry && npm ci && node make-fixtures.mjs
// With --bench it prints circomlibjs / poseidon-lite hashing speed instead.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bench, build, fixtureDir } from "./lib.mjs";

if (process.argv.includes("--bench")) {
  console.log(JSON.stringify(await bench(), null, 2));
} else {
  const f = await build();
  mkdirSync(fixtureDir, { recursive: true });
  for (const [name, value] of Object.entries(f)) {
    writeFileSync(join(fixtureDir, `${name}.json`), JSON.stringify(value, null, 1) + "\n");
    console.log(`wrote tests/fixtures/registry/${name}.json`);
  }
}
