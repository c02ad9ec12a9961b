namespace TVS.Crypto.Bn254;

/// <summary>
/// Fixed-base multiplication table for a G1 point that is used many times (a verification key's
/// IC points and α): [d·16ⁱ]P for every 4-bit window i and digit d, in affine form, so [k]P costs
/// at most 64 mixed additions and no doubling. 60 KiB per point.
/// </summary>
public sealed class G1FixedBase
{
    private const int Windows = 64;
    private readonly G1Affine[] _table; // [window * 15 + digit - 1]
    public G1Affine Point { get; }

    public G1FixedBase(in G1Affine p)
    {
        Point = p;
        var jac = new G1Jac[Windows * 15];
        var basePoint = G1Jac.FromAffine(p);
        for (int w = 0; w < Windows; w++)
        {
            var acc = basePoint;
            for (int d = 0; d < 15; d++)
            {
                jac[w * 15 + d] = acc;
                acc = acc.Add(in basePoint);
            }
            // next window's base: 16·base
            basePoint = basePoint.Double().Double().Double().Double();
        }
        _table = new G1Affine[jac.Length];
        G1Jac.BatchToAffine(jac, _table);
    }

    /// <summary>acc += [k]P for a plain (non-Montgomery) scalar k.</summary>
    public void MulAdd(ref G1Jac acc, in Limbs4 k)
    {
        int top = (k.BitLength() + 3) / 4;
        for (int w = 0; w < top; w++)
        {
            int digit = k.Nibble(w);
            if (digit != 0) acc = acc.AddMixed(in _table[w * 15 + digit - 1]);
        }
    }

    public G1Jac Mul(in Limbs4 k)
    {
        var acc = G1Jac.Infinity;
        MulAdd(ref acc, in k);
        return acc;
    }
}
