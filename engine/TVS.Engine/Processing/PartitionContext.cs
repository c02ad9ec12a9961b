using TVS.Engine.Pipeline;
using TVS.Engine.Ports;
using TVS.Engine.Votes;
using TVS.Merkle;

namespace TVS.Engine.Processing;

/// <summary>
/// What the stages of one partition share: the ring's bytes, the election's rules, the stores,
/// and the recovery bounds. Built by <see cref="PartitionEngine"/>; each mutable part has one
/// writer stage (named on the field).
/// </summary>
public sealed class PartitionContext
{
    internal PartitionContext(
        EngineOptions options,
        SlotArena arena,
        VoteOpener opener,
        VoteAdmission admission,
        INullifierStore nullifiers,
        MerkleMountainRange mmr,
        IVoteStore votes,
        IBlobSink blobs,
        IDeadLetterSink deadLetters,
        ICheckpointSink checkpoints,
        NoteSigner signer,
        string origin,
        EngineStats stats)
    {
        Options = options;
        Arena = arena;
        Opener = opener;
        Admission = admission;
        Nullifiers = nullifiers;
        Mmr = mmr;
        Votes = votes;
        Blobs = blobs;
        DeadLetters = deadLetters;
        Checkpoints = checkpoints;
        Signer = signer;
        Origin = origin;
        Stats = stats;
    }

    public EngineOptions Options { get; }
    public SlotArena Arena { get; }
    public VoteOpener Opener { get; }
    public VoteAdmission Admission { get; }

    /// <summary>Written by the commit stage only; read by the pre-check stage.</summary>
    public INullifierStore Nullifiers { get; }

    /// <summary>Append stage only.</summary>
    public MerkleMountainRange Mmr { get; }

    /// <summary>Flush stage only.</summary>
    public IVoteStore Votes { get; }
    public IBlobSink Blobs { get; }
    public IDeadLetterSink DeadLetters { get; }
    public ICheckpointSink Checkpoints { get; }
    public NoteSigner Signer { get; }

    /// <summary>Checkpoint origin line (e.g. "tvs/{election}/p0").</summary>
    public string Origin { get; }

    public EngineStats Stats { get; }

    /// <summary>Highest ring sequence whose verdict is durable (written by the flush stage).</summary>
    public Sequence Durable { get; } = new();

    /// <summary>The progress committed before this run: records before its offset are replayed without being written again.</summary>
    public PartitionProgress Committed { get; internal set; } = PartitionProgress.Empty;

    /// <summary>The last durable progress (flush stage).</summary>
    public PartitionProgress Progress { get; internal set; } = PartitionProgress.Empty;

    private Exception? _failure;

    /// <summary>
    /// Why the partition must stop (a store's refusal, seen by the flush stage), or null. Once set,
    /// the flush stage writes nothing more, the ingest thread stops reading, and
    /// <see cref="PartitionEngine.Run"/> throws with this reason.
    /// </summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    /// <summary>Records the first refusal (later ones add nothing: the first is the cause).</summary>
    internal void Fail(Exception reason) => Interlocked.CompareExchange(ref _failure, reason, null);

    /// <summary>The last signed checkpoint note (flush stage), null before the first.</summary>
    public string? LastSignedCheckpoint { get; internal set; }

    public Span<byte> KeyOf(in VoteSlot s) => Arena.At(s.ArenaStart, s.KeyLength);
    public Span<byte> ValueOf(in VoteSlot s) => Arena.At(s.ArenaStart + s.KeyLength, s.ValueLength);

    /// <summary>Room for the plaintext (value length − HPKE overhead), right after the value.</summary>
    public Span<byte> PlaintextSpace(in VoteSlot s) => Arena.At(s.ArenaStart + s.KeyLength + s.ValueLength, PlaintextRoom(s.ValueLength));

    public Span<byte> PlaintextOf(in VoteSlot s) => Arena.At(s.ArenaStart + s.KeyLength + s.ValueLength, s.PlaintextLength);

    /// <summary>Plaintext bytes reserved for a value of <paramref name="valueLength"/> bytes (none if it cannot be a vote).</summary>
    public static int PlaintextRoom(int valueLength)
        => valueLength > VoteRecord.MaxEnvelope || valueLength <= Crypto.Hpke.HpkeEnvelope.Overhead ? 0 : valueLength - Crypto.Hpke.HpkeEnvelope.Overhead;
}
