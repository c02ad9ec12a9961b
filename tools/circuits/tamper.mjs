// Derives the tampered and malformed cases of one fixture set from its valid proofs, records
// snarkjs 0.7.6's verdict on each, and writes cases.json and list.txt.
//   node tamper.mjs SETDIR [OTHER_SET_DIR]
// OTHER_SET_DIR (a Semaphore set of another depth) supplies the "verification key of another
// depth" case. Point arithmetic uses ffjavascript's BN254 (buildBn128), as snarkjs does.
import fs from "node:fs";
import path from "node:path";
import { buildBn128, utils } from "ffjavascript";
import { P, R, pad3, writeJson, readJson, snarkjsVerdict } from "./lib.mjs";

const [setDir, otherSetDir] = process.argv.slice(2);
const curve = await buildBn128(true);
const { G1, G2 } = curve;
const F2 = G2.F;
const big = (o) => utils.unstringifyBigInts(o);
const str = (o) => utils.stringifyBigInts(o);
const clone = (o) => JSON.parse(JSON.stringify(o));

const g1 = (pt) => G1.fromObject(big(pt));
const g1json = (buf) => str(G1.toObject(G1.toAffine(buf)));
const g2json = (buf) => str(G2.toObject(G2.toAffine(buf)));

const vk = readJson(path.join(setDir, "verification_key.json"));
const validCount = fs.readdirSync(path.join(setDir, "valid")).filter((f) => /^proof_\d+\.json$/.test(f)).length;
const proof0 = readJson(path.join(setDir, "valid/proof_000.json"));
const public0 = readJson(path.join(setDir, "valid/public_000.json"));
const proof1 = readJson(path.join(setDir, "valid/proof_001.json"));
const public1 = readJson(path.join(setDir, "valid/public_001.json"));

const cases = [];
for (let i = 0; i < validCount; i++) {
    cases.push({
        name: `valid_${pad3(i)}`, kind: "valid", vk: "verification_key.json",
        proof: `valid/proof_${pad3(i)}.json`, public: `valid/public_${pad3(i)}.json`,
        expected: true, note: "a proof made by the real prover",
    });
}

// A tampered case: writes whichever of proof / public / vk differ from the valid proof_000 triple.
function tampered(name, { proof, pub, vkey, note, nonCanonical = false }) {
    const c = { name, kind: "tampered", vk: "verification_key.json", proof: "valid/proof_000.json", public: "valid/public_000.json" };
    if (proof) { c.proof = `tampered/${name}.proof.json`; writeJson(path.join(setDir, c.proof), proof); }
    if (pub) { c.public = `tampered/${name}.public.json`; writeJson(path.join(setDir, c.public), pub); }
    if (vkey) { c.vk = `tampered/${name}.vk.json`; writeJson(path.join(setDir, c.vk), vkey); }
    c.expected = false;
    c.note = note + (nonCanonical ? " [non-canonical encoding: TVS rejects it whatever snarkjs says]" : "");
    cases.push(c);
}
function malformed(name, { proofText, pubText, vkText, note }) {
    const c = { name, kind: "malformed", vk: "verification_key.json", proof: "valid/proof_000.json", public: "valid/public_000.json" };
    const put = (field, ext, text) => { c[field] = `malformed/${name}.${ext}.json`; fs.mkdirSync(path.join(setDir, "malformed"), { recursive: true }); fs.writeFileSync(path.join(setDir, c[field]), text); };
    if (proofText !== undefined) put("proof", "proof", proofText);
    if (pubText !== undefined) put("public", "public", pubText);
    if (vkText !== undefined) put("vk", "vk", vkText);
    c.expected = false;
    c.note = note;
    cases.push(c);
}
const withProof = (f) => { const p = clone(proof0); f(p); return p; };
const j = (o) => JSON.stringify(o, null, 1) + "\n";

// ---- public signals
tampered("public_plus_one", { pub: public0.map((s, i) => (i === 0 ? (BigInt(s) + 1n).toString() : s)), note: "public[0] + 1" });
tampered("public_plus_r", { pub: public0.map((s, i) => (i === 0 ? (BigInt(s) + R).toString() : s)), nonCanonical: true, note: "public[0] + r (same value mod r, not reduced)" });
tampered("public_negative", { pub: public0.map((s, i) => (i === 0 ? "-" + (R - BigInt(s)).toString() : s)), nonCanonical: true, note: "public[0] written as -(r - x), congruent to x mod r" });
tampered("public_missing_last", { pub: public0.slice(0, -1), note: "one public signal too few (the last dropped)" });
tampered("public_extra_zero", { pub: [...public0, "0"], note: "one public signal too many (an extra \"0\")" });
tampered("public_swapped_with_other_proof", { pub: public1, note: "proof_000 with the public signals of proof_001 (both valid on their own)" });
if (public0.length > 1) {
    tampered("public_order_reversed", { pub: [...public0].reverse(), note: "the public signals in reverse order" });
}

