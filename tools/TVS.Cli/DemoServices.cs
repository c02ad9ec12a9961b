using Npgsql;
using TVS.Engine.Ports;
using TVS.LoadGen;
using TVS.Storage.Board;
using TVS.Storage.Postgres;
using TVS.Storage.S3;

namespace TVS.Cli;

/// <summary>
/// <c>tvs demo --pg CONN [--s3-endpoint URL --s3-bucket B]</c>: the demo's election on the
/// production stores (docs/operations.md "After voting"): the accepted votes, progress and signed
/// checkpoints in PostgreSQL, the batch objects and the bulletin board in S3 (else the board in
/// DIR/board), and every step after voting (close, decrypt, tally, export, verify) reading them
/// from there as an operator's would: close from PostgreSQL and the board, the trustees and the
/// tally from the board, the export from PostgreSQL, the board and the demo's dead letters.
/// </summary>
internal sealed class DemoServices : IDisposable
{
    private DemoServices(string postgres, S3BlobSinkOptions? s3, string? s3Endpoint)
    {
        Postgres = postgres;
        S3 = s3;
        S3Endpoint = s3Endpoint;
        DataSource = PostgresVoteStore.CreateDataSource(postgres);
    }

    public string Postgres { get; }

    /// <summary>The bucket for batch objects (<c>batches/</c>), the board (<c>board/</c>) and the record (<c>record/</c>); null: the board and the record in the demo's directory.</summary>
    public S3BlobSinkOptions? S3 { get; }

    public string? S3Endpoint { get; }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>Connects, applies the schema (idempotent) and checks or creates the bucket; null with the reason on <paramref name="error"/> when a service is not usable.</summary>
    public static DemoServices? Open(string postgres, string? s3Endpoint, string? bucket, TextWriter error)
    {
        S3BlobSinkOptions? s3 = null;
        if (bucket != null)
        {
            s3 = StoreLocations.S3Options($"s3://{bucket}/demo-{DateTime.UtcNow:yyyyMMddHHmmss}-{Guid.NewGuid().ToString("N")[..6]}/", s3Endpoint);
            var why = new StringWriter();
            // A demo may make its own bucket on the development server it is pointed at.
            if (!S3Buckets.Prepare(s3, create: true, $"--s3-bucket {bucket}", why))
            {
                error.WriteLine($"tvs demo: {why.ToString().Trim()}");
                return null;
            }
        }
        var services = new DemoServices(postgres, s3, s3Endpoint);
        try
        {
            PostgresMigrator.Migrate(services.DataSource);
            return services;
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            error.WriteLine($"tvs demo: PostgreSQL ({new NpgsqlConnectionStringBuilder(postgres) { Password = null }}): {e.Message}");
            services.Dispose();
            return null;
        }
    }

    /// <summary>What the engine writes to: PostgreSQL, and the batch objects under <c>batches/</c> of the bucket.</summary>
    public EmbeddedServices Engine => new(Postgres, S3 is { } s3 ? s3 with { KeyPrefix = s3.KeyPrefix + "batches/" } : null);

    /// <summary>Where the board is, as the post-voting verbs take it: <c>s3://bucket/prefix/board/</c> (the election id appended, as engines publish), or the directory.</summary>
    public string BoardLocation(string boardDir) => S3 is { } s3 ? $"s3://{s3.Bucket}/{s3.KeyPrefix}board/" : boardDir;

    /// <summary>Where the record goes: <c>s3://bucket/prefix/record/</c>, or the directory.</summary>
    public string RecordLocation(string recordDir) => S3 is { } s3 ? $"s3://{s3.Bucket}/{s3.KeyPrefix}record/" : recordDir;

    public IBoardStore OpenBoard(Guid electionId, string boardDir) => StoreLocations.OpenBoard(BoardLocation(boardDir), electionId, S3);

    public IBoardSource Source(Guid electionId) => new PostgresBoardSource(DataSource, electionId);

    public IVoteLocator Locator(Guid electionId) => new PostgresVoteLocator(DataSource, electionId);

    public StoreArguments Stores(ElectionSetup election, string boardDir, string data) => new(election.Directory)
    {
        Pg = Postgres,
        Board = BoardLocation(boardDir),
        DeadLetters = data,
        S3 = S3,
    };

    public void Dispose() => DataSource.Dispose();
}
