using System.CommandLine;
using TVS.Engine;
using TVS.Engine.Board;
using TVS.Engine.Ports;
using TVS.Storage.Board;
using TVS.Storage.Postgres;

namespace TVS.Cli;

/// <summary>
/// <c>tvs receipt verify|get</c> and <c>tvs board publish</c>: a voter's receipt checked offline,
/// fetched from the stores, and the bulletin board brought up to the authority by hand
/// (docs/formats.md "Voter receipt", "Bulletin board (tlog-tiles)"; docs/operations.md).
/// </summary>
public static class BoardCommands
{
    public static Command BuildReceipt()
    {
        var receipt = new Command("receipt", "Voter receipts: check one offline, or get one from the stores");
        var verify = new Command("verify", "Check a receipt against the election's public manifest: signature, origin, leaf, partition, inclusion proof");
        var file = new Option<FileInfo>("--receipt") { Description = "the receipt JSON (or a gateway status answer that holds one)", Required = true };
        var election = new Option<DirectoryInfo>("--election") { Description = "the election directory (election.json)", Required = true };
        var record = new Option<FileInfo?>("--record") { Description = "the vote record this device sealed (binary): the receipt must hold exactly it" };
        foreach (var o in new Option[] { file, election, record })
        {
            verify.Options.Add(o);
        }
        verify.SetAction(r => Verify(r.GetValue(file)!.FullName, r.GetValue(election)!.FullName, r.GetValue(record)?.FullName, Console.Out, Console.Error));
        receipt.Subcommands.Add(verify);

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
        receipt.Subcommands.Add(get);
        return receipt;
    }

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

    public static int Verify(string receiptPath, string electionDir, string? recordPath, TextWriter output, TextWriter error)
    {
        (Guid Id, TVS.Merkle.NoteVerifier Verifier, int Partitions) election;
        TVS.Engine.Election.WitnessPolicy? witnesses;
        byte[] json;
        try
        {
            election = Public(electionDir);
            witnesses = ElectionCommands.ReadWitnessPolicy(electionDir);
            json = File.ReadAllBytes(receiptPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or FormatException or System.Text.Json.JsonException or TVS.Merkle.NoteException or ArgumentException or NullReferenceException)
        {
            error.WriteLine($"receipt verify: {e.Message}");
            return ExitCodes.Unusable;
        }
        if (!Receipt.TryParse(Unwrap(json), out var receipt, out var bad))
        {
            output.WriteLine($"FAIL {bad!.Code}: {bad.Message}");
            return ExitCodes.Invalid;
        }
        byte[]? expected = recordPath is null ? null : File.ReadAllBytes(recordPath);
        var verdict = receipt!.Verify(election.Id, election.Partitions, election.Verifier, expected, witnesses);
        if (!verdict.Ok)
        {
            output.WriteLine($"FAIL {verdict.Code}: {verdict.Message}");
            return ExitCodes.Invalid;
        }
        output.WriteLine($"OK vote {receipt.Index} of partition {receipt.Partition} is in the tree of {receipt.TreeSize} leaves signed by {election.Verifier.Name}"
            + (witnesses is null ? "" : $" and cosigned by {witnesses.Check(receipt.Checkpoint).Cosigners.Count} of the election's {witnesses.Witnesses.Count} witnesses (quorum {witnesses.Quorum})"));
        return ExitCodes.Ok;
    }

    private static (Guid Id, TVS.Merkle.NoteVerifier Verifier, int Partitions) Public(string electionDir)
    {
        var (id, key, partitions) = ElectionCommands.ReadPublicElection(electionDir);
        return (id, key, partitions);
    }

    /// <summary>A gateway answer <c>{"status":"accepted",…,"receipt":{…}}</c> holds the receipt under "receipt".</summary>
    private static byte[] Unwrap(byte[] json)
    {
        try
        {
            if (System.Text.Json.Nodes.JsonNode.Parse(json) is System.Text.Json.Nodes.JsonObject o && o["receipt"] is System.Text.Json.Nodes.JsonObject inner)
            {
                return System.Text.Encoding.UTF8.GetBytes(inner.ToJsonString());
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }
        return json;
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
