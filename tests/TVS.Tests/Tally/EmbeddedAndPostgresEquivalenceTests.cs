using Npgsql;
using TVS.Cli;
using TVS.Crypto.Threshold;
using TVS.Engine.Board;
using TVS.Engine.IO;
using TVS.Engine.Tally;
using TVS.LoadGen;
using TVS.Storage.Board;
using TVS.Storage.Local;
using TVS.Storage.Postgres;
using TVS.Tests.Engine;
using TVS.Tests.Storage;
using TVS.Tests.Witness;
using Xunit;
using Xunit.Abstractions;

namespace TVS.Tests.Tally;

/// <summary>
/// The same votes through the embedded path (local files) and the production path (PostgreSQL,
/// the board published from it): closed, decrypted, tallied, exported and verified, each from its
/// own stores. The results are identical and the records equivalent: the same board (every tile
/// and entry bundle byte for byte), the same heads, the same result.
/// </summary>
public sealed class EmbeddedAndPostgresEquivalenceTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_same_votes_give_the_same_result_and_an_equivalent_record_on_both_paths()
    {
        if (!TestServices.Postgres(output, out string cs))
        {
            return;
        }
        string db = TestServices.CreateDatabase(cs, "tvs_equiv_");
        try
        {
            string conn = new NpgsqlConnectionStringBuilder(cs) { Database = db }.ConnectionString;
            using (var dataSource = PostgresVoteStore.CreateDataSource(conn))
            {
                PostgresMigrator.Migrate(dataSource);
            }
            Run(conn);
        }
        finally
        {
            TestServices.DropDatabase(cs, db);
        }
    }

    private void Run(string conn)
    {
        var id = Guid.NewGuid();
        var ceremony = LocalCeremony.Run(new DkgParameters(id, 3, 5));
        using var election = ElectionSetup.CreateSimulated(Path.Combine(_dir.Path, "election"), id: id);
        CeremonyFiles.WriteJson(Path.Combine(election.Directory, ElectionRecord.ElectionKeyFile), CeremonyFiles.ToJson(ceremony.Result));
        var contests = ContestList.Sample();
        contests.Write(Path.Combine(election.Directory, ContestList.FileName));
        var load = LoadGenerator.Generate(election, new LoadMix
        {
            Voters = 700,
            Duplicates = 0.03,
            BadProofs = 0.02,
            Malformed = 0.02,
            Ballots = new BallotMix(ceremony.Result.PublicKey, contests.CandidateCounts(), OutOfRange: 0.02, WrongKey: 0.01),
        });
        string input = Path.Combine(_dir.Path, "input.log");
        using (var writer = LocalInputLogWriter.Open(input))
        {
            foreach (var r in load.Records)
            {
                writer.Append(r.Key, r.Value);
            }
            writer.Seal();
        }

        string[] results = new string[2], records = new string[2];
        for (int path = 0; path < 2; path++)
        {
            bool pg = path == 1;
            string data = Path.Combine(_dir.Path, $"data-{path}"), board = Path.Combine(_dir.Path, $"board-{path}");
            EmbeddedRun.Run(election, data, input, EngineHarness.SmallOptions, stopAtEnd: true, CancellationToken.None, services: pg ? new EmbeddedServices(conn, null) : null);
            var log = new StringWriter();
            StoreArguments stores;
            if (pg)
            {
                // The production board is published from PostgreSQL (what the engines' publishers do), then closed from there.
                using var dataSource = PostgresVoteStore.CreateDataSource(conn);
                using (var store = new LocalBoardStore(board))
                using (var follower = new BoardFollower(store, new PostgresBoardSource(dataSource, id), election.Signer.Verifier, election.Origin, () => [0], log.WriteLine,
                    election.Signer, $"tvs/{id:D}/combined", 1))
                {
                    Assert.True(follower.Stop(), log.ToString());
                }
                stores = new StoreArguments(election.Directory) { Pg = conn, Board = board, DeadLetters = data };
            }
            else
            {
                stores = new StoreArguments(election.Directory) { Data = data, Board = board };
            }
            Assert.True(ElectionCommands.Close(stores, log, log) == ExitCodes.Ok, log.ToString());

            string shares = Path.Combine(_dir.Path, $"shares-{path}");
            using (var store = new DirectoryRecordStore(board, create: false))
            {
                var close = CloseStatement.Open(System.Text.Encoding.UTF8.GetString(store.TryGet(CloseStatement.FileName)!), election.Signer.Verifier, id);
                var ballots = new BoardBallots(store, close);
                foreach (int j in new[] { 1, 3, 5 })
                {
                    TrusteeDecryptor.Run(id, j, ceremony.Shares[j - 1], ceremony.Result.VerificationKey(j), ballots, Path.Combine(shares, ShareChunk.TrusteeDirectory(j)), 256);
                }
            }
            string tally = Path.Combine(_dir.Path, $"tally-{path}");
            Assert.True(ElectionCommands.Tally(election.Directory, null, null, [shares], tally, false, log, log, TallyProofs.All, board) == ExitCodes.Ok, log.ToString());
            results[path] = File.ReadAllText(Path.Combine(tally, TallyResult.FileName));
            records[path] = Path.Combine(_dir.Path, $"record-{path}");
            Assert.True(RecordCommands.Export(stores, tally, records[path], log, log) == ExitCodes.Ok, log.ToString());
            var verified = new StringWriter();
            Assert.True(RecordCommands.Verify(records[path], null, verified, verified) == ExitCodes.Ok, verified.ToString());
            output.WriteLine($"{(pg ? "PostgreSQL" : "embedded")}: closed, tallied, exported, verified");
        }

        Assert.Equal(results[0], results[1]);
        var result = TallyResult.Parse(results[0]);
        Assert.True(result.Counts.Zip(load.ExpectedTally!).All(p => p.First.SequenceEqual(p.Second)));
        // The same board, file for file: the tiles and bundles, each partition's final checkpoint.
        string[] Board(string record) => Directory.EnumerateFiles(Path.Combine(record, "p0"), "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(record, f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(Board(records[0]), Board(records[1]));
        foreach (var file in Board(records[0]))
        {
            Assert.True(File.ReadAllBytes(Path.Combine(records[0], file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(records[1], file))), file);
        }
        // The same heads in the close statements (their time lines differ), the same dead letters' count.
        var heads = records.Select(r => CloseStatement.Open(File.ReadAllText(Path.Combine(r, CloseStatement.FileName)), election.Signer.Verifier, id)).ToArray();
        Assert.Equal(heads[0].Heads, heads[1].Heads);
        Assert.Equal((heads[0].Accepted, heads[0].Rejected), (heads[1].Accepted, heads[1].Rejected));
        Assert.True(heads[0].Rejected > 0);
    }
}
