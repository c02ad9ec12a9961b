using System.Numerics;
using TVS.Crypto.Ristretto;
using TVS.Crypto.Threshold;

namespace TVS.Tests;

/// <summary>
/// The managed variable-time ristretto255 (Field25519, EdwardsPoint, RistrettoVartime) against
/// independent references: System.Numerics.BigInteger for the field, libsodium for decoding,
/// encoding and every multi-scalar result.
/// </summary>
public class RistrettoVartimeTests
{
    private static readonly BigInteger P = (BigInteger.One << 255) - 19;
    private static readonly BigInteger L = RistrettoScalar.OrderValue;
    private const ulong Mask51 = (1UL << 51) - 1;

    // ---- field -------------------------------------------------------------------------

    /// <summary>The integer the limbs stand for (not reduced), to check bounds-free arithmetic.</summary>
    private static BigInteger LimbValue(in Field25519 f) =>
        f.L0 + ((BigInteger)f.L1 << 51) + ((BigInteger)f.L2 << 102) + ((BigInteger)f.L3 << 153) + ((BigInteger)f.L4 << 204);

    private static BigInteger Mod(BigInteger x) => (x % P + P) % P;

    private static byte[] Le32(BigInteger x)
    {
        var b = new byte[32];
        Assert.True(x.TryWriteBytes(b, out _, isUnsigned: true, isBigEndian: false));
        return b;
    }

    /// <summary>Field elements covering edges, limb-saturated representations and random values.</summary>
    private static List<Field25519> FieldSamples(int randomCount)
    {
        var list = new List<Field25519>();
        foreach (var v in new[] { BigInteger.Zero, BigInteger.One, 2, 19, P - 1, P - 2, (BigInteger.One << 255) - 20, (BigInteger.One << 51) - 1, BigInteger.One << 51, (P - 1) / 2, (P + 1) / 2 })
            list.Add(Field25519.FromBigInteger(v));
        // Non-reduced representations: every limb at the largest value Mul/Square accept (2⁵⁴ − 1),
        // at 2⁵² − 1 (largest Mul output), at 2⁵¹ − 1 with limb 0 above p's.
        const ulong max54 = (1UL << 54) - 1, max52 = (1UL << 52) - 1;
        list.Add(new Field25519(max54, max54, max54, max54, max54));
        list.Add(new Field25519(max52, max52, max52, max52, max52));
        list.Add(new Field25519(Mask51, Mask51, Mask51, Mask51, Mask51));
        list.Add(new Field25519(Mask51 - 18, Mask51, Mask51, Mask51, Mask51)); // exactly p
        list.Add(new Field25519(Mask51 - 17, Mask51, Mask51, Mask51, Mask51)); // p + 1
        list.Add(new Field25519(max54, 0, max54, 0, max54));
        var rng = new Random(25519);
        var b = new byte[32];
        for (int i = 0; i < randomCount; i++)
        {
            rng.NextBytes(b);
            Assert.True(Field25519.TryFromBytes(b, canonical: false, out var f));
            list.Add(f);
        }
        return list;
    }

    [Fact]
    public void Field_mul_square_add_sub_match_BigInteger()
    {
        var samples = FieldSamples(60);
        foreach (var a in samples)
        {
            var va = LimbValue(a);
            Assert.Equal(Mod(va * va), Field25519.Square(a).ToBigInteger());
            Assert.Equal(Field25519.Square(a).ToBigInteger(), Field25519.Mul(a, a).ToBigInteger());
            Assert.Equal(Mod(BigInteger.ModPow(va, 1 << 7, P)), Field25519.SquareTimes(a, 7).ToBigInteger());
            Assert.Equal(Mod(-va), Field25519.Negate(a).ToBigInteger());
            Assert.Equal(Mod(va), Field25519.Reduce(a).ToBigInteger());
            foreach (var b in samples)
            {
                var vb = LimbValue(b);
                Assert.Equal(Mod(va * vb), Field25519.Mul(a, b).ToBigInteger());
                Assert.Equal(Mod(va - vb), Field25519.Sub(a, b).ToBigInteger());
                Assert.Equal(Mod(va + vb), Field25519.Add(a, b).ToBigInteger());
            }
        }
    }

