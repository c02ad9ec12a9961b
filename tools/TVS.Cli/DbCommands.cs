using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Npgsql;
using TVS.Storage.Postgres;

namespace TVS.Cli;

/// <summary>
/// <c>tvs db …</c>: the PostgreSQL schema (docs/formats.md "PostgreSQL schema", docs/ops/storage.md).
/// Exit codes: 0 done, 1 the server refused (connection, SQL, a changed migration), 2 bad options.
/// </summary>
public static class DbCommands
{
    /// <summary>Environment variable read when no --pg is given (keeps a password off the command line).</summary>
    public const string ConnectionVariable = "TVS_PG";

    public static Command Build()
    {
        var db = new Command("db", "PostgreSQL schema");
        var migrate = new Command("migrate", "Apply the embedded migrations (idempotent; citus distribution where the extension is available)");
        var pg = new Option<string?>("--pg") { Description = $"Npgsql connection string (else ${ConnectionVariable})" };
        var json = new Option<bool>("--json") { Description = "print [{\"version\":…,\"name\":…,\"outcome\":…}] instead of text" };
        migrate.Options.Add(pg);
        migrate.Options.Add(json);
        migrate.SetAction(r => Migrate(r.GetValue(pg) ?? Environment.GetEnvironmentVariable(ConnectionVariable), r.GetValue(json), Console.Out, Console.Error));
        db.Subcommands.Add(migrate);
        return db;
    }

    public static int Migrate(string? connectionString, bool json, TextWriter output, TextWriter error)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            error.WriteLine($"tvs db migrate: give --pg \"Host=…;Database=…;Username=…\" or set {ConnectionVariable}");
            return ExitCodes.Usage;
        }
        IReadOnlyList<MigrationResult> results;
        try
        {
            using var dataSource = PostgresVoteStore.CreateDataSource(connectionString);
            results = PostgresMigrator.Migrate(dataSource);
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"tvs db migrate: bad connection string: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or System.Net.Sockets.SocketException or TimeoutException)
        {
            error.WriteLine($"tvs db migrate: {e.GetType().Name}: {e.Message}");
            return ExitCodes.Failed;
        }
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(results.Select(r => new ResultJson(r.Version, r.Name, Outcome(r.Outcome))).ToList()));
        }
        else
        {
            foreach (var r in results)
            {
                output.WriteLine($"{r.Version} {r.Name}: {Outcome(r.Outcome)}");
            }
        }
        return ExitCodes.Ok;
    }

    private static string Outcome(MigrationOutcome o) => o switch
    {
        MigrationOutcome.Applied => "applied",
        MigrationOutcome.Skipped => "skipped",
        MigrationOutcome.Superseded => "superseded",
        _ => "not-applicable",
    };

    private sealed record ResultJson(
        [property: JsonPropertyName("version")] string Version,
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("outcome")] string Outcome);
}
