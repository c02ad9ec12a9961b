using System.Data;
using Npgsql;
using TVS.Engine.Ports;
using TVS.Engine.Votes;
using TVS.Merkle;

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
        using var connection = dataSource.OpenConnection();
        using var cmd = new NpgsqlCommand(
            "select mmr_index, record from votes where election_id = $1 and partition = $2 and mmr_index >= $3 and mmr_index < $4 order by mmr_index", connection);
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = electionId });
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = from });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = to });
        // Rows stream (sequential access) into one reused buffer: memory stays bounded whatever the range.
        using var reader = cmd.ExecuteReader(CommandBehavior.SequentialAccess);
        byte[] record = new byte[VoteRecord.MaxPlaintext];
        while (reader.Read())
        {
            long index = reader.GetInt64(0);
            long length = reader.GetBytes(1, 0, null, 0, 0);
            if (length > record.Length)
            {
                throw new InvalidDataException($"{electionId:D}/p{partition}: the record of vote {index} has {length} bytes, more than a v1 record can");
            }
            int n = (int)reader.GetBytes(1, 0, record, 0, (int)length);
            visitor(index, record.AsSpan(0, n));
        }
    }
}