    [Fact]
    public void Field_outputs_stay_within_the_documented_limb_bounds()
    {
        // Mul/Square/Sub/Reduce must give limbs < 2⁵², which is what lets callers add two or
        // three results and multiply again without overflowing the 128-bit columns.
        const ulong bound = 1UL << 52;
        var samples = FieldSamples(30);
        foreach (var a in samples)
        {
            foreach (var b in samples)
            {
                foreach (var r in new[] { Field25519.Mul(a, b), Field25519.Sub(a, b), Field25519.Square(a), Field25519.Reduce(a) })
                {
                    Assert.True(r.L0 < bound && r.L1 < bound && r.L2 < bound && r.L3 < bound && r.L4 < bound);
                }
            }
        }
    }

    [Fact]
    public void Field_invert_and_pow_p58_match_BigInteger()
    {
        foreach (var a in FieldSamples(40))
        {
            var va = Mod(LimbValue(a));
            Assert.Equal(BigInteger.ModPow(va, P - 2, P), Field25519.Invert(a).ToBigInteger());
            Assert.Equal(BigInteger.ModPow(va, (P - 5) / 8, P), Field25519.PowP58(a).ToBigInteger());
            if (!va.IsZero) Assert.Equal(BigInteger.One, Field25519.Mul(a, Field25519.Invert(a)).ToBigInteger());
        }
        Assert.True(Field25519.Invert(Field25519.Zero).IsZero);
    }

    [Fact]
    public void Field_sqrt_ratio_m1_follows_RFC9496()
    {
        var sqrtM1 = Field25519.SqrtM1.ToBigInteger();
        var samples = FieldSamples(40);
        int squares = 0, nonSquares = 0;
        for (int i = 0; i < samples.Count; i++)
        {
            var u = samples[i];
            var v = samples[(i * 7 + 3) % samples.Count];
            var vu = Mod(LimbValue(u));
            var vv = Mod(LimbValue(v));
            bool wasSquare = Field25519.SqrtRatioM1(u, v, out var root);
            var r = root.ToBigInteger();
            Assert.True(r.IsEven, "the root is the non-negative one");
            if (vu.IsZero)
            {
                Assert.True(wasSquare);
                Assert.True(r.IsZero);
            }
            else if (vv.IsZero)
            {
                Assert.False(wasSquare);
                Assert.True(r.IsZero);
            }
            else
            {
                var ratio = vu * BigInteger.ModPow(vv, P - 2, P) % P;
                bool isSquare = BigInteger.ModPow(ratio, (P - 1) / 2, P).IsOne;
                Assert.Equal(isSquare, wasSquare);
                // r² = u/v when it is a square, else r² = SQRT_M1·u/v.
                Assert.Equal(isSquare ? ratio : ratio * sqrtM1 % P, r * r % P);
                if (isSquare) squares++; else nonSquares++;
            }
        }
        Assert.True(squares > 5 && nonSquares > 5, $"{squares} squares, {nonSquares} non-squares: both branches exercised");
        // SQRT_M1 itself is not a square (−1 is, as p ≡ 1 mod 4; √−1 is not, as (p − 1)/4 is odd),
        // so the root returned is √(SQRT_M1·SQRT_M1) = √−1.
        Assert.False(Field25519.SqrtRatioM1(Field25519.SqrtM1, Field25519.One, out var rootOfI));
        Assert.Equal(sqrtM1 * sqrtM1 % P, rootOfI.ToBigInteger() * rootOfI.ToBigInteger() % P);
    }

    [Fact]
    public void Field_constants_are_the_RFC9496_ones()
    {
        var d = Field25519.EdwardsD.ToBigInteger();
        Assert.Equal(Mod(-121665 * BigInteger.ModPow(121666, P - 2, P)), d);
        Assert.Equal(Mod(2 * d), Field25519.EdwardsD2.ToBigInteger());
        var i = Field25519.SqrtM1.ToBigInteger();
        Assert.Equal(P - 1, i * i % P);
        Assert.True(i.IsEven);
        var inv = Field25519.InvSqrtAMinusD.ToBigInteger();
        Assert.Equal(BigInteger.One, Mod(inv * inv % P * (-1 - d)));
    }

