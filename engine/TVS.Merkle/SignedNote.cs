using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace TVS.Merkle;

/// <summary>A signed note could not be parsed or verified.</summary>
public sealed class NoteException(string message) : Exception(message);

/// <summary>One signature line of a note: name, key hash and the base64 of keyhash ‖ signature.</summary>
public sealed record NoteSignature(string Name, uint KeyHash, string Base64)
{
    /// <summary>The decoded signature bytes: key hash (4) ‖ signature.</summary>
    public byte[] Bytes() => Convert.FromBase64String(Base64);

    /// <summary>The note line <c>— name base64\n</c>.</summary>
    public string ToLine() => $"\u2014 {Name} {Base64}\n";
}

/// <summary>A note split into its text (ending in "\n") and its signature lines, none verified.</summary>
public sealed record ParsedNote(string Text, IReadOnlyList<NoteSignature> Signatures);

/// <summary>An opened note: its text (the signed body, ending in "\n") and its signatures.</summary>
public sealed record OpenedNote(string Text, IReadOnlyList<NoteSignature> Verified, IReadOnlyList<NoteSignature> Unknown);

/// <summary>
/// An Ed25519 note verifier key (C2SP signed-note; Go's golang.org/x/mod/sumdb/note), text form
/// <c>name+hex8(keyhash)+base64(0x01 ‖ pubkey32)</c>, key hash = first 4 bytes (big-endian) of
/// SHA-256(name ‖ "\n" ‖ 0x01 ‖ pubkey32). Parsed and written by <see cref="Ed25519VerifierKey"/>,
/// as witnesses' cosignature keys are.
/// </summary>
public sealed class NoteVerifier
{
    /// <summary>Signed-note algorithm identifier of Ed25519.</summary>
    public const byte AlgEd25519 = 0x01;

    private NoteVerifier(Ed25519VerifierKey key)
    {
        Key = key;
    }

    /// <summary>The key name (non-empty, no spaces, no '+').</summary>
    public string Name => Key.Name;

    /// <summary>The 32-bit key hash.</summary>
    public uint KeyHash => Key.KeyId;

    /// <summary>The raw 32-byte Ed25519 public key.</summary>
    public ReadOnlyMemory<byte> PublicKeyBytes => Key.PublicKeyBytes;

    /// <summary>The verifier key text, <c>name+hex8+base64(0x01‖pubkey)</c>.</summary>
    public string VerifierKey => Key.Text;

    internal Ed25519VerifierKey Key { get; }

    /// <summary>Builds a verifier from a name and a raw Ed25519 public key.</summary>
    public static NoteVerifier FromEd25519(string name, ReadOnlySpan<byte> publicKey)
        => new(Ed25519VerifierKey.FromPublicKey(Ed25519KeyKind.Note, name, publicKey));

    /// <summary>Parses a verifier key text strictly (as Go's note.NewVerifier).</summary>
    public static NoteVerifier Parse(string verifierKey)
        => TryParse(verifierKey, out NoteVerifier? v, out string? error) ? v! : throw new NoteException(error!);

    /// <summary>Parses a verifier key text; false with a reason on any defect.</summary>
    public static bool TryParse(string verifierKey, out NoteVerifier? verifier, out string? error)
    {
        bool ok = Ed25519VerifierKey.TryParse(Ed25519KeyKind.Note, verifierKey, out Ed25519VerifierKey? key, out error);
        verifier = ok ? new NoteVerifier(key!) : null;
        return ok;
    }

    /// <summary>Checks an Ed25519 signature of <paramref name="message"/>.</summary>
    public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) => Key.Verify(message, signature);

    /// <summary>First 4 bytes, big-endian, of SHA-256(name ‖ "\n" ‖ 0x01 ‖ pubkey).</summary>
    public static uint ComputeKeyHash(string name, ReadOnlySpan<byte> publicKey)
        => Ed25519VerifierKey.ComputeKeyId(Ed25519KeyKind.Note, name, publicKey);
}

/// <summary>
/// An Ed25519 note signer. Signer key text (secret): <c>PRIVATE+KEY+name+hex8+base64(0x01 ‖ seed32)</c>,
/// the form Go's note.GenerateKey writes. The key signs through an <see cref="IEd25519Signer"/>: in
/// memory (key text, the default) or in a hardware token (<see cref="FromSigner"/>), where it has
/// no key text.
/// </summary>
public sealed class NoteSigner : IDisposable
{
    private readonly IEd25519Signer _key;

    private NoteSigner(string name, IEd25519Signer key)
    {
        _key = key;
        Verifier = NoteVerifier.FromEd25519(name, key.PublicKey.Span);
    }

    /// <summary>The key name.</summary>
    public string Name => Verifier.Name;

    /// <summary>The 32-bit key hash.</summary>
    public uint KeyHash => Verifier.KeyHash;

