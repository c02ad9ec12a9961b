using System.Text;
using TVS.Engine.Ports;
using TVS.Merkle;
using TVS.Merkle.Tiles;

namespace TVS.Engine.Board;

/// <summary>What one <see cref="BoardPublisher.PublishOnce"/> did.</summary>
public readonly record struct BoardPublication(int Partition, long FromSize, long ToSize, int TilesWritten, bool CheckpointWritten);

/// <summary>
/// Publishes one partition's Merkle tree as a C2SP tlog-tiles log on the bulletin board
/// (docs/formats.md "Bulletin board (tlog-tiles)"), following the authority: each round takes the
/// partition's latest stored signed checkpoint, appends the committed records since the last
/// published size to a <see cref="TileBuilder"/> (full tiles and bundles written as they fill),
/// checks that they hash to the checkpoint's root, writes the partial tiles of that size and only
/// then the checkpoint. A crash anywhere in between leaves the old checkpoint in place with tiles
/// it does not need; the next round (this process or another) writes the same bytes again.
/// </summary>
/// <remarks>
/// Memory is one right edge (≤ 8 KiB per level plus one bundle). On start the publisher resumes
/// from the board's own checkpoint and partial tiles (checked against that checkpoint's root); a
/// board that is missing or damaged there is rebuilt from the authority's records from index 0.
/// A board checkpoint that is not the election's, or ahead of the authority, is refused: the
/// publisher never rolls a public log back.
/// </remarks>
public sealed class BoardPublisher
{
    private readonly IBoardStore _board;
    private readonly IBoardSource _source;
    private readonly NoteVerifier _verifier;
    private readonly string _origin;
    private readonly PrefixedTiles _tiles;
    private TileBuilder? _builder;
    private string? _publishedNote;

    public BoardPublisher(IBoardStore board, IBoardSource source, int partition, NoteVerifier verifier, string origin)
    {
        _board = board;
        _source = source;
        Partition = partition;
        _verifier = verifier;
        _origin = origin;
        _tiles = new PrefixedTiles(board, PartitionPrefix(partition));
    }

    public int Partition { get; }

    /// <summary>The tree size of the board's checkpoint (-1 before the first round).</summary>
    public long PublishedSize { get; private set; } = -1;

    /// <summary>Tiles and bundles written since this publisher was made.</summary>
    public long TilesWritten => _tiles.Writes;

    /// <summary>The board path of partition <paramref name="partition"/>'s log: <c>p{k}/</c>.</summary>
    public static string PartitionPrefix(int partition) => $"p{partition}/";

    /// <summary>
    /// Publishes up to the authority's latest checkpoint; does nothing if the board has it already.
    /// After a failure (a store's put, the authority) the next call resumes from what the board
    /// really holds, as a new publisher would.
    /// </summary>
    public BoardPublication PublishOnce()
    {
        try
        {
            return Publish();
        }
        catch
        {
            // A put that failed inside TileBuilder.Append leaves it mid-tile (the tile counted,
            // not written): never append to it again.
            _builder = null;
            _publishedNote = null;
            throw;
        }
    }