    [Fact]
    public void Field_canonical_decoding_refuses_p_and_above()
    {
        for (var v = P; v < P + 19; v++)
        {
            var b = Le32(v);
            Assert.False(Field25519.TryFromBytes(b, canonical: true, out _), v.ToString());
            Assert.True(Field25519.TryFromBytes(b, canonical: false, out var f));
            Assert.Equal(v - P, f.ToBigInteger());
        }
        Assert.False(Field25519.TryFromBytes(Enumerable.Repeat((byte)0xff, 32).ToArray(), canonical: true, out _));
        var top = Le32(BigInteger.One << 255);
        Assert.False(Field25519.TryFromBytes(top, canonical: true, out _));
        Assert.True(Field25519.TryFromBytes(top, canonical: false, out var zero));
        Assert.True(zero.IsZero);
        Assert.True(Field25519.TryFromBytes(Le32(P - 1), canonical: true, out var pm1));
        Assert.Equal(P - 1, pm1.ToBigInteger());

        var rng = new Random(1);
        var bytes = new byte[32];
        var back = new byte[32];
        for (int k = 0; k < 2000; k++)
        {
            rng.NextBytes(bytes);
            var v = new BigInteger(bytes, isUnsigned: true);
            Assert.Equal(v < P, Field25519.TryFromBytes(bytes, canonical: true, out var f));
            if (v < P)
            {
                f.ToBytes(back);
                Assert.Equal(bytes, back);
            }
        }
    }

    [Fact]
    public void Field_encoding_is_fully_reduced()
    {
        var buffer = new byte[32];
        foreach (var f in FieldSamples(20))
        {
            f.ToBytes(buffer);
            Assert.Equal(Le32(Mod(LimbValue(f))), buffer);
        }
        // p itself (limb form) encodes as 0, p + 1 as 1; IsNegative reads the reduced value.
        var p = new Field25519(Mask51 - 18, Mask51, Mask51, Mask51, Mask51);
        Assert.True(p.IsZero);
        Assert.False(p.IsNegative);
        Assert.True(new Field25519(Mask51 - 17, Mask51, Mask51, Mask51, Mask51).IsNegative);
        Assert.False(Field25519.FromBigInteger(P - 1).IsNegative); // p − 1 is even
    }

    // ---- points: decoding and encoding ------------------------------------------------------

    private static byte[] Encode(in EdwardsPoint p)
    {
        var b = new byte[32];
        RistrettoVartime.Encode(p, b);
        return b;
    }

    [Fact]
    public void Generator_multiples_decode_and_encode_as_RFC9496()
    {
        Assert.True(RistrettoVartime.TryDecode(Convert.FromHexString(RistrettoTests.Multiples[1]), out var g));
        var acc = EdwardsPoint.Identity;
        for (int k = 0; k < RistrettoTests.Multiples.Length; k++)
        {
            var expected = Convert.FromHexString(RistrettoTests.Multiples[k]);
            Assert.True(RistrettoVartime.TryDecode(expected, out var p), RistrettoTests.Multiples[k]);
            Assert.Equal(expected, Encode(p));
            // The sum built with the managed addition is the same element and encodes the same.
            Assert.True(EdwardsPoint.RistrettoEquals(acc, p));
            Assert.Equal(expected, Encode(acc));
            Assert.Equal(expected, Encode(EdwardsPoint.Add(EdwardsPoint.Identity, p)));
            if (k > 0) Assert.False(EdwardsPoint.RistrettoEquals(acc, EdwardsPoint.Add(acc, g)));
            acc = EdwardsPoint.Add(acc, g);
        }
        Assert.Equal(Convert.FromHexString(RistrettoTests.Multiples[2]), Encode(EdwardsPoint.Double(g)));
        Assert.Equal(Convert.FromHexString(RistrettoTests.Multiples[8]), Encode(EdwardsPoint.Double(EdwardsPoint.Double(EdwardsPoint.Double(g)))));
        Assert.Equal(new byte[32], Encode(EdwardsPoint.Subtract(g, g)));
        Assert.Equal(new byte[32], Encode(EdwardsPoint.Add(g, EdwardsPoint.Negate(g))));
    }