// ---- pi_a
const A = g1(proof0.pi_a);
tampered("pi_a_other_point", { proof: withProof((p) => { p.pi_a = g1json(G1.double(A)); }), note: "pi_a replaced by 2·pi_a, another valid G1 point" });
tampered("pi_a_from_other_proof", { proof: withProof((p) => { p.pi_a = clone(proof1.pi_a); }), note: "pi_a taken from proof_001" });
tampered("pi_a_negated", { proof: withProof((p) => { p.pi_a = g1json(G1.neg(A)); }), note: "pi_a negated (x, p - y)" });
tampered("pi_a_off_curve", { proof: withProof((p) => { p.pi_a[1] = (BigInt(p.pi_a[1]) + 1n).toString(); }), note: "pi_a with y + 1: not on the curve" });
tampered("pi_a_infinity", { proof: withProof((p) => { p.pi_a = ["0", "1", "0"]; }), note: "pi_a the point at infinity in snarkjs's form [0, 1, 0]" });
tampered("pi_a_infinity_z0_garbage", { proof: withProof((p) => { p.pi_a = [p.pi_a[0], p.pi_a[1], "0"]; }), nonCanonical: true, note: "pi_a with its real x, y but z = 0: snarkjs reads any z = 0 as infinity" });
tampered("pi_a_x_plus_p", { proof: withProof((p) => { p.pi_a[0] = (BigInt(p.pi_a[0]) + P).toString(); }), nonCanonical: true, note: "pi_a x + p (same point mod p)" });
tampered("pi_a_y_plus_p", { proof: withProof((p) => { p.pi_a[1] = (BigInt(p.pi_a[1]) + P).toString(); }), nonCanonical: true, note: "pi_a y + p (same point mod p)" });
tampered("pi_a_x_plus_4p", { proof: withProof((p) => { p.pi_a[0] = (BigInt(p.pi_a[0]) + 4n * P).toString(); }), nonCanonical: true, note: "pi_a x + 4p (still < 2^256: fits 32 bytes; same point mod p)" });
{
    // Jacobian coordinates with z = 2: (x·z², y·z³, z) is the same point for snarkjs.
    const [x, y] = big(proof0.pi_a);
    const z = 2n;
    tampered("pi_a_jacobian_z2", { proof: withProof((p) => { p.pi_a = [((x * z * z) % P).toString(), ((y * z * z * z) % P).toString(), "2"]; }), nonCanonical: true, note: "pi_a in Jacobian coordinates (x·4, y·8, 2): the same point, z ≠ 1" });
}
tampered("pi_a_leading_zero", { proof: withProof((p) => { p.pi_a[0] = "0" + p.pi_a[0]; }), nonCanonical: true, note: "pi_a x written with a leading zero digit" });

// ---- pi_b
const B = G2.fromObject(big(proof0.pi_b));
tampered("pi_b_x_c0_plus_p", { proof: withProof((p) => { p.pi_b[0][0] = (BigInt(p.pi_b[0][0]) + P).toString(); }), nonCanonical: true, note: "pi_b x.c0 + p (same point mod p)" });
tampered("pi_b_y_c1_plus_p", { proof: withProof((p) => { p.pi_b[1][1] = (BigInt(p.pi_b[1][1]) + P).toString(); }), nonCanonical: true, note: "pi_b y.c1 + p (same point mod p)" });
{
    // A point of the twist E'(Fp2): y² = x³ + b', b' = 3/(9+u), outside the r-order subgroup.
    let pt = null, tries = 0;
    for (let k = 1n; pt === null; k++) {
        tries++;
        const x = F2.fromObject([k, 1n]);
        const rhs = F2.add(F2.mul(F2.square(x), x), G2.b);
        if (!F2.isSquare(rhs)) continue;
        const y = F2.sqrt(rhs);
        const cand = G2.fromObject([F2.toObject(x), F2.toObject(y), [1n, 0n]]);
        if (!G2.isValid(cand)) throw new Error("twist point not on curve?");
        if (G2.isZero(G2.timesScalar(cand, R))) continue; // in the subgroup (vanishingly unlikely)
        pt = cand;
    }
    tampered("pi_b_not_in_subgroup", { proof: withProof((p) => { p.pi_b = g2json(pt); }), note: "pi_b on the twist curve y² = x³ + 3/(9+u) but not in the r-order subgroup (r·pi_b ≠ O)" });
}
tampered("pi_b_off_curve", { proof: withProof((p) => { p.pi_b[1][0] = (BigInt(p.pi_b[1][0]) + 1n).toString(); }), note: "pi_b y.c0 + 1: not on the twist" });
tampered("pi_b_c0_c1_swapped", { proof: withProof((p) => { p.pi_b = [[p.pi_b[0][1], p.pi_b[0][0]], [p.pi_b[1][1], p.pi_b[1][0]], ["1", "0"]]; }), note: "pi_b with c0 and c1 swapped in x and y (the EVM / packed order read as snarkjs order)" });
tampered("pi_b_negated", { proof: withProof((p) => { p.pi_b = g2json(G2.neg(B)); }), note: "pi_b negated" });
tampered("pi_b_infinity", { proof: withProof((p) => { p.pi_b = [["0", "0"], ["1", "0"], ["0", "0"]]; }), note: "pi_b the point at infinity in snarkjs's form" });

