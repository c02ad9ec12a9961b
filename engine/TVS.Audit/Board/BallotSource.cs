using TVS.Engine.IO;
using TVS.Engine.Votes;

namespace TVS.Engine.Tally;

/// <summary>Receives one accepted vote in ballot order: its ballot number, partition, index in the partition and record.</summary>
public delegate void AcceptedRecordVisitor(long ballot, int partition, long index, ReadOnlySpan<byte> record);

/// <summary>
/// The accepted votes of a closed election in ballot order (docs/formats.md, "Decryption shares
/// file"): partition 0's votes in index order, then partition 1's, and so on. Ballot b of the
/// shares files and of the result is the b-th vote of this order. Read by range, so that the
/// trustees' shares, the tally and the verifier walk any number of ballots in bounded memory,
/// ranges in parallel.
/// </summary>
public interface IBallotSource
{
    /// <summary>Every accepted vote of the election.</summary>
    long Count { get; }

    /// <summary>Calls <paramref name="visitor"/> for ballots [<paramref name="first"/>, <paramref name="first"/> + <paramref name="count"/>), in order. Safe to call from several threads at once.</summary>
    void Read(long first, int count, AcceptedRecordVisitor visitor);
}

/// <summary>Helpers over <see cref="IBallotSource"/>.</summary>
public static class BallotSources
{
    /// <summary>
    /// The ballots (the encrypted ballot field of each record) of [<paramref name="first"/>,
    /// <paramref name="first"/> + <paramref name="count"/>); a record that does not parse gives an
    /// empty ballot, which the tally spoils as malformed and the verifier reports.
    /// </summary>
    public static byte[][] ReadBallots(this IBallotSource source, long first, int count)
    {
        ArgumentNullException.ThrowIfNull(source);
        var ballots = new byte[count][];
        source.Read(first, count, (ballot, _, _, record) =>
            ballots[ballot - first] = VoteRecord.TryParse(record, out var parsed, out _) ? parsed.Ballot(record).ToArray() : []);
        return ballots;
    }

    /// <summary>The ranges [first, first + size) that cut <paramref name="count"/> ballots into pieces of <paramref name="size"/> (the last one shorter).</summary>
    public static IEnumerable<(long First, int Count)> Ranges(long count, int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        for (long first = 0; first < count; first += size)
        {
            yield return (first, (int)Math.Min(size, count - first));
        }
    }
}

/// <summary>
/// The ballots of a closed election read from its bulletin board (a directory or an S3 prefix,
/// through <see cref="IRecordStore"/>): each partition authenticated against its head in the
/// signed close statement when opened (<see cref="BoardPartition.Open"/>), each entry bundle
/// against it as it is read. What the trustees decrypt, the tally counts and the verifier checks
/// is therefore exactly what the close statement binds, wherever the files came from.
/// </summary>
public sealed class BoardBallots : IBallotSource
{
    private readonly BoardPartition[] _partitions;
    private readonly long[] _starts;

    /// <summary>Opens every partition of <paramref name="close"/> on <paramref name="store"/>; <see cref="BoardFormatException"/> if one does not match its head.</summary>
    public BoardBallots(IRecordStore store, ClosedElection close)
    {
        ArgumentNullException.ThrowIfNull(close);
        _partitions = new BoardPartition[close.Partitions];
        Parallel.For(0, close.Partitions, k =>
        {
            var head = close.Heads[k];
            _partitions[k] = BoardPartition.Open(store, head.Partition, head.Size, head.Root);
        });
        _starts = new long[close.Partitions + 1];
        for (int k = 0; k < close.Partitions; k++)
        {
            _starts[k + 1] = _starts[k] + _partitions[k].Size;
        }
    }

    public long Count => _starts[^1];

    public IReadOnlyList<BoardPartition> Partitions => _partitions;

    /// <summary>The first ballot number of partition <paramref name="partition"/>.</summary>
    public long FirstBallotOf(int partition) => _starts[partition];

    public void Read(long first, int count, AcceptedRecordVisitor visitor)
    {
        ArgumentNullException.ThrowIfNull(visitor);
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (first + count > Count)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"ballots {first}–{first + count - 1}: the election has {Count}");
        }
        long end = first + count;
        long ballot = first;
        while (ballot < end)
        {
            int k = Array.BinarySearch(_starts, ballot);
            // the partition whose range holds the ballot: the last start ≤ ballot, skipping empty partitions
            k = k >= 0 ? k : ~k - 1;
            while (_starts[k + 1] <= ballot)
            {
                k++;
            }
            var part = _partitions[k];
            long index = ballot - _starts[k];
            long stop = Math.Min(end, _starts[k + 1]) - _starts[k];
            while (index < stop)
            {
                long bundleIndex = index / Merkle.Tiles.TilePaths.Width;
                var bundle = part.ReadBundle(bundleIndex);
                int from = (int)(index - bundle.FirstIndex);
                int to = (int)Math.Min(bundle.Count, stop - bundle.FirstIndex);
                for (int i = from; i < to; i++)
                {
                    visitor(_starts[k] + bundle.FirstIndex + i, k, bundle.FirstIndex + i, bundle.Record(i));
                }
                index = bundle.FirstIndex + to;
            }
            ballot = _starts[k] + stop;
        }
    }
}

/// <summary>Ballots held in memory (tests, the embedded demo's small elections): partition lists in ballot order.</summary>
public sealed class MemoryBallots(IReadOnlyList<IReadOnlyList<AcceptedVote>> partitions) : IBallotSource
{
    private readonly (int Partition, AcceptedVote Vote)[] _all = partitions.SelectMany((p, k) => p.Select(v => (k, v))).ToArray();

    public long Count => _all.Length;

    public void Read(long first, int count, AcceptedRecordVisitor visitor)
    {
        ArgumentNullException.ThrowIfNull(visitor);
        for (long b = first; b < first + count; b++)
        {
            var (k, v) = _all[b];
            visitor(b, k, v.MmrIndex, v.Record);
        }
    }
}
