using System.CommandLine;
using Npgsql;
using TVS.Engine.IO;
using TVS.Engine.Ports;
using TVS.Merkle;
using TVS.Storage.Board;
using TVS.Storage.Local;
using TVS.Storage.Postgres;
using TVS.Storage.S3;

namespace TVS.Cli;

/// <summary>
/// Where a post-voting verb finds the election (docs/operations.md "After voting"): exactly one
/// authority (<see cref="Pg"/>, an embedded <see cref="Data"/> directory, or an engine's
/// <see cref="Config"/> file naming either), the bulletin board (<see cref="Board"/>: a directory
/// or <c>s3://bucket/prefix/</c>), Kafka for the topic's partition count and the dead letters, and
/// the S3 endpoint and credentials for <c>s3://</c> locations (<see cref="S3"/>: bucket and prefix
/// are replaced per location; credentials null = the SDK's chain, AWS_ACCESS_KEY_ID…).
/// </summary>
public sealed record StoreArguments(string Election)
{
    public string? Pg { get; init; }
    public string? Data { get; init; }
    public string? Config { get; init; }
    public string? Board { get; init; }
    public string? Kafka { get; init; }

    /// <summary>A data directory whose dead-letter files hold the rejected records, beside <see cref="Pg"/> (an engine run on a local input log with its votes in PostgreSQL, as <c>tvs demo --pg</c>).</summary>
    public string? DeadLetters { get; init; }

    public S3BlobSinkOptions? S3 { get; init; }

    /// <summary>The options every post-voting verb that reads the production stores takes.</summary>
    internal sealed class Options
    {
        public Option<DirectoryInfo> Election { get; } = new("--election") { Description = "election directory", Required = true };
        public Option<string?> Pg { get; } = new("--pg") { Description = "PostgreSQL connection string: the production authority (progress, signed checkpoints)" };
        public Option<DirectoryInfo?> Data { get; } = new("--data") { Description = "an embedded engine's data directory instead of --pg" };
        public Option<FileInfo?> Config { get; } = new("--config") { Description = "the engine's config file (its Postgres, Kafka, S3 and board settings) instead of --pg/--data" };
        public Option<string?> Board { get; } = new("--board") { Description = "the bulletin board: a directory or s3://bucket/prefix/ (the engines' S3KeyPrefix; the election id is appended as they do) (default with --data: DATA/board; with --config: the engine's)" };
        public Option<DirectoryInfo?> DeadLetters { get; } = new("--dead-letters") { Description = "without Kafka: the data directory whose dead-letter files hold the rejected records (an engine on a local input log with its votes in PostgreSQL)" };
        public Option<string?> Kafka { get; } = new("--kafka") { Description = "Kafka bootstrap servers: votes.pending's partition count must be the election's; votes.rejected holds the dead letters" };
        public Option<string?> S3Endpoint { get; } = new("--s3-endpoint") { Description = "S3-compatible endpoint for s3:// locations (default AWS); credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the SDK's chain" };
        public Option<string> S3Region { get; } = new("--s3-region") { Description = "S3 region", DefaultValueFactory = _ => "us-east-1" };

        public void AddTo(Command command)
        {
            foreach (var o in new Option[] { Election, Pg, Data, Config, Board, Kafka, DeadLetters, S3Endpoint, S3Region })
            {
                command.Options.Add(o);
            }
        }

        public StoreArguments Read(ParseResult r) => new(r.GetValue(Election)!.FullName)
        {
            Pg = r.GetValue(Pg),
            Data = r.GetValue(Data)?.FullName,
            Config = r.GetValue(Config)?.FullName,
            Board = r.GetValue(Board),
            Kafka = r.GetValue(Kafka),
            DeadLetters = r.GetValue(DeadLetters)?.FullName,
            S3 = new S3BlobSinkOptions
            {
                Bucket = "-",
                ServiceUrl = r.GetValue(S3Endpoint),
                Region = r.GetValue(S3Region) ?? "us-east-1",
                AccessKey = Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID"),
                SecretKey = Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY"),
            },
        };
    }
}

/// <summary>
/// The stores of one election after voting, opened from <see cref="StoreArguments"/>: the
/// authority's committed progress and signed checkpoints per partition (PostgreSQL's
/// <c>partition_progress</c> and <c>checkpoints</c>, or a data directory's files through the
/// same ports), the board, and the dead letters' source.
/// </summary>
internal sealed class ElectionStores : IDisposable
{
    private readonly NpgsqlDataSource? _dataSource;
    private readonly Guid _electionId;
    private readonly NoteVerifier _verifier;

    private ElectionStores(Guid electionId, NoteVerifier verifier, NpgsqlDataSource? dataSource, string? data, IBoardStore board, string? kafka, S3BlobSinkOptions? s3, string? deadLetters)
    {
        DeadLetters = deadLetters ?? data;
        _electionId = electionId;
        _verifier = verifier;
        _dataSource = dataSource;
        Data = data;
        Board = board;
        Kafka = kafka;
        S3 = s3;
        Source = dataSource is not null ? new PostgresBoardSource(dataSource, electionId) : new LocalBoardSource(data!, verifier);
    }

    /// <summary>The embedded data directory (the authority when there is no PostgreSQL).</summary>
    public string? Data { get; }

    public bool Embedded => _dataSource is null;

    public IBoardStore Board { get; }

    public string? Kafka { get; }

    /// <summary>The data directory whose dead-letter files are read when there is no Kafka: the embedded authority's, or <see cref="StoreArguments.DeadLetters"/>.</summary>
    public string? DeadLetters { get; }

