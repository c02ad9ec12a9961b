using System.Collections.Concurrent;
using System.Text;
using TVS.Engine.Ports;
using TVS.Merkle;
using TVS.Merkle.Tiles;

namespace TVS.Engine.Board;

/// <summary>What a receipt lookup found.</summary>
public enum ReceiptState : byte
{
    /// <summary>No accepted vote has this nullifier (it may be pending, refused, or unknown).</summary>
    NotFound,

    /// <summary>Accepted and committed; the board's latest checkpoint does not cover it yet (retry in a few seconds).</summary>
    AwaitingCheckpoint,

    /// <summary>Accepted, with a receipt against the board's latest checkpoint.</summary>
    Ready,
}

/// <summary>A lookup's answer: the state, the vote's place, and the receipt's JSON when <see cref="ReceiptState.Ready"/>.</summary>
public readonly record struct ReceiptLookup(ReceiptState State, int Partition = -1, long Index = -1, byte[]? Json = null);

/// <summary>
/// Builds voters' receipts (docs/formats.md "Voter receipt") from the shared stores only: the
/// vote's partition, index and record from the authority (<see cref="IVoteLocator"/>), the
/// inclusion proof from the bulletin board's tiles and the signed checkpoint the board shows. So
/// every gateway replica answers for every vote of a 350M-vote election, and the receipt proves
/// what anyone can download. Thread-safe. Full tiles are immutable and cached; each partition's
/// checkpoint is re-read at most once per <see cref="CheckpointTtl"/>.
/// </summary>
public sealed class ReceiptService : IDisposable
{
    private readonly Guid _electionId;
    private readonly IVoteLocator _locator;
    private readonly IBoardStore _board;
    private readonly NoteVerifier _checkpointKey;
    private readonly CachedTiles _tiles;
    private readonly ConcurrentDictionary<int, BoardHead> _heads = new();

    public ReceiptService(Guid electionId, NoteVerifier checkpointKey, IVoteLocator locator, IBoardStore board, int cachedTiles = 32_768)
    {
        _electionId = electionId;
        _checkpointKey = checkpointKey;
        _locator = locator;
        _board = board;
        _tiles = new CachedTiles(board, cachedTiles);
    }

    /// <summary>How long a partition's board checkpoint is trusted before it is read again.</summary>
    public TimeSpan CheckpointTtl { get; init; } = TimeSpan.FromSeconds(1);

    public async ValueTask<ReceiptLookup> LookupAsync(Nullifier nullifier, CancellationToken cancellationToken)
    {
        var vote = await _locator.LocateAsync(nullifier, cancellationToken).ConfigureAwait(false);
        if (vote is null)
        {
            return new ReceiptLookup(ReceiptState.NotFound);
        }
        var head = Head(vote.Partition);
        if (head is null || vote.Index >= head.Size)
        {
            return new ReceiptLookup(ReceiptState.AwaitingCheckpoint, vote.Partition, vote.Index);
        }
        var tree = new MerkleMountainRange(head.Nodes);
        var receipt = new Receipt(_electionId, nullifier, vote.Partition, vote.Index, vote.Record, Rfc9162.HashLeaf(vote.Record),
            head.Size, tree.GetInclusionProof(vote.Index, head.Size), head.Note);
        return new ReceiptLookup(ReceiptState.Ready, vote.Partition, vote.Index, receipt.ToJson());
    }

    private BoardHead? Head(int partition)
    {
        long now = Environment.TickCount64;
        if (_heads.TryGetValue(partition, out var head) && now - head.ReadAt < CheckpointTtl.TotalMilliseconds)
        {
            return head;
        }
        byte[]? note = _board.TryGet(BoardPublisher.PartitionPrefix(partition) + TilePaths.Checkpoint);
        if (note is null)
        {
            return null;
        }
        string text = Encoding.UTF8.GetString(note);
        if (head is not null && head.Note == text)
        {
            head = head with { ReadAt = now };
        }
        else
        {
            // Verified here too (once per new checkpoint), so a damaged board gives no receipts
            // rather than receipts every voter's device would refuse.
            Checkpoint c;
            try
            {
                c = Checkpoint.Open(text, _checkpointKey, $"tvs/{_electionId:D}/p{partition}");
            }
            catch (NoteException)
            {
                return null;
            }
            head = new BoardHead(c.Size, text, new TileNodeStore(new PartitionTiles(_tiles, BoardPublisher.PartitionPrefix(partition)), c.Size), now);
        }
        _heads[partition] = head;
        return head;
    }

    public void Dispose() => _locator.Dispose();

    private sealed record BoardHead(long Size, string Note, TileNodeStore Nodes, long ReadAt);

    /// <summary>One partition's log inside the board.</summary>
    private sealed class PartitionTiles(CachedTiles tiles, string prefix) : ITileReader
    {
        public byte[]? Read(string path) => tiles.Read(prefix + path);
    }

    /// <summary>The board's tiles through a bounded cache (tiles, full or partial, never change under one path).</summary>
    private sealed class CachedTiles(IBoardStore board, int capacity) : ITileReader
    {
        private readonly ConcurrentDictionary<string, byte[]> _cache = new(StringComparer.Ordinal);

        public byte[]? Read(string path)
        {
            if (_cache.TryGetValue(path, out var tile))
            {
                return tile;
            }
            tile = board.TryGet(path);
            if (tile is not null)
            {
                if (_cache.Count >= capacity)
                {
                    _cache.Clear(); // crude but bounded; the hot tiles come back on the next requests
                }
                _cache.TryAdd(path, tile);
            }
            return tile;
        }
    }
}
