using System.Security.Cryptography;
using TVS.Merkle;

namespace TVS.Tests.Merkle;

/// <summary>The RFC 9162 §2.1 definitions written out literally, as an independent reference.</summary>
internal static class NaiveRfc9162
{
    public static byte[] Leaf(byte[] data) => SHA256.HashData([0x00, .. data]);

    public static byte[] Node(byte[] l, byte[] r) => SHA256.HashData([0x01, .. l, .. r]);

    private static int K(int n)
    {
        int k = 1;
        while (k << 1 < n)
        {
            k <<= 1;
        }
        return k;
    }

    /// <summary>MTH(D[n]) over leaf hashes.</summary>
    public static byte[] Mth(ReadOnlySpan<byte[]> leafHashes)
    {
        if (leafHashes.Length == 0)
        {
            return SHA256.HashData([]);
        }
        if (leafHashes.Length == 1)
        {
            return leafHashes[0];
        }
        int k = K(leafHashes.Length);
        return Node(Mth(leafHashes[..k]), Mth(leafHashes[k..]));
    }

    /// <summary>PATH(m, D[n]) of §2.1.3.1.</summary>
    public static List<byte[]> Path(int m, ReadOnlySpan<byte[]> d)
    {
        if (d.Length <= 1)
        {
            return [];
        }
        int k = K(d.Length);
        List<byte[]> p;
        if (m < k)
        {
            p = Path(m, d[..k]);
            p.Add(Mth(d[k..]));
        }
        else
        {
            p = Path(m - k, d[k..]);
            p.Add(Mth(d[..k]));
        }
        return p;
    }

    /// <summary>PROOF(m, D[n]) of §2.1.4.1.</summary>
    public static List<byte[]> Proof(int m, ReadOnlySpan<byte[]> d) => SubProof(m, d, true);

    private static List<byte[]> SubProof(int m, ReadOnlySpan<byte[]> d, bool b)
    {
        int n = d.Length;
        if (m == n)
        {
            return b ? [] : [Mth(d)];
        }
        int k = K(n);
        List<byte[]> p;
        if (m <= k)
        {
            p = SubProof(m, d[..k], b);
            p.Add(Mth(d[k..]));
        }
        else
        {
            p = SubProof(m - k, d[k..], false);
            p.Add(Mth(d[..k]));
        }
        return p;
    }

    public static byte[][] Bytes(IEnumerable<Hash256> hashes) => hashes.Select(h => h.ToArray()).ToArray();

    public static byte[] LeafData(int i) => BitConverter.GetBytes(i * 2654435761u).Concat(new byte[i % 7]).ToArray();
}
