using System.Text;
using System.Text.Json.Nodes;
using TVS.Cli;
using TVS.Engine.Tally;
using TVS.Tests.Witness;
using Xunit;
using Xunit.Abstractions;

namespace TVS.Tests.Tally;

/// <summary>
/// The steps after voting over a multi-partition board made by <c>tvs dev synthetic-election</c>
/// (what bench/post-voting measures): five trustees decrypt from the board, the tally equals the
/// counts the votes were minted with; ranges that straddle partitions and a chunk size that is
/// not a multiple of the bundles' 256 change nothing.
/// </summary>
public sealed class SyntheticElectionTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Decrypt_and_tally_from_a_synthetic_board_give_the_counts_minted()
    {
        string root = Path.Combine(_dir.Path, "synthetic");
        var log = new StringWriter();
        Assert.Equal(ExitCodes.Ok, SyntheticElection.Make(root, 1500, 3, 700, log));
        string election = Path.Combine(root, "election"), board = Path.Combine(root, "board"), shares = Path.Combine(_dir.Path, "shares");
        foreach (int j in new[] { 2, 3, 5, 8, 9 })
        {
            string trustee = Path.Combine(root, "trustees", ShareChunk.TrusteeDirectory(j));
            var keys = Encoding.UTF8.GetBytes(File.ReadAllText(Path.Combine(trustee, "passphrase")));
            Assert.Equal(ExitCodes.Ok, ElectionCommands.Decrypt(election, null, Path.Combine(trustee, TrusteeCommands.ShareFile), keys, shares, 333, int.MaxValue, log, log, board, null, 2));
        }
        string tally = Path.Combine(_dir.Path, "tally");
        int exit = ElectionCommands.Tally(election, null, null, [shares], tally, false, log, log, TallyProofs.All, board, null, 2);
        output.WriteLine(log.ToString());
        Assert.Equal(ExitCodes.Ok, exit);
        var result = TallyResult.Parse(File.ReadAllText(Path.Combine(tally, TallyResult.FileName)));
        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "expected.json")))!;
        Assert.Equal(1500, result.Ballots);
        Assert.Equal(new[] { 2, 3, 5, 8, 9 }, result.Trustees);
        for (int c = 0; c < result.Counts.Length; c++)
        {
            Assert.Equal(expected["counts"]![c]!.AsArray().Select(v => (long)v!), result.Counts[c]);
        }
        Assert.Equal(expected["spoiled"]!.AsObject().ToDictionary(kv => kv.Key, kv => (long)kv.Value!), result.SpoiledByReason());

        // The shares of the trustees combined are next to the result, as the record publishes them.
        Assert.Equal(5 * ((1500 + 332) / 333), Directory.GetFiles(Path.Combine(tally, "shares"), "*.shares", SearchOption.AllDirectories).Length);

        // No board, no close: clear refusals, not a crash.
        var err = new StringWriter();
        Assert.Equal(ExitCodes.Unusable, ElectionCommands.Tally(election, null, null, [shares], tally, false, err, err, TallyProofs.All, Path.Combine(_dir.Path, "nowhere"), null, 2));
        Assert.Contains("not closed", err.ToString(), StringComparison.Ordinal);
        File.Delete(Path.Combine(board, "p1", "tile", "entries", "000"));
        err = new StringWriter();
        Assert.Equal(ExitCodes.Unusable, ElectionCommands.Tally(election, null, null, [shares], Path.Combine(_dir.Path, "tally2"), false, err, err, TallyProofs.All, board, null, 2));
        Assert.Contains("p1/tile/entries/000: missing from the board", err.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Shares_files_that_do_not_cover_the_ballots_exactly_are_refused_naming_the_files()
    {
        string root = Path.Combine(_dir.Path, "synthetic");
        var log = new StringWriter();
        Assert.Equal(ExitCodes.Ok, SyntheticElection.Make(root, 600, 2, 600, log));
        string election = Path.Combine(root, "election"), board = Path.Combine(root, "board");
        string Decrypt(int j, int chunk)
        {
            string shares = Path.Combine(_dir.Path, $"shares-{j}-{chunk}");
            string trustee = Path.Combine(root, "trustees", ShareChunk.TrusteeDirectory(j));
            var keys = Encoding.UTF8.GetBytes(File.ReadAllText(Path.Combine(trustee, "passphrase")));
            Assert.Equal(ExitCodes.Ok, ElectionCommands.Decrypt(election, null, Path.Combine(trustee, TrusteeCommands.ShareFile), keys, shares, chunk, int.MaxValue, log, log, board, null, 2));
            return shares;
        }
        string Tally(params string[] shares)
        {
            var err = new StringWriter();
            int exit = ElectionCommands.Tally(election, null, null, shares, Path.Combine(_dir.Path, "tally-" + Guid.NewGuid().ToString("N")), false, err, err, TallyProofs.All, board, null, 2);
            output.WriteLine(err.ToString());
            Assert.Equal(ExitCodes.Invalid, exit);
            return err.ToString();
        }
        string[] good = [Decrypt(1, 100), Decrypt(2, 100), Decrypt(3, 100), Decrypt(4, 100)];
        string other = Decrypt(5, 128);

        // Four trustees: below the threshold. A fifth with another chunk size: misaligned.
        Assert.Contains("the threshold is 5", Tally(good), StringComparison.Ordinal);
        Assert.Contains("trustee 5's shares files start at other ballots than trustee 1's", Tally([.. good, other]), StringComparison.Ordinal);

        // A gap (a file removed), a file cut short, a file beyond the end, a file for other ballots.
        string five = Decrypt(5, 100);
        string dir5 = Path.Combine(five, ShareChunk.TrusteeDirectory(5));
        string moved = Path.Combine(_dir.Path, "moved.shares");
        File.Move(Path.Combine(dir5, ShareChunk.FileName(200)), moved);
        Assert.Contains("trustee 5: ballots 200–299 have no shares file", Tally([.. good, five]), StringComparison.Ordinal);
        File.Move(moved, Path.Combine(dir5, ShareChunk.FileName(200)));
        var last = Path.Combine(dir5, ShareChunk.FileName(500));
        var lastBytes = File.ReadAllBytes(last);
        File.WriteAllBytes(last, lastBytes[..^10]);
        Assert.Contains("torn or truncated", Tally([.. good, five]), StringComparison.Ordinal);
        var chunk = ShareChunk.TryDecode(lastBytes, out _)!;
        File.WriteAllBytes(last, ShareChunk.Encode(chunk.ElectionId, chunk.Trustee, chunk.First, chunk.Count, new byte[32], chunk.Body));
        Assert.Contains("made for other ballots", Tally([.. good, five]), StringComparison.Ordinal);
        File.WriteAllBytes(last, lastBytes);
        File.Copy(last, Path.Combine(dir5, ShareChunk.FileName(600)));
        Assert.Contains("starts at ballot 600, the election has 600", Tally([.. good, five]), StringComparison.Ordinal);
        File.Delete(Path.Combine(dir5, ShareChunk.FileName(600)));
        File.Copy(last, Path.Combine(dir5, "stray.shares"));
        Assert.Contains("must be named trustee-NN/chunk-", Tally([.. good, five]), StringComparison.Ordinal);
    }

    [Fact]
    public void Decrypt_and_tally_from_an_S3_board_give_what_they_give_from_its_directory()
    {
        if (!Storage.TestServices.S3(output, out var s3))
        {
            return;
        }
        string root = Path.Combine(_dir.Path, "synthetic");
        var log = new StringWriter();
        Assert.Equal(ExitCodes.Ok, SyntheticElection.Make(root, 700, 3, 700, log));
        string election = Path.Combine(root, "election"), board = Path.Combine(root, "board");
        var id = ElectionCommands.ReadPublicElection(election).Id;
        // The board as the engines publish it: under {prefix}{election id}/ of the bucket.
        using (var published = new TVS.Storage.Board.S3BoardStore(s3 with { KeyPrefix = "boards/" }, id))
        {
            foreach (var file in Directory.EnumerateFiles(board, "*", SearchOption.AllDirectories))
            {
                published.Put(Path.GetRelativePath(board, file).Replace('\\', '/'), File.ReadAllBytes(file));
            }
        }
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", s3.AccessKey);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", s3.SecretKey);
        string location = $"s3://{s3.Bucket}/boards/";
        string[] dirs = new string[2];
        for (int run = 0; run < 2; run++)
        {
            string shares = Path.Combine(_dir.Path, $"shares-{run}");
            foreach (int j in new[] { 1, 3, 5, 7, 9 })
            {
                string trustee = Path.Combine(root, "trustees", ShareChunk.TrusteeDirectory(j));
                var keys = Encoding.UTF8.GetBytes(File.ReadAllText(Path.Combine(trustee, "passphrase")));
                Assert.Equal(ExitCodes.Ok, ElectionCommands.Decrypt(election, null, Path.Combine(trustee, TrusteeCommands.ShareFile), keys, shares, 200, int.MaxValue, log, log,
                    run == 0 ? board : location, run == 0 ? null : s3.ServiceUrl, 2));
            }
            dirs[run] = Path.Combine(_dir.Path, $"tally-{run}");
            int exit = ElectionCommands.Tally(election, null, null, [shares], dirs[run], false, log, log, TallyProofs.All, run == 0 ? board : location, run == 0 ? null : s3.ServiceUrl, 2);
            output.WriteLine(log.ToString());
            Assert.Equal(ExitCodes.Ok, exit);
        }
        Assert.Equal(File.ReadAllText(Path.Combine(dirs[0], TallyResult.FileName)), File.ReadAllText(Path.Combine(dirs[1], TallyResult.FileName)));

        // A bucket without the board: a clear refusal.
        var err = new StringWriter();
        Assert.Equal(ExitCodes.Unusable, ElectionCommands.Tally(election, null, null, [Path.Combine(_dir.Path, "shares-0")], Path.Combine(_dir.Path, "tally-x"), false, err, err,
            TallyProofs.All, $"s3://{s3.Bucket}/elsewhere/", s3.ServiceUrl, 2));
        Assert.Contains("not closed", err.ToString(), StringComparison.Ordinal);
    }
}
