using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;
using TVS.Crypto.Hpke;

namespace TVS.Engine.Votes;

/// <summary>Outcome of reading one vote record from a buffer that may not hold all of it yet.</summary>
public enum VoteParseResult : byte
{
    /// <summary>A whole, valid record was read; the buffer was advanced past it.</summary>
    Complete,
    /// <summary>Valid so far, more bytes needed; the buffer was not advanced.</summary>
    Incomplete,
    /// <summary>Refused; the reason says why; the buffer was not advanced.</summary>
    Invalid,
}

/// <summary>The 32 big-endian bytes of a nullifier, inline.</summary>
[InlineArray(32)]
public struct Bytes32
{
    private byte _b;
}

/// <summary>
/// A parsed v1 vote plaintext (docs/formats.md, "Vote record (v1)"): every fixed field but the
/// proof decoded and checked, the ballot and the proof left in the caller's buffer
/// (<see cref="Ballot(ReadOnlySpan{byte})"/>, <see cref="ReadProof"/>). The proof's points are
/// decoded by the verify stage, which runs on several cores: its G2 subgroup test is
/// the one expensive check of the record and does not belong on the single-threaded open stage.
/// Parsing never throws and allocates nothing.
/// </summary>
public readonly struct VoteRecord
{
    public static ReadOnlySpan<byte> Magic => "TVSV"u8;
    public const byte Version = 1;
    public const int MinDepth = 1;
    public const int MaxDepth = 32;
    /// <summary>
    /// Largest ballot: a whole record (<see cref="MaxPlaintext"/> = 65,535 bytes) must fit one entry
    /// of the bulletin board's tlog-tiles bundles, whose length prefix is a uint16
    /// (<see cref="TVS.Merkle.Tiles.TileBuilder.MaxEntry"/>).
    /// </summary>
    public const int MaxBallot = ushort.MaxValue - HeaderSize;

    // Offsets of the fixed part: the one declaration of the layout, also for the stores that cut
    // fields out of a record without parsing it (PostgreSQL's columns, the local vote file).
    public const int VersionOffset = 4;
    public const int FlagsOffset = 5;
    public const int ElectionOffset = 6;
    public const int DepthOffset = 22;
    public const int RootOffset = 23;
    public const int NullifierOffset = 55;
    public const int ProofOffset = 87;
    public const int LengthOffset = 343;

    /// <summary>Size of the fixed part; the ballot starts here.</summary>
    public const int HeaderSize = 347;
    public const int BallotOffset = HeaderSize;
    /// <summary>Largest record: 65,535 bytes, one tlog-tiles entry.</summary>
    public const int MaxPlaintext = HeaderSize + MaxBallot;
    /// <summary>Largest Kafka record value (envelope body): the largest plaintext + 48.</summary>
    public const int MaxEnvelope = MaxPlaintext + HpkeEnvelope.Overhead;
    /// <summary>Length of the Kafka record key: the nullifier in clear.</summary>
    public const int KeySize = 32;

    public readonly Guid ElectionId;
    public readonly int Depth;
    public readonly Fr Root;
    public readonly Fr Nullifier;
    /// <summary>The nullifier's 32 big-endian bytes as sealed (compare with the record key).</summary>
    public readonly Bytes32 NullifierBytes;
    public readonly int BallotLength;

    /// <summary>Length of the whole record: <see cref="HeaderSize"/> + ballot.</summary>
    public int Length => HeaderSize + BallotLength;

    private VoteRecord(Guid electionId, int depth, in Fr root, in Fr nullifier, ReadOnlySpan<byte> nullifierBytes, int ballotLength)
    {
        ElectionId = electionId;
        Depth = depth;
        Root = root;
        Nullifier = nullifier;
        nullifierBytes.CopyTo(NullifierBytes);
        BallotLength = ballotLength;
    }

    /// <summary>The ballot inside <paramref name="record"/>, the bytes this record was parsed from.</summary>
    public ReadOnlySpan<byte> Ballot(ReadOnlySpan<byte> record) => record.Slice(BallotOffset, BallotLength);

    /// <summary>The ballot inside <paramref name="record"/>, the sequence this record was read from (its start).</summary>
    public ReadOnlySequence<byte> Ballot(in ReadOnlySequence<byte> record) => record.Slice(BallotOffset, BallotLength);

    /// <summary>The sealed nullifier's 32 big-endian bytes inside <paramref name="record"/> (not parsed: the record was accepted before).</summary>
    public static ReadOnlySpan<byte> SealedNullifier(ReadOnlySpan<byte> record) => record.Slice(NullifierOffset, KeySize);

    /// <summary>The proof's 256 bytes inside <paramref name="record"/> (A ‖ B ‖ C, not yet checked).</summary>
    public static ReadOnlySpan<byte> ProofBytes(ReadOnlySpan<byte> record) => record.Slice(ProofOffset, Proof.EncodedSize);

    /// <summary>
    /// Decodes and checks the proof inside <paramref name="record"/> (canonical coordinates, on
    /// curve, B in G2, no point at infinity): the verify stage's first step.
    /// </summary>
    public static VerifyError ReadProof(ReadOnlySpan<byte> record, out Proof proof) => Proof.TryRead(ProofBytes(record), out proof);

    /// <summary>Whether the sealed nullifier equals <paramref name="key"/> (the clear Kafka record key).</summary>
    public bool NullifierEquals(ReadOnlySpan<byte> key)
    {
        ReadOnlySpan<byte> mine = NullifierBytes;
        return key.SequenceEqual(mine);
    }

    /// <summary>
    /// Parses a whole plaintext: exactly one record, no trailing bytes. On failure
    /// <paramref name="reason"/> says why (<see cref="VoteRejectKind.Malformed"/>).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> plaintext, out VoteRecord record, out VoteRejectReason reason)
    {
        record = default;
        if (plaintext.Length < HeaderSize || plaintext.Length > MaxPlaintext)
        {
            reason = VoteRejectReason.Malformed;
            return false;
        }
        var header = plaintext[..HeaderSize];
        reason = ReadFixed(header, out int ballotLength);
        if (!reason.IsAccepted)
        {
            return false;
        }
        if (plaintext.Length != HeaderSize + ballotLength)
        {
            reason = VoteRejectReason.Malformed;
            return false;
        }
        reason = Build(header, ballotLength, out record);
        return reason.IsAccepted;
    }

    /// <summary>
    /// Reads one record from the front of <paramref name="buffer"/> (Kestrel shape): on
    /// <see cref="VoteParseResult.Complete"/> the buffer is advanced past it and the ballot is
    /// <c>record.Ballot(bufferBefore)</c>. The ballot length is checked against
    /// <see cref="MaxBallot"/> as soon as the fixed part is there, before waiting for more bytes.
    /// Bytes after the record are left for the caller (the next record of a stream).
    /// </summary>
    public static VoteParseResult TryRead(ref ReadOnlySequence<byte> buffer, out VoteRecord record)
        => TryRead(ref buffer, out record, out _);

    /// <inheritdoc cref="TryRead(ref ReadOnlySequence{byte}, out VoteRecord)"/>
    public static VoteParseResult TryRead(ref ReadOnlySequence<byte> buffer, out VoteRecord record, out VoteRejectReason reason)
    {
        record = default;
        reason = default;

        // The fixed part is small and bounded: copy it out only when it straddles segments.
        Span<byte> scratch = stackalloc byte[HeaderSize];
        scoped ReadOnlySpan<byte> header;
        if (buffer.FirstSpan.Length >= HeaderSize)
        {
            header = buffer.FirstSpan[..HeaderSize];
        }
        else
        {
            int have = (int)Math.Min(buffer.Length, HeaderSize);
            buffer.Slice(0, have).CopyTo(scratch);
            if (have < HeaderSize)
            {
                // Refuse a wrong prefix early rather than waiting for 347 bytes of garbage.
                reason = CheckPrefix(scratch[..have]);
                return reason.IsAccepted ? VoteParseResult.Incomplete : VoteParseResult.Invalid;
            }
            header = scratch;
        }

        reason = ReadFixed(header, out int ballotLength);
        if (!reason.IsAccepted)
        {
            return VoteParseResult.Invalid;
        }
        if (buffer.Length < HeaderSize + ballotLength)
        {
            return VoteParseResult.Incomplete;
        }
        reason = Build(header, ballotLength, out record);
        if (!reason.IsAccepted)
        {
            return VoteParseResult.Invalid;
        }
        buffer = buffer.Slice(HeaderSize + ballotLength);
        return VoteParseResult.Complete;
    }

    /// <summary>Magic, version and flags of a partial header.</summary>
    private static VoteRejectReason CheckPrefix(ReadOnlySpan<byte> prefix)
    {
        for (int i = 0; i < prefix.Length && i < FlagsOffset + 1; i++)
        {
            byte expected = i < 4 ? Magic[i] : i == VersionOffset ? Version : (byte)0;
            if (prefix[i] != expected)
            {
                return VoteRejectReason.Malformed;
            }
        }
        return default;
    }

    /// <summary>Cheap checks of the fixed part (all but the proof): framing, depth, lengths, values &lt; r.</summary>
    private static VoteRejectReason ReadFixed(ReadOnlySpan<byte> h, out int ballotLength)
    {
        ballotLength = 0;
        if (!h[..4].SequenceEqual(Magic) || h[VersionOffset] != Version || h[FlagsOffset] != 0)
        {
            return VoteRejectReason.Malformed;
        }
        int depth = h[DepthOffset];
        if (depth < MinDepth || depth > MaxDepth)
        {
            return VoteRejectReason.Malformed;
        }
        uint len = BinaryPrimitives.ReadUInt32BigEndian(h.Slice(LengthOffset, 4));
        if (len == 0 || len > MaxBallot)
        {
            return VoteRejectReason.Malformed;
        }
        if (!Fr.TryFromBigEndian(h.Slice(RootOffset, 32), out _) || !Fr.TryFromBigEndian(h.Slice(NullifierOffset, 32), out _))
        {
            return VoteRejectReason.Malformed;
        }
        ballotLength = (int)len;
        return default;
    }

    /// <summary>Decodes a checked fixed part (the proof stays encoded: see <see cref="ReadProof"/>).</summary>
    private static VoteRejectReason Build(ReadOnlySpan<byte> h, int ballotLength, out VoteRecord record)
    {
        var electionId = new Guid(h.Slice(ElectionOffset, 16), bigEndian: true);
        Fr.TryFromBigEndian(h.Slice(RootOffset, 32), out var root);
        Fr.TryFromBigEndian(h.Slice(NullifierOffset, 32), out var nullifier);
        record = new VoteRecord(electionId, h[DepthOffset], root, nullifier, h.Slice(NullifierOffset, 32), ballotLength);
        return default;
    }

    /// <summary>Writes a plaintext (the client side); returns its length. Arguments are the caller's to get right.</summary>
    public static int Write(Guid electionId, int depth, in Fr root, in Fr nullifier, in Proof proof, ReadOnlySpan<byte> ballot, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, MinDepth);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(depth, MaxDepth);
        if (ballot.Length is 0 or > MaxBallot)
        {
            throw new ArgumentOutOfRangeException(nameof(ballot), "ballot length must be 1..65,188");
        }
        int total = HeaderSize + ballot.Length;
        if (destination.Length < total)
        {
            throw new ArgumentException("destination too small", nameof(destination));
        }
        Magic.CopyTo(destination);
        destination[VersionOffset] = Version;
        destination[FlagsOffset] = 0;
        electionId.TryWriteBytes(destination.Slice(ElectionOffset, 16), bigEndian: true, out _);
        destination[DepthOffset] = (byte)depth;
        root.WriteBigEndian(destination.Slice(RootOffset, 32));
        nullifier.WriteBigEndian(destination.Slice(NullifierOffset, 32));
        proof.Write(destination.Slice(ProofOffset, Proof.EncodedSize));
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(LengthOffset, 4), (uint)ballot.Length);
        ballot.CopyTo(destination[HeaderSize..]);
        return total;
    }
}
