using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TVS.Merkle;

/// <summary>A 32-byte SHA-256 value held inline (no allocation), compared by value.</summary>
[StructLayout(LayoutKind.Sequential, Size = Size)]
public readonly struct Hash256 : IEquatable<Hash256>
{
    /// <summary>Length of a hash in bytes.</summary>
    public const int Size = 32;

    private readonly ulong _a, _b, _c, _d;

    /// <summary>Copies a hash from exactly 32 bytes.</summary>
    public Hash256(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"a hash is {Size} bytes, got {bytes.Length}", nameof(bytes));
        }
        this = MemoryMarshal.Read<Hash256>(bytes);
    }

    /// <summary>The bytes of the hash, a view of this value (no copy).</summary>
    [UnscopedRef]
    public ReadOnlySpan<byte> AsSpan() => MemoryMarshal.AsBytes(new ReadOnlySpan<Hash256>(in this));

    /// <summary>Writes the 32 bytes to <paramref name="destination"/>.</summary>
    public void CopyTo(Span<byte> destination) => AsSpan().CopyTo(destination);

    /// <summary>A fresh array with the 32 bytes.</summary>
    public byte[] ToArray() => AsSpan().ToArray();

    /// <summary>Standard base64 with padding (the form tlog checkpoints and Go's tlog use).</summary>
    public string ToBase64() => Convert.ToBase64String(AsSpan());

    /// <summary>Lower-case hex.</summary>
    public string ToHex() => Convert.ToHexStringLower(AsSpan());

    /// <summary>Parses 64 hex digits.</summary>
    public static Hash256 FromHex(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        if (hex.Length != 2 * Size)
        {
            throw new FormatException("a hash is 64 hex digits");
        }
        Span<byte> b = stackalloc byte[Size];
        if (Convert.FromHexString(hex, b, out _, out int written) != System.Buffers.OperationStatus.Done || written != Size)
        {
            throw new FormatException("invalid hex hash");
        }
        return new Hash256(b);
    }

    /// <summary>Parses standard padded base64 of exactly 32 bytes, strictly (no whitespace).</summary>
    public static bool TryFromBase64(ReadOnlySpan<char> text, out Hash256 hash)
    {
        hash = default;
        if (text.Length != 44 || !Base64Text.IsStrict(text))
        {
            return false;
        }
        Span<byte> b = stackalloc byte[33];
        if (!Convert.TryFromBase64Chars(text, b, out int written) || written != Size)
        {
            return false;
        }
        hash = new Hash256(b[..Size]);
        return true;
    }

    /// <summary>Parses standard padded base64 of exactly 32 bytes.</summary>
    public static Hash256 FromBase64(string text)
        => TryFromBase64(text, out Hash256 h) ? h : throw new FormatException("not the base64 of a 32-byte hash");

    /// <inheritdoc/>
    public bool Equals(Hash256 other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Hash256 h && Equals(h);

    /// <inheritdoc/>
    public override int GetHashCode() => (int)BinaryPrimitives.ReverseEndianness(_a) ^ (int)(_b >> 7);

    /// <summary>Hex form.</summary>
    public override string ToString() => ToHex();

    /// <summary>Value equality.</summary>
    public static bool operator ==(Hash256 left, Hash256 right) => left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(Hash256 left, Hash256 right) => !left.Equals(right);
}

internal static class Base64Text
{
    /// <summary>Only the standard alphabet with '=' padding at the end; length a multiple of 4.</summary>
    public static bool IsStrict(ReadOnlySpan<char> s)
    {
        if (s.Length == 0 || s.Length % 4 != 0)
        {
            return false;
        }
        int pad = s.EndsWith("==") ? 2 : s.EndsWith("=") ? 1 : 0;
        for (int i = 0; i < s.Length - pad; i++)
        {
            char c = s[i];
            if (!(c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '+' or '/'))
            {
                return false;
            }
        }
        return true;
    }
}
