using TVS.Engine.Ports;
using TVS.Engine.Votes;
using TVS.Merkle;
using TVS.Storage.Local;

namespace TVS.Storage.Board;

/// <summary>
/// The embedded authority for the board: a data directory's committed votes
/// (<c>p{k}/votes/votes.log</c>, up to the length its progress names) and its signed checkpoints
/// (<c>p{k}/checkpoints/latest.note</c>). Safe to read while the engine runs: only committed
/// bytes are read, and a checkpoint is published after the commit that covers it.
/// </summary>
public sealed class LocalBoardSource(string dataRoot, NoteVerifier verifier) : IBoardSource
{
    // Per partition, where the last read stopped (index, byte position), so rounds read only what is new.
    private readonly Dictionary<int, (long Index, long Position)> _cursor = [];

    public StoredCheckpoint? LatestCheckpoint(int partition)
    {
        string path = Path.Combine(LocalPartition.CheckpointDirectory(dataRoot, partition), LocalCheckpointSink.LatestFile);
        if (!File.Exists(path))
        {
            return null;
        }
        string note = File.ReadAllText(path);
        var c = Checkpoint.Open(note, verifier);
        return new StoredCheckpoint(partition, c.Size, c.Root, note);
    }

    public void ReadRecords(int partition, long from, long to, CommittedRecordVisitor visitor)
    {
        string dir = LocalPartition.VotesDirectory(dataRoot, partition);
        long length = LocalVoteStore.ReadCommittedLength(dir);
        var (index, position) = _cursor.TryGetValue(partition, out var c) && c.Index <= from ? c : (0L, 0L);
        using var f = new FileStream(Path.Combine(dir, LocalVoteStore.VotesFile), FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        f.Position = position;
        var reader = new AcceptedVoteReader(f, length, $"{dir}/{LocalVoteStore.VotesFile}");
        byte[] record = new byte[VoteRecord.MaxPlaintext];
        while (index < to && reader.TryReadHeader(out index, out _, out int n))
        {
            reader.ReadRecord(record);
            position = reader.Position;
            if (index >= from && index < to)
            {
                visitor(index, record.AsSpan(0, n));
            }
            index++;
            _cursor[partition] = (index, position);
        }
    }
}
