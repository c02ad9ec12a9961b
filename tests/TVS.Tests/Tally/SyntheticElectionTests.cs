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
}
