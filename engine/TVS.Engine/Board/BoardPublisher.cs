using System.Diagnostics;
using System.Text;
using TVS.Engine.Election;
using TVS.Engine.Ports;
using TVS.Merkle;
using TVS.Merkle.Tiles;

namespace TVS.Engine.Board;

/// <summary>What one <see cref="BoardPublisher.PublishOnce"/> did.</summary>
/// <param name="Cosigning">With witnesses: what the witnesses answered this round (null when none were asked).</param>
/// <param name="CosignTime">Time spent waiting for the witnesses this round.</param>
/// <param name="Witnessed">With witnesses, after a written checkpoint: whether the note put on the board (with the cosignatures it kept) reaches the quorum.</param>
public readonly record struct BoardPublication(int Partition, long FromSize, long ToSize, int TilesWritten, bool CheckpointWritten,
    CosignOutcome? Cosigning = null, TimeSpan CosignTime = default, bool? Witnessed = null);

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
/// With witnesses (election.json <c>witnesses</c>, issue #17) the signed checkpoint is sent to
/// every witness after the tiles are written (<see cref="CheckpointCosigner"/>, proofs from the
/// board's own tiles) and the note is published with whatever cosignatures came back: a witness
/// that is down delays nothing but its own cosignature. A checkpoint published below quorum is
/// sent again on later rounds (the cosignatures it already has are kept) and republished when more
/// witnesses cosigned it; one at quorum waits for the next checkpoint.
/// </remarks>
public sealed class BoardPublisher
{
    private readonly IBoardStore _board;
    private readonly IBoardSource _source;
    private readonly NoteVerifier _verifier;
    private readonly string _origin;
    private readonly PrefixedTiles _tiles;
    private readonly CheckpointCosigner? _cosigner;
    private readonly WitnessPolicy? _policy;
    private TileBuilder? _builder;
    private string? _publishedNote;
    private string? _metFor;
    private bool _met;

    /// <param name="witnesses">The election's witnesses (with <paramref name="policy"/>); null or empty: checkpoints are published as the authority signed them.</param>
    public BoardPublisher(IBoardStore board, IBoardSource source, int partition, NoteVerifier verifier, string origin,
        IReadOnlyList<ICheckpointWitness>? witnesses = null, WitnessPolicy? policy = null)
    {
        if (witnesses is { Count: > 0 })
        {
            _policy = policy ?? throw new ArgumentNullException(nameof(policy), "witnesses need the election's witness policy");
            _cosigner = new CheckpointCosigner(witnesses, policy);
        }
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
        if (latest is null)
        {
            return new BoardPublication(Partition, from, from, 0, false);
        }
        // The same checkpoint (same body: the log's Ed25519 signature is deterministic) is done,
        // unless it went up below the witnesses' quorum: then it is sent to them again.
        bool again = latest.Size == from && _publishedNote is not null && (latest.Note == _publishedNote || SameBody(latest.Note, _publishedNote));
        if (again && (_policy is null || PublishedMet()))
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
        string note = latest.Note;
        CosignOutcome? outcome = null;
        TimeSpan cosignTime = default;
        if (_cosigner is not null)
        {
            long started = Stopwatch.GetTimestamp();
            long size = latest.Size;
            MerkleMountainRange? tree = null;
            outcome = _cosigner.CosignAsync(latest.Note, (o, n) => (tree ??= TileNodeStore.OpenTree(_tiles, size)).GetConsistencyProof(o, n))
                .GetAwaiter().GetResult(); // the board's own thread: nothing else waits on it
            cosignTime = Stopwatch.GetElapsedTime(started);
            note = outcome.Note;
            if (again)
            {
                // Keep the cosignatures already published by witnesses that did not answer now.
                note = KeepCosignatures(note, _publishedNote!, outcome);
                if (_policy!.Check(note).Cosigners.Count <= _policy.Check(_publishedNote!).Cosigners.Count)
                {
                    return new BoardPublication(Partition, from, from, (int)(_tiles.Writes - writesBefore), false, outcome, cosignTime);
                }
            }
        }
        _board.Put(PartitionPrefix(Partition) + TilePaths.Checkpoint, Encoding.UTF8.GetBytes(note));
        _publishedNote = note;
        PublishedSize = latest.Size;
        return new BoardPublication(Partition, from, latest.Size, (int)(_tiles.Writes - writesBefore), true, outcome, cosignTime, _policy is null ? null : PublishedMet());
    }

    /// <summary>Whether the published note reaches the quorum (checked once per published note, not every round).</summary>
    private bool PublishedMet()
    {
        if (!ReferenceEquals(_metFor, _publishedNote))
        {
            _met = _policy!.Check(_publishedNote!).Met;
            _metFor = _publishedNote;
        }
        return _met;
    }

    private static bool SameBody(string a, string b) => SignedNote.Parse(a).Text == SignedNote.Parse(b).Text;

    /// <summary><paramref name="note"/> plus the signature lines of <paramref name="published"/> that no witness who answered now has.</summary>
    private static string KeepCosignatures(string note, string published, CosignOutcome outcome)
    {
        var answered = outcome.Results.Where(r => r.Result.Ok).Select(r => r.Witness.Key).ToList();
        var keep = new StringBuilder();
        foreach (NoteSignature line in SignedNote.Parse(published).Signatures)
        {
            if (!answered.Any(k => k.Matches(line)))
            {
                keep.Append(line.ToLine());
            }
        }
        return keep.Length == 0 ? note : Cosignatures.AddSignatureLines(note, keep.ToString());
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
