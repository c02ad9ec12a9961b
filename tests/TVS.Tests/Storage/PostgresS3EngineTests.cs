using System.Buffers.Binary;
using System.Security.Cryptography;
using TVS.Engine.Ports;
using TVS.Engine.Processing;
using TVS.LoadGen;
using TVS.Merkle;
using TVS.Storage;
using TVS.Storage.Local;
using TVS.Storage.Postgres;
using TVS.Storage.S3;
using TVS.Tests.Engine;
using Xunit.Abstractions;

namespace TVS.Tests.Storage;

/// <summary>
/// The engine over PostgreSQL and S3 (the local stores for nullifiers, MMR, dead letters and
/// checkpoints) against the embedded run of the same input: same rows, same MMR root, one
/// byte-exact batch object per batch covering the MMR indexes without gap or overlap; and the
/// same end state after PostgreSQL or the S3 server goes away for a few seconds mid-run.
/// </summary>
[Collection(ExternalServicesCollection.Name)]
public class PostgresS3EngineTests
{
    private readonly ITestOutputHelper _output;

    public PostgresS3EngineTests(ITestOutputHelper output) => _output = output;

    private static readonly FasterNullifierStoreOptions SmallFaster = new() { IndexBuckets = 1 << 16, LogMemoryBytes = 1 << 24, PageBytes = 1 << 20 };

    private sealed record RunResult(PartitionEngine Engine, List<string> Warnings);

    /// <summary>Runs the engine over PostgreSQL + S3; <paramref name="during"/> runs on another thread while it works.</summary>
    private static RunResult RunOverServices(EngineHarness h, string cs, S3BlobSinkOptions s3, Action<PartitionEngine>? during = null)
    {
        var warnings = new List<string>();
        var options = EngineHarness.SmallOptions with
        {
            FlushMaxVotes = 200,
            OnWarning = w => { lock (warnings) { warnings.Add(w); } },
        };
        string data = h.DataDir("services");
        using var local = LocalPartition.Open(data, 0, SmallFaster);
        using var input = LocalInputLog.Open(h.InputPath);
        using var votes = PostgresVoteStore.Open(cs, h.Election.Id, 0);
        using var blobs = new S3BlobSink(s3);
        var engine = new PartitionEngine(h.Election.CreateOpener(), h.Election.CreateAdmission(), h.Election.Signer, h.Election.Origin(0),
            options with { Partition = 0 }, local.Nullifiers, local.Mmr, input, votes, blobs, local.DeadLetters, local.Checkpoints);
        var side = during is null ? Task.CompletedTask : Task.Run(() => during(engine));
        engine.Run(CancellationToken.None, stopAtEnd: true);
        side.Wait();
        return new RunResult(engine, warnings);
    }

    private void AssertSameAsEmbedded(EngineHarness h, string cs, S3BlobSink reader, PartitionEngine engine)
    {
        var embedded = h.Run(h.DataDir("embedded"));
        var expectedVotes = LocalVoteStore.ReadAll(LocalPartition.VotesDirectory(h.DataDir("embedded"), 0)).ToList();
        using var store = PostgresVoteStore.Open(cs, h.Election.Id, 0);

        // Rows: the embedded run's records, in MMR order.
        var rows = store.ReadAll();
        Assert.Equal(expectedVotes.Count, rows.Count);
        Assert.Equal(h.Load.ExpectedCounts.GetValueOrDefault("accepted"), rows.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.Equal(expectedVotes[i].MmrIndex, rows[i].MmrIndex);
            Assert.Equal(expectedVotes[i].Offset, rows[i].Offset);
            Assert.Equal(expectedVotes[i].Record, rows[i].Record);
        }

        // Progress: the MMR root the embedded run reaches, and the RFC 9162 root of the accepted list.
        var progress = store.LoadProgress();
        Assert.Equal(embedded.Progress, progress);
        Assert.Equal(engine.Progress, progress);
        Assert.Equal(h.Load.ExpectedRoot(), progress.MmrRoot);
        Assert.Equal(rows.Count, progress.MmrSize);

        // Objects: one per batch, byte-exact (SHA-256 trailer), contiguous MMR ranges, same entries as the rows.
        var keys = reader.ListKeys($"elections/{h.Election.Id:D}/p0/");
        long next = 0;
        foreach (string key in keys.Order(StringComparer.Ordinal))
        {
            var o = reader.Get(key)!;
            Assert.True(o.Length >= VoteBatch.ObjectHeaderSize + 32, key);
            Assert.Equal(SHA256.HashData(o.AsSpan(0, o.Length - 32)), o[^32..]);
            Assert.Equal("TVSB"u8.ToArray(), o[..4]);
            Assert.Equal(VoteBatch.ObjectVersion, o[4]);
            Assert.Equal(h.Election.Id, new Guid(o.AsSpan(8, 16), bigEndian: true));
            Assert.Equal(0, BinaryPrimitives.ReadInt32BigEndian(o.AsSpan(24)));
            long first = BinaryPrimitives.ReadInt64BigEndian(o.AsSpan(28));
            int count = BinaryPrimitives.ReadInt32BigEndian(o.AsSpan(36));
            Assert.Equal(next, first); // no gap, no overlap
            Assert.Equal(VoteBatch.ObjectKey(h.Election.Id, 0, first, first + count - 1), key);
            int p = VoteBatch.ObjectHeaderSize;
            for (int k = 0; k < count; k++)
            {
                long index = BinaryPrimitives.ReadInt64BigEndian(o.AsSpan(p));
                long offset = BinaryPrimitives.ReadInt64BigEndian(o.AsSpan(p + 8));
                int n = BinaryPrimitives.ReadInt32BigEndian(o.AsSpan(p + 16));
                var row = rows[(int)index];
                Assert.Equal(first + k, index);
                Assert.Equal(row.Offset, offset);
                Assert.Equal(row.Record, o[(p + 20)..(p + 20 + n)]);
                p += 20 + n;
            }
            Assert.Equal(o.Length - 32, p);
            next = first + count;
        }
        Assert.Equal(rows.Count, next);
        _output.WriteLine($"{rows.Count} rows, {keys.Count} objects, root {progress.MmrRoot.ToHex()}");
    }

