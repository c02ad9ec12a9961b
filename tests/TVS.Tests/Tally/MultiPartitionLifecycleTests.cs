using System.Text;
using TVS.Cli;
using TVS.Crypto.Threshold;
using TVS.Engine.Tally;
using TVS.Engine.Votes;
using TVS.LoadGen;
using TVS.Merkle;
using TVS.Storage;
using TVS.Storage.Local;
using TVS.Tests.Engine;
using Xunit.Abstractions;

namespace TVS.Tests.Tally;

/// <summary>
/// An election of 3 partitions run once for the class: the input split by nullifier as Kafka
/// splits votes.pending (murmur2 of the key mod 3), one embedded engine per partition, then close,
/// 5 of 9 trustees decrypt, tally and export over all partitions. 900 voters by default
/// (TVS_LIFECYCLE_VOTERS overrides).
/// </summary>
public sealed class MultiPartitionFixture : IDisposable
{
    public const int Partitions = 3;

    public MultiPartitionFixture()
    {
        Voters = int.TryParse(Environment.GetEnvironmentVariable("TVS_LIFECYCLE_VOTERS"), out int v) ? v : 900;
        Root = Directory.CreateTempSubdirectory("tvs-multipartition-").FullName;
        var id = Guid.NewGuid();
        Ceremony = LocalCeremony.Run(new DkgParameters(id, 5, 9));
        Election = ElectionSetup.CreateSimulated(Path.Combine(Root, "election"), id: id, partitions: Partitions);
        CeremonyFiles.WriteJson(Path.Combine(Election.Directory, ElectionRecord.ElectionKeyFile), CeremonyFiles.ToJson(Ceremony.Result));
        Contests = ContestList.Sample();
        Contests.Write(Path.Combine(Election.Directory, ContestList.FileName));
        Load = LoadGenerator.Generate(Election, new LoadMix
        {
            Voters = Voters,
            Duplicates = 0.04,
            BadProofs = 0.01,
            Malformed = 0.01,
            Ballots = new BallotMix(Ceremony.Result.PublicKey, Contests.CandidateCounts(), OutOfRange: 0.01, WrongKey: 0.005),
        });
        Data = Path.Combine(Root, "data");
        var writers = Enumerable.Range(0, Partitions).Select(k => LocalInputLogWriter.Open(Input(k))).ToArray();
        foreach (var r in Load.Records)
        {
            writers[KeyPartitioner.PartitionOf(r.Key, Partitions)].Append(r.Key, r.Value);
        }
        foreach (var w in writers)
        {
            w.Seal();
            w.Dispose();
        }
        for (int k = 0; k < Partitions; k++)
        {
            using var partition = LocalPartition.Open(Data, k, new FasterNullifierStoreOptions { IndexBuckets = 1 << 14, LogMemoryBytes = 1 << 22, PageBytes = 1 << 20 });
            using var log = LocalInputLog.Open(Input(k));
            partition.CreateEngine(Election.CreateOpener(), Election.CreateAdmission(), Election.Signer, Election.Origin(k), EngineHarness.SmallOptions with { Partition = k }, log)
                .Run(default, stopAtEnd: true);
        }
        var output = new StringWriter();
        CloseExit = ElectionCommands.Close(Election.Directory, Data, output, output);
        Log.Append(output);
        ByPartition = CloseExit == 0 ? ElectionCommands.ReadClosedVotes(Election.Directory, Data, out _) : [];
        var ballots = new MemoryBallots(ByPartition);
        string shares = Path.Combine(Root, "shares");
        foreach (int j in new[] { 2, 3, 5, 7, 9 })
        {
            TrusteeDecryptor.Run(id, j, Ceremony.Shares[j - 1], Ceremony.Result.VerificationKey(j), ballots, Path.Combine(shares, ShareChunk.TrusteeDirectory(j)), chunkBallots: 128);
        }
        var tally = new StringWriter();
        TallyExit = ElectionCommands.Tally(Election.Directory, Data, null, [shares], null, false, tally, tally);
        Log.Append(tally);
        var export = new StringWriter();
        ExportExit = RecordCommands.Export(Election.Directory, Data, Path.Combine(Root, "export"), export, export);
        Log.Append(export);
        // The record as docs/formats.md "Election record" lays it out (the board plus the election's files).
        Record = Path.Combine(Root, "record");
        if (TallyExit == 0)
        {
            using var store = new TVS.Engine.IO.DirectoryRecordStore(Record);
            TestRecord.Write(Election.Directory, Data, Path.Combine(Data, ElectionCommands.TallyDirectory), store);
        }
    }

