using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace TVS.Merkle;

/// <summary>
/// A witness's Ed25519 cosignature verifier key (C2SP tlog-cosignature, <c>cosignature/v1</c>),
/// text form <c>name+hex8(keyid)+base64(0x04 ‖ pubkey32)</c> (a C2SP vkey of signature type 0x04),
/// key ID = first 4 bytes (big-endian) of SHA-256(name ‖ "\n" ‖ 0x04 ‖ pubkey32); parsed and
/// written by <see cref="Ed25519VerifierKey"/>, as note verifier keys are.
/// A cosignature is one more signature line on the checkpoint note, its bytes
/// keyid4 ‖ timestamp8 (big-endian POSIX seconds) ‖ Ed25519 signature of
/// <c>"cosignature/v1\ntime {T}\n" ‖ note text</c>.
/// </summary>
public sealed class CosignatureVerifier : IEquatable<CosignatureVerifier>
{
    /// <summary>Signature type of Ed25519 cosignature/v1 in key IDs and vkeys.</summary>
    public const byte AlgCosignatureV1 = 0x04;

    /// <summary>Bytes of a cosignature line's payload: key ID, timestamp, Ed25519 signature.</summary>
    public const int SignatureLength = 4 + 8 + 64;

    private CosignatureVerifier(Ed25519VerifierKey key)
    {
        Key = key;
    }

    /// <summary>The witness name (a signed-note key name).</summary>
    public string Name => Key.Name;

    /// <summary>The 32-bit key ID.</summary>
    public uint KeyId => Key.KeyId;

    /// <summary>The raw 32-byte Ed25519 public key.</summary>
    public ReadOnlyMemory<byte> PublicKeyBytes => Key.PublicKeyBytes;

    /// <summary>The vkey text <c>name+hex8+base64(0x04‖pubkey)</c>.</summary>
    public string VerifierKey => Key.Text;

    internal Ed25519VerifierKey Key { get; }

    /// <summary>Builds a verifier from a name and a raw Ed25519 public key.</summary>
    public static CosignatureVerifier FromEd25519(string name, ReadOnlySpan<byte> publicKey)
        => new(Ed25519VerifierKey.FromPublicKey(Ed25519KeyKind.Cosignature, name, publicKey));

    /// <summary>Parses a vkey of type 0x04 strictly.</summary>
    public static CosignatureVerifier Parse(string verifierKey)
        => TryParse(verifierKey, out CosignatureVerifier? v, out string? error) ? v! : throw new NoteException(error!);

    /// <summary>Parses a vkey of type 0x04; false with a reason on any defect.</summary>
    public static bool TryParse(string? verifierKey, out CosignatureVerifier? verifier, out string? error)
    {
        bool ok = Ed25519VerifierKey.TryParse(Ed25519KeyKind.Cosignature, verifierKey, out Ed25519VerifierKey? key, out error);
        verifier = ok ? new CosignatureVerifier(key!) : null;
        return ok;
    }

    /// <summary>First 4 bytes, big-endian, of SHA-256(name ‖ "\n" ‖ 0x04 ‖ pubkey).</summary>
    public static uint ComputeKeyId(string name, ReadOnlySpan<byte> publicKey)
        => Ed25519VerifierKey.ComputeKeyId(Ed25519KeyKind.Cosignature, name, publicKey);

