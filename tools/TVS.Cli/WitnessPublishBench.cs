using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using TVS.Engine.Board;
using TVS.Engine.Election;
using TVS.Engine.Ports;
using TVS.Merkle;
using TVS.Storage.Board;
using TVS.Witness;

namespace TVS.Cli;

/// <summary>
/// <c>tvs witness bench-publish</c> (docs/PERFORMANCE.md, "Witnessed publication"): the latency a
/// board publication round gains when each checkpoint is cosigned by N loopback witnesses first.
/// Two publishers follow the same growing log, each onto its own board directory (LocalBoardStore,
/// fsynced): one without witnesses, one with them (WitnessServer on 127.0.0.1, durable state);
/// every round appends the same records and times both rounds.
/// </summary>
internal static class WitnessPublishBench
{
    public static Command Build()
    {
        var c = new Command("bench-publish", "Measure the publication latency added per checkpoint by N loopback witnesses (docs/PERFORMANCE.md)");
        var rounds = new Option<int>("--rounds") { Description = "checkpoints published", DefaultValueFactory = _ => 200 };
        var witnesses = new Option<int>("--witnesses") { Description = "loopback witnesses (quorum: majority)", DefaultValueFactory = _ => 3 };
        var records = new Option<int>("--records") { Description = "records (800 bytes) appended per checkpoint", DefaultValueFactory = _ => 100 };
        var dir = new Option<DirectoryInfo?>("--dir") { Description = "where the boards and witness states go (default: a temporary directory, deleted after)" };
        foreach (var o in new Option[] { rounds, witnesses, records, dir })
        {
            c.Options.Add(o);
        }
        c.SetAction(async (r, cancel) =>
        {
            string root = r.GetValue(dir)?.FullName ?? Path.Combine(Path.GetTempPath(), "tvs-publish-bench-" + Guid.NewGuid().ToString("N")[..8]);
            try
            {
                return await RunAsync(Math.Max(1, r.GetValue(rounds)), Math.Clamp(r.GetValue(witnesses), 1, 64), Math.Max(1, r.GetValue(records)), root, cancel);
            }
            finally
            {
                if (r.GetValue(dir) is null)
                {
                    Directory.Delete(root, recursive: true);
                }
            }
        });
        return c;
    }

    private static async Task<int> RunAsync(int rounds, int count, int perRound, string root, CancellationToken cancel)
    {
        string origin = $"tvs/{Guid.NewGuid():D}/p0";
        using var logKey = NoteSigner.Generate("tvs-bench");
        var source = new GrowingSource(origin, logKey);
        var keys = Enumerable.Range(1, count).Select(i => CosignatureSigner.Generate($"bench.witness/w{i}")).ToList();
        var logs = new[] { new WitnessLog(origin, [logKey.Verifier]) };
        var servers = new List<WitnessServer>();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            foreach (var k in keys)
            {
                servers.Add(await WitnessServer.StartAsync(new WitnessService(k, logs, new WitnessState(Path.Combine(root, k.Name.Replace('/', '-')), [origin])),
                    new WitnessOptions { Listen = "http://127.0.0.1:0" }, cancel));
            }
            var policy = WitnessPolicy.Create(keys.Select(k => k.Verifier.VerifierKey).ToList(), count / 2 + 1);
            using var plainBoard = new LocalBoardStore(Path.Combine(root, "board-plain"));
            using var witnessedBoard = new LocalBoardStore(Path.Combine(root, "board-witnessed"));
            var plain = new BoardPublisher(plainBoard, source, 0, logKey.Verifier, origin);
            var witnessed = new BoardPublisher(witnessedBoard, source, 0, logKey.Verifier, origin,
                servers.Zip(keys).Select(p => (ICheckpointWitness)new WitnessClient(http, p.First.Address, p.Second.Verifier)).ToList(), policy);
            Console.WriteLine($"{rounds} checkpoints, {perRound} records of 800 bytes each, {count} witnesses on loopback (quorum {policy.Quorum}); {Environment.ProcessorCount} cores; {root}");
            var plainMs = new List<double>();
            var witnessedMs = new List<double>();
            var cosignMs = new List<double>();
            for (int i = 0; i <= rounds; i++)
            {
                source.Grow(perRound);
                long t0 = Stopwatch.GetTimestamp();
                plain.PublishOnce();
                double a = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                t0 = Stopwatch.GetTimestamp();
                var done = witnessed.PublishOnce();
                double b = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                if (done.Cosigning is not { Check.Met: true })
                {
                    throw new InvalidOperationException($"round {i}: {done.Cosigning?.Check}");
                }
                if (i > 0) // round 0: connections, JIT
                {
                    plainMs.Add(a);
                    witnessedMs.Add(b);
                    cosignMs.Add(done.CosignTime.TotalMilliseconds);
                }
            }
            Report("publish round without witnesses (tiles + checkpoint, fsync)", plainMs);
            Report($"publish round with {count} witnesses", witnessedMs);
            Report("  of which waiting for the witnesses (parallel add-checkpoint)", cosignMs);
            return ExitCodes.Ok;
        }
        finally
        {
            foreach (var s in servers)
            {
                await s.DisposeAsync();
            }
            keys.ForEach(k => k.Dispose());
        }
    }

    private static void Report(string what, List<double> ms)
    {
        ms.Sort();
        double P(double q) => ms[Math.Min(ms.Count - 1, (int)(q * ms.Count))];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: mean {ms.Average():F2} ms, p50 {P(0.5):F2}, p90 {P(0.9):F2}, p99 {P(0.99):F2}, max {ms[^1]:F2}"));
    }

    private sealed class GrowingSource(string origin, NoteSigner signer) : IBoardSource
    {
        private readonly List<byte[]> _records = [];
        private readonly MerkleMountainRange _mmr = new(new InMemoryMmrNodeStore());
        private StoredCheckpoint? _latest;

        public void Grow(int n)
        {
            for (int i = 0; i < n; i++)
            {
                byte[] r = new byte[800];
                Random.Shared.NextBytes(r);
                _records.Add(r);
                _mmr.Append(r);
            }
            long size = _records.Count;
            _latest = new StoredCheckpoint(0, size, _mmr.RootAt(size), Checkpoint.Of(origin, _mmr, size).Sign(signer));
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
