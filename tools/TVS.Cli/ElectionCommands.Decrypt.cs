using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using TVS.Crypto.Threshold;
using TVS.Engine.Tally;
using TVS.Merkle;

namespace TVS.Cli;

/// <summary><c>tvs trustee decrypt</c>: one trustee's decryption shares, with DLEQ proofs, for every accepted ballot of the closed election.</summary>
public static partial class ElectionCommands
{
    /// <summary>The <c>decrypt</c> verb, added under <c>tvs trustee</c>.</summary>
    public static Command BuildDecrypt()
    {
        var cmd = new Command("decrypt", "Compute my decryption shares (with DLEQ proofs) for every accepted ballot of the closed election, read from the bulletin board by range on every core; resumable (files already written and intact are kept)");
        var e = new Option<DirectoryInfo>("--election") { Description = "election directory (election.json, election-key.json)", Required = true };
        var board = new Option<string?>("--board") { Description = "the election's bulletin board, closed (close.note): a directory, or s3://bucket/prefix/ as the engines publish it (default: DATA/board)" };
        var d = new Option<DirectoryInfo?>("--data") { Description = "embedded: the closed data directory (its board DATA/board, its close.note)" };
        var s3Endpoint = new Option<string?>("--s3-endpoint") { Description = "S3-compatible endpoint of an s3:// board (else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, else AWS)" };
        var threads = new Option<int>("--threads") { Description = "ranges computed at once (default: every core)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var share = new Option<FileInfo>("--share") { Description = "my share key file (share.key, from finalize)", Required = true };
        var pass = new Option<FileInfo?>("--passphrase-file") { Description = $"file holding the passphrase (else ${TrusteeCommands.PassphraseVariable})" };
        var keyUri = new Option<string?>(TrusteeCommands.KeyUriOption) { Description = "PKCS#11 URI of the token AES key that wrapped share.key" };
        var output = new Option<DirectoryInfo>("--out") { Description = "where to write the shares (a trustee-NN folder is made inside)", Required = true };
        var chunk = new Option<int>("--chunk") { Description = "ballots per shares file", DefaultValueFactory = _ => TrusteeDecryptor.DefaultChunkBallots };
        foreach (var o in new Option[] { e, board, d, s3Endpoint, share, pass, keyUri, output, chunk, threads })
        {
            cmd.Options.Add(o);
        }
        cmd.SetAction(r =>
        {
            TrusteeKeys pw;
            IDisposable? token;
            try
            {
                pw = TrusteeCommands.OpenKeys(r.GetValue(pass), r.GetValue(keyUri), out token);
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or FormatException)
            {
                Console.Error.WriteLine($"tvs trustee decrypt: {ex.Message}");
                return ExitCodes.Unusable;
            }
            try
            {
                return Decrypt(r.GetValue(e)!.FullName, r.GetValue(d)?.FullName, r.GetValue(share)!.FullName, pw, r.GetValue(output)!.FullName, Math.Max(1, r.GetValue(chunk)), int.MaxValue, Console.Out, Console.Error,
                    r.GetValue(board), r.GetValue(s3Endpoint), Math.Max(1, r.GetValue(threads)));
            }
            finally
            {
                pw.Clear();
                token?.Dispose();
            }
        });
        return cmd;
    }

    public static int Decrypt(string election, string? data, string shareFile, TrusteeKeys passphrase, string outDir, int chunk, int maxChunks, TextWriter output, TextWriter error,
        string? board = null, string? s3Endpoint = null, int threads = -1)
    {
        try
        {
            var dkg = ReadElectionKey(election);
            using var closed = OpenClosedBoard(election, data, board, s3Endpoint);
            var (id, close, ballots) = (closed.ElectionId, closed.Close, closed.Ballots);
            var (index, share) = passphrase.OpenShare(File.ReadAllBytes(shareFile), id);
            string dir = Path.Combine(outDir, ShareChunk.TrusteeDirectory(index));
            var outcome = TrusteeDecryptor.Run(id, index, share, dkg.VerificationKey(index), ballots, dir, chunk, maxChunks, error, threads: threads);
            share.Clear();
            output.WriteLine($"trustee {index}: {outcome.Ballots:N0} ballots of {close.Partitions} partition(s) (close root {close.Checkpoint.Root.ToBase64()}): {outcome.ChunksWritten} shares file(s) written, {outcome.ChunksSkipped} already present and intact, {outcome.WithoutShare} ballot(s) without R → {dir}");
            return ExitCodes.Ok;
        }
        catch (WrongPassphraseException e)
        {
            error.WriteLine($"tvs trustee decrypt: {shareFile}: {e.Message}");
            return ExitCodes.Unusable;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or FormatException or JsonException or CryptographicException or NoteException or ArgumentException or Amazon.Runtime.AmazonClientException or Amazon.Runtime.AmazonServiceException)
        {
            error.WriteLine($"tvs trustee decrypt: {e.Message}");
            return e is InvalidOperationException ? ExitCodes.Invalid : ExitCodes.Unusable;
        }
    }
}