    [Fact]
    public void Bad_encodings_of_RFC9496_are_refused()
    {
        foreach (var h in RistrettoTests.BadEncodings)
            Assert.False(RistrettoVartime.TryDecode(Convert.FromHexString(h), out _), h);
        Assert.False(RistrettoVartime.TryDecode(new byte[31], out _));
        Assert.False(RistrettoVartime.TryDecode(new byte[33], out _));
    }

    [Fact]
    public void Element_derivation_outputs_round_trip()
    {
        foreach (var (_, o) in RistrettoTests.FromHash)
        {
            var b = Convert.FromHexString(o);
            Assert.True(RistrettoVartime.TryDecode(b, out var p));
            Assert.Equal(b, Encode(p));
        }
    }

    [Fact]
    public void Random_points_round_trip_like_libsodium()
    {
        var rng = new Random(9496);
        var uniform = new byte[64];
        var wide = new byte[64];
        for (int k = 0; k < 2000; k++)
        {
            rng.NextBytes(uniform);
            var a = RistrettoPoint.FromUniformBytes(uniform);
            rng.NextBytes(wide);
            var b = RistrettoPoint.MultiplyBase(RistrettoScalar.ReduceWide(wide));
            Assert.True(RistrettoVartime.TryDecode(a.ToArray(), out var pa));
            Assert.True(RistrettoVartime.TryDecode(b.ToArray(), out var pb));
            Assert.Equal(a.ToArray(), Encode(pa));
            Assert.Equal(b, RistrettoVartime.ToRistrettoPoint(pb));
            // Group operations on the decoded points agree with libsodium's.
            Assert.Equal((a + b).ToArray(), Encode(EdwardsPoint.Add(pa, pb)));
            Assert.Equal((a - b).ToArray(), Encode(EdwardsPoint.Subtract(pa, pb)));
            Assert.Equal((a + a).ToArray(), Encode(EdwardsPoint.Double(pa)));
            Assert.Equal((RistrettoPoint.Identity - b).ToArray(), Encode(EdwardsPoint.Negate(pb)));
            Assert.Equal(a == b, EdwardsPoint.RistrettoEquals(pa, pb));
        }
    }

    [Fact]
    public void Torsion_cosets_are_one_element()
    {
        // The 4-torsion point (√−1, 0) and the 2-torsion point (0, −1): adding them moves within
        // P's coset, so equality holds and the encoding does not change (the encoder's rotation
        // and sign choices are what make that so).
        var t4 = new EdwardsPoint(Field25519.SqrtM1, Field25519.Zero, Field25519.One, Field25519.Zero);
        var t2 = new EdwardsPoint(Field25519.Zero, Field25519.Negate(Field25519.One), Field25519.One, Field25519.Zero);
        var rng = new Random(4);
        var uniform = new byte[64];
        for (int k = 0; k < 200; k++)
        {
            rng.NextBytes(uniform);
            var a = RistrettoPoint.FromUniformBytes(uniform);
            Assert.True(RistrettoVartime.TryDecode(a.ToArray(), out var p));
            foreach (var q in new[] { EdwardsPoint.Add(p, t4), EdwardsPoint.Add(p, t2), EdwardsPoint.Subtract(p, t4) })
            {
                Assert.True(EdwardsPoint.RistrettoEquals(p, q));
                Assert.Equal(a.ToArray(), Encode(q));
            }
        }
        Assert.Equal(new byte[32], Encode(t4));
        Assert.Equal(new byte[32], Encode(t2));
    }

