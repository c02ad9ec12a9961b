using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace TVS.Merkle;

/// <summary>
/// What an Ed25519 key of the C2SP signed-note family signs, told by the signature type byte in
/// its key ID and in its key texts: 0x01 signed notes (<see cref="NoteVerifier"/>,
/// <see cref="NoteSigner"/>), 0x04 witness cosignatures, cosignature/v1
/// (<see cref="CosignatureVerifier"/>, <see cref="CosignatureSigner"/>). A key text of one kind
/// never parses as the other, and the error says so. The messages are the ones each verifier has
/// always given.
/// </summary>
internal sealed record Ed25519KeyKind(
    byte Algorithm,
    string MalformedVerifierKey,
    string WrongAlgorithmVerifierKey,
    string VerifierKeyIdMismatch,
    string MalformedSignerKey,
    string WrongAlgorithmSignerKey,
    string SignerKeyIdMismatch)
{
    /// <summary>Signed-note Ed25519 keys (type 0x01): checkpoints, close statements, issuers.</summary>
    public static readonly Ed25519KeyKind Note = new(
        Algorithm: NoteVerifier.AlgEd25519,
        MalformedVerifierKey: "malformed verifier key",
        WrongAlgorithmVerifierKey: "unknown verifier algorithm",
        VerifierKeyIdMismatch: "verifier key hash does not match the key",
        MalformedSignerKey: "malformed signer key",
        WrongAlgorithmSignerKey: "malformed signer key",
        SignerKeyIdMismatch: "signer key hash does not match the key");

    /// <summary>Witness cosigning keys, cosignature/v1 (type 0x04).</summary>
    public static readonly Ed25519KeyKind Cosignature = new(
        Algorithm: CosignatureVerifier.AlgCosignatureV1,
        MalformedVerifierKey: "malformed cosigner verifier key",
        WrongAlgorithmVerifierKey: "not a cosignature/v1 (Ed25519, type 0x04) verifier key",
        VerifierKeyIdMismatch: "cosigner key ID does not match the key",
        MalformedSignerKey: "malformed cosigner key",
        WrongAlgorithmSignerKey: "not a cosignature/v1 (type 0x04) key",
        SignerKeyIdMismatch: "cosigner key ID does not match the key");
}

/// <summary>
/// An Ed25519 verifier key of the signed-note family (C2SP signed-note, tlog-cosignature; Go's
/// golang.org/x/mod/sumdb/note), parameterised by its <see cref="Ed25519KeyKind"/>: text form
/// <c>name+hex8(keyid)+base64(alg ‖ pubkey32)</c>, key ID = first 4 bytes (big-endian) of
/// SHA-256(name ‖ "\n" ‖ alg ‖ pubkey32). The one parser and writer of these texts, behind
/// <see cref="NoteVerifier"/> and <see cref="CosignatureVerifier"/>.
/// </summary>
internal sealed class Ed25519VerifierKey
{
    private Ed25519VerifierKey(Ed25519KeyKind kind, string name, uint keyId, PublicKey key, byte[] publicKey)
    {
        Kind = kind;
        Name = name;
        KeyId = keyId;
        Key = key;
        PublicKeyBytes = publicKey;
        Text = $"{name}+{keyId:x8}+{Convert.ToBase64String([kind.Algorithm, .. publicKey])}";
    }

    /// <summary>What the key signs (its type byte).</summary>
    public Ed25519KeyKind Kind { get; }

    /// <summary>The key name (non-empty, no white space, no '+').</summary>
    public string Name { get; }

    /// <summary>The 32-bit key ID (signed-note calls it the key hash).</summary>
    public uint KeyId { get; }

    /// <summary>The imported public key, for verification.</summary>
    public PublicKey Key { get; }

    /// <summary>The raw 32-byte Ed25519 public key.</summary>
    public ReadOnlyMemory<byte> PublicKeyBytes { get; }

    /// <summary>The verifier key text <c>name+hex8+base64(alg‖pubkey)</c>.</summary>
    public string Text { get; }

    /// <summary>Builds a verifier key from a name and a raw Ed25519 public key; throws <see cref="ArgumentException"/> on either.</summary>
    public static Ed25519VerifierKey FromPublicKey(Ed25519KeyKind kind, string name, ReadOnlySpan<byte> publicKey)
    {
        if (!NoteNames.IsValid(name))
        {
            throw new ArgumentException("invalid key name", nameof(name));
        }
        if (publicKey.Length != 32 || !PublicKey.TryImport(SignatureAlgorithm.Ed25519, publicKey, KeyBlobFormat.RawPublicKey, out PublicKey? key))
        {
            throw new ArgumentException("not an Ed25519 public key", nameof(publicKey));
        }
        return new Ed25519VerifierKey(kind, name, ComputeKeyId(kind, name, publicKey), key!, publicKey.ToArray());
    }

