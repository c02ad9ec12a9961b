using System.Buffers.Binary;
using System.Security.Cryptography;
using TVS.Crypto.Ristretto;

namespace TVS.Crypto.Threshold;

/// <summary>A dealer's secret polynomial f(x) = a_0 + a_1 x + … + a_{t−1} x^{t−1} (Feldman VSS).</summary>
public sealed class DealerSecret : IDisposable
{
    private readonly RistrettoScalar[] _a;

    public int Dealer { get; }

    internal DealerSecret(int dealer, RistrettoScalar[] coefficients)
    {
        Dealer = dealer;
        _a = coefficients;
    }

    public static DealerSecret Random(int dealer, int threshold)
    {
        var a = new RistrettoScalar[threshold];
        for (int k = 0; k < threshold; k++) a[k] = RistrettoScalar.Random();
        return new DealerSecret(dealer, a);
    }

    public int Threshold => _a.Length;

    /// <summary>f(j) by Horner's rule.</summary>
    public RistrettoScalar Evaluate(int j)
    {
        var x = RistrettoScalar.FromUInt64((ulong)j);
        var y = _a[^1];
        for (int k = _a.Length - 2; k >= 0; k--) y = y * x + _a[k];
        return y;
    }

    /// <summary>C_k = a_k·G.</summary>
    public RistrettoPoint[] Commitments()
    {
        var c = new RistrettoPoint[_a.Length];
        for (int k = 0; k < _a.Length; k++) c[k] = RistrettoPoint.MultiplyBase(_a[k]);
        return c;
    }

    /// <summary>dealer (u16 BE) ‖ t (u16 BE) ‖ a_0 … a_{t−1}: the dealer's private file, so it can answer complaints later.</summary>
    internal byte[] ExportSecret()
    {
        var b = new byte[4 + 32 * _a.Length];
        BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)Dealer);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), (ushort)_a.Length);
        for (int k = 0; k < _a.Length; k++) _a[k].Encode(b.AsSpan(4 + 32 * k));
        return b;
    }

    internal static DealerSecret ImportSecret(ReadOnlySpan<byte> b)
    {
        if (b.Length < 4) throw new CryptographicException("polynomial file too short");
        int dealer = BinaryPrimitives.ReadUInt16BigEndian(b), t = BinaryPrimitives.ReadUInt16BigEndian(b[2..]);
        if (t < 1 || b.Length != 4 + 32 * t) throw new CryptographicException("polynomial file has the wrong length");
        var a = new RistrettoScalar[t];
        for (int k = 0; k < t; k++)
            if (!RistrettoScalar.TryDecode(b.Slice(4 + 32 * k, 32), out a[k])) throw new CryptographicException("polynomial coefficient not canonical");
        return new DealerSecret(dealer, a);
    }

    public void Dispose()
    {
        for (int k = 0; k < _a.Length; k++) _a[k].Clear();
    }
}
