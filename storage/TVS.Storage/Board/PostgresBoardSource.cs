using Npgsql;
using TVS.Engine.Ports;
using TVS.Merkle;
using TVS.Storage.Postgres;

namespace TVS.Storage.Board;

/// <summary>
/// The production authority for the board: an election's rows in PostgreSQL, the committed votes
/// of a partition in index order (<c>votes_by_position</c>) and its signed checkpoints (table
/// <c>checkpoints</c>, written in the same transaction as the progress they cover).
/// </summary>
public sealed class PostgresBoardSource(NpgsqlDataSource dataSource, Guid electionId) : IBoardSource
{
    public StoredCheckpoint? LatestCheckpoint(int partition)
    {
        using var connection = dataSource.OpenConnection();
        using var cmd = new NpgsqlCommand(
            "select tree_size, root, note from checkpoints where election_id = $1 and partition = $2 order by tree_size desc limit 1", connection);
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = electionId });
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        using var reader = cmd.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }
        return new StoredCheckpoint(partition, reader.GetInt64(0), new Hash256((byte[])reader[1]), reader.GetString(2));
    }

    /// <summary>Every stored checkpoint of the partition, smallest first (close, audits).</summary>
    public List<StoredCheckpoint> AllCheckpoints(int partition)
    {
        using var connection = dataSource.OpenConnection();
        using var cmd = new NpgsqlCommand(
            "select tree_size, root, note from checkpoints where election_id = $1 and partition = $2 order by tree_size", connection);
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = electionId });
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        using var reader = cmd.ExecuteReader();
        var list = new List<StoredCheckpoint>();
        while (reader.Read())
        {
            list.Add(new StoredCheckpoint(partition, reader.GetInt64(0), new Hash256((byte[])reader[1]), reader.GetString(2)));
        }
        return list;
    }

    public void ReadRecords(int partition, long from, long to, CommittedRecordVisitor visitor)
    {
        // The rows a restoring engine reads (PostgresVoteStore.ReadHistory: votes_by_position, streamed into reused buffers).
        using var store = new PostgresVoteStore(dataSource, electionId, partition);
        store.ReadHistory(from, to, (index, _, record) => visitor(index, record));
    }
}