    /// <summary>The signed message: <c>"cosignature/v1\ntime {T}\n"</c> ‖ the note text (UTF-8).</summary>
    public static byte[] Message(string noteText, long timestamp)
    {
        ArgumentNullException.ThrowIfNull(noteText);
        ArgumentOutOfRangeException.ThrowIfNegative(timestamp);
        return Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"cosignature/v1\ntime {timestamp}\n{noteText}"));
    }

    /// <summary>True when <paramref name="line"/> names this key (name and key ID): the line is this witness's to judge.</summary>
    public bool Matches(NoteSignature line) => line.Name == Name && line.KeyHash == KeyId;

    /// <summary>
    /// Verifies a signature line as this witness's cosignature of <paramref name="noteText"/> (the
    /// checkpoint body, without signatures). False when the line is not this key's, is not 76
    /// bytes, or does not verify.
    /// </summary>
    public bool TryVerify(string noteText, NoteSignature line, out long timestamp)
    {
        ArgumentNullException.ThrowIfNull(line);
        timestamp = 0;
        if (!Matches(line))
        {
            return false;
        }
        byte[] sig = line.Bytes();
        if (sig.Length != SignatureLength)
        {
            return false;
        }
        ulong t = BinaryPrimitives.ReadUInt64BigEndian(sig.AsSpan(4));
        if (t > long.MaxValue)
        {
            return false;
        }
        if (!Key.Verify(Message(noteText, (long)t), sig.AsSpan(12)))
        {
            return false;
        }
        timestamp = (long)t;
        return true;
    }

    /// <inheritdoc/>
    public bool Equals(CosignatureVerifier? other) => other is not null && other.VerifierKey == VerifierKey;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as CosignatureVerifier);

    /// <inheritdoc/>
    public override int GetHashCode() => VerifierKey.GetHashCode(StringComparison.Ordinal);

    /// <inheritdoc/>
    public override string ToString() => VerifierKey;
}

/// <summary>
/// A witness's Ed25519 cosigning key. Secret key text: <c>PRIVATE+KEY+name+hex8(keyid)+base64(0x04 ‖ seed32)</c>
/// (the signed-note signer key form with the cosignature/v1 type byte).
/// </summary>
public sealed class CosignatureSigner : IDisposable
{
    private readonly Key _key;

