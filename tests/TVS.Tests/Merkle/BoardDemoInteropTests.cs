using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using TVS.Cli;
using TVS.Engine;
using TVS.Engine.Board;
using TVS.Storage.Board;
using TVS.Storage.Local;
using Xunit.Abstractions;

namespace TVS.Tests.Merkle;

/// <summary>
/// One real <c>tvs demo --voters 10000 --dir DIR --no-baseline</c> run (about 2 minutes on 2
/// cores), shared by the tests of <see cref="BoardDemoInteropTests"/> and made when the first of
/// them needs it (not when Go or node is missing on a developer's machine).
/// </summary>
public sealed class DemoBoardRun : IDisposable
{
    public const int Voters = 10_000;
    private readonly string _root = Directory.CreateTempSubdirectory("tvs-board-demo-").FullName;
    private readonly Lazy<TimeSpan> _run;

    public DemoBoardRun() => _run = new Lazy<TimeSpan>(Run, LazyThreadSafetyMode.ExecutionAndPublication);

    public string Dir => Path.Combine(_root, "demo");

    public string Election => Path.Combine(Dir, "election");

    public string Data => Path.Combine(Dir, "data");

    public string Board => Path.Combine(Dir, "board");

    /// <summary>Runs the demo on first use; returns how long it took.</summary>
    public TimeSpan Ensure() => _run.Value;

    private TimeSpan Run()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var oldOut = Console.Out;
        var oldErr = Console.Error;
        Console.SetOut(stdout);
        Console.SetError(stderr);
        var watch = Stopwatch.StartNew();
        int exit;
        try
        {
            exit = Program.BuildRoot().Parse(["demo", "--voters", Voters.ToString(System.Globalization.CultureInfo.InvariantCulture), "--dir", Dir, "--no-baseline", "--json"]).Invoke();
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
        Assert.True(exit == 0, $"tvs demo exited {exit}: {stdout}\n{stderr}");
        var json = JsonNode.Parse(stdout.ToString())!;
        Assert.True((bool)json["ok"]!, stdout.ToString());
        var board = json["board"]!;
        Assert.Equal((long)board["receiptsChecked"]!, (long)board["receiptsValid"]!);
        return watch.Elapsed;
    }

    public void Dispose() => Directory.Delete(_root, true);
}

