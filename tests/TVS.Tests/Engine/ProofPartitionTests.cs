using TVS.Cli;
using TVS.Engine.Votes;
using TVS.LoadGen;
using TVS.Storage;
using TVS.Storage.Local;
using Xunit.Abstractions;

namespace TVS.Tests.Engine;

/// <summary>
/// <c>tvs proof</c> finds a vote's partition by itself: over a 3-partition election run by one
/// embedded engine per partition (the input split by Kafka's partitioner), a vote of a partition
/// other than 0 is proved with <c>--election</c> alone; <c>--partition</c> still overrides; a
/// data directory of several partitions without either is refused saying what to pass.
/// </summary>
public sealed class ProofPartitionTests : IDisposable
{
    private const int Partitions = 3;
    private readonly ITestOutputHelper _output;
    private readonly string _root = Directory.CreateTempSubdirectory("tvs-proof-partition-").FullName;

    public ProofPartitionTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private (int Exit, string Out, string Err) Proof(string data, int? partition, string nullifier, string? election)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = EngineCommands.Proof(data, partition, nullifier, json: false, output, error, election);
        _output.WriteLine($"tvs proof --partition {partition?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"} --election {election ?? "-"}: exit {exit}\n{output}{error}");
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public void Proof_without_partition_finds_a_vote_of_partition_two()
    {
        string dir = Path.Combine(_root, "election"), data = Path.Combine(_root, "data");
        using var election = ElectionSetup.CreateSimulated(dir, partitions: Partitions);
        var load = LoadGenerator.Generate(election, new LoadMix { Voters = 60, Duplicates = 0, BadProofs = 0, Malformed = 0 });
        for (int k = 0; k < Partitions; k++)
        {
            string input = Path.Combine(_root, $"input-{k}.log");
            using (var writer = LocalInputLogWriter.Open(input))
            {
                foreach (var r in load.Records)
                {
                    if (KeyPartitioner.PartitionOf(r.Key, Partitions) == k)
                    {
                        writer.Append(r.Key, r.Value);
                    }
                }
                writer.Seal();
            }
            using var partition = LocalPartition.Open(data, k, new FasterNullifierStoreOptions { IndexBuckets = 1 << 12, LogMemoryBytes = 1 << 22, PageBytes = 1 << 20 });
            using var log = LocalInputLog.Open(input);
            partition.CreateEngine(election.CreateOpener(), election.CreateAdmission(), election.Signer, election.Origin(k), EngineHarness.SmallOptions with { Partition = k }, log)
                .Run(default, stopAtEnd: true);
        }

        var vote = LocalVoteStore.ReadAll(LocalPartition.VotesDirectory(data, 2)).Skip(3).First();
        string hex = Convert.ToHexStringLower(vote.NullifierBytes);
        Assert.Equal(2, KeyPartitioner.PartitionOf(vote.NullifierBytes, Partitions));

        // Derived from the nullifier and election.json's partition count.
        var found = Proof(data, null, hex, dir);
        Assert.Equal(ExitCodes.Ok, found.Exit);
        Assert.Contains("proof verifies", found.Out);
        Assert.Contains($"tvs/{election.Id:D}/p2", found.Out);

        // --partition overrides: partition 0 has no such vote, partition 2 does.
        var wrong = Proof(data, 0, hex, dir);
        Assert.Equal(ExitCodes.Invalid, wrong.Exit);
        Assert.Contains("partition 0", wrong.Err);
        Assert.Equal(ExitCodes.Ok, Proof(data, 2, hex, null).Exit);

        // Neither: the directory holds three partitions, so the command says what to pass.
        var ambiguous = Proof(data, null, hex, null);
        Assert.Equal(ExitCodes.Unusable, ambiguous.Exit);
        Assert.Contains("--election", ambiguous.Err);
        Assert.Contains("p0, p1, p2", ambiguous.Err);

        // A data directory without the vote's partition names it.
        string onlyP0 = Path.Combine(_root, "only-p0");
        CopyDirectory(LocalPartition.PartitionDirectory(data, 0), LocalPartition.PartitionDirectory(onlyP0, 0));
        var missing = Proof(onlyP0, null, hex, dir);
        Assert.Equal(ExitCodes.Unusable, missing.Exit);
        Assert.Contains("holds no p2", missing.Err);
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
        foreach (var sub in Directory.GetDirectories(from))
        {
            CopyDirectory(sub, Path.Combine(to, Path.GetFileName(sub)));
        }
    }
}
