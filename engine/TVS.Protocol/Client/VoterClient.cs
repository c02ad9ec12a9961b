using System.Numerics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;
using TVS.Crypto.Registry;
using TVS.Crypto.Ristretto;
using TVS.Crypto.Threshold;
using TVS.Engine.Votes;

namespace TVS.Engine.Client;

/// <summary>
/// What a voter needs to prove membership for one ballot: the Semaphore v4 prover's input
/// (docs/formats.md, "Voter client"). <see cref="CircuitInput"/> is exactly the witness input
/// @semaphore-protocol/proof 4.14.3's <c>generateProof</c> hands to snarkjs <c>groth16.fullProve</c>
/// (siblings padded with 0 to the circuit depth, message and scope already hashed);
/// <see cref="SemaphoreArguments"/> is the higher-level form <c>generateProof(identity, merkleProof,
/// message, scope, depth)</c> takes.
/// </summary>
public sealed record ProofRequest(Guid ElectionId, int Depth, LeanImtProof MerkleProof, BigInteger Message, BigInteger Scope, string IdentitySecret)
{
    /// <summary>The snarkjs witness input of semaphore.circom (secret, merkleProofLength, merkleProofIndex, merkleProofSiblings, message, scope).</summary>
    public JsonObject CircuitInput()
    {
        var siblings = new JsonArray();
        for (int i = 0; i < Depth; i++)
        {
            siblings.Add(i < MerkleProof.Siblings.Length ? MerkleProof.Siblings[i].ToString() : "0");
        }
        return new JsonObject
        {
            ["secret"] = IdentitySecret,
            ["merkleProofLength"] = MerkleProof.Siblings.Length,
            ["merkleProofIndex"] = MerkleProof.Index,
            ["merkleProofSiblings"] = siblings,
            ["message"] = Hash(Message).ToString(),
            ["scope"] = Hash(Scope).ToString(),
        };
    }

    /// <summary>generateProof's arguments: message and scope as decimal integers (the prover hashes them), the MerkleProof JSON, the depth.</summary>
    public JsonObject SemaphoreArguments() => new()
    {
        ["merkleProof"] = VoterClient.MerkleProofJson(MerkleProof),
        ["message"] = Message.ToString(),
        ["scope"] = Scope.ToString(),
        ["merkleTreeDepth"] = Depth,
    };

    private static Fr Hash(BigInteger x)
    {
        Span<byte> be = stackalloc byte[32];
        be.Clear();
        x.TryWriteBytes(be[(32 - x.GetByteCount(isUnsigned: true))..], out _, isUnsigned: true, isBigEndian: true);
        return SemaphoreSignals.HashToField(be);
    }
}

/// <summary>
/// The voter client's steps as a library (no I/O): encrypt the choices to the election key,
/// bind the Semaphore proof to the encrypted ballot (message = SHA-256 of it), and seal the v1
/// record to the ingest key. Proving itself is done outside (snarkjs / @semaphore-protocol/proof,
/// or the simulated setup in load tests); tools/voter-js does the same steps in JavaScript.
/// </summary>
public static class VoterClient
{
    /// <summary>Step 1: the encrypted ballot (threshold ElGamal KEM + AES-256-GCM, docs/formats.md "Encrypted ballot").</summary>
    public static byte[] EncryptBallot(in RistrettoPoint electionKey, Guid electionId, ReadOnlySpan<ushort> choices)
        => BallotCipher.Encrypt(electionKey, electionId, choices);

    /// <summary>message = SHA-256(encrypted ballot) as a 256-bit big-endian integer (may exceed r; the circuit gets hash(message)).</summary>
    public static BigInteger Message(ReadOnlySpan<byte> ballot)
        => new(SHA256.HashData(ballot), isUnsigned: true, isBigEndian: true);

    /// <summary>scope = the election id as a 128-bit big-endian integer.</summary>
    public static BigInteger Scope(Guid electionId)
    {
        Span<byte> b = stackalloc byte[16];
        electionId.TryWriteBytes(b, bigEndian: true, out _);
        return new BigInteger(b, isUnsigned: true, isBigEndian: true);
    }

    /// <summary>Step 2: the prover's input for this ballot. <paramref name="depth"/> is the circuit's (≥ the registry's depth, ≥ 1).</summary>
    public static ProofRequest RequestProof(Guid electionId, int depth, LeanImtProof merkleProof, ReadOnlySpan<byte> ballot, string identitySecret)
    {
        ArgumentNullException.ThrowIfNull(merkleProof);
        if (depth < Math.Max(1, merkleProof.Siblings.Length) || depth > VoteRecord.MaxDepth)
        {
            throw new ArgumentOutOfRangeException(nameof(depth), $"the circuit depth must cover the {merkleProof.Siblings.Length} siblings and be 1..32");
        }
        if (!LeanImt.VerifyProof(merkleProof)) throw new ArgumentException("the Merkle proof does not verify", nameof(merkleProof));
        if (!IdentityCommitment.TryParseDecimal(identitySecret, out _, out var error)) throw new ArgumentException("identity secret: " + error, nameof(identitySecret));
        return new ProofRequest(electionId, depth, merkleProof, Message(ballot), Scope(electionId), identitySecret);
    }

    /// <summary>Step 3: seal the record to the election's ingest key (Kafka key = the nullifier).</summary>
    public static SealedVote Seal(ReadOnlySpan<byte> ingestPublicKey, Guid electionId, int depth, in Fr root, in Fr nullifier, in Proof proof, ReadOnlySpan<byte> ballot)
        => VoteSealer.Seal(ingestPublicKey, electionId, depth, root, nullifier, proof, ballot);

    /// <summary>Step 3 from a snarkjs proof JSON (the prover's output) instead of a parsed proof.</summary>
    public static SealedVote Seal(ReadOnlySpan<byte> ingestPublicKey, Guid electionId, int depth, in Fr root, in Fr nullifier, ReadOnlySpan<byte> snarkjsProofJson, ReadOnlySpan<byte> ballot)
    {
        var e = SnarkjsJson.TryReadProof(snarkjsProofJson, out var proof);
        if (e != VerifyError.None) throw new ArgumentException("proof: " + e, nameof(snarkjsProofJson));
        return Seal(ingestPublicKey, electionId, depth, root, nullifier, proof, ballot);
    }

    /// <summary>Semaphore's MerkleProof JSON ({root, leaf, index, siblings}), as @zk-kit/lean-imt generateProof.</summary>
    public static JsonObject MerkleProofJson(LeanImtProof p) => new()
    {
        ["root"] = p.Root.ToString(),
        ["leaf"] = p.Leaf.ToString(),
        ["index"] = p.Index,
        ["siblings"] = new JsonArray(p.Siblings.Select(s => (JsonNode)s.ToString()).ToArray()),
    };
}