/// <summary>
/// The board and receipts of a real demo run checked by the independent verifiers: Go's x/mod tlog
/// (tools/tlog-verify -tiles, -receipt) and the voter's JS client (tools/voter-js/receipt.mjs), and
/// tampered copies refused by each with the same meaning. Without go/node: fails under CI=true,
/// skipped on a developer's machine.
/// </summary>
[Collection(InProcessCliCollection.Name)]
public sealed class BoardDemoInteropTests(DemoBoardRun demo, ITestOutputHelper output) : IClassFixture<DemoBoardRun>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tvs-board-demo-check-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string KeyFile()
    {
        var m = JsonNode.Parse(File.ReadAllText(Path.Combine(demo.Election, "election.json")))!;
        string path = Path.Combine(_dir, "checkpoint.vkey");
        File.WriteAllText(path, (string)m["checkpointVerifierKey"]! + "\n");
        return path;
    }

    private void EnsureDemo()
    {
        var took = demo.Ensure();
        output.WriteLine($"tvs demo --voters {DemoBoardRun.Voters} --no-baseline: {took.TotalSeconds:N1} s (0 if another test of the class ran it)");
    }

    private (int Exit, string Stdout, string Stderr) Go(string tool, params string[] args)
    {
        var watch = Stopwatch.StartNew();
        var r = TlogVerifyTool.Run(tool, _dir, args);
        output.WriteLine($"tlog-verify {string.Join(' ', args.Select(a => a.StartsWith('/') ? Path.GetFileName(a) : a))} -> {r.Exit} in {watch.Elapsed.TotalSeconds:N1} s: {r.Stdout.Trim()} {r.Stderr.Trim()}");
        return r;
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    [Fact]
    public void Go_accepts_the_demos_board_and_refuses_tampered_copies()
    {
        string? tool = TlogVerifyTool.Get(output);
        if (tool is null)
        {
            return;
        }
        EnsureDemo();
        string key = KeyFile();
        string p0 = Path.Combine(demo.Board, "p0");
        var (id, _, partitions) = ElectionCommands.ReadPublicElection(demo.Election);
        long accepted = LocalVoteStore.ReadAll(LocalPartition.VotesDirectory(demo.Data, 0)).LongCount();
        Assert.True(accepted > DemoBoardRun.Voters * 9 / 10, $"{accepted} accepted votes");

        var ok = Go(tool, "-key", key, "-tiles", p0, "-partitions", partitions.ToString(System.Globalization.CultureInfo.InvariantCulture), "-proofs-every", "7");
        Assert.True(ok.Exit == 0, ok.Stdout + ok.Stderr);
        Assert.StartsWith($"OK tiles size {accepted} entries {accepted} proofs ", ok.Stdout, StringComparison.Ordinal);
        var combined = Go(tool, "-key", key, "-note", Path.Combine(demo.Board, "combined", "checkpoint"), "-combined", "-origin", $"tvs/{id:D}/combined");
        Assert.True(combined.Exit == 0, combined.Stdout + combined.Stderr);

        // One byte of a full entry bundle (a record's ballot, or its length).
        void Refused(string name, Action<string> tamper, string reason)
        {
            string copy = Path.Combine(_dir, name);
            CopyDirectory(p0, copy);
            tamper(copy);
            var r = Go(tool, "-key", key, "-tiles", copy, "-partitions", "1");
            Assert.True(r.Exit == 1, $"{name}: Go accepted a tampered board: {r.Stdout} {r.Stderr}");
            Assert.Contains(reason, r.Stderr, StringComparison.Ordinal);
            Directory.Delete(copy, true);
        }
        Refused("bundle-byte", d =>
        {
            string bundle = Path.Combine(d, "tile", "entries", "005");
            byte[] b = File.ReadAllBytes(bundle);
            b[b.Length / 2] ^= 0x01;
            File.WriteAllBytes(bundle, b);
        }, "FAIL: ");
        Refused("bundle-last-byte", d =>
        {
            string bundle = Path.Combine(d, "tile", "entries", "000");
            byte[] b = File.ReadAllBytes(bundle);
            b[^1] ^= 0x80; // the last record's last ballot byte: only its hash changes
            File.WriteAllBytes(bundle, b);
        }, "hashes to");
        // A full level-0 tile replaced by another well-formed one (the next tile's hashes).
        Refused("full-tile", d => File.Copy(Path.Combine(d, "tile", "0", "011"), Path.Combine(d, "tile", "0", "010"), overwrite: true), "FAIL: ");
        // The checkpoint's size line changed: the signature no longer covers it.
        Refused("checkpoint-size", d =>
        {
            string note = Path.Combine(d, "checkpoint");
            string text = File.ReadAllText(note);
            Assert.Contains($"\n{accepted}\n", text, StringComparison.Ordinal);
            File.WriteAllText(note, text.Replace($"\n{accepted}\n", $"\n{accepted - 1}\n", StringComparison.Ordinal));
        }, "checkpoint note");
    }

    [Fact]
    public async Task Every_receipt_of_the_run_passes_the_three_verifiers_and_tampered_ones_fail_alike()
    {
        string? tool = TlogVerifyTool.Get(output);
        if (tool is null)
        {
            return;
        }
        if (ExternalTools.Run("node", "--version", _dir, TimeSpan.FromSeconds(20)).ExitCode != 0)
        {
            Assert.False(ExternalTools.IsCi, "node is missing; CI requires the receipt check (tests/run.sh)");
            output.WriteLine("SKIPPED: node is missing");
            return;
        }
        EnsureDemo();
        string key = KeyFile();
        string electionJson = Path.Combine(demo.Election, "election.json");
        var (id, verifier, partitions) = ElectionCommands.ReadPublicElection(demo.Election);
        var votes = LocalVoteStore.ReadAll(LocalPartition.VotesDirectory(demo.Data, 0)).ToList();

        // Every accepted vote's receipt, from the stores only (the authority and the board).
        string receipts = Path.Combine(_dir, "receipts");
        Directory.CreateDirectory(receipts);
        var watch = Stopwatch.StartNew();
        var json = new Dictionary<long, byte[]>();
        using (var board = new LocalBoardStore(demo.Board))
        using (var service = new ReceiptService(id, verifier, new LocalVoteLocator(demo.Data, partitions), board))
        {
            foreach (var v in votes)
            {
                var found = await service.LookupAsync(Nullifier.FromBytes(v.NullifierBytes), CancellationToken.None);
                Assert.Equal(ReceiptState.Ready, found.State);
                Assert.Equal(v.MmrIndex, found.Index);
                json[v.MmrIndex] = found.Json!;
                File.WriteAllBytes(Path.Combine(receipts, $"{v.MmrIndex:D6}.json"), found.Json!);
                File.WriteAllBytes(Path.Combine(receipts, $"{v.MmrIndex:D6}.record"), v.Record);
            }
        }
        output.WriteLine($"{votes.Count} receipts built in {watch.Elapsed.TotalSeconds:N1} s");

        // tvs receipt get gives the same receipts.
        foreach (var v in new[] { votes[0], votes[votes.Count / 2], votes[^1] })
        {
            var got = new StringWriter();
            var err = new StringWriter();
            Assert.Equal(ExitCodes.Ok, BoardCommands.Get(demo.Election, Nullifier.FromBytes(v.NullifierBytes).ToString(), null, demo.Data, demo.Board, got, err));
            Assert.Equal(Encoding.UTF8.GetString(json[v.MmrIndex]), got.ToString().Trim());
        }

        // tvs receipt verify, on every receipt with the record the device sealed.
        watch.Restart();
        foreach (var v in votes)
        {
            var said = new StringWriter();
            int exit = BoardCommands.Verify(Path.Combine(receipts, $"{v.MmrIndex:D6}.json"), demo.Election, Path.Combine(receipts, $"{v.MmrIndex:D6}.record"), said, said);
            Assert.True(exit == ExitCodes.Ok, $"receipt {v.MmrIndex}: {said}");
        }
        output.WriteLine($"{votes.Count} receipts verified by tvs receipt verify in {watch.Elapsed.TotalSeconds:N1} s");

        // The voter's JS client, all of them in one node process.
        string script = Path.Combine(ExternalTools.RepoRoot(), "tools", "voter-js", "receipt.mjs");
        watch.Restart();
        var js = ExternalTools.Run("node", $"\"{script}\" verify-all --dir \"{receipts}\" --election \"{electionJson}\"", _dir, TimeSpan.FromMinutes(5));
        output.WriteLine($"receipt.mjs verify-all -> {js.ExitCode} in {watch.Elapsed.TotalSeconds:N1} s: {js.Stdout.Trim()} {js.Stderr.Trim()}");
        Assert.True(js.ExitCode == 0, js.Stdout + js.Stderr);
        Assert.Equal($"checked {votes.Count} ok {votes.Count} failed 0", js.Stdout.Trim());

        // Go, on a handful.
        foreach (var v in new[] { votes[0], votes[1], votes[votes.Count / 3], votes[votes.Count / 2], votes[^2], votes[^1] })
        {
            var r = Go(tool, "-key", key, "-receipt", Path.Combine(receipts, $"{v.MmrIndex:D6}.json"), "-partitions", partitions.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(r.Exit == 0, r.Stdout + r.Stderr);
        }

        // Tampered receipts: each verifier refuses each, for the same reason.
        var target = votes[votes.Count / 2];
        var original = JsonNode.Parse(json[target.MmrIndex])!.AsObject();
        string tampered = Path.Combine(_dir, "tampered");
        Directory.CreateDirectory(tampered);
        var cases = new (string Name, Action<JsonObject> Tamper, string Code, string GoSays)[]
        {
            ("proof-hash", r => r["inclusionProof"]![3] = Flip((string)r["inclusionProof"]![3]!, 5), "bad_proof", "inclusion proof"),
            ("record-byte", r => r["record"] = Flip((string)r["record"]!, ^1), "bad_leaf", "leafHash"),
            ("record-byte-rehashed", r =>
            {
                byte[] record = Convert.FromBase64String(Flip((string)r["record"]!, ^1));
                r["record"] = Convert.ToBase64String(record);
                r["leafHash"] = TVS.Merkle.Rfc9162.HashLeaf(record).ToBase64();
            }, "bad_proof", "inclusion proof"),
            ("index", r => r["index"] = (long)r["index"]! + 1, "bad_proof", "inclusion proof"),
            ("checkpoint-signature", r => r["checkpoint"] = FlipSignature((string)r["checkpoint"]!), "bad_signature", "checkpoint note"),
        };
        foreach (var c in cases)
        {
            var r = original.DeepClone().AsObject();
            c.Tamper(r);
            File.WriteAllText(Path.Combine(tampered, c.Name + ".json"), r.ToJsonString());
        }
        var jsBad = ExternalTools.Run("node", $"\"{script}\" verify-all --dir \"{tampered}\" --election \"{electionJson}\"", _dir, TimeSpan.FromMinutes(1));
        output.WriteLine($"receipt.mjs verify-all (tampered) -> {jsBad.ExitCode}: {jsBad.Stdout.Trim()}");
        Assert.Equal(1, jsBad.ExitCode);
        Assert.EndsWith($"checked {cases.Length} ok 0 failed {cases.Length}", jsBad.Stdout.Trim(), StringComparison.Ordinal);
        foreach (var c in cases)
        {
            string file = Path.Combine(tampered, c.Name + ".json");
            var said = new StringWriter();
            Assert.Equal(ExitCodes.Invalid, BoardCommands.Verify(file, demo.Election, null, said, said));
            Assert.StartsWith($"FAIL {c.Code}:", said.ToString(), StringComparison.Ordinal);
            Assert.Contains($"FAIL {c.Name} {c.Code}:", jsBad.Stdout, StringComparison.Ordinal);
            var g = Go(tool, "-key", key, "-receipt", file, "-partitions", "1");
            Assert.Equal(1, g.Exit);
            Assert.Contains(c.GoSays, g.Stderr, StringComparison.Ordinal);
        }
    }

    /// <summary>Base64 of the same bytes with byte <paramref name="at"/> flipped.</summary>
    private static string Flip(string base64, Index at)
    {
        byte[] b = Convert.FromBase64String(base64);
        b[at] ^= 0x01;
        return Convert.ToBase64String(b);
    }

    /// <summary>The signed note with a byte of the signature itself (after the 4-byte key hash) flipped.</summary>
    private static string FlipSignature(string note)
    {
        string[] lines = note.Split('\n');
        int last = Array.FindLastIndex(lines, l => l.StartsWith("— ", StringComparison.Ordinal));
        int space = lines[last].LastIndexOf(' ');
        lines[last] = lines[last][..(space + 1)] + Flip(lines[last][(space + 1)..], 4 + 20);
        return string.Join('\n', lines);
    }
}