    private BoardPublication Publish()
    {
        var latest = _source.LatestCheckpoint(Partition);
        _builder ??= Resume(latest);
        long from = _builder.Size;
        if (latest is null || (latest.Size == from && latest.Note == _publishedNote))
        {
            return new BoardPublication(Partition, from, from, 0, false);
        }
        var checkpoint = Checkpoint.Open(latest.Note, _verifier, _origin);
        if (checkpoint.Size != latest.Size || checkpoint.Root != latest.Root)
        {
            throw new InvalidDataException($"partition {Partition}: the stored checkpoint row says size {latest.Size} root {latest.Root}, its note says {checkpoint.Size} {checkpoint.Root}");
        }
        if (latest.Size < from)
        {
            throw new InvalidDataException($"partition {Partition}: the board at {_board.Location} is at size {from}, ahead of the authority's latest checkpoint ({latest.Size}): refusing to roll the public log back");
        }
        long writesBefore = _tiles.Writes;
        Append(from, latest.Size);
        if (_builder.Root != latest.Root)
        {
            // The records do not make the signed tree: publish nothing, and make the next round start over.
            var root = _builder.Root;
            _builder = null;
            throw new InvalidDataException($"partition {Partition}: the committed records [0, {latest.Size}) hash to {root}, the signed checkpoint says {latest.Root}");
        }
        _builder.WritePartials(_tiles);
        // Two publishers of one partition (a Kafka rebalance) write the same tiles; never let the
        // slower one move the public checkpoint back.
        if (_board.TryGet(PartitionPrefix(Partition) + TilePaths.Checkpoint) is { } current
            && Checkpoint.Open(Encoding.UTF8.GetString(current), _verifier, _origin).Size > latest.Size)
        {
            _builder = null;
            return new BoardPublication(Partition, from, from, (int)(_tiles.Writes - writesBefore), false);
        }
        _board.Put(PartitionPrefix(Partition) + TilePaths.Checkpoint, Encoding.UTF8.GetBytes(latest.Note));
        _publishedNote = latest.Note;
        PublishedSize = latest.Size;
        return new BoardPublication(Partition, from, latest.Size, (int)(_tiles.Writes - writesBefore), true);
    }

    private void Append(long from, long to)
    {
        long expected = from;
        var builder = _builder!;
        _source.ReadRecords(Partition, from, to, (long index, ReadOnlySpan<byte> record) =>
        {
            if (index != expected)
            {
                throw new InvalidDataException($"partition {Partition}: the authority gave record {index} where {expected} was expected");
            }
            builder.Append(record, _tiles);
            expected++;
        });
        if (expected != to)
        {
            _builder = null;
            throw new InvalidDataException($"partition {Partition}: the authority holds records up to {expected}, its checkpoint names {to}");
        }
    }

    /// <summary>The builder at the board's published size, or a new one (and a rebuild) when the board cannot be resumed.</summary>
    private TileBuilder Resume(StoredCheckpoint? latest)
    {
        byte[]? note = _board.TryGet(PartitionPrefix(Partition) + TilePaths.Checkpoint);
        if (note is null)
        {
            PublishedSize = 0;
            return TileBuilder.Empty();
        }
        string text = Encoding.UTF8.GetString(note);
        Checkpoint published;
        try
        {
            published = Checkpoint.Open(text, _verifier, _origin);
        }
        catch (NoteException e)
        {
            throw new InvalidDataException($"partition {Partition}: the board's checkpoint at {_board.Location} is not this election's: {e.Message}");
        }
        if (latest is not null && published.Size > latest.Size)
        {
            throw new InvalidDataException($"partition {Partition}: the board at {_board.Location} is at size {published.Size}, ahead of the authority's latest checkpoint ({latest.Size}): refusing to roll the public log back");
        }
        var resumed = TileBuilder.TryResume(published.Size, published.Root, _tiles, out _);
        if (resumed is not null)
        {
            _publishedNote = text;
            PublishedSize = published.Size;
            return resumed;
        }
        // Damaged or partly deleted: rebuild from the first record; full tiles come out identical.
        PublishedSize = 0;
        _builder = TileBuilder.Empty();
        Append(0, published.Size);
        if (_builder is null || _builder.Root != published.Root)
        {
            throw new InvalidDataException($"partition {Partition}: the board's checkpoint (size {published.Size}) does not match the authority's records");
        }
        return _builder;
    }

    /// <summary>The board seen from one partition's log prefix.</summary>
    private sealed class PrefixedTiles(IBoardStore board, string prefix) : ITileSink, ITileReader
    {
        public long Writes { get; private set; }

        public void Write(string path, ReadOnlySpan<byte> content)
        {
            board.Put(prefix + path, content);
            Writes++;
        }

        public byte[]? Read(string path) => board.TryGet(prefix + path);
    }
}
