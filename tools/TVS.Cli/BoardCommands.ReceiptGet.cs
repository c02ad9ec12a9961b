using System.CommandLine;
using TVS.Engine;
using TVS.Engine.Board;
using TVS.Engine.Ports;
using TVS.Storage.Board;
using TVS.Storage.Postgres;

namespace TVS.Cli;

/// <summary><c>tvs receipt get</c>: a vote's receipt built from the authority's stores and the board.</summary>
public static partial class BoardCommands
{
    private static Command BuildReceiptGet()
    {
        var get = new Command("get", "Build a vote's receipt from PostgreSQL (or a data directory) and the board");
        var getElection = new Option<DirectoryInfo>("--election") { Description = "the election directory", Required = true };
        var nullifier = new Option<string>("--nullifier") { Description = "the vote's nullifier, 64 hex digits", Required = true };
        var pg = new Option<string?>("--pg") { Description = "PostgreSQL connection string (the production authority)" };
        var data = new Option<DirectoryInfo?>("--data") { Description = "an embedded data directory instead of --pg" };
        var board = new Option<DirectoryInfo>("--board") { Description = "the board directory (DIR/board of tvs demo --dir DIR)", Required = true };
        foreach (var o in new Option[] { getElection, nullifier, pg, data, board })
        {
            get.Options.Add(o);
        }
        get.SetAction(r => Get(r.GetValue(getElection)!.FullName, r.GetValue(nullifier)!, r.GetValue(pg), r.GetValue(data)?.FullName, r.GetValue(board)!.FullName, Console.Out, Console.Error));
        return get;
    }

    public static int Get(string electionDir, string nullifierHex, string? pg, string? data, string boardDir, TextWriter output, TextWriter error)
    {
        if (!Nullifier.TryParseHex(nullifierHex, out var nullifier))
        {
            error.WriteLine("receipt get: --nullifier must be 64 hex digits of a value below r");
            return ExitCodes.Unusable;
        }
        if ((pg is null) == (data is null))
        {
            error.WriteLine("receipt get: give exactly one of --pg and --data");
            return ExitCodes.Unusable;
        }
        var election = Public(electionDir);
        IVoteLocator locator = pg is not null
            ? new PostgresVoteLocator(PostgresVoteStore.CreateDataSource(pg), election.Id, ownsDataSource: true)
            : new LocalVoteLocator(data!, election.Partitions);
        using var board = new LocalBoardStore(boardDir);
        using var service = new ReceiptService(election.Id, election.Verifier, locator, board);
        var found = service.LookupAsync(nullifier, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        switch (found.State)
        {
            case ReceiptState.Ready:
                output.WriteLine(System.Text.Encoding.UTF8.GetString(found.Json!));
                return ExitCodes.Ok;
            case ReceiptState.AwaitingCheckpoint:
                error.WriteLine($"receipt get: vote {found.Index} of partition {found.Partition} is accepted but the board's checkpoint does not cover it yet (run tvs board publish)");
                return ExitCodes.Invalid;
            default:
                error.WriteLine("receipt get: no accepted vote has this nullifier");
                return ExitCodes.Invalid;
        }
    }
}
