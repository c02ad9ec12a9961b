using TVS.Engine.Ports;
using TVS.Engine.Processing;
using TVS.LoadGen;
using TVS.Storage;
using TVS.Storage.Local;

namespace TVS.Tests.Engine;

/// <summary>
/// The engine's failure policy (docs/pipeline.md "Failure policy"): a transient failure of a
/// store is retried with back-off, at start and mid-run, and loses nothing; a refusal stops the
/// partition with its reason, promptly, instead of retrying forever.
/// </summary>
public sealed class FailurePolicyTests : IDisposable
{
    private readonly EngineHarness _h = new(new LoadMix { Voters = 600, Duplicates = 0.05, BadProofs = 0.02, Malformed = 0.02 });

    public void Dispose() => _h.Dispose();

    /// <summary>A vote store that fails as told: the n-th call of LoadProgress or Commit throws.</summary>
    private sealed class FailingStore(IVoteStore inner, Func<string, int, Exception?> failure) : IVoteStore
    {
        private int _loads, _commits;

        public PartitionProgress LoadProgress() => failure("load", ++_loads) is { } e ? throw e : inner.LoadProgress();

        public void Commit(VoteBatch batch, in PartitionProgress progress)
        {
            if (failure("commit", ++_commits) is { } e)
            {
                throw e;
            }
            inner.Commit(batch, progress);
        }

        public void Dispose() => inner.Dispose();
    }

    private (PartitionEngine Engine, List<string> Warnings) Run(string data, Func<string, int, Exception?> failure)
    {
        var warnings = new List<string>();
        var options = EngineHarness.SmallOptions with { FlushMaxVotes = 100, OnWarning = w => { lock (warnings) { warnings.Add(w); } } };
        using var partition = LocalPartition.Open(data, 0, new FasterNullifierStoreOptions { IndexBuckets = 1 << 16, LogMemoryBytes = 1 << 24, PageBytes = 1 << 20 });
        using var input = LocalInputLog.Open(_h.InputPath);
        var engine = partition.CreateEngine(_h.Election.CreateOpener(), _h.Election.CreateAdmission(), _h.Election.Signer, _h.Election.Origin(0), options, input,
            new FailingStore(partition.Votes, failure));
        engine.Run(CancellationToken.None, stopAtEnd: true);
        return (engine, warnings);
    }

    [Fact]
    public void Transient_failures_at_start_and_mid_run_are_retried_and_lose_nothing()
    {
        var reference = _h.Run(_h.DataDir("reference"));
        var (engine, warnings) = Run(_h.DataDir("flaky"), (what, n) => (what, n) switch
        {
            ("load", <= 2) => new IOException("connection to the vote store timed out"),
            ("commit", 3) => new TimeoutException("the commit did not answer"),
            _ => null,
        });
        Assert.Equal(reference.Progress, engine.Progress);
        Assert.Contains(warnings, w => w.Contains("recovery failed reading its stores (attempt 2", StringComparison.Ordinal) && w.Contains("timed out", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("writing votes and progress failed (attempt 1", StringComparison.Ordinal));
    }

    [Fact]
    public void A_refusal_mid_run_stops_the_partition_with_its_reason()
    {
        var started = DateTime.UtcNow;
        var e = Assert.Throws<StoreRefusedException>(() => Run(_h.DataDir("refused"), (what, n) =>
            what == "commit" && n >= 3 ? new StoreRefusedException("the store belongs to partition 7") : null));
        Assert.Contains("partition 0 stopped", e.Message, StringComparison.Ordinal);
        Assert.Contains("votes and progress was refused: the store belongs to partition 7", e.Message, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromMinutes(2), "the refusal was retried instead of stopping the partition");
        // What was durable before the refusal stays; nothing after it was written.
        using var votes = LocalVoteStore.Open(LocalPartition.VotesDirectory(_h.DataDir("refused"), 0));
        Assert.InRange(votes.LoadProgress().MmrSize, 1, _h.Load.ExpectedCounts["accepted"] - 1);
    }

    [Fact]
    public void A_refusal_at_start_is_not_retried()
    {
        var e = Assert.Throws<InvalidDataException>(() => Run(_h.DataDir("foreign"), (what, _) =>
            what == "load" ? new InvalidDataException("the progress row is of another election") : null));
        Assert.Contains("another election", e.Message, StringComparison.Ordinal);
    }
}

/// <summary>The stage enum and the metric labels stay one list.</summary>
public class StageNamesTests
{
    [Fact]
    public void Stage_names_are_the_enum_in_order() =>
        Assert.Equal(Enum.GetNames<Stage>().Select(n => n.ToLowerInvariant()), EngineStats.StageNames);
}
