using System.Data;
using Npgsql;
using TVS.Engine.Ports;
using TVS.Engine.Processing;
using TVS.Engine.Votes;
using TVS.Storage.Local;

namespace TVS.Storage.Postgres;

/// <summary>
/// The production vote store of one partition: accepted votes as rows of <c>votes</c> (one
/// binary COPY per batch), and the partition's progress in <c>partition_progress</c>,
/// all in one transaction per batch (docs/formats.md, "PostgreSQL schema"). Used from the flush
/// thread only. A failure (connection refused, server shut down, serialization, a terminated
/// backend) is thrown: the flush stage retries with back-off, and the next call takes a fresh
/// connection from the data source. A repeated commit is harmless (<see cref="PostgresCommitMode"/>).
/// Its rows are the partition's <see cref="IVoteHistory"/>: recovery restores from them.
/// </summary>
public sealed class PostgresVoteStore : IVoteStore, IVoteHistory
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly Buffers _buffers = new();
    private NpgsqlConnection? _connection;

    public PostgresVoteStore(NpgsqlDataSource dataSource, Guid electionId, int partition, PostgresCommitMode mode = PostgresCommitMode.ProgressCheck, bool ownsDataSource = false)
    {
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        ElectionId = electionId;
        Partition = partition;
        Mode = mode;
    }

    /// <summary>A store over its own data source for <paramref name="connectionString"/>.</summary>
    public static PostgresVoteStore Open(string connectionString, Guid electionId, int partition, PostgresCommitMode mode = PostgresCommitMode.ProgressCheck)
        => new(CreateDataSource(connectionString), electionId, partition, mode, ownsDataSource: true);

    /// <summary>A data source with TVS's defaults (application name "tvs" unless the string names one).</summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.ApplicationName ??= "tvs";
        return builder.Build();
    }

    public Guid ElectionId { get; }
    public int Partition { get; }
    public PostgresCommitMode Mode { get; }
    public NpgsqlDataSource DataSource => _dataSource;

    public PartitionProgress LoadProgress()
    {
        try
        {
            return VoteCopyWriter.ReadProgress(Connection(), null, ElectionId, Partition, forUpdate: false) ?? PartitionProgress.Empty;
        }
        catch
        {
            DropConnection();
            throw;
        }
    }

    public void Commit(VoteBatch batch, in PartitionProgress progress)
    {
        try
        {
            // The writer skips what the stored progress covers (a retry whose acknowledgement was
            // lost, or an overlap with another owner of the partition) and refuses a gap.
            using var writer = BeginWrite();
            writer.Write(batch);
            writer.Complete(progress, batch.SignedCheckpoint);
        }
        catch (PartitionProgressMismatchException)
        {
            throw; // a refusal, not a broken connection: the writer rolled back, keep the session
        }
        catch
        {
            DropConnection();
            throw;
        }
    }

    /// <summary>
    /// Opens a transaction on this store's connection; the caller writes batches and completes
    /// it (or disposes it to roll back). <see cref="Commit"/> is this plus the progress check.
    /// </summary>
    public VoteCopyWriter BeginWrite()
    {
        try
        {
            return new VoteCopyWriter(Connection(), ElectionId, Partition, Mode, _buffers);
        }
        catch
        {
            DropConnection();
            throw;
        }
    }

    /// <summary>
    /// How <see cref="ReadHistory"/> reads: a plain query streamed with sequential access into
    /// reused buffers (the default: no allocation per row), or <c>copy (select …) to stdout
    /// (format binary)</c> (one array per record; kept for the comparison in docs/PERFORMANCE.md).
    /// </summary>
    public PostgresHistoryRead HistoryRead { get; init; } = PostgresHistoryRead.Query;

    /// <inheritdoc/>
    /// <remarks>
    /// <c>votes</c> only (never <c>nullifiers</c>: the record holds the nullifier), through the index
    /// <c>votes_by_position</c>; on a connection of its own, so it may run while nothing else does
    /// (recovery, before the flush stage starts). Rows stream from the server as they are read.
    /// </remarks>
    public long ReadHistory(long fromIndex, long toIndex, VoteHistoryRow onRow)
    {
        if (fromIndex >= toIndex)
        {
            return 0;
        }
        const string Select = "select mmr_index, nullifier_hash, record from votes where election_id = $1 and partition = $2 and mmr_index >= $3 and mmr_index < $4 order by mmr_index";
        using var connection = _dataSource.OpenConnection();
        if (HistoryRead == PostgresHistoryRead.Copy)
        {
            return CopyHistory(connection, fromIndex, toIndex, onRow);
        }
        using var cmd = new NpgsqlCommand(Select, connection) { CommandTimeout = 0 };
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = ElectionId });
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Partition });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = fromIndex });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = toIndex });
        using var reader = cmd.ExecuteReader(CommandBehavior.SequentialAccess);
        var nullifier = new byte[33];
        var record = new byte[TVS.Engine.Votes.VoteRecord.MaxPlaintext + 1];
        long rows = 0;
        while (reader.Read())
        {
            long index = reader.GetInt64(0);
            int n = (int)reader.GetBytes(1, 0, nullifier, 0, nullifier.Length);
            int r = (int)reader.GetBytes(2, 0, record, 0, record.Length);
            if (r == record.Length)
            {
                throw new InvalidDataException($"votes row {ElectionId}/p{Partition} index {index}: a record longer than {record.Length - 1} bytes");
            }
            onRow(index, nullifier.AsSpan(0, n), record.AsSpan(0, r));
            rows++;
        }
        return rows;
    }

    private long CopyHistory(NpgsqlConnection connection, long fromIndex, long toIndex, VoteHistoryRow onRow)
    {
        // COPY takes no parameters: the values are numbers and a uuid, formatted invariantly.
        string sql = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"copy (select mmr_index, nullifier_hash, record from votes where election_id = '{ElectionId:D}' and partition = {Partition} and mmr_index >= {fromIndex} and mmr_index < {toIndex} order by mmr_index) to stdout (format binary)");
        using var export = connection.BeginBinaryExport(sql);
        export.Timeout = TimeSpan.Zero;
        long rows = 0;
        while (export.StartRow() >= 0)
        {
            long index = export.Read<long>();
            byte[] nullifier = export.Read<byte[]>();
            byte[] record = export.Read<byte[]>();
            onRow(index, nullifier, record);
            rows++;
        }
        return rows;
    }

    /// <summary>The committed votes of this partition in MMR order (auditing, proofs, tests).</summary>
    public List<AcceptedVote> ReadAll()
    {
        using var connection = _dataSource.OpenConnection();
        using var cmd = new NpgsqlCommand("select mmr_index, input_offset, record from votes where election_id = $1 and partition = $2 order by mmr_index", connection);
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = ElectionId });
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Partition });
        using var reader = cmd.ExecuteReader();
        var votes = new List<AcceptedVote>();
        while (reader.Read())
        {
            votes.Add(new AcceptedVote(reader.GetInt64(0), reader.GetInt64(1), (byte[])reader[2]));
        }
        return votes;
    }

    /// <summary>The flush thread's one connection, opened again after a failure dropped it.</summary>
    private NpgsqlConnection Connection()
    {
        if (_connection is { State: System.Data.ConnectionState.Open })
        {
            return _connection;
        }
        DropConnection();
        _connection = _dataSource.OpenConnection();
        return _connection;
    }

    private void DropConnection()
    {
        var c = _connection;
        _connection = null;
        if (c is null)
        {
            return;
        }
        try
        {
            c.Dispose();
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException)
        {
            // Broken already; nothing to close.
        }
        // Idle pooled connections may be dead too (server restarted): do not hand them out again.
        _dataSource.Clear();
    }

    public void Dispose()
    {
        DropConnection();
        if (_ownsDataSource)
        {
            _dataSource.Dispose();
        }
    }

    /// <summary>Reused copy of a batch's entries, so the importer can be given memory slices.</summary>
    internal sealed class Buffers
    {
        private byte[] _entries = new byte[256 * 1024];

        public ReadOnlyMemory<byte> Entries(ReadOnlySpan<byte> entries)
        {
            if (entries.Length > _entries.Length)
            {
                _entries = new byte[Math.Max(entries.Length, _entries.Length * 2)];
            }
            entries.CopyTo(_entries);
            return _entries.AsMemory(0, entries.Length);
        }
    }
}

/// <summary>How <see cref="PostgresVoteStore.ReadHistory"/> reads the rows.</summary>
public enum PostgresHistoryRead
{
    /// <summary>A query read with sequential access into reused buffers.</summary>
    Query,

    /// <summary><c>copy (select …) to stdout (format binary)</c> through Npgsql's binary exporter.</summary>
    Copy,
}
