using Npgsql;
using NpgsqlTypes;
using TVS.Engine.Ports;
using TVS.Engine.Processing;
using TVS.Engine.Votes;
using TVS.Merkle;

namespace TVS.Storage.Postgres;

/// <summary>The life of a <see cref="VoteCopyWriter"/>: only <see cref="VoteCopyWriter.Complete"/> commits.</summary>
public enum VoteCopyState
{
    /// <summary>Transaction open, the partition's progress row locked and read; nothing written.</summary>
    Open,

    /// <summary>At least one batch copied into the open transaction.</summary>
    Writing,

    /// <summary>Progress upserted and the transaction committed.</summary>
    Completed,

    /// <summary>Rolled back: disposed without Complete, or a write failed. Nothing of it is stored.</summary>
    Cancelled,
}

/// <summary>How <see cref="PostgresVoteStore.Commit"/> makes a repeated commit harmless.</summary>
public enum PostgresCommitMode
{
    /// <summary>
    /// Lock and read the partition's progress row first; if it is already at or past the batch's
    /// progress the batch is in (a retry after a commit whose acknowledgement was lost) and
    /// nothing is written. Otherwise binary COPY straight into votes: a duplicate row is an
    /// error, never silently dropped. The default, and the faster one (docs/PERFORMANCE.md,
    /// "PostgreSQL binary COPY").
    /// </summary>
    ProgressCheck,

    /// <summary>
    /// Binary COPY into a temporary table, then <c>INSERT … ON CONFLICT DO NOTHING</c> into votes.
    /// Needs no progress lock, but hides a row that conflicts for another reason.
    /// </summary>
    OnConflict,
}

/// <summary>
/// One transaction writing batches of accepted votes with binary COPY, in the shape of Npgsql's
/// binary importer: <see cref="VoteCopyState.Open"/> → <see cref="VoteCopyState.Writing"/> →
/// <see cref="VoteCopyState.Completed"/> by <see cref="Complete"/>, which upserts the partition's
/// progress and commits; disposing it in any other state rolls back
/// (<see cref="VoteCopyState.Cancelled"/>). Any failure inside it also rolls back and rethrows.
/// </summary>
public sealed class VoteCopyWriter : IDisposable
{
    // Since migration 0003 the record's fields are not copied into columns of their own (the view
    // votes_v1 cuts them out of record): only the key, the engine's positions and the record.
    // Since 0005 votes is the only table per vote: its primary key carries (partition, mmr_index)
    // for the status lookup, which had a table of its own (nullifiers) before.
    internal const string VoteColumns = "nullifier_hash, election_id, partition, mmr_index, input_offset, depth, record, accepted_at";

    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly Guid _electionId;
    private readonly int _partition;
    private readonly PostgresCommitMode _mode;
    private readonly PostgresVoteStore.Buffers _buffers;
    private bool _tempTablesReady;

    // What this transaction adds on top of Stored, so that Complete can check that Stored, the
    // batches and the new progress describe one and the same input log (see Plan).
    private long _nextMmrIndex;
    private long _newAccepted;
    private long _newRejected;

    internal VoteCopyWriter(NpgsqlConnection connection, Guid electionId, int partition, PostgresCommitMode mode, PostgresVoteStore.Buffers buffers)
    {
        _connection = connection;
        _electionId = electionId;
        _partition = partition;
        _mode = mode;
        _buffers = buffers;
        _transaction = connection.BeginTransaction();
        try
        {
            Stored = ReadProgress(connection, _transaction, electionId, partition, forUpdate: mode == PostgresCommitMode.ProgressCheck) ?? PartitionProgress.Empty;
            _nextMmrIndex = Stored.MmrSize;
        }
        catch
        {
            Cancel();
            throw;
        }
    }

    public VoteCopyState State { get; private set; }

    /// <summary>The partition's progress as committed when the writer began (locked in <see cref="PostgresCommitMode.ProgressCheck"/>).</summary>
    public PartitionProgress Stored { get; }

    /// <summary>The server process of this writer's connection (tests terminate it).</summary>
    public int BackendProcessId => _connection.ProcessID;