    [Fact]
    public void Decoding_accepts_exactly_what_libsodium_accepts()
    {
        var rng = new Random(20000);
        var b = new byte[32];
        int[] accepted = new int[3];
        for (int variant = 0; variant < 3; variant++)
        {
            for (int k = 0; k < 20000; k++)
            {
                rng.NextBytes(b);
                if (variant >= 1) b[31] &= 0x7f;  // mostly canonical
                if (variant == 2) b[0] &= 0xfe;   // and non-negative
                bool sodium = RistrettoPoint.TryDecode(b, out var sp);
                bool managed = RistrettoVartime.TryDecode(b, out var mp);
                Assert.True(sodium == managed, Convert.ToHexString(b));
                if (managed)
                {
                    accepted[variant]++;
                    Assert.Equal(b, Encode(mp));
                    Assert.Equal(sp, RistrettoVartime.ToRistrettoPoint(mp));
                }
            }
        }
        // Nearly all uniform strings are refused (top bit, sign); of the canonical non-negative
        // ones about an eighth decode. Both outcomes must be exercised for the test to mean anything.
        Assert.True(accepted[2] > 1000, $"accepted: {string.Join(", ", accepted)}");
        Assert.True(accepted[2] < 19000);
        // Canonical, non-negative s close to p and the single value p − 1 (even, so non-negative).
        var nearP = Le32(P - 1);
        Assert.Equal(RistrettoPoint.TryDecode(nearP, out _), RistrettoVartime.TryDecode(nearP, out _));
        foreach (var v in new[] { P, P + 1, P + 2, (BigInteger.One << 255) - 1 })
            Assert.False(RistrettoVartime.TryDecode(Le32(v), out _));
    }

    // ---- multi-scalar multiplication ----------------------------------------------------

    private static RistrettoPoint Reference(ReadOnlySpan<RistrettoScalar> s, ReadOnlySpan<RistrettoPoint> p)
    {
        var sum = RistrettoPoint.Identity;
        for (int i = 0; i < s.Length; i++) sum += RistrettoPoint.Multiply(s[i], p[i]);
        return sum;
    }

    private static RistrettoScalar RandomScalar(Random rng)
    {
        var wide = new byte[64];
        rng.NextBytes(wide);
        return RistrettoScalar.ReduceWide(wide);
    }

    private static RistrettoPoint RandomPoint(Random rng)
    {
        var uniform = new byte[64];
        rng.NextBytes(uniform);
        return RistrettoPoint.FromUniformBytes(uniform);
    }

    private static void AssertBothMatchReference(RistrettoScalar[] s, RistrettoPoint[] p)
    {
        var expected = Reference(s, p);
        Assert.Equal(expected, RistrettoVartime.MultiScalarMultiply(s, p));
        Assert.Equal(expected, RistrettoVartime.Combine(new VartimeScalars(s), p));
    }

