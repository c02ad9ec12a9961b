namespace TVS.Crypto.Bn254;

/// <summary>Multi-scalar multiplication Σ kᵢ·Pᵢ in G1 by Pippenger's bucket method.</summary>
public static class Msm
{
    /// <summary>Window width for n points of the given scalar bit length: about log2(n), within 2..8.</summary>
    internal static int WindowBits(int n)
    {
        if (n < 4) return 2;
        int c = 31 - System.Numerics.BitOperations.LeadingZeroCount((uint)n);
        return Math.Clamp(c - 1, 2, 8);
    }

    /// <summary>Σ scalars[i]·points[i]; scalars are plain (non-Montgomery) integers below 2^256. No allocation.</summary>
    public static G1Jac G1(ReadOnlySpan<G1Affine> points, ReadOnlySpan<Limbs4> scalars)
    {
        if (points.Length != scalars.Length) throw new ArgumentException("points and scalars differ in length");
        int n = points.Length;
        if (n == 0) return G1Jac.Infinity;
        int maxBits = 0;
        foreach (ref readonly var k in scalars) maxBits = Math.Max(maxBits, k.BitLength());
        if (maxBits == 0) return G1Jac.Infinity;
        int c = WindowBits(n);
        int windows = (maxBits + c - 1) / c;
        Span<G1Jac> buckets = stackalloc G1Jac[(1 << c) - 1];
        var acc = G1Jac.Infinity;
        for (int w = windows - 1; w >= 0; w--)
        {
            for (int d = 0; d < c; d++) acc = acc.Double();
            buckets.Fill(G1Jac.Infinity);
            int shift = w * c;
            for (int i = 0; i < n; i++)
            {
                int digit = Digit(in scalars[i], shift, c);
                if (digit != 0) buckets[digit - 1] = buckets[digit - 1].AddMixed(in points[i]);
            }
            var running = G1Jac.Infinity;
            var total = G1Jac.Infinity;
            for (int b = buckets.Length - 1; b >= 0; b--)
            {
                running = running.Add(in buckets[b]);
                total = total.Add(in running);
            }
            acc = acc.Add(in total);
        }
        return acc;
    }

    /// <summary>Bits [shift, shift+c) of k.</summary>
    internal static int Digit(in Limbs4 k, int shift, int c)
    {
        if (shift >= 256) return 0;
        int limb = shift >> 6, off = shift & 63;
        ulong lo = limb switch { 0 => k.L0, 1 => k.L1, 2 => k.L2, _ => k.L3 };
        ulong v = lo >> off;
        if (off + c > 64 && limb < 3)
        {
            ulong hi = limb switch { 0 => k.L1, 1 => k.L2, _ => k.L3 };
            v |= hi << (64 - off);
        }
        return (int)(v & ((1UL << c) - 1));
    }
}
