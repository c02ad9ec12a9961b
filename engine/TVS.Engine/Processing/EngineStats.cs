using System.Diagnostics;
using TVS.Crypto.Groth16;
using TVS.Engine.Votes;

namespace TVS.Engine.Processing;

/// <summary>
/// Counters of one partition engine. Each field has one writer thread (named); readers (progress
/// bars, metrics) read them racily, which is fine for counters. No allocation per vote.
/// </summary>
public sealed class EngineStats
{
    private const int ProofErrors = 64;
    private readonly long[] _byReason = new long[(int)VoteRejectKind.Duplicate * ProofErrors + ProofErrors];

    /// <summary>Input records read (ingest thread), including those skipped as already committed on replay.</summary>
    public long Read;

    /// <summary>Records whose verdict became durable in this run (flush thread).</summary>
    public long Committed;
    public long Accepted;
    public long Rejected;

    /// <summary>Records re-derived on replay whose verdict was already durable (flush thread).</summary>
    public long Replayed;

    /// <summary>
    /// Accepted votes whose nullifier and MMR leaf recovery restored from the vote store's history
    /// (<see cref="Ports.IVoteHistory"/>) instead of reading and verifying them again (ingest thread, before the stages start).
    /// </summary>
    public long VotesRestored;

    /// <summary>Proofs checked by the verify workers (all threads, interlocked) and those refused.</summary>
    public long ProofsVerified;
    public long ProofsRefused;

    /// <summary>MMR leaves appended so far, as of the append stage's last batch (append thread).</summary>
    public long MmrLeaves;

    /// <summary>
    /// MMR leaves covered by the last checkpoint this run signed (flush thread); before the first,
    /// the size the run resumed at. <see cref="MmrLeaves"/> minus this is how far the bulletin
    /// board is ahead of what has been publicly committed to.
    /// </summary>
    public long CheckpointedLeaves;

    /// <summary>When the last checkpoint was signed, Unix milliseconds (flush thread); 0 before the first.</summary>
    public long LastCheckpointUnixMilliseconds;

    /// <summary>Latency from read to durable, per committed record (flush thread).</summary>
    public LatencyHistogram Latency { get; } = new();

    /// <summary>Busy time per stage (Stopwatch ticks) and records through it: the per-vote cost of each stage.</summary>
    public readonly long[] StageTicks = new long[StageNames.Length];
    public readonly long[] StageRecords = new long[StageNames.Length];

    /// <summary>The names of <see cref="Stage"/>'s values, in order (metrics labels, reports).</summary>
    public static readonly string[] StageNames = ["ingest", "open", "precheck", "verify", "commit", "append", "flush"];

    /// <summary>Adds one batch's busy time and record count to <paramref name="stage"/>'s counters (the stage's own thread).</summary>
    internal void AddStage(Stage stage, long ticks, int records)
    {
        StageTicks[(int)stage] += ticks;
        StageRecords[(int)stage] += records;
    }

    internal void CountRejection(VoteRejectReason reason)
    {
        _byReason[((int)reason.Kind * ProofErrors) + ((int)reason.ProofError & (ProofErrors - 1))]++;
    }

    /// <summary>Refusals by reason code (allocates: for reports, not the hot path).</summary>
    public SortedDictionary<string, long> RejectionsByReason()
    {
        var result = new SortedDictionary<string, long>(StringComparer.Ordinal);
        for (int kind = 1; kind <= (int)VoteRejectKind.Duplicate; kind++)
        {
            for (int e = 0; e < ProofErrors; e++)
            {
                long n = Volatile.Read(ref _byReason[(kind * ProofErrors) + e]);
                if (n == 0)
                {
                    continue;
                }
                var reason = kind == (int)VoteRejectKind.Proof ? VoteRejectReason.Proof((VerifyError)e) : ReasonOf((VoteRejectKind)kind);
                result[reason.Code()] = result.GetValueOrDefault(reason.Code()) + n;
            }
        }
        return result;
    }

    private static VoteRejectReason ReasonOf(VoteRejectKind kind) => kind switch
    {
        VoteRejectKind.Malformed => VoteRejectReason.Malformed,
        VoteRejectKind.Envelope => VoteRejectReason.Envelope,
        VoteRejectKind.NullifierMismatch => VoteRejectReason.NullifierMismatch,
        VoteRejectKind.WrongElection => VoteRejectReason.WrongElection,
        VoteRejectKind.UnknownDepth => VoteRejectReason.UnknownDepth,
        VoteRejectKind.UnknownRoot => VoteRejectReason.UnknownRoot,
        _ => VoteRejectReason.Duplicate,
    };

    /// <summary>Mean busy microseconds per record of stage <paramref name="index"/> (0 if none).</summary>
    public double MicrosecondsPerRecord(Stage stage) => MicrosecondsPerRecord((int)stage);

    public double MicrosecondsPerRecord(int index)
    {
        long n = Volatile.Read(ref StageRecords[index]);
        return n == 0 ? 0 : Volatile.Read(ref StageTicks[index]) * 1e6 / Stopwatch.Frequency / n;
    }
}

/// <summary>The stages of a partition engine, in pipeline order: the index of each in <see cref="EngineStats"/>'s per-stage counters.</summary>
public enum Stage
{
    Ingest,
    Open,
    PreCheck,
    Verify,
    Commit,
    Append,
    Flush,
}
