using TVS.Engine.Processing;
using TVS.LoadGen;
using TVS.Storage;
using TVS.Storage.Local;

namespace TVS.Tests.Engine;

/// <summary>A temporary election, a generated load in a local input log, and helpers to run the embedded engine over it.</summary>
internal sealed class EngineHarness : IDisposable
{
    /// <param name="underSignedRoots">extra simulated roots signed by only t − 1 issuers (forged roots: their votes must come out unknown_root).</param>
    public EngineHarness(LoadMix mix, bool fixtures = false, int underSignedRoots = 0)
    {
        Root = Path.Combine(Path.GetTempPath(), "tvs-e2e-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
        string? fixtureDir = fixtures ? Path.Combine(ExternalTools.RepoRoot(), "tests", "fixtures", "groth16") : null;
        Election = ElectionSetup.CreateSimulated(Path.Combine(Root, "election"), fixtures: fixtureDir, underSignedRoots: underSignedRoots);
        Load = LoadGenerator.Generate(Election, mix with { Fixtures = fixtureDir });
        InputPath = Path.Combine(Root, "input.log");
        using var writer = LocalInputLogWriter.Open(InputPath);
        Offsets = new long[Load.Records.Count];
        for (int i = 0; i < Load.Records.Count; i++)
        {
            Offsets[i] = writer.Append(Load.Records[i].Key, Load.Records[i].Value);
        }
        writer.Seal();
    }

    public string Root { get; }
    public ElectionSetup Election { get; }
    public GeneratedLoad Load { get; }
    public string InputPath { get; }
    public long[] Offsets { get; }
    public string DataDir(string name = "data") => Path.Combine(Root, name);

    public static EngineOptions SmallOptions => new()
    {
        RingSize = 1024,
        ArenaBytes = 8 << 20,
        VerifyThreads = 2,
        VerifyMaxBatch = 32,
        FlushMaxVotes = 500,
        CheckpointEveryRecords = 2_000,
    };

    /// <summary>Runs the engine to the end of the input (or until <paramref name="stop"/>) over the stores in <paramref name="data"/>.</summary>
    public PartitionEngine Run(string data, EngineOptions? options = null, CancellationToken stop = default)
    {
        using var partition = LocalPartition.Open(data, 0, new FasterNullifierStoreOptions { IndexBuckets = 1 << 16, LogMemoryBytes = 1 << 24, PageBytes = 1 << 20 });
        using var input = LocalInputLog.Open(InputPath);
        var engine = partition.CreateEngine(Election.CreateOpener(), Election.CreateAdmission(), Election.Signer, Election.Origin(0), options ?? SmallOptions, input);
        engine.Run(stop, stopAtEnd: true);
        return engine;
    }

    public void Dispose()
    {
        Election.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
