using System.Globalization;
using System.Text;

namespace TVS.Merkle;

/// <summary>One partition's head in a combined checkpoint: its tree size and root.</summary>
public readonly record struct PartitionHead(int Partition, long Size, Hash256 Root)
{
    /// <summary>The extension line <c>p{k} {size} {base64 root}</c>.</summary>
    public string ToLine() => string.Create(CultureInfo.InvariantCulture, $"p{Partition} {Size} {Root.ToBase64()}");

    /// <summary>Parses a line written by <see cref="ToLine"/>, strictly (canonical decimals, no extra spaces).</summary>
    public static bool TryParse(string line, out PartitionHead head)
    {
        head = default;
        string[] f = line.Split(' ');
        if (f.Length != 3 || f[0].Length < 2 || f[0][0] != 'p'
            || !Checkpoint.TryParseCanonicalDecimal(f[0].AsSpan(1), out long k) || k > int.MaxValue
            || !Checkpoint.TryParseCanonicalDecimal(f[1], out long size)
            || !Hash256.TryFromBase64(f[2], out Hash256 root))
        {
            return false;
        }
        head = new PartitionHead((int)k, size, root);
        return true;
    }
}

/// <summary>
/// A C2SP tlog-checkpoint body: <c>origin\n</c>, <c>tree size (decimal)\n</c>,
/// <c>base64(root)\n</c>, then optional non-empty extension lines. Signed as a C2SP signed note.
/// </summary>
public sealed class Checkpoint
{
    /// <summary>Builds a checkpoint; validates the fields.</summary>
    public Checkpoint(string origin, long size, Hash256 root, IReadOnlyList<string>? extensions = null)
    {
        ArgumentNullException.ThrowIfNull(origin);
        if (origin.Length == 0 || !SignedNote.IsValidNoteText(origin) || origin.Contains('\n'))
        {
            throw new ArgumentException("origin must be a non-empty line", nameof(origin));
        }
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        extensions ??= [];
        foreach (string e in extensions)
        {
            if (string.IsNullOrEmpty(e) || e.Contains('\n') || !SignedNote.IsValidNoteText(e))
            {
                throw new ArgumentException("extension lines must be non-empty single lines", nameof(extensions));
            }
        }
        Origin = origin;
        Size = size;
        Root = root;
        Extensions = extensions.ToArray();
    }

    /// <summary>The log's origin (first line), e.g. <c>tvs.example/election-1/p0</c>.</summary>
    public string Origin { get; }

    /// <summary>The tree size.</summary>
    public long Size { get; }

    /// <summary>The RFC 9162 root of the tree of <see cref="Size"/> leaves.</summary>
    public Hash256 Root { get; }

    /// <summary>Extension lines after the root (may be empty).</summary>
    public IReadOnlyList<string> Extensions { get; }

    /// <summary>A checkpoint of <paramref name="mmr"/> at <paramref name="size"/> (default: its current size).</summary>
    public static Checkpoint Of(string origin, MerkleMountainRange mmr, long? size = null)
    {
        ArgumentNullException.ThrowIfNull(mmr);
        long s = size ?? mmr.LeafCount;
        return new Checkpoint(origin, s, mmr.RootAt(s));
    }

    /// <summary>
    /// A combined checkpoint over several partitions (docs/formats.md): one extension line per
    /// partition <c>p{k} {size} {base64 root}</c> in strictly increasing k; the checkpoint's own
    /// tree is the RFC 9162 tree whose leaves are those lines' UTF-8 bytes, so its size is the
    /// number of partitions and its root is their MTH.
    /// </summary>
    public static Checkpoint Combined(string origin, IReadOnlyList<PartitionHead> heads)
    {
        ArgumentNullException.ThrowIfNull(heads);
        if (heads.Count == 0)
        {
            throw new ArgumentException("at least one partition", nameof(heads));
        }
        var lines = new string[heads.Count];
        for (int i = 0; i < heads.Count; i++)
        {
            if (heads[i].Partition < 0 || heads[i].Size < 0 || i > 0 && heads[i].Partition <= heads[i - 1].Partition)
            {
                throw new ArgumentException("partitions must be non-negative and strictly increasing", nameof(heads));
            }
            lines[i] = heads[i].ToLine();
        }
        return new Checkpoint(origin, heads.Count, CombinedRoot(lines), lines);
    }

