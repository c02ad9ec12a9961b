using System.Buffers.Binary;
using TVS.Crypto.Bn254;
using TVS.Crypto.Registry;

namespace TVS.Engine.Election;

/// <summary>
/// What a credential issuer signs about a voter registry (docs/formats.md, "Signed registry
/// root"): the election, the registry's size, its LeanIMT depth and its root. The signed bytes
/// are fixed-length and canonical, so one statement has exactly one encoding:
/// <code>
/// "TVS v1 registry root" (20 ASCII bytes, the domain tag; the version is part of it)
/// ‖ election id (16, UUID big-endian) ‖ size (u64 BE) ‖ depth (u8) ‖ root (32, big-endian, &lt; r)
/// </code>
/// 77 bytes. The tag keeps an issuer's signature from ever being valid as any other TVS
/// signature (checkpoints, trustee transcripts, voter-roll entries use other tags).
/// </summary>
public readonly record struct RootStatement(Guid ElectionId, long Size, int Depth, Fr Root)
{
    public static ReadOnlySpan<byte> DomainTag => "TVS v1 registry root"u8;

    public const int TagLength = 20;
    public const int Length = TagLength + 16 + 8 + 1 + 32;

    /// <summary>The protocol's registry bound (docs/design.md: depth ≤ 32).</summary>
    public const long MaxSize = 1L << LeanImt.MaxDepth;

    /// <summary>Null when the statement is well formed; otherwise why not (a precise, stable phrase).</summary>
    public string? Validate()
    {
        if (Size < 1) return "registry size must be at least 1";
        if (Size > MaxSize) return $"registry size above 2^{LeanImt.MaxDepth}";
        if (Depth != LeanImt.DepthFor(Size)) return $"depth {Depth} is not the LeanIMT depth of {Size} leaves ({LeanImt.DepthFor(Size)})";
        if (Root.Equals(Fr.Zero)) return "root must not be zero";
        return null;
    }

    /// <summary>The 77 signed bytes. Throws on a statement that <see cref="Validate"/> refuses.</summary>
    public byte[] ToSignedBytes()
    {
        var why = Validate();
        if (why != null) throw new InvalidOperationException("not a valid registry root statement: " + why);
        var b = new byte[Length];
        DomainTag.CopyTo(b);
        ElectionId.TryWriteBytes(b.AsSpan(TagLength, 16), bigEndian: true, out _);
        BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(TagLength + 16), (ulong)Size);
        b[TagLength + 24] = (byte)Depth;
        Root.WriteBigEndian(b.AsSpan(TagLength + 25, 32));
        return b;
    }

    /// <summary>Reads signed bytes back: exact length, the tag, a canonical root, a consistent depth.</summary>
    public static bool TryRead(ReadOnlySpan<byte> bytes, out RootStatement statement, out string? error)
    {
        statement = default;
        if (bytes.Length != Length) { error = $"signed bytes must be {Length} long"; return false; }
        if (!bytes[..TagLength].SequenceEqual(DomainTag)) { error = "wrong domain tag"; return false; }
        var id = new Guid(bytes.Slice(TagLength, 16), bigEndian: true);
        ulong size = BinaryPrimitives.ReadUInt64BigEndian(bytes[(TagLength + 16)..]);
        int depth = bytes[TagLength + 24];
        if (!Fr.TryFromBigEndian(bytes.Slice(TagLength + 25, 32), out var root)) { error = "root is not below r (non-canonical)"; return false; }
        if (size > MaxSize) { error = $"registry size above 2^{LeanImt.MaxDepth}"; return false; }
        statement = new RootStatement(id, (long)size, depth, root);
        error = statement.Validate();
        return error == null;
    }
}
