using System.CommandLine;
using TVS.Engine.IO;
using TVS.Engine.Tally;

namespace TVS.Cli;

/// <summary><c>tvs verify</c>: anyone checks an election record with its files alone, in a directory or under an S3 prefix.</summary>
public static partial class RecordCommands
{
    public static Command BuildVerify()
    {
        var verify = new Command("verify", "Verify an election record independently, streaming it in bounded memory: hashes, every partition's board against the close statement, every vote's proof, nullifiers, checkpoints, dead letters, election key, every decryption share's proof, the recount");
        var record = new Argument<string>("record") { Description = "the election record: a directory, or s3://bucket/prefix/" };
        var receipt = new Option<string?>("--receipt") { Description = "check only this vote's inclusion (its nullifier, decimal or 64 hex digits)" };
        var state = new Option<DirectoryInfo?>("--state") { Description = "keep each finished range's result here (atomic files): a rerun after a crash skips them and gives the same verdict" };
        var threads = new Option<int>("--threads") { Description = "threads for the votes' checks (default: every core)", DefaultValueFactory = _ => -1 };
        var endpoint = new Option<string?>("--s3-endpoint") { Description = "S3-compatible endpoint for an s3:// record (else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL; credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the SDK's chain)" };
        verify.Arguments.Add(record);
        foreach (var o in new Option[] { receipt, state, threads, endpoint })
        {
            verify.Options.Add(o);
        }
        verify.SetAction(r => Verify(r.GetValue(record)!, r.GetValue(receipt), Console.Out, Console.Error,
            new VerifyOptions { StateDirectory = r.GetValue(state)?.FullName, Threads = r.GetValue(threads), Progress = Console.Error }, r.GetValue(endpoint)));
        return verify;
    }

    public static int Verify(string record, string? receipt, TextWriter output, TextWriter error) => Verify(record, receipt, output, error, new VerifyOptions());

    public static int Verify(string record, string? receipt, TextWriter output, TextWriter error, VerifyOptions options, string? s3Endpoint = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(error);
        IRecordStore store;
        try
        {
            store = StoreLocations.OpenRecord(record, s3Endpoint, create: false);
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"tvs verify: {e.Message}");
            return ExitCodes.Unusable;
        }
        using (store)
        {
            if (store is DirectoryRecordStore { Exists: false })
            {
                error.WriteLine($"tvs verify: {record}: no such record directory");
                return ExitCodes.Unusable;
            }
            List<string> failures;
            try
            {
                failures = RecordVerifier.Verify(store, output, receipt, options);
            }
            catch (Exception e) when (e is Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException or HttpRequestException or IOException or AggregateException)
            {
                // the record could not be read (not: read and found wrong)
                error.WriteLine($"tvs verify: {store.Location}: {e.Message}");
                return ExitCodes.Unusable;
            }
            if (failures.Count == 0)
            {
                output.WriteLine(receipt is null ? $"VALID: {store.Location}" : $"RECEIPT VALID: {receipt}");
                return ExitCodes.Ok;
            }
            error.WriteLine($"INVALID: {failures.Count} failure(s); first: {failures[0]}");
            return ExitCodes.Invalid;
        }
    }
}
