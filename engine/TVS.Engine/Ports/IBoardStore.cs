using TVS.Engine.IO;
using TVS.Merkle;

namespace TVS.Engine.Ports;

/// <summary>
/// The public bulletin board of one election (docs/formats.md "Bulletin board (tlog-tiles)"):
/// S3 under <c>{prefix}{election}/</c> in production, a directory embedded. Paths are relative to
/// the election's board, e.g. <c>p3/checkpoint</c>, <c>p3/tile/0/x001/234</c>, <c>close.note</c>.
/// Any static HTTP server or CDN can serve it as it is.
/// </summary>
public interface IBoardStore : IRecordStore
{
}

/// <summary>A signed checkpoint as the authority stores it: its tree size, root and the whole signed note.</summary>
public sealed record StoredCheckpoint(int Partition, long Size, Hash256 Root, string Note);

/// <summary>Receives one committed vote record of a partition, in MMR index order.</summary>
public delegate void CommittedRecordVisitor(long mmrIndex, ReadOnlySpan<byte> record);

/// <summary>
/// The authority the board is published from: the committed votes and signed checkpoints of each
/// partition (PostgreSQL in production, the data directory embedded). The publisher follows it,
/// so a board lost or lagging (a crash, an S3 outage) is made again from here.
/// </summary>
public interface IBoardSource
{
    /// <summary>The partition's latest stored signed checkpoint, or null if it has none.</summary>
    StoredCheckpoint? LatestCheckpoint(int partition);

    /// <summary>Calls <paramref name="visitor"/> for the partition's committed records with index in [from, to), in index order.</summary>
    void ReadRecords(int partition, long from, long to, CommittedRecordVisitor visitor);
}
