using System.Text;
using TVS.Engine.Board;
using TVS.Engine.Election;
using TVS.Engine.Ports;
using TVS.Merkle;
using TVS.Witness;
using Xunit;

namespace TVS.Tests.Witness;

/// <summary>Issue #17 integration: the board publisher with real witness servers, one or two of them down for a while.</summary>
public sealed class BoardWitnessingTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task PublisherKeepsGoingWithWitnessesDownAndCatchesUpWhenTheyReturn()
    {
        var source = new MemorySource("tvs/" + Guid.NewGuid().ToString("D") + "/p0");
        var board = new MemoryBoard();
        using var k1 = CosignatureSigner.Generate("w1");
        using var k2 = CosignatureSigner.Generate("w2");
        using var k3 = CosignatureSigner.Generate("w3");
        var logs = new[] { new WitnessLog(source.Origin, [source.Signer.Verifier]) };
        Task<WitnessServer> Start(CosignatureSigner k, string listen = "http://127.0.0.1:0")
            => WitnessServer.StartAsync(new WitnessService(k, logs, new WitnessState(Path.Combine(_dir.Path, k.Name), [source.Origin])), new WitnessOptions { Listen = listen });
        await using WitnessServer s1 = await Start(k1);
        WitnessServer s2 = await Start(k2), s3 = await Start(k3);
        Uri a2 = s2.Address, a3 = s3.Address;
        await s2.DisposeAsync(); // w2 and w3 down
        await s3.DisposeAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var policy = WitnessPolicy.Create([k1.Verifier.VerifierKey, k2.Verifier.VerifierKey, k3.Verifier.VerifierKey], 2);
        var warnings = new List<string>();
        // The back-off runs on a clock stepped by hand: how long a loaded machine takes between
        // two rounds cannot change which witness is due.
        long clock = 0;
        void Advance(double seconds) => Interlocked.Add(ref clock, (long)(seconds * System.Diagnostics.Stopwatch.Frequency));
        using var follower = new BoardFollower(board, source, source.Signer.Verifier, _ => source.Origin, () => [0], warnings.Add)
        {
            BackoffClock = () => Interlocked.Read(ref clock),
            Witnesses = [new WitnessClient(http, s1.Address, k1.Verifier), new WitnessClient(http, a2, k2.Verifier), new WitnessClient(http, a3, k3.Verifier)],
            WitnessPolicy = policy,
        };
        string Published() => Encoding.UTF8.GetString(board.TryGet("p0/checkpoint")!);

        // Two of three down: the checkpoint goes up anyway, below quorum, with w1's cosignature.
        source.Grow(300);
        Assert.True(follower.RunOnce());
        var check = policy.Check(Published());
        Assert.Equal(300, Checkpoint.Open(Published(), source.Signer.Verifier).Size);
        Assert.False(check.Met);
        Assert.Equal(["w1"], check.Cosigners.Select(c => c.Witness.Name));
        Assert.Equal(2, follower.WitnessFailures);
        Assert.Equal(1, follower.PublishedBelowQuorum);
        Assert.Contains(warnings, w => w.Contains("witness w2", StringComparison.Ordinal));

        // w2 returns: the same checkpoint is re-submitted (after the back-off) and republished at quorum.
        await using WitnessServer s2b = await Start(k2, a2.ToString());
        Advance(1.2);
        Assert.True(follower.RunOnce());
        check = policy.Check(Published());
        Assert.True(check.Met, check.ToString());
        Assert.Equal(300, Checkpoint.Open(Published(), source.Signer.Verifier).Size);

        // New checkpoints go up at quorum while w3 stays down (called only after its back-off).
        source.Grow(40);
        Assert.True(follower.RunOnce());
        Assert.Equal(340, Checkpoint.Open(Published(), source.Signer.Verifier).Size);
        Assert.True(policy.Check(Published()).Met);
        Assert.True(follower.WitnessCallsDeferred >= 1);

        // w3 returns: its cosignature appears on a later publication (it has seen nothing: old 0).
        await using WitnessServer s3b = await Start(k3, a3.ToString());
        Advance(2.3);
        source.Grow(5);
        Assert.True(follower.RunOnce());
        check = policy.Check(Published());
        Assert.Equal(345, Checkpoint.Open(Published(), source.Signer.Verifier).Size);
        Assert.Equal(3, check.Cosigners.Count);
        Assert.True(follower.CosignaturesObtained >= 6);

        // A new publisher (a restart) resumes from the cosigned board and relearns sizes from the 409s.
        using var restarted = new BoardFollower(board, source, source.Signer.Verifier, _ => source.Origin, () => [0], warnings.Add)
        {
            Witnesses = [new WitnessClient(http, s1.Address, k1.Verifier), new WitnessClient(http, a2, k2.Verifier), new WitnessClient(http, a3, k3.Verifier)],
            WitnessPolicy = policy,
        };
        source.Grow(1000);
        Assert.True(restarted.RunOnce());
        check = policy.Check(Published());
        Assert.Equal(1345, Checkpoint.Open(Published(), source.Signer.Verifier).Size);
        Assert.Equal(3, check.Cosigners.Count);
        Assert.Equal(0, restarted.WitnessFailures);
    }

    [Fact]
    public async Task SplitViewPublishedThroughTwoWitnessServersIsCaughtWhenTheirCheckpointsMeet()
    {
        // The operator signs two different logs of one origin with the election's key and
        // publishes each on its own board, each shown to one witness only (over HTTP).
        string origin = "tvs/" + Guid.NewGuid().ToString("D") + "/p0";
        using var logKey = NoteSigner.Generate("tvs-test");
        var honest = new MemorySource(origin, "vote", logKey);
        var forked = new MemorySource(origin, "forged", logKey);
        using var k1 = CosignatureSigner.Generate("w1");
        using var k2 = CosignatureSigner.Generate("w2");
        var logs = new[] { new WitnessLog(origin, [logKey.Verifier]) };
        Task<WitnessServer> Start(CosignatureSigner k)
            => WitnessServer.StartAsync(new WitnessService(k, logs, new WitnessState(Path.Combine(_dir.Path, k.Name), [origin])), new WitnessOptions { Listen = "http://127.0.0.1:0" });
        await using WitnessServer s1 = await Start(k1), s2 = await Start(k2);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var policy = WitnessPolicy.Create([k1.Verifier.VerifierKey, k2.Verifier.VerifierKey], 2);
        var c1 = new WitnessClient(http, s1.Address, k1.Verifier);
        var c2 = new WitnessClient(http, s2.Address, k2.Verifier);
        var boardA = new MemoryBoard();
        var boardB = new MemoryBoard();
        honest.Grow(300);
        forked.Grow(300);
        var a = new BoardPublisher(boardA, honest, 0, logKey.Verifier, origin, [c1], policy).PublishOnce();
        var b = new BoardPublisher(boardB, forked, 0, logKey.Verifier, origin, [c2], policy).PublishOnce();
        Assert.True(a.CheckpointWritten && b.CheckpointWritten);
        // Neither view reaches the quorum of 2: receipts from either board are below_quorum.
        string noteA = Encoding.UTF8.GetString(boardA.TryGet("p0/checkpoint")!);
        string noteB = Encoding.UTF8.GetString(boardB.TryGet("p0/checkpoint")!);
        Assert.False(policy.Check(noteA).Met);
        Assert.False(policy.Check(noteB).Met);

        // A monitor fetches each witness's latest cosigned checkpoint (GET /{hash}/checkpoint): they meet as a fork.
        string path = WitnessState.OriginHash(origin) + "/checkpoint";
        string fromW1 = await http.GetStringAsync(new Uri(s1.Address, path));
        string fromW2 = await http.GetStringAsync(new Uri(s2.Address, path));
        SplitViewReport report = SplitView.Compare(fromW1, fromW2, logKey.Verifier, policy.Witnesses);
        Assert.Equal(SplitViewKind.SameSizeDifferentRoots, report.Kind);
        Assert.Equal("w1", report.CosignersA.Cosigners.Single().Witness.Name);
        Assert.Equal("w2", report.CosignersB.Cosigners.Single().Witness.Name);

        // Shown the other side, over HTTP, each witness refuses (422): no view can ever get both.
        Assert.Equal(WitnessFailure.Inconsistent, (await c1.AddCheckpointAsync(300, [], noteB)).Failure);
        Assert.Equal(WitnessFailure.Inconsistent, (await c2.AddCheckpointAsync(300, [], noteA)).Failure);
        forked.Grow(50);
        var later = new BoardPublisher(boardB, forked, 0, logKey.Verifier, origin, [c1, c2], policy).PublishOnce();
        Assert.False(later.Cosigning!.Check.Met);
        Assert.Equal(WitnessFailure.Inconsistent, later.Cosigning.Results[0].Result.Failure);
    }

    internal sealed class MemoryBoard : IBoardStore
    {
        private readonly Dictionary<string, byte[]> _files = [];

        public string Location => "memory";

        public void Put(string path, ReadOnlySpan<byte> content) => _files[path] = content.ToArray();

        public byte[]? TryGet(string path) => _files.GetValueOrDefault(path);

        public IEnumerable<string> List(string prefix) => _files.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

        public void Dispose()
        {
        }
    }

    /// <summary>An authority of one partition: records "vote-{i}", a checkpoint signed at each <see cref="Grow"/>.</summary>
    internal sealed class MemorySource(string origin, string prefix = "vote", NoteSigner? signer = null) : IBoardSource
    {
        private readonly List<byte[]> _records = [];
        private readonly MerkleMountainRange _mmr = new(new InMemoryMmrNodeStore());
        private StoredCheckpoint? _latest;

        public string Origin { get; } = origin;

        public NoteSigner Signer { get; } = signer ?? NoteSigner.Generate("tvs-test");

        public void Grow(int n)
        {
            for (int i = 0; i < n; i++)
            {
                byte[] r = Encoding.UTF8.GetBytes($"{prefix}-{_records.Count}");
                _records.Add(r);
                _mmr.Append(r);
            }
            long size = _records.Count;
            _latest = new StoredCheckpoint(0, size, _mmr.RootAt(size), Checkpoint.Of(Origin, _mmr, size).Sign(Signer));
        }

        public StoredCheckpoint? LatestCheckpoint(int partition) => _latest;

        public void ReadRecords(int partition, long from, long to, CommittedRecordVisitor visitor)
        {
            for (long i = from; i < to; i++)
            {
                visitor(i, _records[(int)i]);
            }
        }
    }
}
