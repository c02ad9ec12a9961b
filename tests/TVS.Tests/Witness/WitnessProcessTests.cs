using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using TVS.Engine.Ports;
using TVS.Merkle;
using TVS.Witness;
using Xunit.Abstractions;

namespace TVS.Tests.Witness;

/// <summary>
/// <c>tvs witness run</c> as a child process (as the Kafka pipeline tests run <c>tvs engine
/// run</c>): killed with SIGKILL after cosigning, restarted over its state directory, it still
/// knows the size it cosigned. Also: the node verifier (written from the C2SP texts alone)
/// accepts its cosignatures.
/// </summary>
public sealed partial class WitnessProcessTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task SurvivesKillMinus9WithoutForgetting()
    {
        using var log = new WitnessTestLog();
        string keyFile = Path.Combine(_dir.Path, "w1.key");
        string state = Path.Combine(_dir.Path, "state");
        var (code, stdout, stderr) = ExternalTools.Run(Dotnet, $"\"{Tvs}\" witness keygen --name witness.test/w1 --out \"{keyFile}\"", _dir.Path, TimeSpan.FromMinutes(2));
        Assert.True(code == 0, stderr);
        var vkey = CosignatureVerifier.Parse(stdout.Trim());
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };

        using (var w = new WitnessProcess(keyFile, state, log.LogSpec))
        {
            var client = new WitnessClient(http, w.Address, vkey);
            Assert.True((await client.AddCheckpointAsync(0, [], log.Note(6))).Ok);
            WitnessResult r = await client.AddCheckpointAsync(6, log.Proof(6, 17), log.Note(17));
            Assert.True(r.Ok, r.Detail);
            w.KillHard();
        }

        using (var w = new WitnessProcess(keyFile, state, log.LogSpec))
        {
            Assert.Contains("latest cosigned size 17", w.Log, StringComparison.Ordinal);
            var client = new WitnessClient(http, w.Address, vkey);
            // Re-sending an older checkpoint from its old size: 409 with the size cosigned before the kill.
            WitnessResult stale = await client.AddCheckpointAsync(6, log.Proof(6, 10), log.Note(10));
            Assert.Equal(WitnessFailure.Conflict, stale.Failure);
            Assert.Equal(17, stale.LatestSize);
            Assert.Equal(17, (await client.AddCheckpointAsync(0, [], log.Note(10))).LatestSize);
            Assert.True((await client.AddCheckpointAsync(17, log.Proof(17, 30), log.Note(30))).Ok);
            w.KillHard();
        }
    }

    [Fact]
    public async Task NodeVerifierWrittenFromTheSpecAcceptsTheCosignatures()
    {
        if (!ExternalTools.Node(output)) return;
        using var log = new WitnessTestLog();
        using var w1 = CosignatureSigner.Generate("witness.test/w1");
        using var w2 = CosignatureSigner.Generate("witness.test/w2");
        var service = new WitnessService(w1, [new WitnessLog(log.Origin, [log.Signer.Verifier])], new WitnessState(Path.Combine(_dir.Path, "s"), [log.Origin]));
        WitnessResponse r = await service.AddCheckpointAsync(log.Body(0, 13));
        Assert.Equal(200, r.Status);
        string note = Cosignatures.AddSignatureLines(log.Note(13), r.Body);
        string text = SignedNote.Parse(note).Text;
        string both = Cosignatures.AddSignatureLines(note, w2.SignLine(text, 1_800_000_000));
        string script = Path.Combine(ExternalTools.RepoRoot(), "tools", "witness-verify", "verify-cosignature.mjs");
        string File(string name, string content)
        {
            string p = Path.Combine(_dir.Path, name);
            System.IO.File.WriteAllText(p, content, new UTF8Encoding(false));
            return p;
        }
        (int, string, string) Node(string args) => ExternalTools.Run("node", $"\"{script}\" {args}", _dir.Path, TimeSpan.FromMinutes(1));

        var ok = Node($"--vkey {w1.Verifier.VerifierKey} --vkey {w2.Verifier.VerifierKey} \"{File("both.note", both)}\"");
        Assert.True(ok.Item1 == 0, ok.Item3);
        Assert.Contains("OK witness.test/w1", ok.Item2, StringComparison.Ordinal);
        Assert.Contains("OK witness.test/w2 time 1800000000", ok.Item2, StringComparison.Ordinal);

        // Only w1 cosigned: quorum 2 fails, quorum 1 passes.
        Assert.Equal(1, Node($"--vkey {w1.Verifier.VerifierKey} --vkey {w2.Verifier.VerifierKey} \"{File("one.note", note)}\"").Item1);
        Assert.Equal(0, Node($"--vkey {w1.Verifier.VerifierKey} --vkey {w2.Verifier.VerifierKey} --quorum 1 \"{File("one.note", note)}\"").Item1);

        // The cosignature moved onto another checkpoint of the log does not verify.
        string moved = log.Note(14) + r.Body;
        var bad = Node($"--vkey {w1.Verifier.VerifierKey} \"{File("moved.note", moved)}\"");
        Assert.Equal(1, bad.Item1);
        Assert.Contains("does not verify", bad.Item3, StringComparison.Ordinal);
    }

    private static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } d ? d : "dotnet";

    private static string Tvs => Path.Combine(AppContext.BaseDirectory, "tvs.dll");

    [GeneratedRegex(@"listening on (http://\S+)")]
    private static partial Regex Listening();

    /// <summary>A <c>tvs witness run</c> child on a free port.</summary>
    private sealed class WitnessProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _log = new();

        public WitnessProcess(string key, string state, string logSpec)
        {
            var psi = new ProcessStartInfo(Dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in new[] { Tvs, "witness", "run", "--key", key, "--state", state, "--listen", "127.0.0.1", "--port", "0", "--log", logSpec })
            {
                psi.ArgumentList.Add(a);
            }
            _process = Process.Start(psi)!;
            _process.OutputDataReceived += (_, e) => Append(e.Data);
            _process.ErrorDataReceived += (_, e) => Append(e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            var until = DateTime.UtcNow + TimeSpan.FromMinutes(3); // a loaded 2-core machine
            while (DateTime.UtcNow < until)
            {
                Match m = Listening().Match(Log);
                if (m.Success)
                {
                    Address = new Uri(m.Groups[1].Value);
                    return;
                }
                Assert.False(_process.HasExited, "tvs witness run exited: " + Log);
                Thread.Sleep(100);
            }
            KillHard();
            Assert.Fail("tvs witness run did not start: " + Log);
        }

        public Uri Address { get; } = null!;

        public string Log
        {
            get
            {
                lock (_log)
                {
                    return _log.ToString();
                }
            }
        }

        private void Append(string? line)
        {
            if (line != null)
            {
                lock (_log)
                {
                    _log.AppendLine(line);
                }
            }
        }

        /// <summary>SIGKILL: no shutdown code runs.</summary>
        public void KillHard()
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
            _process.WaitForExit(30_000);
        }

        public void Dispose()
        {
            KillHard();
            _process.Dispose();
        }
    }
}
