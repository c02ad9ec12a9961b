using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using NSec.Cryptography;

namespace TVS.Issuer;

/// <summary>
/// The election authority's signed voter roll (docs/formats.md, "Voter roll") and the
/// eligibility tokens it hands to voters. The roll lists SHA-256 hashes of voter ids (sorted,
/// distinct), so an issuer holds no clear list; it is signed over
/// <c>"TVS v1 voter roll" ‖ election id (16) ‖ count (u32 BE) ‖ hashes (32 each)</c>.
/// A voter's token is the authority's Ed25519 signature over
/// <c>"TVS v1 eligibility" ‖ election id (16) ‖ SHA-256(voter id)</c>: a voter id alone (often
/// guessable, e.g. a national number) does not register anybody, the token delivered to the
/// voter does; the roll bounds who can get one and is auditable (its size, its hashes).
/// </summary>
public sealed class VoterRoll
{
    public static ReadOnlySpan<byte> RollTag => "TVS v1 voter roll"u8;
    public static ReadOnlySpan<byte> TokenTag => "TVS v1 eligibility"u8;

    private readonly HashSet<string> _voters;

    private VoterRoll(Guid electionId, byte[] authorityKey, List<byte[]> hashes)
    {
        ElectionId = electionId;
        AuthorityKey = authorityKey;
        _voters = hashes.Select(Convert.ToHexStringLower).ToHashSet(StringComparer.Ordinal);
    }

    public Guid ElectionId { get; }
    public byte[] AuthorityKey { get; }
    public int Count => _voters.Count;

    public static byte[] VoterHash(string voterId) => SHA256.HashData(Encoding.UTF8.GetBytes(voterId));

    public bool Contains(ReadOnlySpan<byte> voterHash) => _voters.Contains(Convert.ToHexStringLower(voterHash));

    /// <summary>Whether <paramref name="token"/> is the authority's eligibility signature for this voter hash.</summary>
    public bool VerifyToken(ReadOnlySpan<byte> voterHash, ReadOnlySpan<byte> token)
    {
        var pk = PublicKey.Import(SignatureAlgorithm.Ed25519, AuthorityKey, KeyBlobFormat.RawPublicKey);
        return token.Length == 64 && SignatureAlgorithm.Ed25519.Verify(pk, TokenBytes(ElectionId, voterHash), token);
    }

    public static byte[] TokenBytes(Guid electionId, ReadOnlySpan<byte> voterHash)
    {
        var b = new byte[TokenTag.Length + 16 + 32];
        TokenTag.CopyTo(b);
        electionId.TryWriteBytes(b.AsSpan(TokenTag.Length, 16), bigEndian: true, out _);
        voterHash.CopyTo(b.AsSpan(TokenTag.Length + 16));
        return b;
    }

    public static byte[] RollBytes(Guid electionId, IReadOnlyList<byte[]> sortedHashes)
    {
        var b = new byte[RollTag.Length + 16 + 4 + 32 * sortedHashes.Count];
        RollTag.CopyTo(b);
        electionId.TryWriteBytes(b.AsSpan(RollTag.Length, 16), bigEndian: true, out _);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(RollTag.Length + 16), (uint)sortedHashes.Count);
        for (int i = 0; i < sortedHashes.Count; i++) sortedHashes[i].CopyTo(b, RollTag.Length + 20 + 32 * i);
        return b;
    }

    /// <summary>Writes a signed roll for <paramref name="voterIds"/> (the authority's tool; <c>tvs issuer roll</c>).</summary>
    public static string Create(Guid electionId, Key authority, IEnumerable<string> voterIds)
    {
        var hashes = voterIds.Select(VoterHash).DistinctBy(Convert.ToHexString).OrderBy(h => h, ByteOrder.Instance).ToList();
        var sig = SignatureAlgorithm.Ed25519.Sign(authority, RollBytes(electionId, hashes));
        return new JsonObject
        {
            ["version"] = 1,
            ["electionId"] = electionId.ToString("D"),
            ["authorityKey"] = Convert.ToHexStringLower(authority.PublicKey.Export(KeyBlobFormat.RawPublicKey)),
            ["voters"] = new JsonArray(hashes.Select(h => (JsonNode)Convert.ToHexStringLower(h)).ToArray()),
            ["signature"] = Convert.ToHexStringLower(sig),
        }.ToJsonString() + "\n";
    }

    /// <summary>The eligibility token for one voter (the authority's tool; <c>tvs issuer token</c>).</summary>
    public static byte[] CreateToken(Guid electionId, Key authority, string voterId)
        => SignatureAlgorithm.Ed25519.Sign(authority, TokenBytes(electionId, VoterHash(voterId)));

    /// <summary>
    /// Reads and verifies a roll against the authority key the issuer was configured with (the
    /// roll's own key field must match it: a roll is only as good as the key that signed it).
    /// </summary>
    public static VoterRoll Load(string json, ReadOnlySpan<byte> expectedAuthorityKey, Guid electionId)
    {
        var o = JsonNode.Parse(json, documentOptions: new System.Text.Json.JsonDocumentOptions { AllowDuplicateProperties = false }) as JsonObject
            ?? throw new FormatException("voter roll: not a JSON object");
        if ((int?)o["version"] != 1) throw new FormatException("voter roll: unknown version");
        if ((string?)o["electionId"] != electionId.ToString("D")) throw new FormatException("voter roll: another election");
        var key = Convert.FromHexString((string?)o["authorityKey"] ?? "");
        if (!key.AsSpan().SequenceEqual(expectedAuthorityKey)) throw new FormatException("voter roll: not signed by the configured authority key");
        var hashes = ((JsonArray?)o["voters"] ?? throw new FormatException("voter roll: no voters"))
            .Select(v => Convert.FromHexString((string?)v ?? "")).ToList();
        for (int i = 0; i < hashes.Count; i++)
        {
            if (hashes[i].Length != 32) throw new FormatException($"voter roll: entry {i} is not a 32-byte hash");
            if (i > 0 && ByteOrder.Instance.Compare(hashes[i - 1], hashes[i]) >= 0) throw new FormatException("voter roll: entries must be sorted and distinct");
        }
        var sig = Convert.FromHexString((string?)o["signature"] ?? "");
        var pk = PublicKey.Import(SignatureAlgorithm.Ed25519, key, KeyBlobFormat.RawPublicKey);
        if (sig.Length != 64 || !SignatureAlgorithm.Ed25519.Verify(pk, RollBytes(electionId, hashes), sig)) throw new FormatException("voter roll: bad signature");
        return new VoterRoll(electionId, key, hashes);
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();
        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}

/// <summary>A registration's eligibility decision (pluggable: docs/design.md leaves the real check out of scope).</summary>
public interface IEligibilityCheck
{
    /// <summary>The voter's stable key for one-registration-per-voter (e.g. SHA-256 of the voter id), or null when not eligible.</summary>
    byte[]? Check(Guid electionId, string voterId, string token);
}

/// <summary>The built-in check: the voter is on the signed roll and the token is the authority's signature for them.</summary>
public sealed class SignedRollEligibility(VoterRoll roll) : IEligibilityCheck
{
    public byte[]? Check(Guid electionId, string voterId, string token)
    {
        if (electionId != roll.ElectionId || string.IsNullOrEmpty(voterId) || token.Length != 128) return null;
        byte[] sig;
        try
        {
            sig = Convert.FromHexString(token);
        }
        catch (FormatException)
        {
            return null;
        }
        var hash = VoterRoll.VoterHash(voterId);
        return roll.Contains(hash) && roll.VerifyToken(hash, sig) ? hash : null;
    }
}
