namespace TVS.Engine.Ports;

/// <summary>
/// One committed accepted vote handed to a <see cref="IVoteHistory"/> reader: its MMR index, its
/// nullifier (32 bytes) and its v1 plaintext record. The spans are valid only during the call.
/// </summary>
public delegate void VoteHistoryRow(long mmrIndex, ReadOnlySpan<byte> nullifier, ReadOnlySpan<byte> record);

/// <summary>
/// The committed accepted votes of one partition, read back in MMR index order: what a partition
/// engine without local state (a new machine, a lost disk) or with a lagging local checkpoint
/// restores its nullifier set and MMR from, instead of reading its input again and verifying every
/// proof a second time (docs/pipeline.md, "Recovery"). Implemented by the vote stores that keep the
/// records (PostgreSQL rows, the local vote file).
/// </summary>
public interface IVoteHistory
{
    /// <summary>
    /// Calls <paramref name="onRow"/> for every committed accepted vote with
    /// <paramref name="fromIndex"/> ≤ MMR index &lt; <paramref name="toIndex"/>, in index order, in
    /// bounded memory (rows are streamed, never all held at once), and returns how many it passed.
    /// It does not check that the indexes are consecutive: the caller does. Throws if the store
    /// cannot be read.
    /// </summary>
    long ReadHistory(long fromIndex, long toIndex, VoteHistoryRow onRow);
}
