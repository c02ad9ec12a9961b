using System.Text.Json;
using System.Text.Json.Nodes;
using TVS.Engine.Election;
using TVS.Engine.Ports;
using TVS.LoadGen;
using TVS.Merkle;
using TVS.Witness;

namespace TVS.Cli;

/// <summary>
/// <c>tvs demo --witnesses N</c>: N checkpoint witnesses in process on loopback (C2SP
/// tlog-witness over HTTP, <see cref="WitnessServer"/>), each with a key generated under
/// <c>DIR/witnesses/w{i}.key</c> (mode 0600) and its state in <c>DIR/witnesses/w{i}/</c>, following
/// every partition log of the election; their vkeys and a majority quorum (N/2 + 1) are written
/// into election.json before voting, so the board's checkpoints need their cosignatures.
/// </summary>
internal sealed class DemoWitnesses : IAsyncDisposable
{
    private readonly List<WitnessServer> _servers;
    private readonly List<CosignatureSigner> _keys;
    private readonly HttpClient _http;

    private DemoWitnesses(List<WitnessServer> servers, List<CosignatureSigner> keys, HttpClient http, WitnessPolicy policy)
    {
        _servers = servers;
        _keys = keys;
        _http = http;
        Policy = policy;
        Clients = servers.Zip(keys).Select(p => (ICheckpointWitness)new WitnessClient(http, p.First.Address, p.Second.Verifier)).ToList();
    }

    public WitnessPolicy Policy { get; }

    /// <summary>One HTTP client per witness (a shared keep-alive HttpClient, 10 s timeout).</summary>
    public IReadOnlyList<ICheckpointWitness> Clients { get; }

    public IReadOnlyList<WitnessServer> Servers => _servers;

    /// <summary>Majority quorum: 1 → 1, 2 → 2, 3 → 2, 4 → 3, 5 → 3.</summary>
    public static int MajorityOf(int n) => n / 2 + 1;

    /// <summary>Starts <paramref name="count"/> witnesses for <paramref name="election"/>'s partition logs and writes them into its election.json.</summary>
    public static async Task<DemoWitnesses> StartAsync(ElectionSetup election, int count, string directory)
    {
        Directory.CreateDirectory(directory);
        var logs = Enumerable.Range(0, election.Partitions).Select(p => new WitnessLog(election.Origin(p), [election.Signer.Verifier])).ToList();
        var servers = new List<WitnessServer>();
        var keys = new List<CosignatureSigner>();
        var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            for (int i = 1; i <= count; i++)
            {
                var key = CosignatureSigner.Generate($"demo.witness/w{i}");
                keys.Add(key);
                var fo = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    fo.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }
                using (var f = new FileStream(Path.Combine(directory, $"w{i}.key"), fo))
                using (var w = new StreamWriter(f))
                {
                    w.Write(key.SignerKey + "\n");
                }
                var state = new WitnessState(Path.Combine(directory, $"w{i}"), logs.Select(l => l.Origin));
                servers.Add(await WitnessServer.StartAsync(new WitnessService(key, logs, state), new WitnessOptions { Listen = "http://127.0.0.1:0" }).ConfigureAwait(false));
            }
            var policy = WitnessPolicy.Create(keys.Select(k => k.Verifier.VerifierKey).ToList(), MajorityOf(count));
            string manifest = Path.Combine(election.Directory, ElectionSetup.ManifestFile);
            var m = (JsonObject)JsonNode.Parse(File.ReadAllText(manifest))!;
            policy.WriteTo(m);
            File.WriteAllText(manifest, m.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            return new DemoWitnesses(servers, keys, http, policy);
        }
        catch
        {
            foreach (var s in servers)
            {
                await s.DisposeAsync().ConfigureAwait(false);
            }
            keys.ForEach(k => k.Dispose());
            http.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _servers)
        {
            await s.DisposeAsync().ConfigureAwait(false);
        }
        _keys.ForEach(k => k.Dispose());
        _http.Dispose();
    }
}