    /// <summary>The matching verifier (publish its <see cref="NoteVerifier.VerifierKey"/>).</summary>
    public NoteVerifier Verifier { get; }

    /// <summary>True when the private key is in this process (it has a <see cref="SignerKey"/> text).</summary>
    public bool HasSignerKey => _key is MemoryEd25519Signer;

    /// <summary>The secret signer key text. Keep it secret. Throws for a key held in a token.</summary>
    public string SignerKey
    {
        get
        {
            if (_key is not MemoryEd25519Signer memory)
            {
                throw new InvalidOperationException($"the key {Name} is held in a token and cannot be exported");
            }
            byte[] seed = memory.ExportSeed();
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

    /// <summary>A fresh random Ed25519 key named <paramref name="name"/>.</summary>
    public static NoteSigner Generate(string name)
    {
        CheckName(name);
        return new NoteSigner(name, MemoryEd25519Signer.Generate());
    }

    /// <summary>A signer from a raw 32-byte Ed25519 seed.</summary>
    public static NoteSigner FromSeed(string name, ReadOnlySpan<byte> seed)
    {
        CheckName(name);
        if (seed.Length != 32)
        {
            throw new ArgumentException("an Ed25519 seed is 32 bytes", nameof(seed));
        }
        return new NoteSigner(name, MemoryEd25519Signer.FromSeed(seed));
    }

    /// <summary>
    /// A note signer named <paramref name="name"/> over any Ed25519 signer (e.g. a key in a PKCS#11
    /// token); the verifier key is made from its public key. The note signer owns it (disposes it).
    /// </summary>
    public static NoteSigner FromSigner(string name, IEd25519Signer signer)
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(signer);
        return new NoteSigner(name, signer);
    }

    private static void CheckName(string name)
    {
        if (!NoteNames.IsValid(name))
        {
            throw new ArgumentException("invalid key name", nameof(name));
        }
    }

    /// <summary>Parses a signer key text strictly (as Go's note.NewSigner).</summary>
    public static NoteSigner Parse(string signerKey)
    {
        ArgumentNullException.ThrowIfNull(signerKey);
        byte[] key = Ed25519VerifierKey.ParseSignerKey(Ed25519KeyKind.Note, signerKey, out string name, out uint keyHash);
        try
        {
            NoteSigner s = FromSeed(name, key.AsSpan(1));
            if (s.KeyHash != keyHash)
            {
                s.Dispose();
                throw new NoteException(Ed25519KeyKind.Note.SignerKeyIdMismatch);
            }
            return s;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>The 64-byte Ed25519 signature of <paramref name="message"/>.</summary>
    public byte[] Sign(ReadOnlySpan<byte> message) => _key.Sign(message);

    /// <inheritdoc/>
    public void Dispose() => _key.Dispose();
}

/// <summary>
/// C2SP signed notes (Go's golang.org/x/mod/sumdb/note): text ending in "\n", a blank line, then
/// one line per signature <c>— name base64(keyhash4 ‖ sig)</c> (U+2014, space).
/// </summary>
public static class SignedNote
{
    private const string SigPrefix = "\u2014 ";
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>Signs <paramref name="text"/> (must end in "\n") with every signer and returns the note.</summary>
    public static string Sign(string text, params NoteSigner[] signers)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.EndsWith('\n') || !IsValidNoteText(text))
        {
            throw new NoteException("note text must be valid, without control characters, and end in a newline");
        }
        if (signers.Length == 0)
        {
            throw new ArgumentException("at least one signer", nameof(signers));
        }
        byte[] msg = StrictUtf8.GetBytes(text);
        var sb = new StringBuilder(text).Append('\n');
        Span<byte> buf = stackalloc byte[68];
        foreach (NoteSigner s in signers)
        {
            BinaryPrimitives.WriteUInt32BigEndian(buf, s.KeyHash);
            s.Sign(msg).CopyTo(buf[4..]);
            sb.Append(SigPrefix).Append(s.Name).Append(' ').Append(Convert.ToBase64String(buf)).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Opens a note: see <see cref="Open(ReadOnlySpan{byte}, NoteVerifier[])"/>.</summary>
    public static OpenedNote Open(string note, params NoteVerifier[] known)
    {
        ArgumentNullException.ThrowIfNull(note);
        byte[] bytes;
        try
        {
            bytes = StrictUtf8.GetBytes(note);
        }
        catch (EncoderFallbackException)
        {
            throw new NoteException("malformed note");
        }
        return Open(bytes, known);
    }

    /// <summary>
    /// Splits a note into its text and its signature lines without verifying any signature, with
    /// <see cref="Open(ReadOnlySpan{byte}, NoteVerifier[])"/>'s syntax rules: valid UTF-8, no control
    /// characters but "\n", a signature block after the last blank line, every line well formed
    /// (<c>— name base64</c>, at least 5 bytes), at most 100 signatures. Lines are returned in
    /// order, duplicates included. Cosignatures (tlog-cosignature) are read from here.
    /// </summary>
    public static ParsedNote Parse(string note)
    {
        ArgumentNullException.ThrowIfNull(note);
        if (!IsWellFormedUtf16(note))
        {
            throw new NoteException("malformed note");
        }
        return ParseText(note);
    }

    /// <summary>As <see cref="Parse(string)"/>, from UTF-8 bytes.</summary>
    public static ParsedNote Parse(ReadOnlySpan<byte> note)
    {
        string msg;
        try
        {
            msg = StrictUtf8.GetString(note);
        }
        catch (DecoderFallbackException)
        {
            throw new NoteException("malformed note: invalid UTF-8");
        }
        return ParseText(msg);
    }

    private static ParsedNote ParseText(string msg)
    {
        if (!IsValidNoteText(msg))
        {
            throw new NoteException("malformed note: control character");
        }
        int split = msg.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0)
        {
            throw new NoteException("malformed note: no signature block");
        }
        string text = msg[..(split + 1)];
        string sigs = msg[(split + 2)..];
        if (sigs.Length == 0 || sigs[^1] != '\n')
        {
            throw new NoteException("malformed note: signature block");
        }
        var lines = new List<NoteSignature>();
        foreach (string line in sigs[..^1].Split('\n'))
        {
            if (!line.StartsWith(SigPrefix, StringComparison.Ordinal))
            {
                throw new NoteException("malformed note: signature line");
            }
            string rest = line[SigPrefix.Length..];
            int sp = rest.IndexOf(' ');
            string name = sp < 0 ? rest : rest[..sp];
            string b64 = sp < 0 ? "" : rest[(sp + 1)..];
            if (!NoteNames.IsValid(name) || !Base64Text.IsStrict(b64))
            {
                throw new NoteException("malformed note: signature line");
            }
            byte[] sig = Convert.FromBase64String(b64);
            if (sig.Length < 5)
            {
                throw new NoteException("malformed note: short signature");
            }
            if (lines.Count == 100)
            {
                throw new NoteException("malformed note: too many signatures");
            }
            lines.Add(new NoteSignature(name, BinaryPrimitives.ReadUInt32BigEndian(sig), b64));
        }
        return new ParsedNote(text, lines);
    }

    /// <summary>
    /// Opens a note with Go note.Open's rules: valid UTF-8, no control characters but "\n", a
    /// signature block after the last blank line, every line well formed, at most 100 signatures.
    /// A signature by a known key that fails throws; signatures by unknown keys are listed in
    /// <see cref="OpenedNote.Unknown"/>; if no known key signed, it throws.
    /// </summary>
    public static OpenedNote Open(ReadOnlySpan<byte> note, params NoteVerifier[] known)
    {
        ParsedNote parsed = Parse(note);
        byte[] textBytes = StrictUtf8.GetBytes(parsed.Text);
        var verified = new List<NoteSignature>();
        var unknown = new List<NoteSignature>();
        var seen = new HashSet<(string, uint)>();
        foreach (NoteSignature entry in parsed.Signatures)
        {
            NoteVerifier? v = Array.Find(known, k => k.Name == entry.Name && k.KeyHash == entry.KeyHash);
            if (v is null)
            {
                if (!unknown.Contains(entry))
                {
                    unknown.Add(entry);
                }
                continue;
            }
            if (!seen.Add((entry.Name, entry.KeyHash)))
            {
                continue;
            }
            if (!v.Verify(textBytes, entry.Bytes().AsSpan(4)))
            {
                throw new NoteException($"invalid signature by {entry.Name}+{entry.KeyHash:x8}");
            }
            verified.Add(entry);
        }
        if (verified.Count == 0)
        {
            throw new NoteException("note has no signature by a known key");
        }
        return new OpenedNote(parsed.Text, verified, unknown);
    }

    private static bool IsWellFormedUtf16(string s)
    {
        try
        {
            _ = StrictUtf8.GetByteCount(s);
            return true;
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }

    internal static bool IsValidNoteText(string s)
    {
        foreach (char c in s)
        {
            if (c < 0x20 && c != '\n')
            {
                return false;
            }
        }
        return true;
    }
}

internal static class NoteNames
{
    /// <summary>Non-empty, well-formed UTF-16, no Unicode white space, no '+' (Go's isValidName).</summary>
    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('+'))
        {
            return false;
        }
        for (int i = 0; i < name.Length;)
        {
            if (Rune.DecodeFromUtf16(name.AsSpan(i), out Rune r, out int n) != System.Buffers.OperationStatus.Done || Rune.IsWhiteSpace(r))
            {
                return false;
            }
            i += n;
        }
        return true;
    }
}
