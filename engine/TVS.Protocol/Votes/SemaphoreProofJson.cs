using System.Text.Json;
using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;

namespace TVS.Engine.Votes;

/// <summary>
/// Reads the object @semaphore-protocol/proof 4.x's <c>generateProof</c> returns, as
/// <c>JSON.stringify</c> writes it (docs/formats.md, "Semaphore proof object"):
/// <c>{ merkleTreeDepth, merkleTreeRoot, nullifier, message, scope, points }</c>, and derives
/// what its <c>verifyProof</c> hands snarkjs: the proof unpacked from <c>points</c> and the public
/// signals [merkleTreeRoot, nullifier, hash(message), hash(scope)] (<see cref="SemaphoreSignals"/>).
/// As strict as the snarkjs reader: every number a canonical decimal string (generateProof writes
/// <c>message</c> and <c>scope</c> as the decimal of a bigint &lt; 2²⁵⁶ whatever the caller passed;
/// verifyProof would also take 0x hex or leading zeros, TVS does not), root and nullifier below r,
/// points canonical, on their curves, B in the subgroup. Never throws on bad input.
/// </summary>
public static class SemaphoreProofJson
{
    /// <summary>The tree depths Semaphore v4 has circuits for (MIN_DEPTH, MAX_DEPTH of @semaphore-protocol/utils).</summary>
    public const int MinDepth = 1, MaxDepth = 32;

    /// <summary>
    /// Reads a proof object into <paramref name="proof"/> and its four public signals into
    /// <paramref name="signals"/> (≥ <see cref="SemaphoreSignals.Count"/> elements).
    /// <c>merkleTreeDepth</c> is checked for range only: the verification key is the caller's.
    /// </summary>
    public static VerifyError TryRead(ReadOnlySpan<byte> utf8, out Proof proof, Span<Fr> signals)
    {
        if (signals.Length < SemaphoreSignals.Count)
        {
            throw new ArgumentException("signals needs 4 elements", nameof(signals));
        }
        // JsonDocument validates structure but not every string's UTF-8: reading such a string
        // throws InvalidOperationException, which is bad input like any other.
        try
        {
            return Read(utf8, out proof, signals);
        }
        catch (InvalidOperationException)
        {
            proof = default;
            return VerifyError.Malformed;
        }
    }

    private static VerifyError Read(ReadOnlySpan<byte> utf8, out Proof proof, Span<Fr> signals)
    {
        proof = default;
        if (!SnarkjsJson.TryParseDocument(utf8, out var doc))
        {
            return VerifyError.Malformed;
        }
        using (doc)
        {
            var root = doc!.RootElement;
            if (root.ValueKind != JsonValueKind.Object ||
                !root.TryGetProperty("merkleTreeDepth", out var depth) || !root.TryGetProperty("merkleTreeRoot", out var treeRoot) ||
                !root.TryGetProperty("nullifier", out var nullifier) || !root.TryGetProperty("message", out var message) ||
                !root.TryGetProperty("scope", out var scope) || !root.TryGetProperty("points", out var points))
            {
                return VerifyError.Malformed;
            }
            if (depth.ValueKind != JsonValueKind.Number || !depth.TryGetInt32(out int d) || d is < MinDepth or > MaxDepth)
            {
                return VerifyError.Malformed;
            }
            VerifyError e;
            if ((e = SnarkjsJson.TryReadFr(treeRoot, out signals[0])) != VerifyError.None) return e;
            if ((e = SnarkjsJson.TryReadFr(nullifier, out signals[1])) != VerifyError.None) return e;
            Span<byte> be32 = stackalloc byte[32];
            if (!SnarkjsJson.TryReadUInt256(message, be32)) return VerifyError.Malformed;
            signals[2] = SemaphoreSignals.HashToField(be32);
            if (!SnarkjsJson.TryReadUInt256(scope, be32)) return VerifyError.Malformed;
            signals[3] = SemaphoreSignals.HashToField(be32);
            return SnarkjsJson.TryReadPackedProof(points, out proof);
        }
    }
}
