using System.Buffers.Binary;
using System.CommandLine;
using System.Text.Json;
using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;
using TVS.Crypto.Hpke;
using TVS.Engine.Votes;
using TVS.Ingest.Kafka;

namespace TVS.Cli;

/// <summary>
/// <c>tvs dev …</c>: development helpers. <c>dev kafka</c> hosts librdkafka's mock cluster in
/// this process (in memory, evicts past 5 MiB / 100,000 message sets per partition: never for
/// real votes); <c>dev votes</c> writes sealed votes for load tests of the gateway.
/// </summary>
public static class DevCommands
{
    public static Command Build()
    {
        var dev = new Command("dev", "Development helpers (mock Kafka cluster, sealed test votes)");

        var kafka = new Command("kafka", "Host librdkafka's mock Kafka cluster on 127.0.0.1 with the TVS topics, until Ctrl-C");
        var brokers = new Option<int>("--brokers") { Description = "number of mock brokers", DefaultValueFactory = _ => 3 };
        var partitions = new Option<int>("--partitions") { Description = "partitions of each TVS topic", DefaultValueFactory = _ => 4 };
        var json = new Option<bool>("--json") { Description = "print one JSON line {bootstrapServers, brokers, partitions, topics}" };
        kafka.Options.Add(brokers);
        kafka.Options.Add(partitions);
        kafka.Options.Add(json);
        kafka.SetAction(r => RunKafka(r.GetValue(brokers), r.GetValue(partitions), r.GetValue(json)));
        dev.Subcommands.Add(kafka);

        var votes = new Command("votes", "Write sealed votes (simulated proofs, random ingest key unless given) for gateway load tests");
        var election = new Option<Guid>("--election") { Description = "election id", Required = true };
        var count = new Option<int>("--count") { Description = "number of votes", DefaultValueFactory = _ => 1000 };
        var ballot = new Option<int>("--ballot-bytes") { Description = "ballot size", DefaultValueFactory = _ => 160 };
        var key = new Option<string?>("--ingest-public-key") { Description = "the election's ingest public key (64 hex digits); default: a throwaway key" };
        var output = new Option<FileInfo>("--out") { Description = "output file: per vote nullifier (32) ‖ body length (4, big-endian) ‖ body", Required = true };
        votes.Options.Add(election);
        votes.Options.Add(count);
        votes.Options.Add(ballot);
        votes.Options.Add(key);
        votes.Options.Add(output);
        votes.SetAction(r => WriteVotes(r.GetValue(election), r.GetValue(count), r.GetValue(ballot), r.GetValue(key), r.GetValue(output)!));
        dev.Subcommands.Add(votes);
        dev.Subcommands.Add(RestoreBench.Build());
        dev.Subcommands.Add(SyntheticElection.Build());
        return dev;
    }

    public static int RunKafka(int brokers, int partitions, bool json)
    {
        if (brokers < 1 || partitions < 1)
        {
            Console.Error.WriteLine("--brokers and --partitions must be at least 1");
            return ExitCodes.Usage;
        }
        using var cluster = MockKafkaCluster.Start(brokers, partitions);
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["bootstrapServers"] = cluster.BootstrapServers,
                ["brokers"] = brokers,
                ["partitions"] = partitions,
                ["topics"] = KafkaTopics.All,
            }));
        }
        else
        {
            Console.Out.WriteLine($"mock Kafka cluster: {brokers} brokers, topics {string.Join(", ", KafkaTopics.All)} with {partitions} partitions");
            Console.Out.WriteLine("in memory only; evicts past 5 MiB or 100,000 message sets per partition (docs/ops/kafka.md)");
            Console.Out.WriteLine($"bootstrap servers: {cluster.BootstrapServers}");
            Console.Out.WriteLine("Ctrl-C to stop");
        }
        Console.Out.Flush();
        WaitForStop();
        return ExitCodes.Ok;
    }

    /// <summary>Blocks until Ctrl-C or SIGTERM.</summary>
    internal static void WaitForStop()
    {
        using var stop = new ManualResetEventSlim(false);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            stop.Set();
        };
        Console.CancelKeyPress += onCancel;
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Set();
        });
        stop.Wait();
        Console.CancelKeyPress -= onCancel;
    }

    public static int WriteVotes(Guid election, int count, int ballotBytes, string? publicKeyHex, FileInfo output)
    {
        byte[] publicKey;
        HpkePrivateKey? throwaway = null;
        if (publicKeyHex != null)
        {
            publicKey = Convert.FromHexString(publicKeyHex);
        }
        else
        {
            throwaway = HpkePrivateKey.Generate();
            publicKey = throwaway.PublicKey.ToArray();
        }
        // Semaphore-shaped proofs from a simulated setup (insecure, load tests only): the gateway
        // does not open envelopes, but the bodies are real v1 vote records sealed with HPKE.
        var setup = new SimulatedSetup(4);
        var sealedVotes = new SealedVote[count];
        Parallel.For(0, count, i =>
        {
            var root = SimulatedSetup.RandomNonZero();
            var nullifier = SimulatedSetup.RandomNonZero();
            var proof = setup.Prove([root, nullifier, SimulatedSetup.RandomNonZero(), SimulatedSetup.RandomNonZero()]);
            var ballot = new byte[ballotBytes];
            Random.Shared.NextBytes(ballot);
            sealedVotes[i] = VoteSealer.Seal(publicKey, election, 16, root, nullifier, proof, ballot);
        });
        using (var file = output.Create())
        {
            Span<byte> length = stackalloc byte[4];
            foreach (var v in sealedVotes)
            {
                file.Write(v.Key);
                BinaryPrimitives.WriteInt32BigEndian(length, v.Value.Length);
                file.Write(length);
                file.Write(v.Value);
            }
        }
        throwaway?.Dispose();
        Console.Out.WriteLine($"{count} sealed votes ({sealedVotes[0].Value.Length} bytes each) → {output.FullName}");
        return ExitCodes.Ok;
    }
}