    /// <summary>
    /// Copies <paramref name="batch"/>'s accepted votes into the transaction (one COPY into votes),
    /// except those whose input offset is below <see cref="Stored"/>'s next offset:
    /// those are committed already. A partition's state is a deterministic function of its input
    /// log, so when two engines briefly own a partition (a Kafka rebalance) or a restart cuts the
    /// log into different batches, the overlapping entries are the stored ones and are skipped;
    /// the rest is written. Throws <see cref="PartitionProgressMismatchException"/> when the
    /// entries do not continue the stored MMR (a gap, or stores that disagree).
    /// </summary>
    public void Write(VoteBatch batch)
    {
        if (State is not (VoteCopyState.Open or VoteCopyState.Writing))
        {
            throw new InvalidOperationException($"VoteCopyWriter is {State}");
        }
        if (batch.ElectionId != _electionId || batch.Partition != _partition)
        {
            throw new ArgumentException($"batch of {batch.ElectionId}/p{batch.Partition} given to the writer of {_electionId}/p{_partition}", nameof(batch));
        }
        State = VoteCopyState.Writing;
        int skip;
        try
        {
            skip = Plan(batch);
        }
        catch
        {
            Cancel();
            throw;
        }
        if (skip == batch.AcceptedCount)
        {
            return;
        }
        try
        {
            // One copy of the batch's entries into a reused array, so each column is a
            // ReadOnlyMemory slice of it: no per-vote allocation on our side.
            var entries = _buffers.Entries(batch.AcceptedEntries);
            bool temp = _mode == PostgresCommitMode.OnConflict;
            if (temp)
            {
                EnsureTempTables();
            }
            var acceptedAt = DateTime.UtcNow;
            using (var copy = _connection.BeginBinaryImport($"copy {(temp ? "tvs_votes_in" : "votes")} ({VoteColumns}) from stdin (format binary)"))
            {
                foreach (ref readonly var v in batch.Accepted[skip..])
                {
                    var record = entries.Slice(v.RecordStart, v.RecordLength);
                    copy.StartRow();
                    copy.Write(record.Slice(VoteRecord.NullifierOffset, VoteRecord.KeySize), NpgsqlDbType.Bytea);
                    copy.Write(_electionId, NpgsqlDbType.Uuid);
                    copy.Write(_partition, NpgsqlDbType.Integer);
                    copy.Write(v.MmrIndex, NpgsqlDbType.Bigint);
                    copy.Write(v.Offset, NpgsqlDbType.Bigint);
                    copy.Write((short)record.Span[VoteRecord.DepthOffset], NpgsqlDbType.Smallint);
                    copy.Write(record, NpgsqlDbType.Bytea);
                    copy.Write(acceptedAt, NpgsqlDbType.TimestampTz);
                }
                copy.Complete();
            }
            if (temp)
            {
                Execute($"""
                    insert into votes ({VoteColumns}) select {VoteColumns} from tvs_votes_in on conflict do nothing;
                    truncate tvs_votes_in
                    """);
            }
        }
        catch
        {
            Cancel();
            throw;
        }
    }

