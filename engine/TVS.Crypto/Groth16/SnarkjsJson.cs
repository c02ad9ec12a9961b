using System.Numerics;
using System.Text.Json;
using TVS.Crypto.Bn254;

namespace TVS.Crypto.Groth16;

/// <summary>
/// Reads snarkjs' JSON files (verification_key.json, proof.json, public.json) exactly as snarkjs
/// writes them: numbers as decimal strings, G1 as [x, y, "1"], G2 as [[x.c0, x.c1], [y.c0, y.c1],
/// ["1", "0"]], infinity as [0, 1, 0]; and points in the affine two-coordinate form snarkjs also
/// reads, G1 as [x, y] and G2 as [[x.c0, x.c1], [y.c0, y.c1]], which is what @zk-kit/utils'
/// unpackGroth16Proof (hence @semaphore-protocol/proof's verifyProof) hands snarkjs. Also the
/// 8-number packed form of Semaphore's <c>points</c> (<see cref="TryReadPackedProof"/>).
/// Stricter than snarkjs: every number must be a canonical decimal (digits only, no sign, no
/// leading zeros) below its modulus; snarkjs reduces a coordinate ≥ p silently, TVS refuses it.
/// Never throws on bad input.
/// </summary>
public static class SnarkjsJson
{
    /// <summary>Largest accepted file: a verification key with thousands of public inputs fits easily.</summary>
    public const int MaxDocumentBytes = 16 << 20;

    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 8, AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow };

    public static VerifyError TryReadVerifyingKey(ReadOnlySpan<byte> utf8, out VerifyingKey? key)
    {
        // JsonDocument validates structure but not every string's UTF-8: reading such a string
        // throws InvalidOperationException, which is bad input like any other.
        try
        {
            return ReadVerifyingKey(utf8, out key);
        }
        catch (InvalidOperationException)
        {
            key = null;
            return VerifyError.Malformed;
        }
    }

    private static VerifyError ReadVerifyingKey(ReadOnlySpan<byte> utf8, out VerifyingKey? key)
    {
        key = null;
        if (!TryParse(utf8, out var doc)) return VerifyError.Malformed;
        using (doc)
        {
            var root = doc!.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return VerifyError.Malformed;
            if (root.TryGetProperty("protocol", out var proto) && !(proto.ValueKind == JsonValueKind.String && proto.GetString() == "groth16"))
                return VerifyError.InvalidVerifyingKey;
            if (root.TryGetProperty("curve", out var curve) && !(curve.ValueKind == JsonValueKind.String && curve.GetString() == "bn128"))
                return VerifyError.InvalidVerifyingKey;
            if (!root.TryGetProperty("vk_alpha_1", out var a) || !root.TryGetProperty("vk_beta_2", out var b) ||
                !root.TryGetProperty("vk_gamma_2", out var g) || !root.TryGetProperty("vk_delta_2", out var d) ||
                !root.TryGetProperty("IC", out var ic) || ic.ValueKind != JsonValueKind.Array)
                return VerifyError.Malformed;
            VerifyError e;
            if ((e = ReadG1(a, out var alpha)) != VerifyError.None) return e;
            if ((e = ReadG2(b, out var beta)) != VerifyError.None) return e;
            if ((e = ReadG2(g, out var gamma)) != VerifyError.None) return e;
            if ((e = ReadG2(d, out var delta)) != VerifyError.None) return e;
            var points = new G1Affine[ic.GetArrayLength()];
            int i = 0;
            foreach (var p in ic.EnumerateArray())
                if ((e = ReadG1(p, out points[i++])) != VerifyError.None) return e;
            if (root.TryGetProperty("nPublic", out var np))
            {
                if (np.ValueKind != JsonValueKind.Number || !np.TryGetInt32(out int n)) return VerifyError.Malformed;
                if (n != points.Length - 1) return VerifyError.InvalidVerifyingKey;
            }
            return VerifyingKey.TryCreate(alpha, beta, gamma, delta, points, out key);
        }
    }

    /// <summary>
    /// Writes <paramref name="key"/> as snarkjs' verification_key.json (decimal affine
    /// coordinates, G2 as [[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]]), which snarkjs and
    /// <see cref="TryReadVerifyingKey"/> read back.
    /// </summary>
    public static byte[] WriteVerifyingKey(VerifyingKey key)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("protocol", "groth16");
            w.WriteString("curve", "bn128");
            w.WriteNumber("nPublic", key.PublicInputCount);
            w.WritePropertyName("vk_alpha_1");
            WriteG1(w, key.Alpha);
            w.WritePropertyName("vk_beta_2");
            WriteG2(w, key.Beta);
            w.WritePropertyName("vk_gamma_2");
            WriteG2(w, key.Gamma);
            w.WritePropertyName("vk_delta_2");
            WriteG2(w, key.Delta);
            w.WritePropertyName("IC");
            w.WriteStartArray();
            foreach (var p in key.IC) WriteG1(w, p);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return stream.ToArray();
    }

    private static void WriteG1(Utf8JsonWriter w, in G1Affine p)
    {
        w.WriteStartArray();
        w.WriteStringValue(p.X.ToString());
        w.WriteStringValue(p.Y.ToString());
        w.WriteStringValue("1");
        w.WriteEndArray();
    }

    private static void WriteG2(Utf8JsonWriter w, in G2Affine p)
    {
        w.WriteStartArray();
        foreach (var c in (ReadOnlySpan<Fp2>)[p.X, p.Y])
        {
            w.WriteStartArray();
            w.WriteStringValue(c.C0.ToString());
            w.WriteStringValue(c.C1.ToString());
            w.WriteEndArray();
        }
        w.WriteStartArray();
        w.WriteStringValue("1");
        w.WriteStringValue("0");
        w.WriteEndArray();
        w.WriteEndArray();
    }

    public static VerifyError TryReadProof(ReadOnlySpan<byte> utf8, out Proof proof)
    {
        // JsonDocument validates structure but not every string's UTF-8: reading such a string
        // throws InvalidOperationException, which is bad input like any other.
        try
        {
            return ReadProof(utf8, out proof);
        }
        catch (InvalidOperationException)
        {
            proof = default;
            return VerifyError.Malformed;
        }
    }

    private static VerifyError ReadProof(ReadOnlySpan<byte> utf8, out Proof proof)
    {
        proof = default;
        if (!TryParse(utf8, out var doc)) return VerifyError.Malformed;
        using (doc)
        {
            var root = doc!.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return VerifyError.Malformed;
            if (root.TryGetProperty("protocol", out var proto) && !(proto.ValueKind == JsonValueKind.String && proto.GetString() == "groth16"))
                return VerifyError.Malformed;
            if (root.TryGetProperty("curve", out var curve) && !(curve.ValueKind == JsonValueKind.String && curve.GetString() == "bn128"))
                return VerifyError.Malformed;
            if (!root.TryGetProperty("pi_a", out var pa) || !root.TryGetProperty("pi_b", out var pb) || !root.TryGetProperty("pi_c", out var pc))
                return VerifyError.Malformed;
            VerifyError e;
            if ((e = ReadG1(pa, out var a)) != VerifyError.None) return e;
            if ((e = ReadG2(pb, out var b)) != VerifyError.None) return e;
            if ((e = ReadG1(pc, out var c)) != VerifyError.None) return e;
            return Proof.FromCheckedPoints(a, b, c, out proof);
        }
    }

    public static VerifyError TryReadPublicSignals(ReadOnlySpan<byte> utf8, out Fr[] signals)
    {
        // JsonDocument validates structure but not every string's UTF-8: reading such a string
        // throws InvalidOperationException, which is bad input like any other.
        try
        {
            return ReadPublicSignals(utf8, out signals);
        }
        catch (InvalidOperationException)
        {
            signals = [];
            return VerifyError.Malformed;
        }
    }

    private static VerifyError ReadPublicSignals(ReadOnlySpan<byte> utf8, out Fr[] signals)
    {
        signals = [];
        if (!TryParse(utf8, out var doc)) return VerifyError.Malformed;
        using (doc)
        {
            var root = doc!.RootElement;
            if (root.ValueKind != JsonValueKind.Array) return VerifyError.Malformed;
            var result = new Fr[root.GetArrayLength()];
            int i = 0;
            foreach (var s in root.EnumerateArray())
            {
                var e = TryReadFr(s, out result[i++]);
                if (e != VerifyError.None) return e;
            }
            signals = result;
            return VerifyError.None;
        }
    }

    /// <summary>
    /// A public signal or other scalar as snarkjs writes one: a canonical decimal string, refused
    /// as <see cref="VerifyError.PublicSignalOutOfRange"/> when ≥ r.
    /// </summary>
    public static VerifyError TryReadFr(JsonElement e, out Fr value)
    {
        value = default;
        if (!TryDecimal(e, out var v)) return VerifyError.Malformed;
        return Fr.TryFromCanonical(in v, out value) ? VerifyError.None : VerifyError.PublicSignalOutOfRange;
    }

    /// <summary>A canonical decimal string below 2^256, written as 32 big-endian bytes.</summary>
    public static bool TryReadUInt256(JsonElement e, Span<byte> be32)
    {
        if (be32.Length != 32 || !TryDecimal(e, out var v)) return false;
        v.WriteBigEndian(be32);
        return true;
    }

    /// <summary>
    /// A proof packed as 8 decimal strings in the order of @zk-kit/utils' packGroth16Proof, which
    /// is Semaphore's <c>points</c> and a Solidity verifier's calldata: [A.x, A.y, B.x.c1, B.x.c0,
    /// B.y.c1, B.y.c0, C.x, C.y] (B's coordinates c1 first, as the EVM pairing precompile takes
    /// them). Same checks as the other forms: canonical, on curve, B in the subgroup, no infinity.
    /// </summary>
    public static VerifyError TryReadPackedProof(JsonElement points, out Proof proof)
    {
        proof = default;
        if (points.ValueKind != JsonValueKind.Array || points.GetArrayLength() != 8) return VerifyError.Malformed;
        VerifyError e;
        if ((e = ReadAffineG1(points[0], points[1], out var a)) != VerifyError.None) return e;
        if ((e = ReadAffineG2(points[3], points[2], points[5], points[4], out var b)) != VerifyError.None) return e;
        if ((e = ReadAffineG1(points[6], points[7], out var c)) != VerifyError.None) return e;
        return Proof.FromCheckedPoints(a, b, c, out proof);
    }

    /// <summary>
    /// Parses a JSON document under the limits of every snarkjs file (size, depth, no comments or
    /// trailing commas), for readers of related formats such as Semaphore's proof object.
    /// </summary>
    public static bool TryParseDocument(ReadOnlySpan<byte> utf8, out JsonDocument? doc) => TryParse(utf8, out doc);

    private static bool TryParse(ReadOnlySpan<byte> utf8, out JsonDocument? doc)
    {
        doc = null;
        if (utf8.Length > MaxDocumentBytes) return false;
        try
        {
            doc = JsonDocument.Parse(utf8.ToArray(), Options);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>A canonical unsigned decimal string below 2^256.</summary>
    internal static bool TryDecimal(JsonElement e, out Limbs4 value)
    {
        value = default;
        if (e.ValueKind != JsonValueKind.String) return false;
        var s = e.GetString()!;
        if (s.Length is 0 or > 78) return false;
        if (s.Length > 1 && s[0] == '0') return false;
        foreach (char ch in s)
            if (ch is < '0' or > '9') return false;
        var v = BigInteger.Parse(s, System.Globalization.CultureInfo.InvariantCulture);
        if (v.GetBitLength() > 256) return false;
        value = Limbs4.FromBigInteger(v);
        return true;
    }

    private static VerifyError ReadFp(JsonElement e, out Fp x)
    {
        x = default;
        if (!TryDecimal(e, out var v)) return VerifyError.Malformed;
        return Fp.TryFromCanonical(in v, out x) ? VerifyError.None : VerifyError.NonCanonicalFieldElement;
    }

    private static bool IsDecimal(JsonElement e, string expected) => e.ValueKind == JsonValueKind.String && e.GetString() == expected;

    /// <summary>[x, y] affine, or [x, y, z]: z = "1" for an affine point, [0, 1, 0] for infinity.</summary>
    internal static VerifyError ReadG1(JsonElement e, out G1Affine p)
    {
        p = default;
        if (e.ValueKind != JsonValueKind.Array) return VerifyError.Malformed;
        int length = e.GetArrayLength();
        if (length == 3)
        {
            var z = e[2];
            if (IsDecimal(z, "0"))
                return IsDecimal(e[0], "0") && IsDecimal(e[1], "1") ? VerifyError.PointAtInfinity : VerifyError.Malformed;
            if (!IsDecimal(z, "1")) return VerifyError.Malformed;
        }
        else if (length != 2) return VerifyError.Malformed;
        return ReadAffineG1(e[0], e[1], out p);
    }

    private static VerifyError ReadAffineG1(JsonElement xs, JsonElement ys, out G1Affine p)
    {
        p = default;
        VerifyError err;
        if ((err = ReadFp(xs, out var x)) != VerifyError.None) return err;
        if ((err = ReadFp(ys, out var y)) != VerifyError.None) return err;
        p = new G1Affine(x, y);
        if (p.IsInfinity || !p.IsOnCurve()) return VerifyError.PointNotOnCurve;
        return VerifyError.None;
    }

    /// <summary>
    /// [[x.c0, x.c1], [y.c0, y.c1]] affine, or with a third pair z: ["1", "0"] affine,
    /// [[0,0],[1,0],[0,0]] infinity.
    /// </summary>
    internal static VerifyError ReadG2(JsonElement e, out G2Affine p)
    {
        p = default;
        if (e.ValueKind != JsonValueKind.Array) return VerifyError.Malformed;
        int length = e.GetArrayLength();
        if (length is not (2 or 3)) return VerifyError.Malformed;
        for (int i = 0; i < length; i++)
            if (e[i].ValueKind != JsonValueKind.Array || e[i].GetArrayLength() != 2) return VerifyError.Malformed;
        if (length == 3)
        {
            var z = e[2];
            if (IsDecimal(z[0], "0") && IsDecimal(z[1], "0"))
                return IsDecimal(e[0][0], "0") && IsDecimal(e[0][1], "0") && IsDecimal(e[1][0], "1") && IsDecimal(e[1][1], "0")
                    ? VerifyError.PointAtInfinity : VerifyError.Malformed;
            if (!IsDecimal(z[0], "1") || !IsDecimal(z[1], "0")) return VerifyError.Malformed;
        }
        return ReadAffineG2(e[0][0], e[0][1], e[1][0], e[1][1], out p);
    }

    private static VerifyError ReadAffineG2(JsonElement xc0, JsonElement xc1, JsonElement yc0, JsonElement yc1, out G2Affine p)
    {
        p = default;
        VerifyError err;
        if ((err = ReadFp(xc0, out var x0)) != VerifyError.None) return err;
        if ((err = ReadFp(xc1, out var x1)) != VerifyError.None) return err;
        if ((err = ReadFp(yc0, out var y0)) != VerifyError.None) return err;
        if ((err = ReadFp(yc1, out var y1)) != VerifyError.None) return err;
        p = new G2Affine(new Fp2(x0, x1), new Fp2(y0, y1));
        if (p.IsInfinity || !p.IsOnCurve()) return VerifyError.PointNotOnCurve;
        if (!p.IsInSubgroup()) return VerifyError.PointNotInSubgroup;
        return VerifyError.None;
    }
}
