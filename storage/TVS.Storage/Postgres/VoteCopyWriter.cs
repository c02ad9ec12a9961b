using Npgsql;
using NpgsqlTypes;
using TVS.Engine.Ports;
using TVS.Engine.Processing;
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
    /// nothing is written. Otherwise binary COPY straight into votes and nullifiers: a
    /// duplicate row is an error, never silently dropped. The default, and the faster one
    /// (docs/PERFORMANCE.md, "PostgreSQL binary COPY").
    /// </summary>
    ProgressCheck,

    /// <summary>
    /// Binary COPY into temporary tables, then <c>INSERT … ON CONFLICT DO NOTHING</c> into votes
    /// and nullifiers. Needs no progress lock, but hides a row that conflicts for another reason.
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
    internal const string VoteColumns = "nullifier_hash, election_id, partition, mmr_index, input_offset, depth, merkle_root, proof, ballot, record, accepted_at";
    internal const string NullifierColumns = "nullifier_hash, election_id, partition, mmr_index";

    // Field offsets in the v1 plaintext (docs/formats.md "Vote record (v1)").
    private const int DepthAt = 22, RootAt = 23, NullifierAt = 55, ProofAt = 87, ProofLength = 256, BallotAt = 347;

    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly Guid _electionId;
    private readonly int _partition;
    private readonly PostgresCommitMode _mode;
    private readonly PostgresVoteStore.Buffers _buffers;
    private bool _tempTablesReady;

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

    /// <summary>Copies <paramref name="batch"/>'s accepted votes into the transaction (votes and nullifiers).</summary>
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
        if (batch.AcceptedCount == 0)
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
                foreach (ref readonly var v in batch.Accepted)
                {
                    var record = entries.Slice(v.RecordStart, v.RecordLength);
                    copy.StartRow();
                    copy.Write(record.Slice(NullifierAt, 32), NpgsqlDbType.Bytea);
                    copy.Write(_electionId, NpgsqlDbType.Uuid);
                    copy.Write(_partition, NpgsqlDbType.Integer);
                    copy.Write(v.MmrIndex, NpgsqlDbType.Bigint);
                    copy.Write(v.Offset, NpgsqlDbType.Bigint);
                    copy.Write((short)record.Span[DepthAt], NpgsqlDbType.Smallint);
                    copy.Write(record.Slice(RootAt, 32), NpgsqlDbType.Bytea);
                    copy.Write(record.Slice(ProofAt, ProofLength), NpgsqlDbType.Bytea);
                    copy.Write(record[BallotAt..], NpgsqlDbType.Bytea);
                    copy.Write(record, NpgsqlDbType.Bytea);
                    copy.Write(acceptedAt, NpgsqlDbType.TimestampTz);
                }
                copy.Complete();
            }
            using (var copy = _connection.BeginBinaryImport($"copy {(temp ? "tvs_nullifiers_in" : "nullifiers")} ({NullifierColumns}) from stdin (format binary)"))
            {
                foreach (ref readonly var v in batch.Accepted)
                {
                    copy.StartRow();
                    copy.Write(entries.Slice(v.RecordStart + NullifierAt, 32), NpgsqlDbType.Bytea);
                    copy.Write(_electionId, NpgsqlDbType.Uuid);
                    copy.Write(_partition, NpgsqlDbType.Integer);
                    copy.Write(v.MmrIndex, NpgsqlDbType.Bigint);
                }
                copy.Complete();
            }
            if (temp)
            {
                Execute($"""
                    insert into votes ({VoteColumns}) select {VoteColumns} from tvs_votes_in on conflict do nothing;
                    insert into nullifiers ({NullifierColumns}) select {NullifierColumns} from tvs_nullifiers_in on conflict do nothing;
                    truncate tvs_votes_in, tvs_nullifiers_in
                    """);
            }
        }
        catch
        {
            Cancel();
            throw;
        }
    }

    /// <summary>Upserts the partition's progress (never backwards) and commits everything written.</summary>
    public void Complete(in PartitionProgress progress)
    {
        if (State is not (VoteCopyState.Open or VoteCopyState.Writing))
        {
            throw new InvalidOperationException($"VoteCopyWriter is {State}");
        }
        try
        {
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

    public void Dispose()
    {
        if (State is VoteCopyState.Open or VoteCopyState.Writing)
        {
            Cancel();
        }
        _transaction.Dispose();
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
        // Session-local staging tables, created once per connection and emptied after each use.
        Execute("""
            create temp table if not exists tvs_votes_in (like votes including defaults);
            create temp table if not exists tvs_nullifiers_in (like nullifiers including defaults)
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

internal static class NpgsqlTransactionExtensions
{
    /// <summary>True once the transaction has been committed or rolled back (its connection is then null).</summary>
    public static bool IsCompleted(this NpgsqlTransaction transaction) => transaction.Connection is null;
}
