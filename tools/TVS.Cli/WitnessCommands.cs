using System.CommandLine;
using System.Globalization;
using TVS.Merkle;
using TVS.Witness;

namespace TVS.Cli;

/// <summary>
/// <c>tvs witness …</c>: a checkpoint witness (docs/ops/witness.md): its cosigning key and the
/// C2SP tlog-witness service. Exit codes: 0 done, 2 refused input.
/// </summary>
public static class WitnessCommands
{
    public static Command Build()
    {
        var witness = new Command("witness", "Checkpoint witness: cosigns a log's checkpoints only when consistent with everything it cosigned before");
        witness.Subcommands.Add(Keygen());
        witness.Subcommands.Add(Run());
        witness.Subcommands.Add(Bench());
        witness.Subcommands.Add(WitnessPublishBench.Build());
        return witness;
    }

    private static Command Keygen()
    {
        var c = new Command("keygen", "Create a witness's Ed25519 cosigning key (file mode 0600); prints its verifier key (vkey, type 0x04) for election.json's witnesses");
        var name = new Option<string>("--name") { Description = "the witness's name, e.g. witness.example.org/w1 (no spaces, no '+')", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "key file to create", Required = true };
        c.Options.Add(name);
        c.Options.Add(output);
        c.SetAction(r =>
        {
            var file = r.GetValue(output)!;
            if (file.Exists) { Console.Error.WriteLine($"tvs witness keygen: {file.FullName} exists; not overwritten"); return ExitCodes.Refused; }
            CosignatureSigner key;
            try
            {
                key = CosignatureSigner.Generate(r.GetValue(name)!);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"tvs witness keygen: {e.Message}");
                return ExitCodes.Refused;
            }
            using (key)
            {
                var fo = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows()) fo.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // 0600 from creation: never readable by others
                using (var f = new FileStream(file.FullName, fo))
                using (var w = new StreamWriter(f))
                {
                    w.Write(key.SignerKey + "\n");
                }
                Console.WriteLine(key.Verifier.VerifierKey);
            }
            return ExitCodes.Ok;
        });
        return c;
    }

    private static Command Run()
    {
        var c = new Command("run", "Run a witness (C2SP tlog-witness: POST /add-checkpoint, GET /{origin hash}/checkpoint) until Ctrl-C or SIGTERM");
        var key = new Option<FileInfo>("--key") { Description = "the witness's key file (tvs witness keygen)", Required = true };
        var state = new Option<DirectoryInfo>("--state") { Description = "state directory: the latest cosigned checkpoint per log (created if absent; never delete it)", Required = true };
        var listen = new Option<string>("--listen") { Description = "address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port (0: any free port, printed)", DefaultValueFactory = _ => 7380 };
        var logs = new Option<string[]>("--log") { Description = "a log to witness: VKEY[,ORIGIN] (its checkpoint signer's note verifier key; origin defaults to the key's name); repeat for more", Required = true, AllowMultipleArgumentsPerToken = true };
        var maxBody = new Option<int>("--max-body") { Description = "largest add-checkpoint body in bytes", DefaultValueFactory = _ => 64 * 1024 };
        foreach (var o in new Option[] { key, state, listen, port, logs, maxBody }) c.Options.Add(o);
        c.SetAction(async (r, cancel) =>
        {
            IReadOnlyList<WitnessLog> logList;
            CosignatureSigner signer;
            WitnessState witnessState;
            try
            {
                logList = WitnessLog.ParseAll(r.GetValue(logs)!);
                signer = CosignatureSigner.Parse(File.ReadAllText(r.GetValue(key)!.FullName));
                witnessState = new WitnessState(r.GetValue(state)!.FullName, logList.Select(l => l.Origin));
            }
            catch (Exception e) when (e is FormatException or NoteException or IOException or InvalidDataException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"tvs witness run: {e.Message}");
                return ExitCodes.Refused;
            }
            using (signer)
            {
                string host = r.GetValue(listen)!;
                string url = string.Create(CultureInfo.InvariantCulture, $"http://{(host.Contains(':', StringComparison.Ordinal) ? "[" + host + "]" : host)}:{r.GetValue(port)}");
                var service = new WitnessService(signer, logList, witnessState, log: m => Console.Error.WriteLine(m));
                await using var server = await WitnessServer.StartAsync(service, new WitnessOptions { Listen = url, MaxBodyBytes = r.GetValue(maxBody) }, cancel);
                foreach (var l in logList)
                {
                    var head = witnessState.Get(l.Origin);
                    Console.WriteLine($"log {l.Origin}: {l.Keys.Count} key(s), latest cosigned size {head?.Size.ToString(CultureInfo.InvariantCulture) ?? "none"}");
                }
                Console.WriteLine($"witness {signer.Verifier.VerifierKey} listening on {server.Address}");
                try
                {
                    await Task.Delay(Timeout.Infinite, cancel);
                }
                catch (OperationCanceledException)
                {
                }
                Console.WriteLine($"witness stopping: {service.Cosigned} cosigned, {service.Refused} refused");
            }
            return ExitCodes.Ok;
        });
        return c;
    }

    private static Command Bench()
    {
        var c = new Command("bench", "Measure cosignatures/s (docs/PERFORMANCE.md, \"Witness\"): signing alone, the witness in process (with fsync), and over HTTP");
        var count = new Option<int>("--count") { Description = "checkpoints per phase", DefaultValueFactory = _ => 2000 };
        var dir = new Option<DirectoryInfo?>("--state") { Description = "state directory for the durable phases (default: a fresh temporary directory, deleted after)" };
        c.Options.Add(count);
        c.Options.Add(dir);
        c.SetAction(async (r, cancel) =>
        {
            int n = r.GetValue(count);
            string state = r.GetValue(dir)?.FullName ?? Path.Combine(Path.GetTempPath(), "tvs-witness-bench-" + Guid.NewGuid().ToString("N")[..8]);
            bool temporary = r.GetValue(dir) is null;
            using var key = CosignatureSigner.Generate("bench.witness/w1");
            using var logKey = NoteSigner.Generate("bench.log/p0");
            var mmr = new MerkleMountainRange(new InMemoryMmrNodeStore());
            for (int i = 0; i < 2 * n + 2; i++) mmr.Append(BitConverter.GetBytes(i));
            string Body(long from, long to) => WitnessClient.RequestBody(from, from == 0 ? [] : mmr.GetConsistencyProof(from, to), Checkpoint.Of("bench.log/p0", mmr, to).Sign(logKey));
            Console.WriteLine($"{n} checkpoints per phase; {Environment.ProcessorCount} cores; state {state}");

            string text = Checkpoint.Of("bench.log/p0", mmr, n).ToNoteText();
            var sw = System.Diagnostics.Stopwatch.StartNew();
            string line = "";
            for (int i = 0; i < n; i++) line = key.SignLine(text, 1_700_000_000 + i);
            Report("sign (CosignatureSigner.SignLine)", n, sw.Elapsed);
            var sig = SignedNote.Parse(text + "\n" + line).Signatures[0];
            sw.Restart();
            for (int i = 0; i < n; i++) if (!key.Verifier.TryVerify(text, sig, out _)) throw new InvalidOperationException("verify failed");
            Report("verify (CosignatureVerifier.TryVerify)", n, sw.Elapsed);

            var logs = new[] { new WitnessLog("bench.log/p0", [logKey.Verifier]) };
            try
            {
                var bodies = Enumerable.Range(0, n).Select(i => System.Text.Encoding.UTF8.GetBytes(Body(i, i + 1))).ToArray();
                var service = new WitnessService(key, logs, new WitnessState(Path.Combine(state, "in-process"), ["bench.log/p0"]));
                sw.Restart();
                foreach (var b in bodies)
                {
                    var resp = await service.AddCheckpointAsync(b, cancel);
                    if (resp.Status != 200) throw new InvalidOperationException(resp.Body);
                }
                Report("add-checkpoint in process (parse, log sig, proof, cosign, fsync x2)", n, sw.Elapsed);

                var httpService = new WitnessService(key, logs, new WitnessState(Path.Combine(state, "http"), ["bench.log/p0"]));
                await using var server = await WitnessServer.StartAsync(httpService, new WitnessOptions { Listen = "http://127.0.0.1:0" }, cancel);
                using var http = new HttpClient();
                var client = new WitnessClient(http, server.Address, key.Verifier);
                var notes = Enumerable.Range(1, n).Select(i => Checkpoint.Of("bench.log/p0", mmr, i).Sign(logKey)).ToArray();
                sw.Restart();
                for (int i = 0; i < n; i++)
                {
                    var res = await client.AddCheckpointAsync(i, i == 0 ? [] : mmr.GetConsistencyProof(i, i + 1), notes[i], cancel);
                    if (!res.Ok) throw new InvalidOperationException(res.Detail);
                }
                Report("add-checkpoint over HTTP, one client, keep-alive (WitnessClient)", n, sw.Elapsed);
            }
            finally
            {
                if (temporary) Directory.Delete(state, recursive: true);
            }
            return ExitCodes.Ok;
        });
        return c;
    }

    private static void Report(string what, int n, TimeSpan t)
        => Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: {n / t.TotalSeconds:F0}/s ({t.TotalMilliseconds * 1000 / n:F1} µs each)"));
}