    /// <summary>
    /// Upserts the partition's progress (never backwards), stores <paramref name="signedCheckpoint"/>
    /// (the signed note of <paramref name="progress"/>'s size and root, if any) in <c>checkpoints</c>,
    /// and commits everything written.
    /// </summary>
    public void Complete(in PartitionProgress progress, string? signedCheckpoint = null)
    {
        if (State is not (VoteCopyState.Open or VoteCopyState.Writing))
        {
            throw new InvalidOperationException($"VoteCopyWriter is {State}");
        }
        try
        {
            if (Verify(progress))
            {
                // Covered by what is stored (a retry whose acknowledgement was lost, or the other
                // owner got there first): nothing to write, and progress never goes backwards.
                StoreCheckpoint(progress, signedCheckpoint);
                _transaction.Commit();
                State = VoteCopyState.Completed;
                return;
            }
            using (var cmd = new NpgsqlCommand("""
                insert into partition_progress (election_id, partition, next_offset, mmr_size, mmr_root, accepted, rejected, updated_at)
                values ($1, $2, $3, $4, $5, $6, $7, now())
                on conflict (election_id, partition) do update set
                    next_offset = excluded.next_offset, mmr_size = excluded.mmr_size, mmr_root = excluded.mmr_root,
                    accepted = excluded.accepted, rejected = excluded.rejected, updated_at = excluded.updated_at
                where partition_progress.next_offset < excluded.next_offset
                """, _connection, _transaction))
            {
                cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = _electionId });
                cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = _partition });
                cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = progress.NextOffset });
                cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = progress.MmrSize });
                cmd.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = progress.MmrRoot.ToArray() });
                cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = progress.Accepted });
                cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = progress.Rejected });
                cmd.ExecuteNonQuery();
            }
            StoreCheckpoint(progress, signedCheckpoint);
            _transaction.Commit();
            State = VoteCopyState.Completed;
        }
        catch
        {
            // A failure of COMMIT itself leaves the outcome unknown (the server may have
            // committed): the caller retries, and the progress check makes that harmless.
            Cancel();
            throw;
        }
    }

    // One row per signed size (docs/formats.md "PostgreSQL schema"): a repeat of the same size is
    // the same tree (the progress check above guarantees the root), so the first note stays.
    private void StoreCheckpoint(in PartitionProgress progress, string? note)
    {
        if (note is null)
        {
            return;
        }
        using var cmd = new NpgsqlCommand("""
            insert into checkpoints (election_id, partition, tree_size, root, note)
            values ($1, $2, $3, $4, $5)
            on conflict (election_id, partition, tree_size) do nothing
            """, _connection, _transaction);
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = _electionId });
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = _partition });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = progress.MmrSize });
        cmd.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = progress.MmrRoot.ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = note });
        cmd.ExecuteNonQuery();
    }

    public void Dispose()
    {
        if (State is VoteCopyState.Open or VoteCopyState.Writing)
        {
            Cancel();
        }
        _transaction.Dispose();
    }

    /// <summary>
    /// How many of <paramref name="batch"/>'s accepted entries are committed already (input offset
    /// below the stored next offset; entries are in offset order), after checking that the rest
    /// continues the stored MMR exactly. Counts what the batch adds for <see cref="Verify"/>.
    /// </summary>
    private int Plan(VoteBatch batch)
    {
        long below = Stored.NextOffset;
        var accepted = batch.Accepted;
        int skip = 0;
        while (skip < accepted.Length && accepted[skip].Offset < below)
        {
            skip++;
        }
        if (skip > 0 && accepted[skip - 1].MmrIndex >= Stored.MmrSize)
        {
            throw PartitionProgressMismatchException.Disagree(_electionId, _partition, Stored,
                $"the batch's vote at offset {accepted[skip - 1].Offset} (below the stored next offset) has MMR index {accepted[skip - 1].MmrIndex}, but only {Stored.MmrSize} are stored");
        }
        if (skip < accepted.Length && accepted[skip].MmrIndex != _nextMmrIndex)
        {
            long first = accepted[skip].MmrIndex;
            throw first > _nextMmrIndex
                ? PartitionProgressMismatchException.Gap(_electionId, _partition, Stored,
                    $"the batch's first new vote (offset {accepted[skip].Offset}) has MMR index {first}, the next expected is {_nextMmrIndex}: votes {_nextMmrIndex}..{first - 1} would be lost")
                : PartitionProgressMismatchException.Disagree(_electionId, _partition, Stored,
                    $"the batch's vote at offset {accepted[skip].Offset} (at or after the stored next offset) has MMR index {first}, but {_nextMmrIndex} are stored or written already");
        }
        int rejectedSkipped = 0;
        foreach (ref readonly var r in batch.Rejected)
        {
            if (r.Offset < below)
            {
                rejectedSkipped++;
            }
        }
        int added = accepted.Length - skip;
        _nextMmrIndex += added;
        _newAccepted += added;
        _newRejected += batch.RejectedCount - rejectedSkipped;
        return skip;
    }

    /// <summary>
    /// Checks <paramref name="progress"/> against <see cref="Stored"/> plus what was written: true
    /// when the stored progress already covers it (nothing to write). The counters are cumulative
    /// over the partition's log (every record before next_offset has exactly one verdict), so
    /// stored + written must give the new progress exactly: less means records between the stored
    /// progress and the batch are missing (a gap: lost votes), more that the stores disagree.
    /// </summary>
    private bool Verify(in PartitionProgress progress)
    {
        if (progress.NextOffset <= Stored.NextOffset)
        {
            bool consistent = _newAccepted == 0 && _newRejected == 0 && (progress.NextOffset == Stored.NextOffset
                ? progress.MmrSize == Stored.MmrSize && progress.MmrRoot == Stored.MmrRoot && progress.Accepted == Stored.Accepted && progress.Rejected == Stored.Rejected
                : progress.MmrSize <= Stored.MmrSize && progress.Accepted <= Stored.Accepted && progress.Rejected <= Stored.Rejected);
            if (!consistent)
            {
                throw PartitionProgressMismatchException.Disagree(_electionId, _partition, Stored,
                    $"the batch's progress (next offset {progress.NextOffset}, MMR size {progress.MmrSize}, accepted {progress.Accepted}, rejected {progress.Rejected}) is covered by the stored one but does not match it ({_newAccepted} accepted and {_newRejected} rejected entries at or after the stored next offset)");
            }
            return true;
        }
        long expectAccepted = Stored.Accepted + _newAccepted, expectRejected = Stored.Rejected + _newRejected;
        if (progress.MmrSize == Stored.MmrSize + _newAccepted && progress.Accepted == expectAccepted && progress.Rejected == expectRejected)
        {
            return false;
        }
        string detail = $"stored MMR size {Stored.MmrSize} + {_newAccepted} new accepted, stored rejected {Stored.Rejected} + {_newRejected} new, but the batch's progress says MMR size {progress.MmrSize}, accepted {progress.Accepted}, rejected {progress.Rejected} at next offset {progress.NextOffset}";
        throw progress.Accepted > expectAccepted || progress.Rejected > expectRejected || progress.MmrSize > Stored.MmrSize + _newAccepted
            ? PartitionProgressMismatchException.Gap(_electionId, _partition, Stored, detail)
            : PartitionProgressMismatchException.Disagree(_electionId, _partition, Stored, detail);
    }

    internal static PartitionProgress? ReadProgress(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid electionId, int partition, bool forUpdate)
    {
        using var cmd = new NpgsqlCommand(
            "select next_offset, mmr_size, mmr_root, accepted, rejected from partition_progress where election_id = $1 and partition = $2"
            + (forUpdate ? " for update" : ""), connection, transaction);
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = electionId });
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        using var reader = cmd.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }
        var root = (byte[])reader[2];
        return new PartitionProgress(reader.GetInt64(0), reader.GetInt64(1), new Hash256(root), reader.GetInt64(3), reader.GetInt64(4));
    }

    private void EnsureTempTables()
    {
        if (_tempTablesReady)
        {
            return;
        }
        // Session-local staging table, created once per connection and emptied after each use.
        Execute("""
            create temp table if not exists tvs_votes_in (like votes including defaults)
            """);
        _tempTablesReady = true;
    }

    private void Execute(string sql)
    {
        using var cmd = new NpgsqlCommand(sql, _connection, _transaction);
        cmd.ExecuteNonQuery();
    }

    private void Cancel()
    {
        State = VoteCopyState.Cancelled;
        try
        {
            if (_connection.State == System.Data.ConnectionState.Open && !_transaction.IsCompleted())
            {
                _transaction.Rollback();
            }
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // The connection is gone; the server rolls back a transaction whose session ends.
        }
    }
}