    private static LoadMix Mix(int voters, int seed) => new() { Voters = voters, Duplicates = 0.05, BadProofs = 0.02, WrongRoots = 0.01, Malformed = 0.02, Seed = seed };

    [Fact]
    public void The_engine_over_PostgreSQL_and_S3_stores_what_the_embedded_engine_stores()
    {
        if (!TestServices.Postgres(_output, out string cs) || !TestServices.S3(_output, out var s3))
        {
            return;
        }
        using var h = new EngineHarness(Mix(1_200, 21));
        var run = RunOverServices(h, cs, s3);
        Assert.Equal(h.Load.Records.Count, run.Engine.Stats.Committed);
        Assert.Empty(run.Warnings);
        using var reader = new S3BlobSink(s3);
        AssertSameAsEmbedded(h, cs, reader, run.Engine);
    }

    [Fact]
    public void PostgreSQL_stopped_mid_run_stalls_the_engine_which_then_finishes_intact()
    {
        if (!TestServices.Postgres(_output, out string cs) || !TestServices.S3(_output, out var s3))
        {
            return;
        }
        using var h = new EngineHarness(Mix(3_000, 22));
        var run = RunOverServices(h, cs, s3, engine =>
        {
            WaitForFirstCommit(engine);
            StopForTenSeconds(engine, "pg");
        });
        Report(run);
        Assert.Contains(run.Warnings, w => w.Contains("votes and progress", StringComparison.Ordinal));
        Assert.Equal(h.Load.Records.Count, run.Engine.Stats.Committed);
        using var reader = new S3BlobSink(s3);
        AssertSameAsEmbedded(h, cs, reader, run.Engine);
    }

    [Fact]
    public void The_S3_server_killed_mid_run_stalls_the_engine_which_then_finishes_intact()
    {
        if (!TestServices.Postgres(_output, out string cs) || !TestServices.S3(_output, out var s3))
        {
            return;
        }
        using var h = new EngineHarness(Mix(3_000, 23));
        var run = RunOverServices(h, cs, s3, engine =>
        {
            WaitForFirstCommit(engine);
            StopForTenSeconds(engine, "s3");
        });
        Report(run);
        Assert.Contains(run.Warnings, w => w.Contains("batch object", StringComparison.Ordinal));
        Assert.Equal(h.Load.Records.Count, run.Engine.Stats.Committed);
        using var reader = new S3BlobSink(s3);
        AssertSameAsEmbedded(h, cs, reader, run.Engine);
    }

    /// <summary>Stops a service for 10 s (tests/services.sh {service}-stop/-start); after the first second nothing more may become durable until it is back.</summary>
    private static void StopForTenSeconds(PartitionEngine engine, string service)
    {
        TestServices.Control($"{service}-stop");
        long stalledAt, stalledAfter;
        try
        {
            Thread.Sleep(1000);
            stalledAt = engine.Stats.Committed;
            Thread.Sleep(9000);
            stalledAfter = engine.Stats.Committed;
        }
        finally
        {
            TestServices.Control($"{service}-start");
        }
        Assert.Equal(stalledAt, stalledAfter);
    }

    private static void WaitForFirstCommit(PartitionEngine engine)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (engine.Stats.Committed == 0 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }
    }

    private void Report(RunResult run)
    {
        _output.WriteLine($"{run.Warnings.Count} warnings; first: {run.Warnings.FirstOrDefault()}");
        _output.WriteLine($"committed {run.Engine.Stats.Committed} when the outage began was > 0; final progress {run.Engine.Progress}");
    }
}
