using System.Security.Cryptography;
using TVS.Crypto.Bn254;
using TVS.Crypto.Hashing;

namespace TVS.Engine.Votes;

/// <summary>
/// The four Semaphore v4 public signals the engine derives for a vote (docs/formats.md, "Vote
/// record (v1)"): [merkleTreeRoot, nullifier, hash(message), hash(scope)], with
/// hash(x) = keccak256(x as 32-byte big-endian) &gt;&gt; 8, message = SHA-256(ballot) and scope =
/// the election id as a 128-bit big-endian integer. Allocation-free.
/// </summary>
public static class SemaphoreSignals
{
    /// <summary>Number of public signals of the Semaphore v4 circuit.</summary>
    public const int Count = 4;

    /// <summary>
    /// Semaphore's hash: keccak256 of the 32-byte big-endian value, shifted right by 8 bits, so
    /// the result (&lt; 2²⁴⁸) is always a field element. The input may itself be ≥ r.
    /// </summary>
    public static Fr HashToField(ReadOnlySpan<byte> be32)
    {
        if (be32.Length != 32)
        {
            ThrowNot32(nameof(be32));
        }
        Span<byte> h = stackalloc byte[33];
        h[0] = 0;
        Keccak256.Hash(be32, h[1..]);
        // h[0..32] is now the digest shifted right by one byte.
        Fr.TryFromBigEndian(h[..32], out var r);
        return r;
    }

    /// <summary>scope: the election UUID as a 128-bit big-endian integer, left-padded to 32 bytes.</summary>
    public static void Scope(Guid electionId, Span<byte> be32)
    {
        if (be32.Length < 32)
        {
            ThrowNot32(nameof(be32));
        }
        be32[..16].Clear();
        electionId.TryWriteBytes(be32.Slice(16, 16), bigEndian: true, out _);
    }

    /// <summary>message: SHA-256 of the ballot, read as a 256-bit big-endian integer (may be ≥ r).</summary>
    public static void Message(ReadOnlySpan<byte> ballot, Span<byte> be32)
    {
        if (be32.Length < 32)
        {
            ThrowNot32(nameof(be32));
        }
        SHA256.HashData(ballot, be32);
    }

    /// <summary>hash(scope) for an election: constant per election, so callers cache it.</summary>
    public static Fr ScopeHash(Guid electionId)
    {
        Span<byte> s = stackalloc byte[32];
        Scope(electionId, s);
        return HashToField(s);
    }

    /// <summary>hash(message) for a ballot.</summary>
    public static Fr MessageHash(ReadOnlySpan<byte> ballot)
    {
        Span<byte> m = stackalloc byte[32];
        SHA256.HashData(ballot, m);
        return HashToField(m);
    }

    /// <summary>Writes [root, nullifier, hash(message), hash(scope)] into <paramref name="signals"/> (≥ 4).</summary>
    public static void Compute(in Fr root, in Fr nullifier, ReadOnlySpan<byte> ballot, Guid electionId, Span<Fr> signals)
        => Compute(root, nullifier, ballot, ScopeHash(electionId), signals);

    /// <summary>As the other overload, with hash(scope) already computed (<see cref="ScopeHash"/>).</summary>
    public static void Compute(in Fr root, in Fr nullifier, ReadOnlySpan<byte> ballot, in Fr scopeHash, Span<Fr> signals)
    {
        if (signals.Length < Count)
        {
            throw new ArgumentException("signals needs 4 elements", nameof(signals));
        }
        signals[0] = root;
        signals[1] = nullifier;
        signals[2] = MessageHash(ballot);
        signals[3] = scopeHash;
    }

    private static void ThrowNot32(string name) => throw new ArgumentException("needs 32 bytes", name);
}
