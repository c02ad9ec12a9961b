using System.CommandLine;
using System.Globalization;
using TVS.Merkle;
using TVS.Witness;

namespace TVS.Cli;

/// <summary><c>tvs witness bench</c>: cosignatures per second, signing alone, in process and over HTTP.</summary>
public static partial class WitnessCommands
{
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