    /// <summary>Endpoint and credentials for other <c>s3://</c> locations (the record's).</summary>
    public S3BlobSinkOptions? S3 { get; }

    /// <summary>The authority as the board publisher reads it.</summary>
    public IBoardSource Source { get; }

    /// <summary>Where the authority is, for messages.</summary>
    public string Authority => _dataSource is not null ? "PostgreSQL" : Data!;

    /// <summary>Opens the stores, or writes why not to <paramref name="error"/> (prefixed with <paramref name="verb"/>) and returns null.</summary>
    public static ElectionStores? Open(StoreArguments args, Guid electionId, NoteVerifier verifier, TextWriter error, string verb)
    {
        int sources = (args.Pg is null ? 0 : 1) + (args.Data is null ? 0 : 1) + (args.Config is null ? 0 : 1);
        if (sources != 1)
        {
            error.WriteLine($"{verb}: give exactly one of --pg, --data and --config (where the election's votes were committed)");
            return null;
        }
        string? pg = args.Pg, data = args.Data, kafka = args.Kafka, board = args.Board;
        var s3 = args.S3;
        IBoardStore? defaultBoard = null;
        if (args.Config is { } config)
        {
            EngineSettings settings;
            try
            {
                settings = EngineSettings.Load(new FileInfo(config));
            }
            catch (Exception e) when (e is IOException or InvalidDataException or FormatException or InvalidOperationException)
            {
                error.WriteLine($"{verb}: {config}: {e.Message}");
                return null;
            }
            pg = settings.Postgres;
            data = pg is null ? settings.Data : null;
            kafka ??= settings.Kafka;
            if (settings.S3Options() is { } engineS3)
            {
                s3 = engineS3;
            }
            if (pg is null && data is null)
            {
                error.WriteLine($"{verb}: {config} names neither Engine:Postgres nor Engine:Data");
                return null;
            }
            if (board is null)
            {
                if (settings.Board is not null || settings.S3Options() is null)
                {
                    board = settings.Board ?? Path.Combine(settings.Data ?? ".", "board");
                }
                else
                {
                    defaultBoard = new S3BoardStore(settings.S3Options()!, electionId);
                }
            }
        }
        if (board is null && defaultBoard is null)
        {
            if (data is null)
            {
                error.WriteLine($"{verb}: give --board DIR|s3://bucket/prefix/: where the engines publish the bulletin board");
                return null;
            }
            board = Path.Combine(data, "board");
        }
        NpgsqlDataSource? dataSource = null;
        try
        {
            var boardStore = defaultBoard ?? OpenBoard(board!, s3, electionId);
            dataSource = pg is null ? null : PostgresVoteStore.CreateDataSource(pg);
            return new ElectionStores(electionId, verifier, dataSource, data, boardStore, kafka, s3, args.DeadLetters);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            dataSource?.Dispose();
            error.WriteLine($"{verb}: {e.Message}");
            return null;
        }
    }

    /// <summary>The board at <paramref name="location"/> (<see cref="StoreLocations.OpenBoard(string, Guid, S3BlobSinkOptions?)"/>).</summary>
    public static IBoardStore OpenBoard(string location, S3BlobSinkOptions? s3, Guid electionId) => StoreLocations.OpenBoard(location, electionId, s3);

    /// <summary>Partition <paramref name="partition"/>'s committed progress, null when none was ever committed.</summary>
    public PartitionProgress? Progress(int partition)
    {
        if (_dataSource is null)
        {
            return LocalVoteStore.ReadCommittedProgress(LocalPartition.VotesDirectory(Data!, partition));
        }
        using var connection = _dataSource.OpenConnection();
        using var cmd = new NpgsqlCommand(
            "select next_offset, mmr_size, mmr_root, accepted, rejected from partition_progress where election_id = $1 and partition = $2", connection);
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = _electionId });
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        using var r = cmd.ExecuteReader();
        return r.Read() ? new PartitionProgress(r.GetInt64(0), r.GetInt64(1), new Hash256((byte[])r[2]), r.GetInt64(3), r.GetInt64(4)) : null;
    }

    /// <summary>The partition count of the election's row in PostgreSQL's <c>elections</c>, null when it is not there (or embedded).</summary>
    public int? RegisteredPartitions()
    {
        if (_dataSource is null)
        {
            return null;
        }
        using var connection = _dataSource.OpenConnection();
        using var cmd = new NpgsqlCommand("select partitions from elections where election_id = $1", connection);
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = _electionId });
        return cmd.ExecuteScalar() as int?;
    }

    /// <summary>Every signed checkpoint of the partition the authority holds, smallest first: PostgreSQL's <c>checkpoints</c>, or the data directory's <c>{size:D12}.note</c> files.</summary>
    public IEnumerable<(long Size, string Note)> Checkpoints(int partition)
    {
        if (Source is PostgresBoardSource pg)
        {
            return pg.AllCheckpoints(partition).Select(c => (c.Size, c.Note));
        }
        string dir = LocalPartition.CheckpointDirectory(Data!, partition);
        if (!Directory.Exists(dir))
        {
            return [];
        }
        return Directory.EnumerateFiles(dir, "*.note")
            .Where(n => Path.GetFileName(n) != LocalCheckpointSink.LatestFile)
            .Order(StringComparer.Ordinal)
            .Select(n => (Checkpoint.Open(File.ReadAllText(n), _verifier).Size, File.ReadAllText(n)));
    }

    public void Dispose()
    {
        Board.Dispose();
        _dataSource?.Dispose();
    }
}
