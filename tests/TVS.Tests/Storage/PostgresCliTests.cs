using System.Text.Json;
using Npgsql;
using TVS.Cli;
using Xunit.Abstractions;

namespace TVS.Tests.Storage;

[Collection(ExternalServicesCollection.Name)]
public class PostgresCliTests
{
    private readonly ITestOutputHelper _output;

    public PostgresCliTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Db_migrate_applies_then_skips_and_prints_json()
    {
        if (!TestServices.Postgres(_output, out string cs))
        {
            return;
        }
        string db = TestServices.CreateDatabase(cs, "tvs_cli_");
        try
        {
            string fresh = new NpgsqlConnectionStringBuilder(cs) { Database = db, Pooling = false }.ConnectionString;
            var text = new StringWriter();
            Assert.Equal(ExitCodes.Ok, DbCommands.Migrate(fresh, json: false, text, TextWriter.Null));
            _output.WriteLine(text.ToString());
            Assert.Contains("0001 schema: applied", text.ToString(), StringComparison.Ordinal);

            var json = new StringWriter();
            Assert.Equal(ExitCodes.Ok, DbCommands.Migrate(fresh, json: true, json, TextWriter.Null));
            using var doc = JsonDocument.Parse(json.ToString());
            var first = doc.RootElement.EnumerateArray().First();
            Assert.Equal("0001", first.GetProperty("version").GetString());
            Assert.Equal("skipped", first.GetProperty("outcome").GetString());
        }
        finally
        {
            TestServices.DropDatabase(cs, db);
        }
    }

    [Fact]
    public void Db_migrate_without_a_connection_string_is_a_usage_error_and_an_unreachable_server_a_failure()
    {
        string? saved = Environment.GetEnvironmentVariable(DbCommands.ConnectionVariable);
        if (saved is null)
        {
            Assert.Equal(ExitCodes.Usage, DbCommands.Migrate(null, json: false, TextWriter.Null, TextWriter.Null));
        }
        var error = new StringWriter();
        Assert.Equal(ExitCodes.Failed, DbCommands.Migrate("Host=127.0.0.1;Port=1;Timeout=2;Username=x", json: false, TextWriter.Null, error));
        Assert.Contains("tvs db migrate", error.ToString(), StringComparison.Ordinal);
    }
}
