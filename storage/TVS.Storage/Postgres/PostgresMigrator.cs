using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace TVS.Storage.Postgres;

/// <summary>What <see cref="PostgresMigrator.Migrate"/> did with one migration.</summary>
public enum MigrationOutcome
{
    /// <summary>Run now, in its own transaction, and recorded in <c>schema_migrations</c>.</summary>
    Applied,

    /// <summary>Already recorded with the same checksum: nothing done.</summary>
    Skipped,

    /// <summary>Needs an extension this server does not offer (citus): not run, not recorded.</summary>
    NotApplicable,

    /// <summary>
    /// Never applied here, and a later migration says <c>-- supersedes: NNNN</c> of it: not run,
    /// not recorded (the later one does its work for the current schema).
    /// </summary>
    Superseded,
}

/// <summary>One versioned SQL file embedded in the assembly (<c>Postgres/Migrations/NNNN_name.sql</c>).</summary>
public sealed record Migration(string Version, string Name, string Sql, string? RequiresExtension, string? Supersedes = null)
{
    public byte[] Checksum => SHA256.HashData(Encoding.UTF8.GetBytes(Sql));
}

public sealed record MigrationResult(string Version, string Name, MigrationOutcome Outcome);

/// <summary>
/// Applies the embedded migrations in version order, each in its own transaction, under a
/// session advisory lock so that engines starting together do not race; records each in
/// <c>schema_migrations</c> with the SHA-256 of its text. Idempotent: a second run skips what is
/// recorded, and refuses to go on if a recorded migration's text has changed since (a migration
/// is immutable once shipped; add a new one instead). A migration whose first line is
/// <c>-- requires: EXT</c> runs only where <c>pg_available_extensions</c> lists EXT. A header
/// line <c>-- supersedes: NNNN</c> (among the file's leading comment lines) retires migration
/// NNNN where it has not been applied yet: a <c>requires:</c> migration waits, unrecorded, until
/// its extension appears, and by then the schema it was written for may be gone (0006 supersedes
/// 0002, which distributes the table <c>nullifiers</c> that 0005 drops).
/// </summary>
public static class PostgresMigrator
{
    /// <summary>The advisory lock key: "TVSMIGR1" as a big-endian 64-bit number.</summary>
    public const long AdvisoryLockKey = 0x5456534D49475231;

    private const string ResourcePrefix = "TVS.Storage.Postgres.Migrations.";

    public static IReadOnlyList<Migration> Migrations { get; } = Load();

    public static IReadOnlyList<MigrationResult> Migrate(NpgsqlDataSource dataSource)
    {
        using var connection = dataSource.OpenConnection();
        return Migrate(connection);
    }

    public static IReadOnlyList<MigrationResult> Migrate(NpgsqlConnection connection)
    {
        Execute(connection, "select pg_advisory_lock(@k)", AdvisoryLockKey);
        try
        {
            Execute(connection, """
                create table if not exists schema_migrations (
                    version    text primary key,
                    name       text not null,
                    checksum   bytea not null,
                    applied_at timestamptz not null default now())
                """);
            var recorded = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            using (var cmd = new NpgsqlCommand("select version, checksum from schema_migrations", connection))
            using (var reader = cmd.ExecuteReader())
            {
                while (reader.Read())
                {
                    recorded[reader.GetString(0)] = (byte[])reader[1];
                }
            }
            var available = new HashSet<string>(StringComparer.Ordinal);
            using (var cmd = new NpgsqlCommand("select name from pg_available_extensions", connection))
            using (var reader = cmd.ExecuteReader())
            {
                while (reader.Read())
                {
                    available.Add(reader.GetString(0));
                }
            }

            var superseded = Migrations.Where(m => m.Supersedes != null).Select(m => m.Supersedes!).ToHashSet(StringComparer.Ordinal);
            var results = new List<MigrationResult>();
            foreach (var m in Migrations)
            {
                if (recorded.TryGetValue(m.Version, out var checksum))
                {
                    if (!checksum.AsSpan().SequenceEqual(m.Checksum))
                    {
                        throw new InvalidOperationException(
                            $"migration {m.Version}_{m.Name} was changed after it was applied (checksum differs): ship a new migration instead");
                    }
                    results.Add(new MigrationResult(m.Version, m.Name, MigrationOutcome.Skipped));
                    continue;
                }
                if (superseded.Contains(m.Version))
                {
                    results.Add(new MigrationResult(m.Version, m.Name, MigrationOutcome.Superseded));
                    continue;
                }
                if (m.RequiresExtension is { } ext && !available.Contains(ext))
                {
                    results.Add(new MigrationResult(m.Version, m.Name, MigrationOutcome.NotApplicable));
                    continue;
                }
                using (var tx = connection.BeginTransaction())
                {
                    using (var cmd = new NpgsqlCommand(m.Sql, connection, tx))
                    {
                        cmd.ExecuteNonQuery();
                    }
                    using (var cmd = new NpgsqlCommand("insert into schema_migrations (version, name, checksum) values (@v, @n, @c)", connection, tx))
                    {
                        cmd.Parameters.AddWithValue("v", m.Version);
                        cmd.Parameters.AddWithValue("n", m.Name);
                        cmd.Parameters.AddWithValue("c", m.Checksum);
                        cmd.ExecuteNonQuery();
                    }
                    tx.Commit();
                }
                results.Add(new MigrationResult(m.Version, m.Name, MigrationOutcome.Applied));
            }
            return results;
        }
        finally
        {
            if (connection.State == System.Data.ConnectionState.Open)
            {
                Execute(connection, "select pg_advisory_unlock(@k)", AdvisoryLockKey);
            }
        }
    }

    /// <summary>True when the server offers the citus extension (the distributed schema applies).</summary>
    public static bool CitusAvailable(NpgsqlConnection connection)
    {
        using var cmd = new NpgsqlCommand("select exists (select 1 from pg_available_extensions where name = 'citus')", connection);
        return (bool)cmd.ExecuteScalar()!;
    }

    private static void Execute(NpgsqlConnection connection, string sql, long? key = null)
    {
        using var cmd = new NpgsqlCommand(sql, connection);
        if (key is { } k)
        {
            cmd.Parameters.AddWithValue("k", k);
        }
        cmd.ExecuteNonQuery();
    }

    private static List<Migration> Load()
    {
        var assembly = typeof(PostgresMigrator).Assembly;
        var list = new List<Migration>();
        foreach (string resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            string file = resource[ResourcePrefix.Length..^".sql".Length];
            int underscore = file.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0)
            {
                throw new InvalidDataException($"migration resource {resource}: name must be NNNN_name.sql");
            }
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var text = new StreamReader(stream, Encoding.UTF8);
            string sql = text.ReadToEnd().ReplaceLineEndings("\n");
            string firstLine = sql.Split('\n', 2)[0];
            const string requires = "-- requires:", supersedes = "-- supersedes:";
            string? ext = firstLine.StartsWith(requires, StringComparison.Ordinal) ? firstLine[requires.Length..].Trim() : null;
            string? retired = null;
            foreach (string line in sql.Split('\n'))
            {
                if (!line.StartsWith("--", StringComparison.Ordinal))
                {
                    break;
                }
                if (line.StartsWith(supersedes, StringComparison.Ordinal))
                {
                    retired = line[supersedes.Length..].Trim();
                }
            }
            list.Add(new Migration(file[..underscore], file[(underscore + 1)..], sql, ext, retired));
        }
        return list;
    }
}
