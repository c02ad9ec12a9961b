using Npgsql;
using TVS.Engine;
using TVS.Engine.Ports;

namespace TVS.Storage.Board;

/// <summary>
/// Receipt lookups in PostgreSQL: one primary-key read of <c>votes</c> (nullifier, election) →
/// partition, MMR index and record. Asynchronous, pooled connections: a gateway serves many at once.
/// </summary>
public sealed class PostgresVoteLocator(NpgsqlDataSource dataSource, Guid electionId, bool ownsDataSource = false) : IVoteLocator
{
    public async ValueTask<LocatedVote?> LocateAsync(Nullifier nullifier, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("select partition, mmr_index, record from votes where nullifier_hash = $1 and election_id = $2");
        cmd.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = nullifier.AsSpan().ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = electionId });
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }
        return new LocatedVote(reader.GetInt32(0), reader.GetInt64(1), (byte[])reader[2]);
    }

    public void Dispose()
    {
        if (ownsDataSource)
        {
            dataSource.Dispose();
        }
    }
}
