using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using TVS.Engine.Election;
using TVS.Engine.Votes;
using TVS.Merkle;

namespace TVS.Engine.Board;

/// <summary>Why a receipt does not verify: a stable code (docs/formats.md "Voter receipt") and a message for people.</summary>
public sealed record ReceiptVerdict(bool Ok, string Code, string Message)
{
    public static ReceiptVerdict Valid { get; } = new(true, "ok", "the vote is in the signed tree");

    public static ReceiptVerdict Fail(string code, string message) => new(false, code, message);
}

/// <summary>
/// A voter's receipt (docs/formats.md "Voter receipt"): the accepted vote record, its place in its
/// partition's tree, the RFC 9162 inclusion proof and the signed checkpoint it is proven against.
/// Verifiable offline with the election's public manifest only (<see cref="Verify"/>, <c>tvs receipt
/// verify</c>, tools/voter-js/receipt.mjs, tools/tlog-verify -receipt).
/// </summary>
public sealed record Receipt(
    Guid ElectionId,
    Nullifier Nullifier,
    int Partition,
    long Index,
    byte[] Record,
    Hash256 LeafHash,
    long TreeSize,
    Hash256[] InclusionProof,
    string Checkpoint)
{
    public const int Version = 1;

    /// <summary>The receipt's JSON (UTF-8), field order as documented.</summary>
    public byte[] ToJson()
    {
        // Written directly (no DOM): a gateway serves thousands a second.
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024 + Record.Length * 4 / 3 + InclusionProof.Length * 48 + Checkpoint.Length * 2);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("version", Version);
            w.WriteString("electionId", ElectionId.ToString("D"));
            w.WriteString("nullifier", Nullifier.ToString());
            w.WriteNumber("partition", Partition);
            w.WriteNumber("index", Index);
            w.WriteBase64String("record", Record);
            w.WriteBase64String("leafHash", LeafHash.AsSpan());
            w.WriteNumber("treeSize", TreeSize);
            w.WriteStartArray("inclusionProof");
            foreach (var h in InclusionProof)
            {
                w.WriteBase64StringValue(h.AsSpan());
            }
            w.WriteEndArray();
            w.WriteString("checkpoint", Checkpoint);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Parses a receipt strictly; on failure a <see cref="ReceiptVerdict"/> with code <c>bad_json</c> says what is wrong.</summary>
    public static bool TryParse(ReadOnlySpan<byte> json, out Receipt? receipt, out ReceiptVerdict? error)
    {
        receipt = null;
        error = null;
        JsonObject o;
        try
        {
            o = JsonNode.Parse(json) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException e)
        {
            error = ReceiptVerdict.Fail("bad_json", "not a JSON object: " + e.Message);
            return false;
        }
        if (Int(o, "version") != Version)
        {
            error = ReceiptVerdict.Fail("unsupported_version", $"version must be {Version}");
            return false;
        }
        if (Str(o, "electionId") is not { } id || !Guid.TryParseExact(id, "D", out Guid election))
        {
            error = ReceiptVerdict.Fail("malformed", "electionId must be a UUID");
            return false;
        }
        if (Str(o, "nullifier") is not { } nh || !Nullifier.TryParseHex(nh, out Nullifier nullifier))
        {
            error = ReceiptVerdict.Fail("malformed", "nullifier must be 64 hex digits");
            return false;
        }
        long? partition = Int(o, "partition"), index = Int(o, "index"), size = Int(o, "treeSize");
        if (partition is not >= 0 and <= int.MaxValue || index is not >= 0 || size is not >= 0)
        {
            error = ReceiptVerdict.Fail("malformed", "partition, index and treeSize must be non-negative integers");
            return false;
        }
        byte[]? record = Base64(Str(o, "record"));
        if (record is null || record.Length > VoteRecord.MaxPlaintext)
        {
            error = ReceiptVerdict.Fail("malformed", "record must be base64 of a v1 vote record");
            return false;
        }
        if (Str(o, "leafHash") is not { } lh || !Hash256.TryFromBase64(lh, out Hash256 leafHash))
        {
            error = ReceiptVerdict.Fail("malformed", "leafHash must be base64 of 32 bytes");
            return false;
        }
        if (o["inclusionProof"] is not JsonArray proofArray || proofArray.Count > 64)
        {
            error = ReceiptVerdict.Fail("malformed", "inclusionProof must be an array of at most 64 hashes");
            return false;
        }
        var proof = new Hash256[proofArray.Count];
        for (int i = 0; i < proof.Length; i++)
        {
            if (proofArray[i] is not JsonValue v || !v.TryGetValue(out string? s) || !Hash256.TryFromBase64(s, out proof[i]))
            {
                error = ReceiptVerdict.Fail("malformed", $"inclusionProof[{i}] must be base64 of 32 bytes");
                return false;
            }
        }
        if (Str(o, "checkpoint") is not { Length: > 0 } checkpoint)
        {
            error = ReceiptVerdict.Fail("malformed", "checkpoint must be the signed note");
            return false;
        }
        receipt = new Receipt(election, nullifier, (int)partition!.Value, index!.Value, record, leafHash, size!.Value, proof, checkpoint);
        return true;
    }

    /// <summary>
    /// Checks everything a voter's device can check alone: the checkpoint's signature by the
    /// election's key and its origin, the record's leaf hash, election, nullifier and partition, the
    /// inclusion proof to the signed root, and, when given, that the record is the one the voter sealed.
    /// With <paramref name="witnesses"/> (election.json <c>witnesses</c>), the checkpoint also needs
    /// <c>witnessQuorum</c> valid cosignatures of distinct listed witnesses (<c>bad_cosignature</c>,
    /// <c>below_quorum</c>); without, cosignature lines are ignored as before.
    /// </summary>
    public ReceiptVerdict Verify(Guid electionId, int partitions, NoteVerifier checkpointKey, ReadOnlySpan<byte> expectedRecord = default, WitnessPolicy? witnesses = null)
    {
        if (ElectionId != electionId)
        {
            return ReceiptVerdict.Fail("wrong_election", $"the receipt is for election {ElectionId:D}, not {electionId:D}");
        }
        Checkpoint signed;
        try
        {
            signed = Merkle.Checkpoint.Open(Checkpoint, checkpointKey);
        }
        catch (NoteException e)
        {
            // The same distinctions as tools/voter-js/receipt.mjs (docs/formats.md "Voter receipt").
            string code = e.Message.StartsWith("invalid signature", StringComparison.Ordinal) ? "bad_signature"
                : e.Message.StartsWith("note has no signature by a known key", StringComparison.Ordinal) ? "unknown_key"
                : "bad_checkpoint";
            return ReceiptVerdict.Fail(code, "the checkpoint is not signed by the election's key: " + e.Message);
        }
        catch (FormatException e)
        {
            return ReceiptVerdict.Fail("bad_checkpoint", "the checkpoint is not a tlog-checkpoint: " + e.Message);
        }
        if (witnesses is not null)
        {
            CosignatureCheck check = witnesses.Check(Checkpoint);
            if (check.Invalid.Count > 0)
            {
                return ReceiptVerdict.Fail("bad_cosignature", $"a cosignature line of listed witness {check.Invalid[0].Name} does not verify");
            }
            if (!check.Met)
            {
                return ReceiptVerdict.Fail("below_quorum", $"the checkpoint has valid cosignatures of {check.Cosigners.Count} listed witness(es), the election needs {check.Quorum}");
            }
        }
        int expectedPartition = KeyPartitioner.PartitionOf(Nullifier.AsSpan(), partitions);
        if (Partition != expectedPartition)
        {
            return ReceiptVerdict.Fail("wrong_partition", $"the nullifier belongs to partition {expectedPartition} of {partitions}, the receipt says {Partition}");
        }
        string origin = string.Create(CultureInfo.InvariantCulture, $"tvs/{electionId:D}/p{Partition}");
        if (signed.Origin != origin)
        {
            return ReceiptVerdict.Fail("wrong_origin", $"the checkpoint's origin is '{signed.Origin}', expected '{origin}'");
        }
        if (signed.Size != TreeSize)
        {
            return ReceiptVerdict.Fail("size_mismatch", $"treeSize {TreeSize} but the checkpoint's size is {signed.Size}");
        }
        if (Index >= TreeSize)
        {
            return ReceiptVerdict.Fail("bad_index", $"index {Index} is not below the tree size {TreeSize}");
        }
        if (Rfc9162.HashLeaf(Record) != LeafHash)
        {
            return ReceiptVerdict.Fail("bad_leaf", "leafHash is not SHA-256(0x00 ‖ record)");
        }
        if (!VoteRecord.TryParse(Record, out var parsed, out _))
        {
            return ReceiptVerdict.Fail("bad_record", "the record is not a well-formed v1 vote record");
        }
        if (parsed.ElectionId != electionId)
        {
            return ReceiptVerdict.Fail("wrong_election", $"the record is a vote of election {parsed.ElectionId:D}");
        }
        if (!((ReadOnlySpan<byte>)parsed.NullifierBytes).SequenceEqual(Nullifier.AsSpan()))
        {
            return ReceiptVerdict.Fail("wrong_nullifier", "the record's nullifier is not the receipt's");
        }
        if (!Rfc9162.VerifyInclusion(Index, TreeSize, LeafHash, InclusionProof, signed.Root))
        {
            return ReceiptVerdict.Fail("bad_proof", $"the inclusion proof does not lead from leaf {Index} to the signed root of size {TreeSize}");
        }
        if (!expectedRecord.IsEmpty && !expectedRecord.SequenceEqual(Record))
        {
            return ReceiptVerdict.Fail("record_mismatch", "the record in the tree is not the one this device sealed");
        }
        return ReceiptVerdict.Valid;
    }

    private static string? Str(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    private static long? Int(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue(out long n) ? n : null;

    private static byte[]? Base64(string? s)
    {
        if (s is null)
        {
            return null;
        }
        var buffer = new byte[s.Length * 3 / 4 + 3];
        return Convert.TryFromBase64String(s, buffer, out int written) ? buffer[..written] : null;
    }
}