    private CosignatureSigner(string name, Key key)
    {
        _key = key;
        Verifier = CosignatureVerifier.FromEd25519(name, key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    /// <summary>The witness name.</summary>
    public string Name => Verifier.Name;

    /// <summary>The matching verifier (publish its <see cref="CosignatureVerifier.VerifierKey"/>).</summary>
    public CosignatureVerifier Verifier { get; }

    /// <summary>The secret key text. Keep it secret.</summary>
    public string SignerKey
    {
        get
        {
            byte[] seed = _key.Export(KeyBlobFormat.RawPrivateKey);
            try
            {
                return Verifier.Key.SignerKeyText(seed);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(seed);
            }
        }
    }

    /// <summary>A fresh random key named <paramref name="name"/>.</summary>
    public static CosignatureSigner Generate(string name)
    {
        if (!NoteNames.IsValid(name))
        {
            throw new ArgumentException("invalid key name", nameof(name));
        }
        return new CosignatureSigner(name, Key.Create(SignatureAlgorithm.Ed25519, Exportable));
    }

    /// <summary>A key from a raw 32-byte Ed25519 seed.</summary>
    public static CosignatureSigner FromSeed(string name, ReadOnlySpan<byte> seed)
    {
        if (!NoteNames.IsValid(name))
        {
            throw new ArgumentException("invalid key name", nameof(name));
        }
        if (seed.Length != 32)
        {
            throw new ArgumentException("an Ed25519 seed is 32 bytes", nameof(seed));
        }
        return new CosignatureSigner(name, Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey, Exportable));
    }

    /// <summary>Parses a secret key text strictly.</summary>
    public static CosignatureSigner Parse(string signerKey)
    {
        ArgumentNullException.ThrowIfNull(signerKey);
        byte[] key = Ed25519VerifierKey.ParseSignerKey(Ed25519KeyKind.Cosignature, signerKey.Trim(), out string name, out uint keyId);
        try
        {
            CosignatureSigner s = FromSeed(name, key.AsSpan(1));
            if (s.Verifier.KeyId != keyId)
            {
                s.Dispose();
                throw new NoteException(Ed25519KeyKind.Cosignature.SignerKeyIdMismatch);
            }
            return s;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>
    /// Cosigns a checkpoint's note text (the body ending in "\n", no signatures) at POSIX time
    /// <paramref name="timestamp"/> (seconds, &gt; 0) and returns the signature line
    /// <c>— name base64(keyid ‖ timestamp ‖ sig)\n</c>.
    /// </summary>
    public string SignLine(string noteText, long timestamp)
    {
        ArgumentNullException.ThrowIfNull(noteText);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(timestamp);
        if (!noteText.EndsWith('\n') || !SignedNote.IsValidNoteText(noteText))
        {
            throw new NoteException("note text must be valid, without control characters, and end in a newline");
        }
        Span<byte> buf = stackalloc byte[CosignatureVerifier.SignatureLength];
        BinaryPrimitives.WriteUInt32BigEndian(buf, Verifier.KeyId);
        BinaryPrimitives.WriteUInt64BigEndian(buf[4..], (ulong)timestamp);
        SignatureAlgorithm.Ed25519.Sign(_key, CosignatureVerifier.Message(noteText, timestamp), buf[12..]);
        return $"\u2014 {Name} {Convert.ToBase64String(buf)}\n";
    }

    /// <inheritdoc/>
    public void Dispose() => _key.Dispose();

    private static KeyCreationParameters Exportable => new() { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
}

/// <summary>Which listed witnesses validly cosigned a note, and whether they reach the quorum.</summary>
/// <param name="Met">At least the quorum of distinct listed witnesses cosigned, and no listed witness's line failed.</param>
/// <param name="Cosigners">The listed witnesses whose cosignature verified (each once), with their timestamps.</param>
/// <param name="Invalid">Listed witnesses with a line that names their key but does not verify (signed-note: the note is malformed).</param>
public sealed record CosignatureCheck(bool Met, int Quorum, IReadOnlyList<(CosignatureVerifier Witness, long Timestamp)> Cosigners, IReadOnlyList<CosignatureVerifier> Invalid)
{
    /// <summary>One line for logs and errors.</summary>
    public override string ToString()
        => $"{Cosigners.Count} of quorum {Quorum} witnesses cosigned" + (Invalid.Count > 0 ? $"; invalid cosignature by {string.Join(", ", Invalid.Select(v => v.Name))}" : "");
}

/// <summary>Cosignature helpers over whole notes.</summary>
public static class Cosignatures
{
    /// <summary>
    /// Checks the cosignatures on a signed checkpoint note: counts the distinct listed witnesses
    /// whose line verifies (a witness counts once however many lines it has; signature lines by
    /// unknown keys, the log's included, are ignored, as signed-note says). A line that names a
    /// listed witness but does not verify makes the note malformed: <see cref="CosignatureCheck.Met"/>
    /// is then false. Throws <see cref="NoteException"/> on a malformed note. The log's own
    /// signature is not checked here (<see cref="Checkpoint.Open(string, NoteVerifier)"/> does).
    /// </summary>
    public static CosignatureCheck Check(string signedNote, IReadOnlyList<CosignatureVerifier> witnesses, int quorum)
    {
        ArgumentNullException.ThrowIfNull(witnesses);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(quorum);
        ParsedNote note = SignedNote.Parse(signedNote);
        var cosigners = new List<(CosignatureVerifier, long)>();
        var invalid = new List<CosignatureVerifier>();
        var counted = new HashSet<string>(StringComparer.Ordinal); // by public key: one key under two names counts once
        foreach (NoteSignature line in note.Signatures)
        {
            foreach (CosignatureVerifier w in witnesses)
            {
                if (!w.Matches(line))
                {
                    continue;
                }
                if (!w.TryVerify(note.Text, line, out long t))
                {
                    if (!invalid.Contains(w))
                    {
                        invalid.Add(w);
                    }
                }
                else if (counted.Add(Convert.ToBase64String(w.PublicKeyBytes.Span)))
                {
                    cosigners.Add((w, t));
                }
            }
        }
        return new CosignatureCheck(cosigners.Count >= quorum && invalid.Count == 0, quorum, cosigners, invalid);
    }

    /// <summary>
    /// Appends signature lines (e.g. a witness's add-checkpoint response) to a signed note,
    /// leaving out lines it already carries; the result is a well-formed note.
    /// </summary>
    public static string AddSignatureLines(string signedNote, string lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ParsedNote note = SignedNote.Parse(signedNote);
        ParsedNote extra = SignedNote.Parse(note.Text + "\n" + lines);
        var sb = new StringBuilder(signedNote);
        var present = new HashSet<NoteSignature>(note.Signatures);
        foreach (NoteSignature s in extra.Signatures)
        {
            if (present.Add(s))
            {
                sb.Append(s.ToLine());
            }
        }
        string result = sb.ToString();
        _ = SignedNote.Parse(result); // at most 100 lines
        return result;
    }
}
