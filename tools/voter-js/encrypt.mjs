// Encrypts one ballot as the JS client does, for the C# cross-check against BallotCipher.Encrypt:
//   node encrypt.mjs <election key hex> <election id> <r, 32-byte little-endian scalar hex> <choice,choice,…>
// Prints the ballot (hex).
import { encryptBallot, hex, unhex } from "./lib.mjs";

const [y, id, rHex, choices] = process.argv.slice(2);
const rBytes = unhex(rHex);
let r = 0n;
for (let i = rBytes.length - 1; i >= 0; i--) r = (r << 8n) | BigInt(rBytes[i]);
process.stdout.write(hex(encryptBallot(y, id, (choices ?? "").split(",").filter((c) => c !== "").map(Number), r)));
