using System.Security.Cryptography;
using TVS.Crypto.Ristretto;

namespace TVS.Crypto.Threshold;

/// <summary>A Chaum–Pedersen proof (c, z), encoded as c ‖ z (64 bytes, both canonical scalars).</summary>
public struct DleqProof
{
    public const int Length = 64;

    public RistrettoScalar Challenge;
    public RistrettoScalar Response;

    public readonly void Encode(Span<byte> destination)
    {
        Challenge.Encode(destination);
        Response.Encode(destination[32..]);
    }

    public readonly byte[] ToArray()
    {
        var b = new byte[Length];
        Encode(b);
        return b;
    }

    /// <summary>False for a wrong length or a non-canonical scalar (a proof with c + ℓ or z + ℓ is refused, not reduced).</summary>
    public static bool TryDecode(ReadOnlySpan<byte> encoding, out DleqProof proof)
    {
        proof = default;
        return encoding.Length == Length
            && RistrettoScalar.TryDecode(encoding[..32], out proof.Challenge)
            && RistrettoScalar.TryDecode(encoding[32..], out proof.Response);
    }
}

/// <summary>
/// Chaum–Pedersen proof that log_G(Y_i) = log_R(D_i), made non-interactive with Fiat–Shamir
/// (docs/formats.md, "Decryption share"):
/// <code>
/// prover (secret s_i): k random; A = k·G; B = k·R; c = H(…, A, B); z = k + c·s_i
/// verifier: A = z·G − c·Y_i; B = z·R − c·D_i; accept iff c = H(…, A, B)
/// H = SHA-512("TVS-v1-DLEQ-ristretto255" ‖ election id (16) ‖ G ‖ Y_i ‖ R ‖ D_i ‖ A ‖ B) reduced mod ℓ
/// </code>
/// All transcript parts have fixed lengths, so plain concatenation is unambiguous.
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
        var a = RistrettoPoint.MultiplyBase(k);
        var b = RistrettoPoint.Multiply(k, ephemeral);
        DleqProof proof;
        proof.Challenge = Challenge(electionId, publicKey, ephemeral, share, a, b);
        proof.Response = k + proof.Challenge * secret;
        return proof;
    }

    /// <summary>
    /// True iff the proof shows log_G(Y_i) = log_R(D_i). Refuses identity Y_i, R or D_i. Every
    /// input is public (published key, ballot, share, proof), so a = z·G − c·Y_i and
    /// b = z·R − c·D_i are computed with the variable-time two-term Straus multiplication,
    /// about twice as fast as four libsodium multiplications (docs/PERFORMANCE.md, "Trustees");
    /// <see cref="VerifyWithLibsodium"/> is the reference it is tested against.
    /// </summary>
    public static bool Verify(Guid electionId, in RistrettoPoint publicKey, in RistrettoPoint ephemeral, in RistrettoPoint share, in DleqProof proof)
    {
        if (publicKey.IsIdentity || ephemeral.IsIdentity || share.IsIdentity) return false;
        Span<RistrettoScalar> scalars = [proof.Response, RistrettoScalar.Negate(proof.Challenge)];
        Span<RistrettoPoint> points = [RistrettoPoint.Generator, publicKey];
        var a = RistrettoVartime.MultiScalarMultiply(scalars, points);
        points[0] = ephemeral;
        points[1] = share;
        var b = RistrettoVartime.MultiScalarMultiply(scalars, points);
        var c = Challenge(electionId, publicKey, ephemeral, share, a, b);
        return c.Equals(proof.Challenge);
    }

    /// <summary>The same check with libsodium's constant-time multiplications (the reference for tests and benchmarks).</summary>
    public static bool VerifyWithLibsodium(Guid electionId, in RistrettoPoint publicKey, in RistrettoPoint ephemeral, in RistrettoPoint share, in DleqProof proof)
    {
        if (publicKey.IsIdentity || ephemeral.IsIdentity || share.IsIdentity) return false;
        var a = RistrettoPoint.MultiplyBase(proof.Response) - RistrettoPoint.Multiply(proof.Challenge, publicKey);
        var b = RistrettoPoint.Multiply(proof.Response, ephemeral) - RistrettoPoint.Multiply(proof.Challenge, share);
        var c = Challenge(electionId, publicKey, ephemeral, share, a, b);
        return c.Equals(proof.Challenge);
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
