using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using TVS.Storage.S3;
using TVS.Tests.Storage;
using TVS.Tests.Witness;
using Xunit;
using Xunit.Abstractions;

namespace TVS.Tests.Tally;

/// <summary>
/// <c>tvs demo --pg --s3-bucket</c> (issue 14 item 5): the whole lifecycle with the votes in a real
/// PostgreSQL and the batch objects, the board and the record in S3 (s3rver), closed, decrypted,
/// tallied, exported and verified from there; the result equals the choices cast, and the stores
/// hold what the production path says they do.
/// </summary>
public sealed class DemoOnProductionStoresTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task The_demo_runs_its_lifecycle_on_PostgreSQL_and_S3()
    {
        if (!TestServices.Postgres(output, out string cs) || !TestServices.S3(output, out var s3))
        {
            return;
        }
        string db = TestServices.CreateDatabase(cs, "tvs_demo_");
        try
        {
            string conn = new NpgsqlConnectionStringBuilder(cs) { Database = db }.ConnectionString;
            string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } d ? d : "dotnet";
            var psi = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "tvs.dll"), "demo", "--voters", "300", "--dir", Path.Combine(_dir.Path, "demo"), "--json", "--no-baseline",
                "--pg", conn, "--s3-endpoint", s3.ServiceUrl!, "--s3-bucket", s3.Bucket })
            {
                psi.ArgumentList.Add(a);
            }
            psi.Environment["AWS_ACCESS_KEY_ID"] = s3.AccessKey;
            psi.Environment["AWS_SECRET_ACCESS_KEY"] = s3.SecretKey;
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
            await p.WaitForExitAsync(timeout.Token);
            string said = await stdout, complained = await stderr;
            output.WriteLine(complained);
            Assert.True(p.ExitCode == 0, said + complained);
            using var json = JsonDocument.Parse(said);
            Assert.True(json.RootElement.GetProperty("ok").GetBoolean());

            // PostgreSQL holds the votes and the election; S3 the batch objects, the board with its close statement, and the record.
            using (var connection = new NpgsqlConnection(conn))
            {
                connection.Open();
                using var count = new NpgsqlCommand("select count(*) from votes", connection);
                Assert.Equal(json.RootElement.GetProperty("summary").GetProperty("Accepted").GetInt64(), (long)count.ExecuteScalar()!);
                using var elections = new NpgsqlCommand("select partitions from elections", connection);
                Assert.Equal(1, (int)elections.ExecuteScalar()!);
            }
            using var bucket = new S3BlobSink(s3);
            var keys = bucket.ListKeys("");
            Assert.Contains(keys, k => k.Contains("/batches/", StringComparison.Ordinal));
            Assert.Contains(keys, k => k.Contains("/board/", StringComparison.Ordinal) && k.EndsWith("/close.note", StringComparison.Ordinal));
            Assert.Contains(keys, k => k.EndsWith("/record/manifest.json", StringComparison.Ordinal));
            Assert.Contains(keys, k => k.EndsWith("/record/result.json", StringComparison.Ordinal));
            Assert.False(Directory.Exists(Path.Combine(_dir.Path, "demo", "board", "p0")), "the board went to S3, not to the demo's directory");
        }
        finally
        {
            TestServices.DropDatabase(cs, db);
        }
    }
}
