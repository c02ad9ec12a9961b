using System.CommandLine;
using TVS.Engine.Board;
using TVS.Engine.Ports;
using TVS.Storage.Board;
using TVS.Storage.Postgres;

namespace TVS.Cli;

/// <summary><c>tvs board publish</c>: every partition's tiles and checkpoint brought up to the authority's latest signed checkpoint.</summary>
public static partial class BoardCommands
{
    public static Command BuildBoard()
    {
        var board = new Command("board", "The public bulletin board (C2SP tlog-tiles per partition)");
        var publish = new Command("publish", "Publish every partition's tiles and checkpoint up to the authority's latest signed checkpoint");
        var election = new Option<DirectoryInfo>("--election") { Description = "the election directory", Required = true };
        var pg = new Option<string?>("--pg") { Description = "PostgreSQL connection string (the production authority)" };
        var data = new Option<DirectoryInfo?>("--data") { Description = "an embedded data directory instead of --pg" };
        var dir = new Option<DirectoryInfo>("--board") { Description = "the board directory", Required = true };
        var witness = new Option<string[]>("--witness") { Description = "NAME=URL: the submission URL of a witness election.json lists (repeat); each checkpoint is cosigned before it goes up", AllowMultipleArgumentsPerToken = false };
        foreach (var o in new Option[] { election, pg, data, dir, witness })
        {
            publish.Options.Add(o);
        }
        publish.SetAction(r => Publish(r.GetValue(election)!.FullName, r.GetValue(pg), r.GetValue(data)?.FullName, r.GetValue(dir)!.FullName, Console.Out, Console.Error, r.GetValue(witness) ?? []));
        board.Subcommands.Add(publish);
        return board;
    }

    public static int Publish(string electionDir, string? pg, string? data, string boardDir, TextWriter output, TextWriter error, string[]? witnessUrls = null)
    {
        if ((pg is null) == (data is null))
        {
            error.WriteLine("board publish: give exactly one of --pg and --data");
            return ExitCodes.Unusable;
        }
        var election = Public(electionDir);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        TVS.Engine.Election.WitnessPolicy? policy;
        IReadOnlyList<ICheckpointWitness>? witnesses = null;
        try
        {
            policy = ElectionCommands.ReadWitnessPolicy(electionDir);
            if (policy is not null)
            {
                witnesses = WitnessEndpoints.Clients(policy, WitnessEndpoints.Parse(witnessUrls ?? []), http, out var missing);
                if (missing.Count > 0)
                {
                    error.WriteLine($"board publish: WARNING: no --witness URL for {string.Join(", ", missing)}: not asked to cosign");
                }
            }
            else if (witnessUrls is { Length: > 0 })
            {
                error.WriteLine("board publish: --witness given, but election.json lists no witnesses");
                return ExitCodes.Unusable;
            }
        }
        catch (InvalidDataException e)
        {
            error.WriteLine($"board publish: {e.Message}");
            return ExitCodes.Unusable;
        }
        using var dataSource = pg is null ? null : PostgresVoteStore.CreateDataSource(pg);
        IBoardSource source = dataSource is not null ? new PostgresBoardSource(dataSource, election.Id) : new LocalBoardSource(data!, election.Verifier);
        using var board = new LocalBoardStore(boardDir);
        int failures = 0;
        for (int p = 0; p < election.Partitions; p++)
        {
            try
            {
                var done = new BoardPublisher(board, source, p, election.Verifier, $"tvs/{election.Id:D}/p{p}", witnesses is { Count: > 0 } ? witnesses : null, policy).PublishOnce();
                output.WriteLine($"p{p}: board at {done.ToSize} (was {done.FromSize}), {done.TilesWritten} tiles and bundles written"
                    + (done.Cosigning is { } c ? $"; {c.Check}" : ""));
                foreach (var (w, result) in done.Cosigning?.Results ?? [])
                {
                    if (!result.Ok)
                    {
                        error.WriteLine($"board publish: p{p}: witness {w.Key.Name}: {result.Failure} {result.Detail}");
                    }
                }
            }
            catch (Exception e) when (e is InvalidDataException or IOException or Npgsql.NpgsqlException or TVS.Merkle.NoteException)
            {
                error.WriteLine($"board publish: p{p}: {e.Message}");
                failures++;
            }
        }
        return failures == 0 ? ExitCodes.Ok : ExitCodes.Invalid;
    }
}
