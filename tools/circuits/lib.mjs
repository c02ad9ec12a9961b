// Shared helpers of the fixture scripts: constants, JSON I/O and snarkjs's verdict.
import fs from "node:fs";
import path from "node:path";
import { groth16 } from "snarkjs";

export const P = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
export const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

export const pad3 = (i) => String(i).padStart(3, "0");

export function writeJson(file, value) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(value, null, 1) + "\n");
}

export function readJson(file) {
    return JSON.parse(fs.readFileSync(file, "utf8"));
}

// A snarkjs JSON proof from Semaphore's packed points (@zk-kit/utils' unpackGroth16Proof
// gives affine coordinates; snarkjs writes them with z = 1).
export function snarkjsProofFromPacked(unpacked) {
    return {
        pi_a: [String(unpacked.pi_a[0]), String(unpacked.pi_a[1]), "1"],
        pi_b: [
            [String(unpacked.pi_b[0][0]), String(unpacked.pi_b[0][1])],
            [String(unpacked.pi_b[1][0]), String(unpacked.pi_b[1][1])],
            ["1", "0"],
        ],
        pi_c: [String(unpacked.pi_c[0]), String(unpacked.pi_c[1]), "1"],
        protocol: "groth16",
        curve: "bn128",
    };
}

// snarkjs 0.7.6's verdict on three files, as the snarkjs CLI would reach it: the files are read
// and parsed as JSON, then groth16.verify runs. A parse error or an exception counts as false.
export async function snarkjsVerdict(setDir, c) {
    let vk, proof, pub;
    try {
        vk = readJson(path.join(setDir, c.vk));
        proof = readJson(path.join(setDir, c.proof));
        pub = readJson(path.join(setDir, c.public));
    } catch (e) {
        return { verdict: false, error: `JSON.parse fails (${e.message.split("\n")[0]})` };
    }
    try {
        const ok = await groth16.verify(vk, pub, proof);
        return { verdict: ok === true, error: null };
    } catch (e) {
        return { verdict: false, error: `groth16.verify throws (${String(e.message || e).split("\n")[0]})` };
    }
}
