using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;
using TVS.Crypto.Hpke;

namespace TVS.Engine.Votes;

/// <summary>A vote as it goes to Kafka: key = the nullifier in clear (32 bytes), value = the HPKE envelope.</summary>
public readonly record struct SealedVote(byte[] Key, byte[] Value);

/// <summary>
/// The client side of the v1 vote record (voter clients, the load generator, tests): writes the
/// plaintext and seals it to the election's ingest key with aad = the record key.
/// </summary>
public static class VoteSealer
{
    public static SealedVote Seal(ReadOnlySpan<byte> ingestPublicKey, Guid electionId, int depth, in Fr root, in Fr nullifier, in Proof proof, ReadOnlySpan<byte> ballot)
    {
        if (ballot.Length is 0 or > VoteRecord.MaxBallot)
        {
            throw new ArgumentOutOfRangeException(nameof(ballot), "ballot length must be 1..65,188");
        }
        var plaintext = new byte[VoteRecord.HeaderSize + ballot.Length];
        VoteRecord.Write(electionId, depth, root, nullifier, proof, ballot, plaintext);
        var key = new byte[VoteRecord.KeySize];
        nullifier.WriteBigEndian(key);
        return new SealedVote(key, HpkeEnvelope.Seal(ingestPublicKey, electionId, key, plaintext));
    }

    /// <summary>Seals an already written plaintext under <paramref name="key"/> (also used to craft invalid records in tests).</summary>
    public static byte[] SealPlaintext(ReadOnlySpan<byte> ingestPublicKey, Guid electionId, ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext)
        => HpkeEnvelope.Seal(ingestPublicKey, electionId, key, plaintext);
}
