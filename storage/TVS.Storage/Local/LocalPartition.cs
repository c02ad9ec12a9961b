using TVS.Engine.Ports;
using TVS.Engine.Processing;
using TVS.Engine.Votes;
using TVS.Merkle;

namespace TVS.Storage.Local;

/// <summary>
/// The embedded stores of one partition under a data directory (docs/formats.md, "Data
/// directory"): FASTER nullifiers, the MMR node file, votes and progress, dead letters, batch
/// objects and signed checkpoints, all local files.
/// </summary>
public sealed class LocalPartition : IDisposable
{
    private LocalPartition(string root, int partition, FasterNullifierStore nullifiers, FileMmrNodeStore nodes, LocalVoteStore votes,
        LocalDeadLetterSink deadLetters, LocalBlobSink blobs, LocalCheckpointSink checkpoints)
    {
        Root = root;
        Partition = partition;
        Nullifiers = nullifiers;
        Nodes = nodes;
        Mmr = new MerkleMountainRange(nodes);
        Votes = votes;
        DeadLetters = deadLetters;
        Blobs = blobs;
        Checkpoints = checkpoints;
    }

    public string Root { get; }
    public int Partition { get; }
    public FasterNullifierStore Nullifiers { get; }
    public FileMmrNodeStore Nodes { get; }
    public MerkleMountainRange Mmr { get; }
    public LocalVoteStore Votes { get; }
    public LocalDeadLetterSink DeadLetters { get; }
    public LocalBlobSink Blobs { get; }
    public LocalCheckpointSink Checkpoints { get; }

    public static string PartitionDirectory(string root, int partition) => Path.Combine(root, $"p{partition}");
    public static string VotesDirectory(string root, int partition) => Path.Combine(PartitionDirectory(root, partition), "votes");
    public static string DeadLetterDirectory(string root, int partition) => Path.Combine(PartitionDirectory(root, partition), "deadletters");
    public static string CheckpointDirectory(string root, int partition) => Path.Combine(PartitionDirectory(root, partition), "checkpoints");
    public static string MmrFile(string root, int partition) => Path.Combine(PartitionDirectory(root, partition), "mmr.nodes");
    public static string ObjectsDirectory(string root) => Path.Combine(root, "objects");

    /// <summary>Opens (creating if needed) partition <paramref name="partition"/>'s stores under <paramref name="root"/>.</summary>
    public static LocalPartition Open(string root, int partition, FasterNullifierStoreOptions? nullifierOptions = null)
    {
        string dir = PartitionDirectory(root, partition);
        Directory.CreateDirectory(dir);
        var disposables = new List<IDisposable>();
        try
        {
            var nullifiers = FasterNullifierStore.Open(Path.Combine(dir, "nullifiers"), nullifierOptions);
            disposables.Add(nullifiers);
            var nodes = FileMmrNodeStore.Open(MmrFile(root, partition));
            disposables.Add(nodes);
            var votes = LocalVoteStore.Open(VotesDirectory(root, partition));
            disposables.Add(votes);
            var deadLetters = LocalDeadLetterSink.Open(DeadLetterDirectory(root, partition));
            disposables.Add(deadLetters);
            return new LocalPartition(root, partition, nullifiers, nodes, votes, deadLetters,
                new LocalBlobSink(ObjectsDirectory(root)), new LocalCheckpointSink(CheckpointDirectory(root, partition)));
        }
        catch
        {
            foreach (var d in disposables)
            {
                d.Dispose();
            }
            throw;
        }
    }

    /// <summary>
    /// An engine over these stores reading <paramref name="input"/>; <paramref name="votes"/> and
    /// <paramref name="blobs"/> replace the local vote store and batch objects (PostgreSQL, S3).
    /// </summary>
    public PartitionEngine CreateEngine(VoteOpener opener, VoteAdmission admission, NoteSigner signer, string origin, EngineOptions options, IInputLog input,
        IVoteStore? votes = null, IBlobSink? blobs = null)
        => new(opener, admission, signer, origin, options with { Partition = Partition }, Nullifiers, Mmr, input, votes ?? Votes, blobs ?? Blobs, DeadLetters, Checkpoints);

    public void Dispose()
    {
        Checkpoints.Dispose();
        Blobs.Dispose();
        DeadLetters.Dispose();
        Votes.Dispose();
        Nodes.Flush();
        Nodes.Dispose();
        Nullifiers.Dispose();
    }
}