// ---- pi_c
const C = g1(proof0.pi_c);
tampered("pi_c_other_point", { proof: withProof((p) => { p.pi_c = g1json(G1.add(C, G1.g)); }), note: "pi_c replaced by pi_c + G, another valid G1 point" });
tampered("pi_c_off_curve", { proof: withProof((p) => { p.pi_c[1] = (BigInt(p.pi_c[1]) + 1n).toString(); }), note: "pi_c with y + 1: not on the curve" });
tampered("pi_c_y_plus_p", { proof: withProof((p) => { p.pi_c[1] = (BigInt(p.pi_c[1]) + P).toString(); }), nonCanonical: true, note: "pi_c y + p (same point mod p)" });
tampered("pi_a_pi_c_swapped", { proof: withProof((p) => { [p.pi_a, p.pi_c] = [p.pi_c, p.pi_a]; }), note: "pi_a and pi_c exchanged" });

// ---- verification keys
if (otherSetDir) {
    const otherVk = readJson(path.join(otherSetDir, "verification_key.json"));
    tampered("vk_other_depth", { vkey: otherVk, note: `proof_000 against the verification key of ${path.basename(otherSetDir)}` });
}
tampered("vk_gamma_replaced_by_delta", { vkey: { ...clone(vk), vk_gamma_2: clone(vk.vk_delta_2) }, note: "the set's vk with gamma replaced by delta (gamma == delta)" });
{
    // A setup with no phase-2 contribution has delta = gamma = the G2 generator. A proof made
    // with it verifies in snarkjs, and anyone can then move it to other public signals:
    // C' = C + Σ (x_i - x'_i)·IC_{i+1} keeps e(A,B) = e(α,β)·e(L(x') + C', δ) when γ = δ.
    const weakVk = readJson(path.join(setDir, "tampered/weak_setup_vk.json"));
    const weakProof = readJson(path.join(setDir, "tampered/weak_setup_proof.json"));
    const weakPublic = readJson(path.join(setDir, "tampered/weak_setup_public.json"));
    cases.push({ name: "vk_gamma_eq_delta_honest_proof", kind: "tampered", vk: "tampered/weak_setup_vk.json", proof: "tampered/weak_setup_proof.json", public: "tampered/weak_setup_public.json", expected: false, note: "a vk from `groth16 setup` with no contribution (gamma == delta == G2 generator) and an honest proof made with that zkey: TVS refuses such keys" });
    const forgedPublic = [...weakPublic];
    const idx = forgedPublic.length > 1 ? 1 : 0; // Semaphore: the nullifier; simple: the hash
    forgedPublic[idx] = (BigInt(forgedPublic[idx]) + 1n).toString();
    let Cp = g1(weakProof.pi_c);
    for (let i = 0; i < weakPublic.length; i++) {
        const d = ((BigInt(weakPublic[i]) - BigInt(forgedPublic[i])) % R + R) % R;
        if (d !== 0n) Cp = G1.add(Cp, G1.timesScalar(g1(weakVk.IC[i + 1]), d));
    }
    const forged = clone(weakProof);
    forged.pi_c = g1json(Cp);
    writeJson(path.join(setDir, "tampered/weak_setup_forged.proof.json"), forged);
    writeJson(path.join(setDir, "tampered/weak_setup_forged.public.json"), forgedPublic);
    cases.push({ name: "vk_gamma_eq_delta_forged_proof", kind: "tampered", vk: "tampered/weak_setup_vk.json", proof: "tampered/weak_setup_forged.proof.json", public: "tampered/weak_setup_forged.public.json", expected: false, note: `forgery under gamma == delta: public[${idx}] + 1 with pi_c moved by Σ (x_i - x'_i)·IC_{i+1}` });
}
tampered("vk_ic_missing_last", { vkey: { ...clone(vk), IC: clone(vk.IC).slice(0, -1) }, note: "vk IC one entry short (nPublic unchanged)" });
tampered("vk_ic_extra", { vkey: { ...clone(vk), IC: [...clone(vk.IC), g1json(G1.g)] }, note: "vk IC one entry too many (the G1 generator appended, nPublic unchanged), with the valid public signals" });
{
    const vkExtra = { ...clone(vk), IC: [...clone(vk.IC), g1json(G1.g)] };
    tampered("vk_ic_extra_public_extra_zero", { vkey: vkExtra, pub: [...public0, "0"], note: "vk IC one entry too many and an extra public signal \"0\"" });
}
tampered("vk_npublic_wrong", { vkey: { ...clone(vk), nPublic: vk.nPublic + 1 }, note: "vk nPublic one more than IC.length - 1" });
tampered("vk_alpha_negated", { vkey: { ...clone(vk), vk_alpha_1: g1json(G1.neg(g1(vk.vk_alpha_1))) }, note: "vk alpha negated" });
tampered("vk_delta_x_plus_p", { vkey: (() => { const v = clone(vk); v.vk_delta_2[0][0] = (BigInt(v.vk_delta_2[0][0]) + P).toString(); return v; })(), nonCanonical: true, note: "vk delta x.c0 + p (same point mod p)" });

