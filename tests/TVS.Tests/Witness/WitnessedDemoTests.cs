using System.Text;
using System.Text.Json.Nodes;
using TVS.Cli;
using TVS.Engine;
using TVS.Engine.Board;
using TVS.Engine.Election;
using TVS.Engine.Tally;
using TVS.Merkle;
using TVS.Storage.Board;
using TVS.Storage.Local;
using Xunit.Abstractions;

namespace TVS.Tests.Witness;

/// <summary>
/// Issue #17 end to end: <c>tvs demo --witnesses 3</c> (three loopback witnesses, quorum 2), its
/// board's cosigned checkpoints checked by the independent node verifier, and receipts,
/// <c>tvs verify</c> and <c>tvs election close</c> refusing a checkpoint below quorum and accepting
/// one at quorum.
/// </summary>
[Collection(InProcessCliCollection.Name)]
public sealed class WitnessedDemoTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Demo => Path.Combine(_dir.Path, "demo");

    private string Election => Path.Combine(Demo, "election");

    /// <summary>The note with the log's line and only the first <paramref name="keep"/> witness lines.</summary>
    private static string KeepCosignatures(string note, WitnessPolicy policy, int keep)
    {
        var parsed = SignedNote.Parse(note);
        var sb = new StringBuilder(parsed.Text).Append('\n');
        int kept = 0;
        foreach (var line in parsed.Signatures)
        {
            bool witness = policy.Witnesses.Any(w => w.Matches(line));
            if (!witness || kept++ < keep)
            {
                sb.Append(line.ToLine());
            }
        }
        return sb.ToString();
    }

    [Fact]
    public void DemoWithThreeWitnessesPublishesCosignedCheckpointsThatReceiptsVerifyAndCloseRequires()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        Console.SetOut(stdout);
        Console.SetError(stderr);
        int exit;
        try
        {
            exit = Program.BuildRoot().Parse(["demo", "--voters", "200", "--dir", Demo, "--no-baseline", "--json", "--witnesses", "3"]).Invoke();
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
        Assert.True(exit == 0, $"tvs demo exited {exit}: {stdout}\n{stderr}");
        var json = JsonNode.Parse(stdout.ToString())!;
        Assert.True((bool)json["ok"]!);
        var w = json["board"]!["witnesses"]!;
        output.WriteLine(w.ToJsonString());
        Assert.Equal(2, (int)w["quorum"]!);
        Assert.True(w["finalCheckpointCosigners"]!.AsArray().Count >= 2);
        Assert.True((bool)json["lifecycle"]!["RecordVerified"]!);

        var policy = ElectionCommands.ReadWitnessPolicy(Election)!;
        Assert.Equal(3, policy.Witnesses.Count);
        string boardNote = File.ReadAllText(Path.Combine(Demo, "board", "p0", "checkpoint"));
        Assert.True(policy.Check(boardNote).Cosigners.Count >= 2);

        // The independent verifier (C2SP texts, node's crypto) agrees.
        if (ExternalTools.Node(output))
        {
            string script = Path.Combine(ExternalTools.RepoRoot(), "tools", "witness-verify", "verify-cosignature.mjs");
            string vkeys = string.Join(' ', policy.Witnesses.Select(v => $"--vkey {v.VerifierKey}"));
            var r = ExternalTools.Run("node", $"\"{script}\" {vkeys} --quorum 2 \"{Path.Combine(Demo, "board", "p0", "checkpoint")}\"", _dir.Path, TimeSpan.FromMinutes(1));
            Assert.True(r.ExitCode == 0, r.Stderr);
            string one = Path.Combine(_dir.Path, "one.note");
            File.WriteAllText(one, KeepCosignatures(boardNote, policy, 1), new UTF8Encoding(false));
            Assert.Equal(1, ExternalTools.Run("node", $"\"{script}\" {vkeys} --quorum 2 \"{one}\"", _dir.Path, TimeSpan.FromMinutes(1)).ExitCode);
        }

        Receipts(policy, boardNote);
        RecordVerify(policy);
        Close(policy, boardNote);
    }

    /// <summary>A receipt from the board verifies at quorum and is below_quorum with one cosignature, in C# and in receipt.mjs.</summary>
    private void Receipts(WitnessPolicy policy, string boardNote)
    {
        var (id, key, partitions) = ElectionCommands.ReadPublicElection(Election);
        string data = Path.Combine(Demo, "data");
        var vote = LocalVoteStore.ReadAll(LocalPartition.VotesDirectory(data, 0)).First();
        using var board = new LocalBoardStore(Path.Combine(Demo, "board"));
        using var service = new ReceiptService(id, key, new LocalVoteLocator(data, 1), board);
        var found = service.LookupAsync(Nullifier.FromBytes(vote.NullifierBytes), CancellationToken.None).AsTask().GetAwaiter().GetResult();
        Assert.True(Receipt.TryParse(found.Json, out var receipt, out _));
        Assert.True(receipt!.Verify(id, partitions, key, vote.Record, policy).Ok);
        var two = receipt with { Checkpoint = KeepCosignatures(boardNote, policy, 2) };
        var one = receipt with { Checkpoint = KeepCosignatures(boardNote, policy, 1) };
        var none = receipt with { Checkpoint = KeepCosignatures(boardNote, policy, 0) };
        Assert.True(two.Verify(id, partitions, key, vote.Record, policy).Ok);
        Assert.Equal("below_quorum", one.Verify(id, partitions, key, vote.Record, policy).Code);
        Assert.Equal("below_quorum", none.Verify(id, partitions, key, vote.Record, policy).Code);
        Assert.True(none.Verify(id, partitions, key, vote.Record).Ok, "without witnesses the log's signature is enough");

        string File2(string name, Receipt r)
        {
            string p = Path.Combine(_dir.Path, name);
            File.WriteAllBytes(p, r.ToJson());
            return p;
        }
        var said = new StringWriter();
        Assert.Equal(ExitCodes.Ok, BoardCommands.Verify(File2("two.json", two), Election, null, said, said));
        Assert.Equal(ExitCodes.Invalid, BoardCommands.Verify(File2("one.json", one), Election, null, said, said));
        Assert.Contains("FAIL below_quorum", said.ToString(), StringComparison.Ordinal);
        if (ExternalTools.Node(output))
        {
            string js = Path.Combine(ExternalTools.RepoRoot(), "tools", "voter-js", "receipt.mjs");
            string manifest = Path.Combine(Election, "election.json");
            var ok = ExternalTools.Run("node", $"\"{js}\" verify --receipt \"{Path.Combine(_dir.Path, "two.json")}\" --election \"{manifest}\"", _dir.Path, TimeSpan.FromMinutes(1));
            Assert.True(ok.ExitCode == 0, ok.Stdout + ok.Stderr);
            var below = ExternalTools.Run("node", $"\"{js}\" verify --receipt \"{Path.Combine(_dir.Path, "one.json")}\" --election \"{manifest}\"", _dir.Path, TimeSpan.FromMinutes(1));
            Assert.Equal(1, below.ExitCode);
            Assert.StartsWith("FAIL below_quorum", below.Stdout, StringComparison.Ordinal);
        }
    }

    /// <summary>tvs verify: the record's final checkpoint at quorum passes; cut to one cosignature it fails.</summary>
    private void RecordVerify(WitnessPolicy policy)
    {
        string record = Path.Combine(Demo, "record");
        var said = new StringWriter();
        Assert.True(RecordCommands.Verify(record, null, said, said) == 0, said.ToString());
        Assert.Contains("p0/checkpoint the same, cosigned by", said.ToString(), StringComparison.Ordinal);

        string copy = Path.Combine(_dir.Path, "record-below");
        foreach (string file in Directory.EnumerateFiles(record, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(copy, Path.GetRelativePath(record, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        // The board's checkpoint (p0/checkpoint) is where the record keeps the witnesses' cosignatures.
        string final = Path.Combine(copy, "p0", "checkpoint");
        File.WriteAllText(final, KeepCosignatures(File.ReadAllText(final), policy, 1), new UTF8Encoding(false));
        var (id, key, _) = ElectionCommands.ReadPublicElection(copy);
        TVS.Tests.Tally.TestRecord.Rehash(copy, id, key);
        said = new StringWriter();
        Assert.NotEqual(0, RecordCommands.Verify(copy, null, said, said));
        Assert.Contains("the final checkpoint is not witnessed", said.ToString(), StringComparison.Ordinal);
    }

    /// <summary>tvs election close refuses when the board's final checkpoint is below quorum or missing, and closes at quorum.</summary>
    private void Close(WitnessPolicy policy, string boardNote)
    {
        string data = Path.Combine(_dir.Path, "data-copy");
        foreach (string file in Directory.EnumerateFiles(Path.Combine(Demo, "data"), "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(data, Path.GetRelativePath(Path.Combine(Demo, "data"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        File.Delete(Path.Combine(data, CloseStatement.FileName));
        // The demo's board (closed: its close.note goes) without partition 0's checkpoint.
        string board = Path.Combine(_dir.Path, "board-copy");
        foreach (string file in Directory.EnumerateFiles(Path.Combine(Demo, "board"), "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(board, Path.GetRelativePath(Path.Combine(Demo, "board"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        File.Delete(Path.Combine(board, CloseStatement.FileName));
        File.Delete(Path.Combine(board, "p0", "checkpoint"));
        var said = new StringWriter();
        Assert.Equal(ExitCodes.Invalid, ElectionCommands.Close(Election, data, said, said, board));
        Assert.Contains("holds no checkpoint of partition 0", said.ToString(), StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(board, "p0", "checkpoint"), KeepCosignatures(boardNote, policy, 1), new UTF8Encoding(false));
        said = new StringWriter();
        Assert.Equal(ExitCodes.Invalid, ElectionCommands.Close(Election, data, said, said, board));
        Assert.Contains("is not witnessed", said.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(data, CloseStatement.FileName)));

        File.WriteAllText(Path.Combine(board, "p0", "checkpoint"), KeepCosignatures(boardNote, policy, 2), new UTF8Encoding(false));
        said = new StringWriter();
        Assert.True(ElectionCommands.Close(Election, data, said, said, board) == ExitCodes.Ok, said.ToString());
        Assert.True(File.Exists(Path.Combine(data, CloseStatement.FileName)));
    }
}
