using System.CommandLine;
using TVS.Engine.Board;

namespace TVS.Cli;

/// <summary><c>tvs receipt verify</c>: a voter's receipt checked offline against the election's public manifest.</summary>
public static partial class BoardCommands
{
    private static Command BuildReceiptVerify()
    {
        var verify = new Command("verify", "Check a receipt against the election's public manifest: signature, origin, leaf, partition, inclusion proof");
        var file = new Option<FileInfo>("--receipt") { Description = "the receipt JSON (or a gateway status answer that holds one)", Required = true };
        var election = new Option<DirectoryInfo>("--election") { Description = "the election directory (election.json)", Required = true };
        var record = new Option<FileInfo?>("--record") { Description = "the vote record this device sealed (binary): the receipt must hold exactly it" };
        foreach (var o in new Option[] { file, election, record })
        {
            verify.Options.Add(o);
        }
        verify.SetAction(r => Verify(r.GetValue(file)!.FullName, r.GetValue(election)!.FullName, r.GetValue(record)?.FullName, Console.Out, Console.Error));
        return verify;
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
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or FormatException or System.Text.Json.JsonException or TVS.Merkle.NoteException or ArgumentException)
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
}
