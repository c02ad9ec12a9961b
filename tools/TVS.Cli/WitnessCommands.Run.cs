using System.CommandLine;
using System.Globalization;
using TVS.Merkle;
using TVS.Witness;

namespace TVS.Cli;

/// <summary><c>tvs witness run</c>: the C2SP tlog-witness service.</summary>
public static partial class WitnessCommands
{
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
}
