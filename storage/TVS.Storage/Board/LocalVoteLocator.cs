using TVS.Engine;
using TVS.Engine.Ports;
using TVS.Storage.Local;

namespace TVS.Storage.Board;

/// <summary>
/// Receipt lookups over an embedded data directory (the demo, single-node runs): an index of
/// nullifier → (partition, MMR index, record) read from each partition's committed vote file,
/// refreshed on a miss at most once a second. Memory grows with the votes (≈ 0.7 KB each):
/// production lookups go to PostgreSQL (<see cref="PostgresVoteLocator"/>).
/// </summary>
public sealed class LocalVoteLocator(string dataRoot, int partitions) : IVoteLocator
{
    private readonly Dictionary<Nullifier, LocatedVote> _votes = [];
    private readonly long[] _read = new long[partitions];
    private long _refreshedAt = -1_000_000;

    public ValueTask<LocatedVote?> LocateAsync(Nullifier nullifier, CancellationToken cancellationToken)
    {
        lock (_votes)
        {
            if (!_votes.TryGetValue(nullifier, out var vote) && Environment.TickCount64 - _refreshedAt >= 1000)
            {
                Refresh();
                _votes.TryGetValue(nullifier, out vote);
            }
            return ValueTask.FromResult(vote);
        }
    }

    private void Refresh()
    {
        _refreshedAt = Environment.TickCount64;
        for (int p = 0; p < _read.Length; p++)
        {
            string dir = LocalPartition.VotesDirectory(dataRoot, p);
            if (!File.Exists(Path.Combine(dir, LocalVoteStore.ProgressFile)))
            {
                continue;
            }
            foreach (var v in LocalVoteStore.ReadAll(dir))
            {
                if (v.MmrIndex >= _read[p])
                {
                    _votes[Nullifier.FromBytes(v.NullifierBytes)] = new LocatedVote(p, v.MmrIndex, v.Record);
                    _read[p] = v.MmrIndex + 1;
                }
            }
        }
    }

    public void Dispose()
    {
    }
}