/// <summary>
/// The stored progress of a partition and a batch offered to it cannot both be right: a gap
/// (records between the stored progress and the batch would be lost) or a disagreement (the
/// stored rows are not a prefix of the log the batch comes from). Nothing was written; retrying
/// the same batch fails the same way: an operator must look (two engines on different input, a
/// reset topic, rows edited by hand).
/// </summary>
internal sealed class PartitionProgressMismatchException : StoreRefusedException
{
    private PartitionProgressMismatchException(string message)
        : base(message)
    {
    }

    internal static PartitionProgressMismatchException Gap(Guid election, int partition, in PartitionProgress stored, string detail)
        => new($"PostgreSQL and the engine disagree on {election:D}/p{partition}: gap after the stored progress (next offset {stored.NextOffset}, MMR size {stored.MmrSize}): {detail}; refusing to write, votes would be lost");

    internal static PartitionProgressMismatchException Disagree(Guid election, int partition, in PartitionProgress stored, string detail)
        => new($"PostgreSQL and the engine disagree on {election:D}/p{partition}: the stored progress (next offset {stored.NextOffset}, MMR size {stored.MmrSize}) is not a prefix of this batch's log: {detail}; refusing to write");
}

internal static class NpgsqlTransactionExtensions
{
    /// <summary>True once the transaction has been committed or rolled back (its connection is then null).</summary>
    public static bool IsCompleted(this NpgsqlTransaction transaction) => transaction.Connection is null;
}
