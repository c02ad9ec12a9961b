using Npgsql;

namespace TVS.Storage.Postgres;

/// <summary>
/// The <c>elections</c> reference table (docs/formats.md "PostgreSQL schema"): the engine records
/// its election there when it starts, with election.json's partition count, so the count has one
/// authority that every engine of the election is held to.
/// </summary>
public static class PostgresElections
{
    /// <summary>
    /// Inserts the election if it is not there (<c>on conflict do nothing</c>: the first engine
    /// registers it, the others find it) and returns the partition count stored for it. Throws
    /// <see cref="ElectionPartitionMismatchException"/> when the stored count is not
    /// <paramref name="partitions"/>. Needs the schema (<c>tvs db migrate</c>).
    /// </summary>
    public static int Register(NpgsqlDataSource dataSource, Guid electionId, string name, int partitions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        using var connection = dataSource.OpenConnection();
        using var cmd = new NpgsqlCommand("""
            with inserted as (
                insert into elections (election_id, name, partitions) values ($1, $2, $3)
                on conflict (election_id) do nothing
                returning partitions)
            select partitions from inserted
            union all
            select partitions from elections where election_id = $1
            limit 1
            """, connection);
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = electionId });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partitions });
        // Null only when another engine inserted the row after this statement's snapshot was taken
        // (its insert did nothing, its select did not see the row yet): the next one sees it.
        int? found = null;
        for (int attempt = 0; attempt < 3 && found is null; attempt++)
        {
            found = cmd.ExecuteScalar() as int?;
        }
        int stored = found ?? throw new InvalidOperationException($"election {electionId:D}: neither inserted nor found in table elections");
        if (stored != partitions)
        {
            throw new ElectionPartitionMismatchException(electionId, stored, partitions);
        }
        return stored;
    }
}

/// <summary>PostgreSQL's <c>elections</c> row and election.json disagree on the partition count.</summary>
public sealed class ElectionPartitionMismatchException : InvalidOperationException
{
    public ElectionPartitionMismatchException(Guid electionId, int storedPartitions, int electionPartitions)
        : base($"election {electionId:D} is registered in PostgreSQL (table elections) with {storedPartitions} partition(s), but election.json says {electionPartitions}: the partition count cannot change once an engine has run the election (the stored votes, progress rows and the close are per partition); use the election directory it was registered with; refusing to start")
    {
        ElectionId = electionId;
        StoredPartitions = storedPartitions;
        ElectionPartitions = electionPartitions;
    }

    public Guid ElectionId { get; }

    /// <summary>elections.partitions.</summary>
    public int StoredPartitions { get; }

    /// <summary>election.json's <c>partitions</c>.</summary>
    public int ElectionPartitions { get; }
}
