using System.Security.Cryptography;
using TVS.Crypto.Ristretto;

namespace TVS.Crypto.Threshold;

/// <summary>
/// A Chaum–Pedersen proof in commitment form (A, B, z), encoded as A ‖ B ‖ z (96 bytes: two
/// canonical points, a canonical scalar). The challenge c = H(…, A, B) is recomputed by the
/// verifier. Carrying A and B instead of c is what lets many proofs be checked at once by a random
/// linear combination (<see cref="DleqBatch"/>): with (c, z) only, every verifier must recompute
/// A and B one proof at a time to hash them.
/// </summary>
public struct DleqProof
{
    public const int Length = 2 * RistrettoPoint.Length + RistrettoScalar.Length;

    /// <summary>A = k·G.</summary>
    public RistrettoPoint CommitmentG;

    /// <summary>B = k·R.</summary>
    public RistrettoPoint CommitmentR;

    /// <summary>z = k + c·s_i.</summary>
    public RistrettoScalar Response;

    public readonly void Encode(Span<byte> destination)
    {
        CommitmentG.Encode(destination);
        CommitmentR.Encode(destination[RistrettoPoint.Length..]);
        Response.Encode(destination[(2 * RistrettoPoint.Length)..]);
    }

    public readonly byte[] ToArray()
    {
        var b = new byte[Length];
        Encode(b);
        return b;
    }

    /// <summary>False for a wrong length, a point encoding that is not canonical or of no element, or a non-canonical z (z + ℓ is refused, not reduced).</summary>
    public static bool TryDecode(ReadOnlySpan<byte> encoding, out DleqProof proof)
    {
        proof = default;
        return encoding.Length == Length
            && RistrettoPoint.TryDecode(encoding[..RistrettoPoint.Length], out proof.CommitmentG)
            && RistrettoPoint.TryDecode(encoding.Slice(RistrettoPoint.Length, RistrettoPoint.Length), out proof.CommitmentR)
            && RistrettoScalar.TryDecode(encoding[(2 * RistrettoPoint.Length)..], out proof.Response);
    }
}

/// <summary>
/// Chaum–Pedersen proof that log_G(Y_i) = log_R(D_i), made non-interactive with Fiat–Shamir
/// (docs/formats.md, "Decryption share"):
/// <code>
/// prover (secret s_i): k random; A = k·G; B = k·R; c = H(…, A, B); z = k + c·s_i; proof (A, B, z)
/// verifier: c = H(…, A, B); accept iff z·G = A + c·Y_i and z·R = B + c·D_i
/// H = SHA-512("TVS-v1-DLEQ-ristretto255" ‖ election id (16) ‖ G ‖ Y_i ‖ R ‖ D_i ‖ A ‖ B) reduced mod ℓ
/// </code>
/// All transcript parts have fixed lengths, so plain concatenation is unambiguous. The
/// transcript is the one the earlier (c, z) form hashed: only what the proof carries changed.
/// </summary>
public static class Dleq
{
    public static ReadOnlySpan<byte> Domain => "TVS-v1-DLEQ-ristretto255"u8;

    public const int TranscriptLength = 24 + 16 + 6 * RistrettoPoint.Length;

    public static DleqProof Prove(Guid electionId, in RistrettoScalar secret, in RistrettoPoint publicKey, in RistrettoPoint ephemeral, in RistrettoPoint share)
    {
        var k = RistrettoScalar.Random();
        try
        {
            return Prove(electionId, secret, publicKey, ephemeral, share, k);
        }
        finally
        {
            k.Clear();
        }
    }

    /// <summary>With a caller-chosen nonce k (fixtures and tests only: a repeated k reveals the secret).</summary>
    public static DleqProof Prove(Guid electionId, in RistrettoScalar secret, in RistrettoPoint publicKey, in RistrettoPoint ephemeral, in RistrettoPoint share, in RistrettoScalar k)
    {
        DleqProof proof;
        proof.CommitmentG = RistrettoPoint.MultiplyBase(k);
        proof.CommitmentR = RistrettoPoint.Multiply(k, ephemeral);
        var c = Challenge(electionId, publicKey, ephemeral, share, proof.CommitmentG, proof.CommitmentR);
        proof.Response = k + c * secret;
        return proof;
    }

    /// <summary>
    /// True iff the proof shows log_G(Y_i) = log_R(D_i). Refuses identity Y_i, R or D_i. Every
    /// input is public (published key, ballot, share, proof), so z·G − c·Y_i and z·R − c·D_i are
    /// computed with the variable-time two-term Straus multiplication; <see cref="VerifyWithLibsodium"/>
    /// is the reference it is tested against, and <see cref="DleqBatch"/> gives the same verdicts
    /// for many proofs at a fraction of the cost.
    /// </summary>
    public static bool Verify(Guid electionId, in RistrettoPoint publicKey, in RistrettoPoint ephemeral, in RistrettoPoint share, in DleqProof proof)
    {
        if (publicKey.IsIdentity || ephemeral.IsIdentity || share.IsIdentity) return false;
        var c = Challenge(electionId, publicKey, ephemeral, share, proof.CommitmentG, proof.CommitmentR);
        Span<RistrettoScalar> scalars = [proof.Response, RistrettoScalar.Negate(c)];
        Span<RistrettoPoint> points = [RistrettoPoint.Generator, publicKey];
        if (RistrettoVartime.MultiScalarMultiply(scalars, points) != proof.CommitmentG) return false;
        points[0] = ephemeral;
        points[1] = share;
        return RistrettoVartime.MultiScalarMultiply(scalars, points) == proof.CommitmentR;
    }

    /// <summary>The same check with libsodium's constant-time multiplications (the reference for tests and benchmarks).</summary>
    public static bool VerifyWithLibsodium(Guid electionId, in RistrettoPoint publicKey, in RistrettoPoint ephemeral, in RistrettoPoint share, in DleqProof proof)
    {
        if (publicKey.IsIdentity || ephemeral.IsIdentity || share.IsIdentity) return false;
        var c = Challenge(electionId, publicKey, ephemeral, share, proof.CommitmentG, proof.CommitmentR);
        return RistrettoPoint.MultiplyBase(proof.Response) == proof.CommitmentG + RistrettoPoint.Multiply(c, publicKey)
            && RistrettoPoint.Multiply(proof.Response, ephemeral) == proof.CommitmentR + RistrettoPoint.Multiply(c, share);
    }

    public static RistrettoScalar Challenge(Guid electionId, in RistrettoPoint publicKey, in RistrettoPoint ephemeral, in RistrettoPoint share, in RistrettoPoint a, in RistrettoPoint b)
    {
        Span<byte> t = stackalloc byte[TranscriptLength];
        WriteTranscript(electionId, publicKey, ephemeral, share, a, b, t);
        Span<byte> h = stackalloc byte[64];
        SHA512.HashData(t, h);
        return RistrettoScalar.ReduceWide(h);
    }

    internal static void WriteTranscript(Guid electionId, in RistrettoPoint publicKey, in RistrettoPoint ephemeral, in RistrettoPoint share, in RistrettoPoint a, in RistrettoPoint b, Span<byte> t)
    {
        Domain.CopyTo(t);
        int o = Domain.Length;
        BallotCipher.WriteGuid(electionId, t[o..]);
        o += 16;
        RistrettoPoint.Generator.Encode(t[o..]); o += 32;
        publicKey.Encode(t[o..]); o += 32;
        ephemeral.Encode(t[o..]); o += 32;
        share.Encode(t[o..]); o += 32;
        a.Encode(t[o..]); o += 32;
        b.Encode(t[o..]);
    }
}
