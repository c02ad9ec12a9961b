using System.Buffers.Binary;
using System.Security.Cryptography;
using TVS.Crypto.Hpke;
using TVS.Crypto.Ristretto;

namespace TVS.Crypto.Threshold;

/// <summary>Why a ballot did not decrypt.</summary>
public enum BallotError
{
    None = 0,
    /// <summary>Too short, too long, or a version this code does not know.</summary>
    Malformed,
    /// <summary>R is not a canonical encoding of a non-identity element.</summary>
    BadEphemeral,
    /// <summary>The AES-256-GCM tag does not verify: wrong key, wrong election, or tampered bytes.</summary>
    AuthenticationFailed,
    /// <summary>The plaintext is not a well-formed selections list.</summary>
    BadSelections,
}

/// <summary>
/// Ballot encryption: threshold ElGamal KEM on ristretto255 + HKDF-SHA256 + AES-256-GCM
/// (docs/formats.md, "Encrypted ballot"). Byte layout, version 1:
/// <code>
/// 0x01 ‖ R (32) ‖ AES-256-GCM(selections) ‖ tag (16)
/// selections = count (u16 BE) ‖ count × choice (u16 BE)
/// R = r·G, K = r·Y (= s·R for the election secret s)
/// prk = HKDF-Extract(salt = "TVS v1 ballot KEM", IKM = R ‖ K)
/// key ‖ nonce = HKDF-Expand(prk, info = Y ‖ election id (16, UUID big-endian), 44)
/// aad = 0x01 ‖ election id (16)
/// </code>
/// Each key encrypts one message (r is fresh per ballot), so the derived nonce is never reused.
/// </summary>
public static class BallotCipher
{
    public const byte Version = 1;

    /// <summary>The engine's cap on a ballot (VoteRecord.MaxBallot = 65,535 − 347: a whole vote record fits one tlog-tiles entry).</summary>
    public const int MaxBallotBytes = 65_188;

    public const int HeaderLength = 1 + RistrettoPoint.Length;
    public const int TagLength = 16;
    public const int Overhead = HeaderLength + TagLength;

    /// <summary>The most contests one ballot can carry within <see cref="MaxBallotBytes"/>.</summary>
    public const int MaxContests = (MaxBallotBytes - Overhead - 2) / 2;

    private const int KeyLength = 32, NonceLength = 12, AadLength = 17;

    public static ReadOnlySpan<byte> KemSalt => "TVS v1 ballot KEM"u8;

    public static int BallotLength(int contests) => Overhead + SelectionsLength(contests);

    public static int SelectionsLength(int contests) => 2 + 2 * contests;

    /// <summary>Encrypts one choice per contest to the election key Y (fresh r from the CSPRNG).</summary>
    public static byte[] Encrypt(in RistrettoPoint electionKey, Guid electionId, ReadOnlySpan<ushort> selections)
    {
        var r = RistrettoScalar.Random();
        try
        {
            return Encrypt(electionKey, electionId, selections, r);
        }
        finally
        {
            r.Clear();
        }
    }

    /// <summary>Deterministic form for fixtures and tests: the caller supplies r (never reuse one).</summary>
    public static byte[] Encrypt(in RistrettoPoint electionKey, Guid electionId, ReadOnlySpan<ushort> selections, in RistrettoScalar r)
    {
        if (electionKey.IsIdentity) throw new ArgumentException("the election key must not be the identity", nameof(electionKey));
        if (r.IsZero) throw new ArgumentException("r must be nonzero", nameof(r));
        if (selections.Length > MaxContests) throw new ArgumentException($"at most {MaxContests} contests", nameof(selections));
        var ballot = new byte[BallotLength(selections.Length)];
        ballot[0] = Version;
        var R = RistrettoPoint.MultiplyBase(r);
        var K = RistrettoPoint.Multiply(r, electionKey);
        R.Encode(ballot.AsSpan(1));

        int plainLength = SelectionsLength(selections.Length);
        Span<byte> plain = plainLength <= 1024 ? stackalloc byte[plainLength] : new byte[plainLength];
        BinaryPrimitives.WriteUInt16BigEndian(plain, (ushort)selections.Length);
        for (int i = 0; i < selections.Length; i++) BinaryPrimitives.WriteUInt16BigEndian(plain[(2 + 2 * i)..], selections[i]);

        Span<byte> okm = stackalloc byte[KeyLength + NonceLength];
        Span<byte> aad = stackalloc byte[AadLength];
        DeriveKey(R, K, electionKey, electionId, okm);
        WriteAad(electionId, aad);
        Aead.Seal(HpkeAead.Aes256Gcm, okm[..KeyLength], okm[KeyLength..], aad, plain, ballot.AsSpan(HeaderLength));
        CryptographicOperations.ZeroMemory(okm);
        CryptographicOperations.ZeroMemory(plain);
        return ballot;
    }