    /// <summary>
    /// The partition heads of a combined checkpoint; throws <see cref="NoteException"/> unless every
    /// extension line is a partition line in increasing order and size and root match them.
    /// </summary>
    public IReadOnlyList<PartitionHead> GetPartitionHeads()
    {
        if (Extensions.Count == 0 || Size != Extensions.Count)
        {
            throw new NoteException("not a combined checkpoint: size must equal the number of partition lines");
        }
        var heads = new PartitionHead[Extensions.Count];
        for (int i = 0; i < heads.Length; i++)
        {
            if (!PartitionHead.TryParse(Extensions[i], out heads[i]) || i > 0 && heads[i].Partition <= heads[i - 1].Partition)
            {
                throw new NoteException($"combined checkpoint: bad partition line {i}");
            }
        }
        if (CombinedRoot(Extensions) != Root)
        {
            throw new NoteException("combined checkpoint: root does not match the partition lines");
        }
        return heads;
    }

    /// <summary>Leaf hash of a partition line in the combined tree (for inclusion proofs of one partition head).</summary>
    public static Hash256 CombinedLeafHash(string partitionLine) => Rfc9162.HashLeaf(Encoding.UTF8.GetBytes(partitionLine));

    private static Hash256 CombinedRoot(IReadOnlyList<string> lines)
    {
        var leaves = new Hash256[lines.Count];
        for (int i = 0; i < leaves.Length; i++)
        {
            leaves[i] = CombinedLeafHash(lines[i]);
        }
        return Rfc9162.MerkleTreeHash(leaves);
    }

    /// <summary>The note text (body), every line ending in "\n".</summary>
    public string ToNoteText()
    {
        var sb = new StringBuilder();
        sb.Append(Origin).Append('\n')
          .Append(Size.ToString(CultureInfo.InvariantCulture)).Append('\n')
          .Append(Root.ToBase64()).Append('\n');
        foreach (string e in Extensions)
        {
            sb.Append(e).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Signs the checkpoint and returns the signed note text.</summary>
    public string Sign(params NoteSigner[] signers) => SignedNote.Sign(ToNoteText(), signers);

    /// <summary>Parses a checkpoint body strictly.</summary>
    public static Checkpoint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.EndsWith('\n'))
        {
            throw new NoteException("checkpoint: text must end in a newline");
        }
        string[] lines = text[..^1].Split('\n');
        if (lines.Length < 3)
        {
            throw new NoteException("checkpoint: needs origin, size and root lines");
        }
        if (lines[0].Length == 0)
        {
            throw new NoteException("checkpoint: empty origin");
        }
        if (!TryParseCanonicalDecimal(lines[1], out long size))
        {
            throw new NoteException("checkpoint: bad tree size");
        }
        if (!Hash256.TryFromBase64(lines[2], out Hash256 root))
        {
            throw new NoteException("checkpoint: bad root hash");
        }
        string[] ext = lines[3..];
        if (ext.Any(e => e.Length == 0))
        {
            throw new NoteException("checkpoint: empty extension line");
        }
        if (!SignedNote.IsValidNoteText(text))
        {
            throw new NoteException("checkpoint: control character");
        }
        return new Checkpoint(lines[0], size, root, ext);
    }

    /// <summary>Opens a signed checkpoint note: requires a valid signature by <paramref name="verifier"/>, then parses the body.</summary>
    public static Checkpoint Open(string note, NoteVerifier verifier)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        return Parse(SignedNote.Open(note, verifier).Text);
    }

    /// <summary>Opens a signed checkpoint note and also requires <paramref name="origin"/>.</summary>
    public static Checkpoint Open(string note, NoteVerifier verifier, string origin)
    {
        Checkpoint c = Open(note, verifier);
        return c.Origin == origin ? c : throw new NoteException($"checkpoint: origin is '{c.Origin}', expected '{origin}'");
    }

    /// <summary>A canonical ASCII decimal (no sign, no leading zeros but "0", ≤ 19 digits) as C2SP formats write sizes.</summary>
    public static bool TryParseCanonicalDecimal(ReadOnlySpan<char> s, out long value)
    {
        value = 0;
        if (s.Length == 0 || s.Length > 19 || s.Length > 1 && s[0] == '0')
        {
            return false;
        }
        foreach (char c in s)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }
        return long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
