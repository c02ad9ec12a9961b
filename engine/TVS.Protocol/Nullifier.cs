using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TVS.Crypto.Bn254;

namespace TVS.Engine;

/// <summary>
/// A vote's 32-byte nullifier (the Semaphore public signal, a BN254 scalar in 32 big-endian bytes),
/// held inline as four machine words and compared by value. The bytes are kept exactly as
/// received: <see cref="FromBytes"/> then <see cref="WriteBytes"/> round-trips them, and the words
/// are the raw memory of those bytes, not the field element's limbs. Blittable, so it is the key
/// of the FASTER nullifier store as is.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = Size)]
public readonly struct Nullifier : IEquatable<Nullifier>
{
    /// <summary>Length of a nullifier in bytes.</summary>
    public const int Size = 32;

    private readonly ulong _w0, _w1, _w2, _w3;

    /// <summary>Builds a nullifier from its four raw words (tests and benchmarks).</summary>
    public Nullifier(ulong w0, ulong w1, ulong w2, ulong w3)
    {
        _w0 = w0;
        _w1 = w1;
        _w2 = w2;
        _w3 = w3;
    }

    /// <summary>Copies a nullifier from exactly 32 bytes.</summary>
    public static Nullifier FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            ThrowWrongLength(bytes.Length);
        }
        return MemoryMarshal.Read<Nullifier>(bytes);
    }

    /// <summary>Writes the 32 bytes to the start of <paramref name="destination"/>.</summary>
    public void WriteBytes(Span<byte> destination) => MemoryMarshal.Write(destination, in this);

    /// <summary>The bytes, a view of this value (no copy).</summary>
    [UnscopedRef]
    public ReadOnlySpan<byte> AsSpan() => MemoryMarshal.AsBytes(new ReadOnlySpan<Nullifier>(in this));

    /// <summary>
    /// Parses exactly 64 hex digits (either case) of a canonical nullifier: a BN254 scalar, below r.
    /// The form voters, receipts and the gateway's URLs use.
    /// </summary>
    public static bool TryParseHex(ReadOnlySpan<char> hex, out Nullifier nullifier)
    {
        nullifier = default;
        Span<byte> bytes = stackalloc byte[Size];
        if (hex.Length != 2 * Size || Convert.FromHexString(hex, bytes, out _, out int written) != System.Buffers.OperationStatus.Done
            || written != Size || !Fr.TryFromBigEndian(bytes, out _))
        {
            return false;
        }
        nullifier = FromBytes(bytes);
        return true;
    }

    /// <summary>
    /// Parses a nullifier as people type it: decimal below r, or 64 hex digits (either case,
    /// "0x" optional; 64 characters with a letter among them are hex), surrounding white space
    /// ignored. The one parser of typed nullifiers (tvs proof --nullifier, tvs verify --receipt).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Nullifier nullifier)
    {
        nullifier = default;
        var t = text.Trim();
        bool prefixed = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (prefixed || (t.Length == 2 * Size && (t.ContainsAnyInRange('a', 'z') || t.ContainsAnyInRange('A', 'Z'))))
        {
            return TryParseHex(prefixed ? t[2..] : t, out nullifier);
        }
        if (t.IsEmpty || t.ContainsAnyExceptInRange('0', '9')
            || !BigInteger.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value >= Fr.Modulus)
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[Size];
        Fr.FromBigInteger(value).WriteBigEndian(bytes);
        nullifier = FromBytes(bytes);
        return true;
    }

    /// <summary>Lower-case hex of the 32 bytes.</summary>
    public override string ToString() => Convert.ToHexStringLower(AsSpan());

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Equals(Nullifier other) =>
        ((_w0 ^ other._w0) | (_w1 ^ other._w1) | (_w2 ^ other._w2) | (_w3 ^ other._w3)) == 0;

    /// <inheritdoc/>
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is Nullifier n && Equals(n);

    /// <summary>
    /// A 64-bit hash of all 32 bytes: each word multiplied by its own odd constant, summed, then
    /// the MurmurHash3 64-bit finalizer, so both the low bits (a hash index's bucket) and the high
    /// bits (FASTER's 14-bit tag) depend on every byte. Not keyed: it must be stable across
    /// restarts because FASTER's checkpointed index is laid out by it. That is acceptable because
    /// stored keys are Poseidon outputs of registered identities (one per voter), which nobody can
    /// steer into one bucket in bulk; absent keys that a flood of lookups probes are never stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long GetHashCode64()
    {
        ulong h = (_w0 * 0x9E3779B97F4A7C15UL)
            + (_w1 * 0xC2B2AE3D27D4EB4FUL)
            + (_w2 * 0x165667B19E3779F9UL)
            + (_w3 * 0xD6E8FEB86659FD93UL);
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCDUL;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53UL;
        h ^= h >> 33;
        return (long)h;
    }

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        long h = GetHashCode64();
        return (int)h ^ (int)(h >> 32);
    }

    /// <summary>Equality by value.</summary>
    public static bool operator ==(Nullifier left, Nullifier right) => left.Equals(right);

    /// <summary>Inequality by value.</summary>
    public static bool operator !=(Nullifier left, Nullifier right) => !left.Equals(right);

    [DoesNotReturn]
    private static void ThrowWrongLength(int length) =>
        throw new ArgumentException($"a nullifier is {Size} bytes, got {length}", "bytes");
}
