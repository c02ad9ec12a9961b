using System.Diagnostics;
using TVS.Engine.Pipeline;
using TVS.Engine.Votes;

namespace TVS.Engine.Processing;

/// <summary>
/// Stage 2: HPKE open (aad = the clear key), parse the v1 record, bind the sealed nullifier to the
/// key and the election to the engine's, then the cheap admission rules (known depth, accepted
/// root). The proof's points are left for the verify stage.
/// </summary>
internal struct OpenStage : IBatchHandler<VoteSlot>
{
    private readonly PartitionContext _ctx;

    public OpenStage(PartitionContext ctx) => _ctx = ctx;

    public void OnBatch(Span<VoteSlot> batch, long firstSequence)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < batch.Length; i++)
        {
            ref VoteSlot s = ref batch[i];
            if (s.Kind != SlotKind.Vote)
            {
                continue;
            }
            s.Reason = Open(ref s);
        }
        _ctx.Stats.AddStage(Stage.Open, Stopwatch.GetTimestamp() - start, batch.Length);
    }

    private readonly VoteRejectReason Open(ref VoteSlot s)
    {
        if (s.KeyLength != VoteRecord.KeySize || PartitionContext.PlaintextRoom(s.ValueLength) == 0)
        {
            return VoteRejectReason.Malformed;
        }
        var reason = _ctx.Opener.Open(_ctx.KeyOf(s), _ctx.ValueOf(s), _ctx.PlaintextSpace(s), out s.Record, out s.PlaintextLength);
        if (!reason.IsAccepted)
        {
            return reason;
        }
        return _ctx.Admission.Check(s.Record, out s.Key);
    }
}

/// <summary>
/// Stage 3: a read-only lookup of the nullifier, so that a replayed accepted vote costs no proof
/// verification (docs/design.md: a denial-of-service guard). The verdict is the commit stage's.
/// </summary>
public struct PreCheckStage : IBatchHandler<VoteSlot>
{
    private readonly PartitionContext _ctx;

    public PreCheckStage(PartitionContext ctx) => _ctx = ctx;

    public readonly void OnBatch(Span<VoteSlot> batch, long firstSequence)
    {
        long start = Stopwatch.GetTimestamp();
        var store = _ctx.Nullifiers;
        for (int i = 0; i < batch.Length; i++)
        {
            ref VoteSlot s = ref batch[i];
            if (s.IsLiveVote)
            {
                s.KnownNullifier = store.TryGet(Nullifier.FromBytes(s.Record.NullifierBytes), out _);
            }
        }
        _ctx.Stats.AddStage(Stage.PreCheck, Stopwatch.GetTimestamp() - start, batch.Length);
    }
}
