using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Numerics;
using System.Text.Json.Nodes;
using NSec.Cryptography;
using TVS.Crypto.Bn254;
using TVS.Crypto.Registry;
using TVS.Engine.Client;
using TVS.Engine.Election;
using TVS.Issuer;
using TVS.LoadGen;

namespace TVS.Cli;

/// <summary>What the demo's registration did, for its tables and JSON.</summary>
public sealed record RegistrationOutcome(
    int Voters, double RegisterSeconds, double ProofSeconds, string Root, int Size, int Depth,
    int[] Signers, bool RootAccepted, bool PathsVerified, bool RepeatRefused, bool ForgedTokenRefused,
    IReadOnlyList<RegisteredVoter> Registered)
{
    public double RegistrationsPerSecond => Voters / Math.Max(RegisterSeconds, 1e-9);
    public bool Ok => RootAccepted && PathsVerified && RepeatRefused && ForgedTokenRefused && Registered.Count == Voters;
}

/// <summary>
/// The demo's registration step, through the same pieces an election uses (docs/election-guide.md,
/// "Registration and signed roots"): the authority signs a voter roll and hands each voter a token;
/// an issuer service runs in-process on a loopback port as <c>tvs issuer run</c> would (the signed
/// roll as its eligibility check); every voter makes a Semaphore identity and registers its
/// commitment over HTTP with its token; registration closes at the registry's size; t of the n
/// issuers each recompute the root from the registry file and sign it (<c>tvs issuer sign-root</c>),
/// and the endorsements are combined into a signed root in the election directory
/// (<c>tvs issuer collect</c>); each voter fetches its Merkle path from the service and checks it
/// leads to that signed root before proving.
/// </summary>
public static class DemoRegistration
{
    /// <summary>Requests in flight: enough to keep the service's cores and its fsyncs busy, few enough for a shared 2-core machine.</summary>
    private const int Concurrency = 32;

