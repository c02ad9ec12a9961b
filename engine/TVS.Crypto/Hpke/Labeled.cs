using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace TVS.Crypto.Hpke;

/// <summary>
/// RFC 9180 §4: LabeledExtract / LabeledExpand over HKDF-SHA256, built on the allocation-free
/// one-shot <see cref="HMACSHA256.HashData(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/>.
/// Inputs are concatenated into stack buffers (pooled only past <see cref="StackLimit"/>).
/// </summary>
internal static class Labeled
{
    internal const int Nh = 32;
    private const int StackLimit = 512;

    /// <summary>"HPKE-v1".</summary>
    internal static ReadOnlySpan<byte> Version => "HPKE-v1"u8;

    /// <summary>suite_id for the KEM: "KEM" ‖ I2OSP(0x0020, 2).</summary>
    internal static ReadOnlySpan<byte> KemSuiteId => "KEM\0\u0020"u8;

    /// <summary>suite_id for the key schedule: "HPKE" ‖ kem_id ‖ kdf_id ‖ aead_id.</summary>
    internal static void HpkeSuiteId(HpkeAead aead, Span<byte> suiteId)
    {
        "HPKE"u8.CopyTo(suiteId);
        BinaryPrimitives.WriteUInt16BigEndian(suiteId[4..], 0x0020);
        BinaryPrimitives.WriteUInt16BigEndian(suiteId[6..], 0x0001);
        BinaryPrimitives.WriteUInt16BigEndian(suiteId[8..], (ushort)aead);
    }

    internal const int HpkeSuiteIdLength = 10;

    /// <summary>prk = HKDF-Extract(salt, "HPKE-v1" ‖ suite_id ‖ label ‖ ikm); prk is 32 bytes.</summary>
    internal static void Extract(ReadOnlySpan<byte> suiteId, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> label, ReadOnlySpan<byte> ikm, Span<byte> prk)
    {
        int n = Version.Length + suiteId.Length + label.Length + ikm.Length;
        byte[]? rented = null;
        Span<byte> buf = n <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(n));
        buf = buf[..n];
        int o = 0;
        Version.CopyTo(buf); o += Version.Length;
        suiteId.CopyTo(buf[o..]); o += suiteId.Length;
        label.CopyTo(buf[o..]); o += label.Length;
        ikm.CopyTo(buf[o..]);
        // HKDF-Extract with an empty salt uses HashLen zero bytes; HMAC pads the key with zeros,
        // so the empty key gives the same result.
        HMACSHA256.HashData(salt, buf, prk[..Nh]);
        CryptographicOperations.ZeroMemory(buf);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>okm = HKDF-Expand(prk, I2OSP(L, 2) ‖ "HPKE-v1" ‖ suite_id ‖ label ‖ info, L), L = okm.Length ≤ 255·32.</summary>
    internal static void Expand(ReadOnlySpan<byte> suiteId, ReadOnlySpan<byte> prk, ReadOnlySpan<byte> label, ReadOnlySpan<byte> info, Span<byte> okm)
    {
        int length = okm.Length;
        if (length > 255 * Nh || length > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(okm), "HKDF-Expand output too long");
        }
        int infoLen = 2 + Version.Length + suiteId.Length + label.Length + info.Length;
        // Block input: T(i-1) ‖ labeled info ‖ counter.
        int n = Nh + infoLen + 1;
        byte[]? rented = null;
        Span<byte> buf = n <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(n));
        buf = buf[..n];
        int o = Nh;
        BinaryPrimitives.WriteUInt16BigEndian(buf[o..], (ushort)length); o += 2;
        Version.CopyTo(buf[o..]); o += Version.Length;
        suiteId.CopyTo(buf[o..]); o += suiteId.Length;
        label.CopyTo(buf[o..]); o += label.Length;
        info.CopyTo(buf[o..]);

        Span<byte> t = stackalloc byte[Nh];
        int done = 0;
        for (byte i = 1; done < length; i++)
        {
            buf[n - 1] = i;
            // T(1) has no T(0) prefix; later blocks are prefixed by the previous block.
            ReadOnlySpan<byte> input = i == 1 ? buf[Nh..] : buf;
            HMACSHA256.HashData(prk, input, t);
            int take = Math.Min(Nh, length - done);
            t[..take].CopyTo(okm[done..]);
            done += take;
            t.CopyTo(buf);
        }
        CryptographicOperations.ZeroMemory(t);
        CryptographicOperations.ZeroMemory(buf);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