    /// <summary>Reads R from a ballot: what each trustee multiplies by its share. False when the
    /// ballot is malformed or R is not a canonical non-identity element.</summary>
    public static BallotError TryReadEphemeral(ReadOnlySpan<byte> ballot, out RistrettoPoint ephemeral)
    {
        ephemeral = default;
        if (ballot.Length < Overhead + 2 || ballot.Length > MaxBallotBytes || ballot[0] != Version || (ballot.Length - Overhead) % 2 != 0)
            return BallotError.Malformed;
        return RistrettoPoint.TryDecodeNonIdentity(ballot.Slice(1, RistrettoPoint.Length), out ephemeral) ? BallotError.None : BallotError.BadEphemeral;
    }

    /// <summary>
    /// Decrypts with the combined D = s·R (Lagrange combination of the trustees' shares), writing
    /// the selections into <paramref name="selections"/> (at least <see cref="ContestCount"/> long).
    /// No allocation for ballots up to 1 KiB of selections.
    /// </summary>
    public static BallotError Decrypt(ReadOnlySpan<byte> ballot, Guid electionId, in RistrettoPoint electionKey, in RistrettoPoint combined, Span<ushort> selections, out int contests)
    {
        contests = 0;
        var e = TryReadEphemeral(ballot, out var R);
        if (e != BallotError.None) return e;
        int plainLength = ballot.Length - Overhead;
        Span<byte> okm = stackalloc byte[KeyLength + NonceLength];
        Span<byte> aad = stackalloc byte[AadLength];
        Span<byte> plain = plainLength <= 1024 ? stackalloc byte[plainLength] : new byte[plainLength];
        DeriveKey(R, combined, electionKey, electionId, okm);
        WriteAad(electionId, aad);
        bool ok = Aead.Open(HpkeAead.Aes256Gcm, okm[..KeyLength], okm[KeyLength..], aad, ballot[HeaderLength..], plain);
        CryptographicOperations.ZeroMemory(okm);
        if (!ok) return BallotError.AuthenticationFailed;
        int count = BinaryPrimitives.ReadUInt16BigEndian(plain);
        if (SelectionsLength(count) != plainLength) return BallotError.BadSelections;
        if (selections.Length < count) throw new ArgumentException($"the ballot has {count} contests", nameof(selections));
        for (int i = 0; i < count; i++) selections[i] = BinaryPrimitives.ReadUInt16BigEndian(plain[(2 + 2 * i)..]);
        CryptographicOperations.ZeroMemory(plain);
        contests = count;
        return BallotError.None;
    }

    /// <summary>The number of contests a well-formed ballot of this length carries.</summary>
    public static int ContestCount(ReadOnlySpan<byte> ballot) => Math.Max(0, (ballot.Length - Overhead - 2) / 2);

    /// <summary>Decryption with the whole election secret s (tests, and the single-key demo).</summary>
    public static BallotError DecryptWithSecret(ReadOnlySpan<byte> ballot, Guid electionId, in RistrettoScalar secret, Span<ushort> selections, out int contests)
    {
        contests = 0;
        var e = TryReadEphemeral(ballot, out var R);
        if (e != BallotError.None) return e;
        var Y = RistrettoPoint.MultiplyBase(secret);
        var D = RistrettoPoint.Multiply(secret, R);
        return Decrypt(ballot, electionId, Y, D, selections, out contests);
    }

    internal static void DeriveKey(in RistrettoPoint R, in RistrettoPoint K, in RistrettoPoint Y, Guid electionId, Span<byte> okm)
    {
        Span<byte> ikm = stackalloc byte[2 * RistrettoPoint.Length];
        Span<byte> prk = stackalloc byte[32];
        Span<byte> info = stackalloc byte[RistrettoPoint.Length + 16];
        R.Encode(ikm);
        K.Encode(ikm[RistrettoPoint.Length..]);
        Y.Encode(info);
        WriteGuid(electionId, info[RistrettoPoint.Length..]);
        HKDF.Extract(HashAlgorithmName.SHA256, ikm, KemSalt, prk);
        HKDF.Expand(HashAlgorithmName.SHA256, prk, okm, info);
        CryptographicOperations.ZeroMemory(ikm);
        CryptographicOperations.ZeroMemory(prk);
    }

    private static void WriteAad(Guid electionId, Span<byte> aad)
    {
        aad[0] = Version;
        WriteGuid(electionId, aad[1..]);
    }

    internal static void WriteGuid(Guid id, Span<byte> destination)
    {
        if (!id.TryWriteBytes(destination, bigEndian: true, out _)) throw new ArgumentException("16 bytes needed", nameof(destination));
    }
}