    [Fact]
    public void Random_sums_of_1_to_9_and_20_terms_match_libsodium()
    {
        var rng = new Random(5);
        foreach (int n in new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 17, 20 })
        {
            for (int round = 0; round < 6; round++)
            {
                var s = new RistrettoScalar[n];
                var p = new RistrettoPoint[n];
                for (int i = 0; i < n; i++)
                {
                    s[i] = RandomScalar(rng);
                    p[i] = RandomPoint(rng);
                }
                AssertBothMatchReference(s, p);
            }
        }
    }

    [Fact]
    public void Edge_scalars_and_points_match_libsodium()
    {
        var rng = new Random(6);
        var scalars = new[]
        {
            RistrettoScalar.Zero, RistrettoScalar.One, RistrettoScalar.FromUInt64(2), RistrettoScalar.FromUInt64(31),
            RistrettoScalar.FromUInt64(32), RistrettoScalar.FromUInt64(0xffff_ffff_ffff_ffff),
            RistrettoScalar.FromBigInteger(L - 1), RistrettoScalar.FromBigInteger(L - 2),
            RistrettoScalar.FromBigInteger(BigInteger.One << 252), RistrettoScalar.FromBigInteger((BigInteger.One << 252) - 1),
            RistrettoScalar.FromBigInteger((L - 1) / 2), RistrettoScalar.FromBigInteger(BigInteger.Pow(2, 200) - 1),
        };
        var q = RandomPoint(rng);
        var points = new[]
        {
            RistrettoPoint.Identity, RistrettoPoint.Generator, q, q, RistrettoPoint.Identity - q, RandomPoint(rng),
        };
        // Every scalar against every point, alone and in sums that include repeats, P and −P.
        foreach (var s in scalars)
            foreach (var p in points)
                AssertBothMatchReference([s], [p]);
        for (int shift = 0; shift < scalars.Length; shift++)
        {
            var s = new RistrettoScalar[points.Length];
            for (int i = 0; i < s.Length; i++) s[i] = scalars[(i + shift) % scalars.Length];
            AssertBothMatchReference(s, points);
        }
        // q + (−q) with equal scalars cancels exactly: the identity.
        var r = RandomScalar(rng);
        Assert.True(RistrettoVartime.MultiScalarMultiply([r, r], [q, RistrettoPoint.Identity - q]).IsIdentity);
        Assert.True(RistrettoVartime.MultiScalarMultiply([], []).IsIdentity);
        Assert.True(RistrettoVartime.Combine(new VartimeScalars([RistrettoScalar.Zero, RistrettoScalar.Zero]), [q, q]).IsIdentity);
        Assert.Throws<ArgumentException>(() => RistrettoVartime.MultiScalarMultiply([r], [q, q]));
        Assert.Throws<ArgumentException>(() => RistrettoVartime.Combine(new VartimeScalars([r]), [q, q]));
    }

    [Fact]
    public void Wnaf_digits_recompose_the_scalar()
    {
        var rng = new Random(7);
        var digits = new sbyte[RistrettoVartime.DigitCount];
        int limit = 1 << (RistrettoVartime.Width - 1);
        for (int k = 0; k < 500; k++)
        {
            var s = k switch { 0 => RistrettoScalar.Zero, 1 => RistrettoScalar.FromBigInteger(L - 1), 2 => RistrettoScalar.FromBigInteger(BigInteger.One << 252), _ => RandomScalar(rng) };
            int top = RistrettoVartime.ComputeWnaf(s.ToArray(), digits);
            BigInteger sum = 0;
            int lastNonzero = -RistrettoVartime.Width;
            for (int i = digits.Length - 1; i >= 0; i--) sum = 2 * sum + digits[i];
            for (int i = 0; i < digits.Length; i++)
            {
                if (digits[i] == 0) continue;
                Assert.True((digits[i] & 1) == 1 && digits[i] > -limit && digits[i] < limit, $"digit {digits[i]}");
                Assert.True(i - lastNonzero >= RistrettoVartime.Width, "nonzero digits are w apart");
                lastNonzero = i;
            }
            Assert.Equal(s.ToBigInteger(), sum);
            Assert.Equal(s.IsZero ? -1 : lastNonzero, top);
        }
    }

    [Theory]
    [InlineData(new[] { 1, 2, 3, 4, 5 })]
    [InlineData(new[] { 1, 3, 5, 7, 9 })]
    [InlineData(new[] { 5, 6, 7, 8, 9 })]
    [InlineData(new[] { 9, 2, 7, 4, 1 })]
    public void Lagrange_combination_of_shares_recovers_the_secret_times_R(int[] indices)
    {
        // Shares s_i = f(i) of f(x) = a0 + a1·x + … + a4·x⁴; D_i = s_i·R. Σ λ_i·D_i must be a0·R.
        var rng = new Random(indices.Sum() * 31 + indices[0]);
        var coefficients = Enumerable.Range(0, 5).Select(_ => RandomScalar(rng)).ToArray();
        var r = RandomPoint(rng);
        var shares = new RistrettoPoint[5];
        for (int k = 0; k < 5; k++)
        {
            var x = RistrettoScalar.FromUInt64((ulong)indices[k]);
            var f = RistrettoScalar.Zero;
            for (int j = 4; j >= 0; j--) f = f * x + coefficients[j];
            shares[k] = RistrettoPoint.Multiply(f, r);
        }
        var lambda = new RistrettoScalar[5];
        Lagrange.CoefficientsAtZero(indices, lambda);
        var weights = new VartimeScalars(lambda);

        var expected = RistrettoPoint.Multiply(coefficients[0], r);
        Assert.Equal(expected, ThresholdDecryption.Combine(lambda, shares));
        Assert.Equal(expected, RistrettoVartime.Combine(weights, shares));
        Assert.Equal(expected, RistrettoVartime.MultiScalarMultiply(lambda, shares));
        // The same weights reused on other shares (as the tally does per ballot).
        for (int round = 0; round < 5; round++)
        {
            for (int k = 0; k < 5; k++) shares[k] = RandomPoint(rng);
            Assert.Equal(ThresholdDecryption.Combine(lambda, shares), RistrettoVartime.Combine(weights, shares));
        }
    }
}
