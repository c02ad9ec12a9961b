using NSec.Cryptography;

namespace TVS.Engine.Election;

/// <summary>
/// An election's credential issuers as published in election.json: n Ed25519 public keys, issuer
/// i (1-based) holding keys[i − 1], and the threshold t of distinct issuers a root needs.
/// </summary>
public sealed class IssuerSet
{
    private readonly PublicKey[] _keys;

    public IssuerSet(IReadOnlyList<byte[]> publicKeys, int threshold)
    {
        ArgumentNullException.ThrowIfNull(publicKeys);
        if (publicKeys.Count is < 1 or > 255) throw new ArgumentException("1 to 255 issuers", nameof(publicKeys));
        // t > n/2 is not required by the signature check itself, but two disjoint issuer majorities
        // could then endorse two different registries; t ≥ 1 is the bare minimum.
        if (threshold < 1 || threshold > publicKeys.Count) throw new ArgumentOutOfRangeException(nameof(threshold), $"threshold must be 1..{publicKeys.Count}");
        _keys = new PublicKey[publicKeys.Count];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < publicKeys.Count; i++)
        {
            if (!PublicKey.TryImport(SignatureAlgorithm.Ed25519, publicKeys[i], KeyBlobFormat.RawPublicKey, out var pk) || pk is null)
                throw new ArgumentException($"issuer {i + 1}: not an Ed25519 public key", nameof(publicKeys));
            // One key under two indices would let one issuer count twice.
            if (!seen.Add(Convert.ToHexString(publicKeys[i]))) throw new ArgumentException($"issuer {i + 1}: the same key as another issuer", nameof(publicKeys));
            _keys[i] = pk;
        }
        PublicKeys = publicKeys.Select(k => k.ToArray()).ToArray();
        Threshold = threshold;
    }

    public int Count => _keys.Length;
    public int Threshold { get; }
    public IReadOnlyList<byte[]> PublicKeys { get; }

    /// <summary>Whether <paramref name="issuer"/> (1-based) signed <paramref name="signedBytes"/>; false for an unknown index.</summary>
    public bool Verify(int issuer, ReadOnlySpan<byte> signedBytes, ReadOnlySpan<byte> signature)
        => issuer >= 1 && issuer <= _keys.Length && signature.Length == SignatureAlgorithm.Ed25519.SignatureSize
           && SignatureAlgorithm.Ed25519.Verify(_keys[issuer - 1], signedBytes, signature);
}
