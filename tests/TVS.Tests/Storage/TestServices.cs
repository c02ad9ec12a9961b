using System.Net.Sockets;
using Npgsql;
using TVS.Storage.Postgres;
using TVS.Storage.S3;
using Xunit.Abstractions;

namespace TVS.Tests.Storage;

/// <summary>
/// The throwaway PostgreSQL and S3 servers that tests/services.sh starts (tests/run.sh calls it).
/// Their coordinates come from environment variables or, failing those, from .tvs/services.env.
/// Unreachable: the test returns early with a note on a developer's machine and fails under
/// CI=true, like <see cref="ExternalTools"/>.
/// </summary>
internal static class TestServices
{
    private static readonly Lazy<Dictionary<string, string>> EnvFile = new(ReadEnvFile);
    private static readonly object MigrateLock = new();
    private static bool _migrated;

    public static string? Get(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : EnvFile.Value.GetValueOrDefault(name);

    /// <summary>The test database's connection string, migrated, when PostgreSQL answers.</summary>
    public static bool Postgres(ITestOutputHelper output, out string connectionString)
    {
        connectionString = Get("TVS_TEST_PG") ?? "";
        string? why = null;
        if (connectionString.Length == 0)
        {
            why = "TVS_TEST_PG is not set and .tvs/services.env names no PostgreSQL (run tests/services.sh)";
        }
        else
        {
            try
            {
                using var c = new NpgsqlConnection(connectionString + ";Timeout=5");
                c.Open();
                lock (MigrateLock)
                {
                    if (!_migrated)
                    {
                        PostgresMigrator.Migrate(c);
                        _migrated = true;
                    }
                }
            }
            catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
            {
                why = $"PostgreSQL at {connectionString} is unreachable: {e.Message}";
            }
        }
        return Skip(why, output);
    }

    /// <summary>Options for a fresh bucket on the local S3 server, created, when it answers.</summary>
    public static bool S3(ITestOutputHelper output, out S3BlobSinkOptions options)
    {
        string? endpoint = Get("TVS_TEST_S3_ENDPOINT");
        options = new S3BlobSinkOptions
        {
            Bucket = "tvs-test-" + Guid.NewGuid().ToString("N")[..12],
            ServiceUrl = endpoint,
            AccessKey = Get("TVS_TEST_S3_ACCESS_KEY") ?? "S3RVER",
            SecretKey = Get("TVS_TEST_S3_SECRET_KEY") ?? "S3RVER",
            Timeout = TimeSpan.FromSeconds(10),
        };
        string? why = null;
        if (endpoint is null)
        {
            why = "TVS_TEST_S3_ENDPOINT is not set and .tvs/services.env names no S3 server (run tests/services.sh)";
        }
        else
        {
            try
            {
                using var sink = new S3BlobSink(options);
                sink.EnsureBucket();
            }
            catch (Exception e)
            {
                why = $"S3 server at {endpoint} is unreachable: {e.GetType().Name}: {e.Message}";
            }
        }
        return Skip(why, output);
    }

    /// <summary>Creates a throwaway database named <paramref name="prefix"/> plus a random suffix on the server of <paramref name="connectionString"/>; returns its name.</summary>
    public static string CreateDatabase(string connectionString, string prefix)
    {
        string db = prefix + Guid.NewGuid().ToString("N")[..10];
        using var admin = new NpgsqlConnection(connectionString);
        admin.Open();
        using var create = new NpgsqlCommand($"create database {db}", admin);
        create.ExecuteNonQuery();
        return db;
    }

    /// <summary>Drops a database made by <see cref="CreateDatabase"/>, closing its sessions.</summary>
    public static void DropDatabase(string connectionString, string db)
    {
        using var admin = new NpgsqlConnection(connectionString);
        admin.Open();
        using var drop = new NpgsqlCommand($"drop database if exists {db} with (force)", admin);
        drop.ExecuteNonQuery();
    }

    /// <summary>Runs <c>tests/services.sh <paramref name="command"/></c> (pg-stop, pg-start, s3-stop, s3-start).</summary>
    public static void Control(string command)
    {
        string script = Get("TVS_TEST_SERVICES") ?? Path.Combine(ExternalTools.RepoRoot(), "tests", "services.sh");
        var (code, stdout, stderr) = ExternalTools.Run("bash", $"\"{script}\" {command}", ExternalTools.RepoRoot(), TimeSpan.FromSeconds(90));
        Assert.True(code == 0, $"tests/services.sh {command} exited {code}: {stdout} {stderr}");
        if (command.StartsWith("pg-", StringComparison.Ordinal))
        {
            // Pooled connections of this process died with the server: later tests must not get them.
            NpgsqlConnection.ClearAllPools();
        }
    }

    private static bool Skip(string? why, ITestOutputHelper output)
    {
        if (why is null)
        {
            return true;
        }
        Assert.False(ExternalTools.IsCi, why + "; CI requires this service (tests/run.sh starts it with tests/services.sh)");
        output.WriteLine("SKIPPED (not CI): " + why);
        return false;
    }

    /// <summary>.tvs/services.env: lines <c>export NAME='value'</c> written by tests/services.sh.</summary>
    private static Dictionary<string, string> ReadEnvFile()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        string path = Path.Combine(ExternalTools.RepoRoot(), ".tvs", "services.env");
        if (!File.Exists(path))
        {
            return values;
        }
        foreach (string raw in File.ReadAllLines(path))
        {
            string line = raw.Trim();
            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                line = line["export ".Length..];
            }
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }
            values[line[..eq]] = line[(eq + 1)..].Trim('\'', '"');
        }
        return values;
    }
}