    /// <summary>Parses a verifier key text of <paramref name="kind"/> strictly (as Go's note.NewVerifier); false with the kind's reason on any defect.</summary>
    public static bool TryParse(Ed25519KeyKind kind, string? text, out Ed25519VerifierKey? verifierKey, out string? error)
    {
        verifierKey = null;
        error = kind.MalformedVerifierKey;
        if (text is null)
        {
            return false;
        }
        string[] parts = text.Split('+', 3); // the base64 key may itself contain '+'
        if (parts.Length != 3 || !NoteNames.IsValid(parts[0]) || !IsHex8(parts[1]) || !Base64Text.IsStrict(parts[2]))
        {
            return false;
        }
        byte[] key = Convert.FromBase64String(parts[2]); // strict base64 is never empty and always decodes
        if (key[0] != kind.Algorithm)
        {
            error = kind.WrongAlgorithmVerifierKey;
            return false;
        }
        if (key.Length != 33)
        {
            return false;
        }
        uint id = uint.Parse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        if (id != ComputeKeyId(kind, parts[0], key.AsSpan(1)))
        {
            error = kind.VerifierKeyIdMismatch;
            return false;
        }
        if (!PublicKey.TryImport(SignatureAlgorithm.Ed25519, key.AsSpan(1), KeyBlobFormat.RawPublicKey, out PublicKey? pk))
        {
            error = "invalid Ed25519 public key";
            return false;
        }
        verifierKey = new Ed25519VerifierKey(kind, parts[0], id, pk!, key[1..]);
        error = null;
        return true;
    }

    /// <summary>First 4 bytes, big-endian, of SHA-256(name ‖ "\n" ‖ alg ‖ pubkey).</summary>
    public static uint ComputeKeyId(Ed25519KeyKind kind, string name, ReadOnlySpan<byte> publicKey)
    {
        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
        byte[] buf = new byte[nameBytes.Length + 2 + publicKey.Length];
        nameBytes.CopyTo(buf, 0);
        buf[nameBytes.Length] = (byte)'\n';
        buf[nameBytes.Length + 1] = kind.Algorithm;
        publicKey.CopyTo(buf.AsSpan(nameBytes.Length + 2));
        return BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(buf));
    }

    /// <summary>Checks a 64-byte Ed25519 signature of <paramref name="message"/> by this key.</summary>
    public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
        => signature.Length == 64 && SignatureAlgorithm.Ed25519.Verify(Key, message, signature);

    /// <summary>The secret signer key text <c>PRIVATE+KEY+name+hex8+base64(alg ‖ seed32)</c> of the seed behind this key (Go's note.GenerateKey form).</summary>
    public string SignerKeyText(ReadOnlySpan<byte> seed)
        => $"PRIVATE+KEY+{Name}+{KeyId:x8}+{Convert.ToBase64String([Kind.Algorithm, .. seed])}";

    /// <summary>
    /// Splits a signer key text of <paramref name="kind"/> into name, key ID and the 33 bytes
    /// alg ‖ seed32 (the caller zeroes them after use, and checks the key ID against the key it
    /// makes, see <see cref="Ed25519KeyKind.SignerKeyIdMismatch"/>). Throws <see cref="NoteException"/>
    /// with the kind's reason.
    /// </summary>
    public static byte[] ParseSignerKey(Ed25519KeyKind kind, string signerKey, out string name, out uint keyId)
    {
        string[] parts = signerKey.Split('+', 5);
        if (parts.Length != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" || !NoteNames.IsValid(parts[2])
            || !IsHex8(parts[3]) || !Base64Text.IsStrict(parts[4]))
        {
            throw new NoteException(kind.MalformedSignerKey);
        }
        byte[] key = Convert.FromBase64String(parts[4]);
        if (key.Length != 33 || key[0] != kind.Algorithm)
        {
            CryptographicOperations.ZeroMemory(key);
            throw new NoteException(kind.WrongAlgorithmSignerKey);
        }
        name = parts[2];
        keyId = uint.Parse(parts[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return key;
    }

    private static bool IsHex8(string s) => s.Length == 8 && s.All(Uri.IsHexDigit);
}