    public int Voters { get; }
    public string Root { get; }
    public LocalCeremonyResult Ceremony { get; }
    public ElectionSetup Election { get; }
    public ContestList Contests { get; }
    public GeneratedLoad Load { get; }
    public string Data { get; }
    public int CloseExit { get; }
    public int TallyExit { get; }
    public int ExportExit { get; }
    public List<List<AcceptedVote>> ByPartition { get; }
    public string Record { get; }
    public StringBuilder Log { get; } = new();

    public string Input(int k) => Path.Combine(Root, $"input-p{k}.log");

    public void Dispose()
    {
        Election.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}

public sealed class MultiPartitionLifecycleTests : IClassFixture<MultiPartitionFixture>
{
    private readonly MultiPartitionFixture _f;
    private readonly ITestOutputHelper _output;

    public MultiPartitionLifecycleTests(MultiPartitionFixture f, ITestOutputHelper output)
    {
        _f = f;
        _output = output;
    }

    [Fact]
    public void Kafka_murmur2_matches_the_java_client()
    {
        // Kafka's UtilsTest.testMurmur2 vectors: the gateway's producers (murmur2_random) place keys by this hash.
        Assert.Equal(-973932308, KeyPartitioner.Murmur2("21"u8));
        Assert.Equal(-790332482, KeyPartitioner.Murmur2("foobar"u8));
        Assert.Equal(-985981536, KeyPartitioner.Murmur2("a-little-bit-long-string"u8));
        Assert.Equal(-1486304829, KeyPartitioner.Murmur2("a-little-bit-longer-string"u8));
        Assert.Equal(-58897971, KeyPartitioner.Murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"u8));
        Assert.Equal(479470107, KeyPartitioner.Murmur2("abc"u8));
    }

    [Fact]
    public void Close_tally_export_and_verify_cover_every_partition()
    {
        _output.WriteLine(_f.Log.ToString());
        Assert.Equal(0, _f.CloseExit);
        Assert.Equal(0, _f.TallyExit);
        Assert.Equal(0, _f.ExportExit);
        Assert.Equal(MultiPartitionFixture.Partitions, _f.ByPartition.Count);
        Assert.All(_f.ByPartition, p => Assert.NotEmpty(p));
        Assert.Equal(_f.Load.ExpectedCounts["accepted"], _f.ByPartition.Sum(p => p.Count));

        // The tally combines all partitions: exactly the choices cast.
        var result = TallyResult.Parse(File.ReadAllText(Path.Combine(_f.Data, ElectionCommands.TallyDirectory, TallyResult.FileName)));
        Assert.Equal(_f.ByPartition.Sum(p => p.Count), result.Ballots);
        for (int k = 0; k < _f.Contests.Count; k++)
        {
            Assert.Equal(_f.Load.ExpectedTally![k], result.Counts[k]);
        }
        Assert.Equal(_f.Load.ExpectedSpoiled, result.SpoiledByReason());

        // The close statement: one head per partition, each the partition's final signed checkpoint.
        var close = CloseStatement.Open(File.ReadAllText(Path.Combine(_f.Data, CloseStatement.FileName)), _f.Election.Signer.Verifier, _f.Election.Id);
        Assert.Equal(MultiPartitionFixture.Partitions, close.Partitions);
        for (int k = 0; k < close.Partitions; k++)
        {
            var latest = Checkpoint.Open(File.ReadAllText(Path.Combine(LocalPartition.CheckpointDirectory(_f.Data, k), LocalCheckpointSink.LatestFile)), _f.Election.Signer.Verifier, _f.Election.Origin(k));
            Assert.Equal(new PartitionHead(k, latest.Size, latest.Root), close.Heads[k]);
        }

        var w = new StringWriter();
        int exit = RecordCommands.Verify(_f.Record, null, w, w);
        _output.WriteLine(w.ToString());
        Assert.Equal(0, exit);
        Assert.Contains("3 partition(s)", w.ToString());
        Assert.Contains("ok   dead-letters/:", w.ToString());
        for (int k = 0; k < MultiPartitionFixture.Partitions; k++)
        {
            Assert.True(Directory.GetFiles(Path.Combine(_f.Record, ElectionRecord.CheckpointsDirectory(k)), "*.note").Length > 0);
        }

        // A receipt in the last partition: vote → partition root → close root.
        VoteRecord.TryParse(_f.ByPartition[2][^1].Record, out var rec, out _);
        var r = new StringWriter();
        Assert.Equal(0, RecordCommands.Verify(_f.Record, rec.Nullifier.ToString(), r, r));
        Assert.Contains("receipt " + rec.Nullifier + ": partition 2", r.ToString());
    }

    [Fact]
    public void Close_refuses_a_partition_the_election_does_not_name()
    {
        string data = Path.Combine(_f.Root, "stray-data");
        Directory.CreateDirectory(Path.Combine(data, "p3"));
        var w = new StringWriter();
        Assert.Equal(ExitCodes.Invalid, ElectionCommands.Close(_f.Election.Directory, data, w, w));
        Assert.Contains("holds p3, which election.json does not name (partitions 3)", w.ToString());
    }

    public static TheoryData<string> Tamperings() => new(
        "vote moved between partitions", "same nullifier accepted in two partitions", "partition missing from the close statement", "votes of a partition the election does not have");

    [Theory]
    [MemberData(nameof(Tamperings))]
    public void Verify_catches_multi_partition_tampering_with_a_precise_message(string tampering)
    {
        Assert.Equal(0, _f.ExportExit);
        string rec = Path.Combine(_f.Root, "tampered-" + tampering.Replace(' ', '-'));
        CopyDirectory(_f.Record, rec);
        List<byte[]> Read(int k) => TestRecord.Entries(rec, _f.Election, k);
        void Write(int k, List<byte[]> v) => TestRecord.Reforge(rec, _f.Election, k, v); // a forger with the election's key re-signs
        string expected;
        switch (tampering)
        {
            case "vote moved between partitions":
                {
                    var p1 = Read(1);
                    var p2 = Read(2);
                    var moved = p1[^1];
                    p1.RemoveAt(p1.Count - 1);
                    p2.Add(moved);
                    Write(1, p1);
                    Write(2, p2);
                    VoteRecord.TryParse(moved, out var r, out _);
                    expected = $"{BundleOf(2, p2.Count - 1, p2.Count)}: entry {p2.Count - 1} (nullifier {r.Nullifier}): belongs to partition 1 (murmur2 of the nullifier mod 3), not 2: moved between partitions";
                    break;
                }
            case "same nullifier accepted in two partitions":
                {
                    var p0 = Read(0);
                    var p1 = Read(1);
                    p1.Add(p0[4]);
                    Write(1, p1);
                    VoteRecord.TryParse(p0[4], out var r, out _);
                    expected = $"{BundleOf(1, p1.Count - 1, p1.Count)}: entry {p1.Count - 1}: nullifier {r.Nullifier} already accepted in partition 0 ({BundleOf(0, 4, p0.Count)} entry 4): the same voter counted twice";
                    break;
                }
            case "partition missing from the close statement":
                {
                    // A close signed with the election's key (an operator's mistake, or a compromised
                    // closer) over partitions 0 and 1 only: partition 2's votes are outside it.
                    var close = CloseStatement.Open(File.ReadAllText(Path.Combine(rec, CloseStatement.FileName)), _f.Election.Signer.Verifier, _f.Election.Id);
                    File.WriteAllText(Path.Combine(rec, CloseStatement.FileName),
                        CloseStatement.Sign(_f.Election.Signer, _f.Election.Id, close.Heads.Take(2).ToList(), close.Heads.Take(2).Sum(h => h.Size), close.Rejected, DateTimeOffset.UtcNow));
                    TestRecord.Rehash(rec, _f.Election.Id, _f.Election.Signer.Verifier);
                    expected = "close.note: covers 2 partition(s), the election has 3: the final checkpoint of p2 is not covered by the close";
                    break;
                }
            case "votes of a partition the election does not have":
                CopyDirectory(Path.Combine(rec, "p0"), Path.Combine(rec, "p3"));
                TestRecord.Rehash(rec, _f.Election.Id, _f.Election.Signer.Verifier);
                expected = "p3/checkpoint: not a partition of the election (election.json: partitions 3, p0..p2) (and ";
                break;
            default:
                throw new ArgumentException(tampering);
        }
        var w = new StringWriter();
        int exit = RecordCommands.Verify(rec, null, w, w);
        _output.WriteLine(w.ToString());
        Assert.Equal(ExitCodes.Invalid, exit);
        Assert.Contains("FAIL " + expected, w.ToString());
    }

    /// <summary>The board path of the bundle holding entry <paramref name="index"/> of partition <paramref name="k"/> at size <paramref name="size"/>.</summary>
    private static string BundleOf(int k, long index, long size)
    {
        long bundle = index / 256;
        int width = (bundle + 1) * 256 <= size ? 256 : (int)(size - bundle * 256);
        return $"p{k}/" + TVS.Merkle.Tiles.TilePaths.Entries(bundle, width);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var f in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
    }
}
