using TVS.LoadGen;
using TVS.Merkle;
using TVS.Storage.Local;
using Xunit.Abstractions;

namespace TVS.Tests.Engine;

public class EndToEndTests
{
    private readonly ITestOutputHelper _output;

    public EndToEndTests(ITestOutputHelper output) => _output = output;

    /// <summary>
    /// Every record has exactly the verdict computed independently by the load generator: the
    /// accepted ones are in the vote store in input order with their MMR index, every other one is
    /// a dead letter with its reason and its original bytes, and the MMR root and the signed
    /// checkpoint equal the RFC 9162 root of the accepted list.
    /// </summary>
    internal static void AssertOutcome(EngineHarness h, string data, ITestOutputHelper? output = null)
    {
        var records = h.Load.Records;
        var byOffset = new Dictionary<long, int>();
        for (int i = 0; i < records.Count; i++)
        {
            byOffset[h.Offsets[i]] = i;
        }

        var votes = LocalVoteStore.ReadAll(LocalPartition.VotesDirectory(data, 0)).ToList();
        var letters = LocalDeadLetterSink.ReadAll(LocalPartition.DeadLetterDirectory(data, 0));
        output?.WriteLine($"{records.Count} records: {votes.Count} accepted, {letters.Count} dead letters; expected {string.Join(", ", h.Load.ExpectedCounts.Select(kv => $"{kv.Key} {kv.Value}"))}");

        var seen = new HashSet<long>();
        for (int k = 0; k < votes.Count; k++)
        {
            var v = votes[k];
            Assert.Equal(k, v.MmrIndex);
            Assert.True(seen.Add(v.Offset), $"offset {v.Offset} accepted twice");
            var r = records[byOffset[v.Offset]];
            Assert.Equal("accepted", r.Expected);
            Assert.Equal(r.Plaintext, v.Record);
        }
        foreach (var d in letters)
        {
            Assert.True(seen.Add(d.Offset), $"offset {d.Offset} has two verdicts");
            var r = records[byOffset[d.Offset]];
            Assert.Equal(r.Expected, d.Reason);
            Assert.Equal(r.Key, d.Key);
            Assert.Equal(r.Value, d.Value);
        }
        Assert.Equal(records.Count, seen.Count); // nothing lost
        Assert.Equal(h.Load.ExpectedCounts.GetValueOrDefault("accepted"), votes.Count);

        var expectedRoot = h.Load.ExpectedRoot();
        using var nodes = TVS.Storage.FileMmrNodeStore.Open(LocalPartition.MmrFile(data, 0));
        var mmr = new MerkleMountainRange(nodes);
        Assert.Equal(votes.Count, mmr.LeafCount);
        Assert.Equal(expectedRoot, mmr.Root);

        var note = File.ReadAllText(Path.Combine(LocalPartition.CheckpointDirectory(data, 0), LocalCheckpointSink.LatestFile));
        var checkpoint = Checkpoint.Open(note, h.Election.Signer.Verifier, h.Election.Origin(0));
        Assert.Equal(votes.Count, checkpoint.Size);
        Assert.Equal(expectedRoot, checkpoint.Root);
    }

    [Fact]
    public void Small_mixed_load_gets_exactly_the_expected_verdicts()
    {
        using var h = new EngineHarness(new LoadMix { Voters = 1_500, Duplicates = 0.05, BadProofs = 0.05, WrongRoots = 0.01, Malformed = 0.02, Seed = 11 }, fixtures: true);
        var engine = h.Run(h.DataDir());
        Assert.Equal(h.Load.Records.Count, engine.Stats.Committed);
        AssertOutcome(h, h.DataDir(), _output);
        // Every kind of refusal the load generator makes was exercised.
        foreach (var code in new[] { "duplicate", "bad_proof", "not_on_curve", "non_canonical", "unknown_root", "malformed", "envelope", "wrong_election", "nullifier_mismatch" })
        {
            Assert.True(h.Load.ExpectedCounts.GetValueOrDefault(code) > 0, code);
        }
    }
}

public class DurableHookTests
{
    [Fact]
    public void OnDurable_reports_every_commit_in_order_ending_at_the_final_progress()
    {
        using var h = new EngineHarness(new LoadMix { Voters = 600, Seed = 31 });
        var seen = new List<TVS.Engine.Ports.PartitionProgress>();
        var engine = h.Run(h.DataDir(), EngineHarness.SmallOptions with { FlushMaxVotes = 100, OnDurable = p => seen.Add(p) });
        Assert.True(seen.Count >= 2, $"{seen.Count} commits"); // how many depends on how the stages batch; at least the size-based and the final one
        for (int i = 1; i < seen.Count; i++)
        {
            Assert.True(seen[i].NextOffset > seen[i - 1].NextOffset);
            Assert.True(seen[i].MmrSize >= seen[i - 1].MmrSize);
        }
        Assert.Equal(engine.Progress, seen[^1]);
        Assert.Equal(h.Load.Records.Count, seen[^1].Accepted + seen[^1].Rejected);
    }
}

public class LargeEndToEndTests
{
    private readonly ITestOutputHelper _output;

    public LargeEndToEndTests(ITestOutputHelper output) => _output = output;

    /// <summary>Issue 3's end-to-end check at its size: 50,000 voters, 5% duplicates, 5% bad proofs, 1% malformed.</summary>
    [Fact]
    public void Fifty_thousand_votes_with_duplicates_bad_proofs_and_malformed_records()
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        using var h = new EngineHarness(new LoadMix { Voters = 50_000, Duplicates = 0.05, BadProofs = 0.05, Malformed = 0.01, Seed = 50 }, fixtures: true);
        _output.WriteLine($"minted {h.Load.Records.Count} records in {sw.Elapsed.TotalSeconds:F1} s");
        sw.Restart();
        var engine = h.Run(h.DataDir(), EngineHarness.SmallOptions with { RingSize = 2048, VerifyMaxBatch = 128, FlushMaxVotes = 4096, CheckpointEveryRecords = 20_000 });
        _output.WriteLine($"engine: {engine.Stats.Committed} records in {sw.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(h.Load.Records.Count, engine.Stats.Committed);
        EndToEndTests.AssertOutcome(h, h.DataDir(), _output);
    }
}