    public static async Task<RegistrationOutcome> RunAsync(ElectionSetup election, int voters, string workDir, TextWriter log, IProgress<int>? progress = null)
    {
        Directory.CreateDirectory(workDir);
        var id = election.Id;

        // The election authority: the roll (hashes of the voter ids, signed) and one token per voter.
        using var authority = Key.Create(SignatureAlgorithm.Ed25519);
        var voterIds = Enumerable.Range(1, voters).Select(i => $"demo-voter-{i:D7}").ToArray();
        var roll = VoterRoll.Load(VoterRoll.Create(id, authority, voterIds), authority.PublicKey.Export(KeyBlobFormat.RawPublicKey), id);
        var tokens = new string[voters];
        Parallel.For(0, voters, i => tokens[i] = Convert.ToHexStringLower(VoterRoll.CreateToken(id, authority, voterIds[i])));

        // The voters' identities, made on their devices: only the commitment leaves them.
        var identities = new VoterIdentity[voters];
        Parallel.For(0, voters, i => identities[i] = VoterIdentity.Create());

        // Issuer 1's service. All demo voters share the loopback address, so its per-IP limit is
        // raised to their number (an operator's --rate); one registration per voter still holds.
        string registryPath = Path.Combine(workDir, "registry.bin");
        using var serviceKey = DemoHsm.LoadIssuerKey(Path.Combine(election.Directory, ElectionSetup.SecretsDirectory, ElectionSetup.IssuerKeyFile(1)), 1);
        await using var server = await IssuerServer.StartAsync(new IssuerOptions
        {
            ElectionId = id,
            RegistryPath = registryPath,
            Key = serviceKey,
            Eligibility = new SignedRollEligibility(roll),
            Listen = "http://127.0.0.1:0",
            RegistrationsPerWindow = voters + 16,
        }).ConfigureAwait(false);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Concurrency }) { BaseAddress = server.Address };
        string registrations = $"/v1/elections/{id:D}/registrations";

        var sw = Stopwatch.StartNew();
        int done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, voters), new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (i, cancel) =>
        {
            using var r = await http.PostAsJsonAsync(registrations, new { commitment = identities[i].Commitment.ToString(), voterId = voterIds[i], token = tokens[i] }, cancel).ConfigureAwait(false);
            if (r.StatusCode != HttpStatusCode.Created)
            {
                throw new InvalidOperationException($"registration of {voterIds[i]}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync(cancel).ConfigureAwait(false)}");
            }
            int n = Interlocked.Increment(ref done);
            if (n % 250 == 0)
            {
                progress?.Report(n);
            }
        }).ConfigureAwait(false);
        double registerSeconds = sw.Elapsed.TotalSeconds;
        progress?.Report(voters);

        // The service's refusals: the same voter again (with a new identity), and a forged token.
        using var again = await http.PostAsJsonAsync(registrations, new { commitment = VoterIdentity.Create().Commitment.ToString(), voterId = voterIds[0], token = tokens[0] }).ConfigureAwait(false);
        bool repeatRefused = again.StatusCode == HttpStatusCode.Conflict;
        var forged = tokens[1].ToCharArray();
        forged[5] = forged[5] == '0' ? '1' : '0';
        using var forgedReply = await http.PostAsJsonAsync(registrations, new { commitment = VoterIdentity.Create().Commitment.ToString(), voterId = voterIds[1], token = new string(forged) }).ConfigureAwait(false);
        bool forgedRefused = forgedReply.StatusCode == HttpStatusCode.Forbidden;

        // Registration closes at the registry's size; t issuers recompute the root from the file
        // and sign it; the endorsements become the election's signed root.
        var (fileId, commitments) = RegistryFile.ReadCommitments(registryPath);
        int size = commitments.Count;
        var signers = Enumerable.Range(1, ElectionSetup.DefaultIssuers).OrderBy(_ => Random.Shared.Next()).Take(ElectionSetup.DefaultIssuerThreshold).Order().ToArray();
        var endorsements = new List<FileInfo>();
        foreach (int issuer in signers)
        {
            using var key = DemoHsm.LoadIssuerKey(Path.Combine(election.Directory, ElectionSetup.SecretsDirectory, ElectionSetup.IssuerKeyFile(issuer)), issuer);
            var root = LeanImtBuilder.ComputeRoot(commitments.ToArray());
            var e = key.Sign(new RootStatement(fileId, size, LeanImt.DepthFor(size), root));
            var file = new FileInfo(Path.Combine(workDir, $"endorsement-{issuer:D2}.json"));
            File.WriteAllText(file.FullName, e.ToJson());
            endorsements.Add(file);
        }
        bool collected = IssuerCommands.CollectEndorsements(new DirectoryInfo(election.Directory), endorsements.ToArray(), null, log, log) == ExitCodes.Ok;
        Fr signedRoot;
        int depth;
        using (var reloaded = ElectionSetup.Load(election.Directory, allowInsecure: true))
        {
            var s = reloaded.SignedRoots.FirstOrDefault(r => r.Statement.Size == size);
            signedRoot = s?.Statement.Root ?? Fr.Zero;
            depth = s?.Statement.Depth ?? -1;
            collected &= s != null && reloaded.Roots.Contains(signedRoot);
        }

        // Each voter fetches its Merkle path and checks it against the signed root before proving.
        sw.Restart();
        var registered = new RegisteredVoter[voters];
        int valid = 0;
        string proofs = $"/v1/elections/{id:D}/registry/proof?commitment=";
        await Parallel.ForEachAsync(Enumerable.Range(0, voters), new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (i, cancel) =>
        {
            var json = await http.GetFromJsonAsync<JsonObject>(proofs + identities[i].Commitment, cancel).ConfigureAwait(false);
            var path = ParseProof(json!);
            if (path.Leaf == identities[i].Commitment && path.Root == signedRoot && LeanImt.VerifyProof(path))
            {
                Interlocked.Increment(ref valid);
            }
            registered[i] = new RegisteredVoter(identities[i].Nullifier(id), path.Root);
        }).ConfigureAwait(false);
        double proofSeconds = sw.Elapsed.TotalSeconds;
        return new RegistrationOutcome(voters, registerSeconds, proofSeconds, signedRoot.ToString(), size, depth, signers, collected,
            valid == voters, repeatRefused, forgedRefused, registered);
    }

    private static LeanImtProof ParseProof(JsonObject p)
    {
        static Fr F(JsonNode? n) => Fr.FromBigInteger(BigInteger.Parse((string)n!, System.Globalization.CultureInfo.InvariantCulture));
        return new LeanImtProof(F(p["root"]), F(p["leaf"]), (ulong)p["index"]!, ((JsonArray)p["siblings"]!).Select(F).ToArray());
    }
}
