using System.CommandLine;
using TVS.Engine.Tally;

namespace TVS.Cli;

/// <summary><c>tvs verify</c>: anyone checks an election record with its files alone.</summary>
public static partial class RecordCommands
{
    public static Command BuildVerify()
    {
        var verify = new Command("verify", "Verify an election record independently: hashes, every vote's proof, nullifiers, checkpoints, close statement, election key, every decryption share's proof, the recount");
        var record = new Argument<DirectoryInfo>("record") { Description = "the election record directory" };
        var receipt = new Option<string?>("--receipt") { Description = "check only this vote's inclusion (its nullifier, decimal or 64 hex digits)" };
        verify.Arguments.Add(record);
        verify.Options.Add(receipt);
        verify.SetAction(r => Verify(r.GetValue(record)!.FullName, r.GetValue(receipt), Console.Out, Console.Error));
        return verify;
    }

    public static int Verify(string record, string? receipt, TextWriter output, TextWriter error)
    {
        var failures = RecordVerifier.Verify(record, output, receipt);
        if (failures.Count == 0)
        {
            output.WriteLine(receipt is null ? $"VALID: {record}" : $"RECEIPT VALID: {receipt}");
            return ExitCodes.Ok;
        }
        error.WriteLine($"INVALID: {failures.Count} failure(s); first: {failures[0]}");
        return ExitCodes.Invalid;
    }
}