// ---- malformed files
malformed("proof_not_json", { proofText: "{ \"pi_a\": [ this is not JSON\n", note: "proof file is not JSON" });
malformed("public_not_json", { pubText: "[\"1\", \n", note: "public file is not JSON (truncated)" });
malformed("proof_empty_file", { proofText: "", note: "empty proof file" });
malformed("proof_non_decimal", { proofText: j(withProof((p) => { p.pi_a[0] = p.pi_a[0].slice(0, -3) + "abc"; })), note: "pi_a x is not a decimal string (letters): ffjavascript then parses the string oddly (\"12abc\" is read as hex)" });
malformed("public_non_decimal", { pubText: j(public0.map((s, i) => (i === 0 ? s + "z" : s))), note: "public[0] is not a decimal string" });
malformed("proof_hex", { proofText: j(withProof((p) => { p.pi_a[0] = "0x" + BigInt(p.pi_a[0]).toString(16); })), note: "pi_a x written as a 0x hex string (the right value)" });
malformed("public_hex", { pubText: j(public0.map((s, i) => (i === 0 ? "0x" + BigInt(s).toString(16) : s))), note: "public[0] written as a 0x hex string (the right value)" });
malformed("proof_missing_pi_c", { proofText: j((() => { const p = clone(proof0); delete p.pi_c; return p; })()), note: "proof without pi_c" });
malformed("proof_pi_a_short", { proofText: j(withProof((p) => { p.pi_a = [p.pi_a[0]]; })), note: "pi_a with one coordinate" });
malformed("proof_number_not_string", { proofText: j(withProof((p) => { p.pi_a[2] = 1; })), note: "pi_a z written as the JSON number 1 instead of the string \"1\"" });
malformed("proof_whitespace", { proofText: j(withProof((p) => { p.pi_a[0] = " " + p.pi_a[0]; })), note: "pi_a x with a leading space" });
malformed("public_not_array", { pubText: j({ "0": public0[0] }), note: "public signals as an object, not an array" });
malformed("vk_missing_delta", { vkText: j((() => { const v = clone(vk); delete v.vk_delta_2; return v; })()), note: "vk without vk_delta_2" });
malformed("vk_not_json", { vkText: "not json at all\n", note: "vk file is not JSON" });

// ---- snarkjs's verdicts
for (const c of cases) {
    const { verdict, error } = await snarkjsVerdict(setDir, c);
    c.snarkjs = verdict;
    if (error) c.note += `; snarkjs: ${error}`;
    if (c.kind === "valid" && !verdict) throw new Error(`${setDir}: valid case ${c.name} does not verify`);
}
const ordered = cases.map((c) => ({ name: c.name, kind: c.kind, vk: c.vk, proof: c.proof, public: c.public, snarkjs: c.snarkjs, expected: c.expected, note: c.note }));
writeJson(path.join(setDir, "cases.json"), ordered);
fs.writeFileSync(path.join(setDir, "list.txt"), Array.from({ length: validCount }, (_, i) => `valid/proof_${pad3(i)}.json valid/public_${pad3(i)}.json\n`).join(""));
const lax = ordered.filter((c) => c.snarkjs && !c.expected).map((c) => c.name);
console.log(`${setDir}: ${ordered.length} cases (${validCount} valid); snarkjs accepts ${lax.length} that TVS must reject: ${lax.join(", ")}`);
process.exit(0);
