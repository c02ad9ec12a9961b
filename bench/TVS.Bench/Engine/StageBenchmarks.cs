using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using TVS.Engine.Pipeline;
using TVS.Engine.Ports;
using TVS.Engine.Processing;
using TVS.LoadGen;
using TVS.Merkle;
using TVS.Storage;
using TVS.Storage.Local;

namespace TVS.Bench.Engine;

/// <summary>
/// Cost per vote of each engine stage but proof verification, on one core, with the real
/// components (libsodium HPKE, FASTER, the MMR node file, local files with fsync): each
/// iteration runs one stage over 4,096 minted votes in batches of 256, as the pipeline would.
/// Results: docs/PERFORMANCE.md, "Engine stages".
/// </summary>
[Config(typeof(StageConfig))]
[MemoryDiagnoser]
public class StageBenchmarks
{
    private const int Votes = 4096;
    private const int Batch = 256;

    private sealed class StageConfig : ManualConfig
    {
        public StageConfig() => AddJob(Job.Default.WithInvocationCount(1).WithUnrollFactor(1).WithWarmupCount(3).WithIterationCount(12).WithId("Stage"));
    }

    private string _dir = "";
    private ElectionSetup _election = null!;
    private GeneratedLoad _load = null!;
    private PartitionContext _ctx = null!;
    private VoteSlot[] _slots = [];
    private VoteSlot[] _opened = [];
    private FasterNullifierStore _store = null!;
    private FileMmrNodeStore _nodes = null!;
    private LocalVoteStore _votes = null!;
    private LocalDeadLetterSink _dead = null!;
    private int _round;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("tvs-bench-stages-").FullName;
        _election = ElectionSetup.CreateSimulated(Path.Combine(_dir, "election"));
        _load = LoadGenerator.Generate(_election, new LoadMix { Voters = Votes, Duplicates = 0, BadProofs = 0, Malformed = 0, Seed = 3 });
        NewStores();
        _slots = new VoteSlot[Votes];
        for (int i = 0; i < Votes; i++)
        {
            Ingest(i);
        }
        _opened = (VoteSlot[])_slots.Clone();
        var open = new OpenStage(_ctx);
        for (int i = 0; i < Votes; i += Batch)
        {
            open.OnBatch(_opened.AsSpan(i, Batch), i);
        }
        for (int i = 0; i < Votes; i++)
        {
            _opened[i].LeafHash = Rfc9162.HashLeaf(_ctx.PlaintextOf(_opened[i]));
        }
    }

    private void NewStores()
    {
        string d = Path.Combine(_dir, "data-" + _round++);
        _store?.Dispose();
        _nodes?.Dispose();
        _votes?.Dispose();
        _dead?.Dispose();
        _store = FasterNullifierStore.Open(Path.Combine(d, "nullifiers"), new FasterNullifierStoreOptions { IndexBuckets = 1 << 16, LogMemoryBytes = 1 << 26, PageBytes = 1 << 22 });
        _nodes = FileMmrNodeStore.Open(Path.Combine(d, "mmr.nodes"));
        _votes = LocalVoteStore.Open(Path.Combine(d, "votes"));
        _dead = LocalDeadLetterSink.Open(Path.Combine(d, "dead"));
        var arena = _ctx?.Arena ?? new SlotArena(64 << 20);
        _ctx = new PartitionContext(new EngineOptions { FlushMaxVotes = Votes }, arena, _election.CreateOpener(), _election.CreateAdmission(), _store,
            new MerkleMountainRange(_nodes), _votes, new LocalBlobSink(Path.Combine(d, "objects")), _dead, new LocalCheckpointSink(Path.Combine(d, "cp")),
            _election.Signer, _election.Origin(0), new EngineStats());
    }

    /// <summary>What the ingest thread does per record: arena space, copy, slot fields.</summary>
    private void Ingest(int i)
    {
        var r = _load.Records[i];
        int need = r.Key.Length + r.Value.Length + PartitionContext.PlaintextRoom(r.Value.Length);
        ref VoteSlot s = ref _slots[i];
        s = default;
        s.Kind = SlotKind.Vote;
        s.Offset = i;
        s.NextOffset = i + 1;
        s.ArenaStart = _ctx.Arena.Take(need);
        s.KeyLength = r.Key.Length;
        s.ValueLength = r.Value.Length;
        r.Key.CopyTo(_ctx.KeyOf(s));
        r.Value.CopyTo(_ctx.ValueOf(s));
    }

    [IterationSetup(Targets = [nameof(Commit), nameof(Append), nameof(Flush)])]
    public void FreshStores()
    {
        NewStores();
        for (int i = 0; i < Votes; i++)
        {
            _opened[i].Reason = default;
            _opened[i].KnownNullifier = false;
            _opened[i].HasRoot = false;
        }
    }

    [Benchmark(OperationsPerInvoke = Votes, Description = "ingest: arena copy + slot")]
    public void IngestCopy()
    {
        for (int i = 0; i < Votes; i++)
        {
            Ingest(i);
        }
    }

    [Benchmark(OperationsPerInvoke = Votes, Description = "open: HPKE open + parse + admission")]
    public void Open()
    {
        var open = new OpenStage(_ctx);
        for (int i = 0; i < Votes; i += Batch)
        {
            open.OnBatch(_slots.AsSpan(i, Batch), i);
        }
    }

    [Benchmark(OperationsPerInvoke = Votes, Description = "pre-check: FASTER lookup")]
    public void PreCheck()
    {
        var stage = new PreCheckStage(_ctx);
        for (int i = 0; i < Votes; i += Batch)
        {
            stage.OnBatch(_opened.AsSpan(i, Batch), i);
        }
    }

    [Benchmark(OperationsPerInvoke = Votes, Description = "commit: FASTER insert")]
    public void Commit()
    {
        var stage = new CommitStage(_ctx, 0);
        for (int i = 0; i < Votes; i += Batch)
        {
            stage.OnBatch(_opened.AsSpan(i, Batch), i);
        }
    }

    [Benchmark(OperationsPerInvoke = Votes, Description = "append: MMR append + root per batch")]
    public void Append()
    {
        var stage = new AppendStage(_ctx, -1);
        for (int i = 0; i < Votes; i++)
        {
            _opened[i].MmrIndex = i;
        }
        for (int i = 0; i < Votes; i += Batch)
        {
            stage.OnBatch(_opened.AsSpan(i, Batch), i);
        }
    }

    [Benchmark(OperationsPerInvoke = Votes, Description = "flush: batch + object + votes + progress (fsync)")]
    public void Flush()
    {
        var worker = new FlushWorker(_ctx, _election.Id, 0, 0, 0, Rfc9162.EmptyRoot);
        for (int i = 0; i < Votes; i++)
        {
            _opened[i].MmrIndex = i;
            _opened[i].HasRoot = i == Votes - 1;
            _opened[i].MmrSizeAfter = i + 1;
        }
        for (int i = 0; i < Votes; i += Batch)
        {
            worker.Process(_opened.AsSpan(i, Batch), i);
        }
        if (_ctx.Progress.NextOffset != Votes)
        {
            throw new InvalidOperationException("the flush did not commit");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        _nodes.Dispose();
        _votes.Dispose();
        _dead.Dispose();
        _election.Dispose();
        Directory.Delete(_dir, true);
    }
}
