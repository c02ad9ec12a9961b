using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;
using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;
using TVS.Crypto.Hpke;
using TVS.Crypto.Registry;
using TVS.Engine.Election;
using TVS.Engine.Votes;
using TVS.Merkle;

namespace TVS.LoadGen;

/// <summary>
/// An election directory as the engine reads it (docs/formats.md, "Election directory"):
/// <c>election.json</c> (public: id, verification keys per depth, the credential issuers' keys
/// and threshold, the signed registry roots, ingest public key, checkpoint verifier key, and
/// whether the setup is insecure), optional <c>roots/*.json</c> (more signed roots, one per file,
/// as <c>tvs issuer collect</c> writes them) and <c>secrets/</c> (the ingest private key, the
/// checkpoint signing key, the issuers' keys of a simulated setup and its trapdoor). Only roots
/// that <see cref="RootAcceptance"/> accepts (t distinct issuer signatures) are in
/// <see cref="Roots"/>; every other one is reported in <see cref="RootWarnings"/>.
/// </summary>
public sealed class ElectionSetup : IDisposable
{
    public const string ManifestFile = "election.json";
    public const string SecretsDirectory = "secrets";
    public const string IngestKeyFile = "ingest.key";
    public const string CheckpointKeyFile = "checkpoint.key";
    public const string TrapdoorFile = "simulated-setup.trapdoor";
    public const string RootsDirectory = "roots";

    /// <summary>Default number of credential issuers and their threshold (docs/design.md, Actors).</summary>
    public const int DefaultIssuers = 9, DefaultIssuerThreshold = 5;

    /// <summary>secrets/issuer-NN.key: issuer <paramref name="issuer"/>'s signing key (simulated setups).</summary>
    public static string IssuerKeyFile(int issuer) => $"issuer-{issuer:D2}.key";

    /// <summary>The election of the committed Semaphore fixtures (tests/fixtures/groth16): its real proofs are valid votes in it.</summary>
    public static readonly Guid FixtureElection = Guid.Parse("6f1c2b9e-8d4a-4e3b-9a7c-2f5e1d0b3a94");

    /// <summary>Tree depth of simulated votes (no real fixture uses it, so its key can be the simulated one).</summary>
    public const int SimulatedDepth = 16;

    private ElectionSetup(string directory, Guid id, string? insecure, Dictionary<int, VerifyingKey> keys, List<Fr> roots,
        HpkePrivateKey ingestKey, NoteSigner signer, SimulatedSetup? simulated, List<Fr> simulatedRoots,
        IssuerSet? issuers, List<SignedRoot> signedRoots, List<string> rootWarnings, int partitions)
    {
        Partitions = partitions;
        Issuers = issuers;
        SignedRoots = signedRoots;
        RootWarnings = rootWarnings;
        Directory = directory;
        Id = id;
        Insecure = insecure;
        Keys = keys;
        Roots = roots;
        IngestKey = ingestKey;
        Signer = signer;
        Simulated = simulated;
        SimulatedRoots = simulatedRoots;
    }

    public string Directory { get; }
    public Guid Id { get; }

    /// <summary>
    /// Number of partitions of votes.pending (manifest "partitions", default 1): the engines' data
    /// directory holds p0..p{N-1}, and close, tally, record and verify cover all of them.
    /// </summary>
    public int Partitions { get; }

    /// <summary>Largest partition count a manifest may name.</summary>
    public const int MaxPartitions = TVS.Engine.Tally.ElectionRecord.MaxPartitions;

    /// <summary>Why the setup is insecure (a simulated trapdoor exists), or null for a production setup.</summary>
    public string? Insecure { get; }

    public IReadOnlyDictionary<int, VerifyingKey> Keys { get; }
    public IReadOnlyList<Fr> Roots { get; }
    public HpkePrivateKey IngestKey { get; }
    public NoteSigner Signer { get; }

    /// <summary>The simulated setup (load generation only), null if the trapdoor is absent.</summary>
    public SimulatedSetup? Simulated { get; }

    /// <summary>Roots of the simulated registry (voters of the load generator pick one).</summary>
    public IReadOnlyList<Fr> SimulatedRoots { get; }

    /// <summary>The election's credential issuers (keys and threshold); null in a manifest without any (then no root is accepted).</summary>
    public IssuerSet? Issuers { get; }

    /// <summary>The signed roots that were accepted (the source of <see cref="Roots"/>).</summary>
    public IReadOnlyList<SignedRoot> SignedRoots { get; }

    /// <summary>Why a root of the directory was not accepted, one line each (the CLI prints them).</summary>
    public IReadOnlyList<string> RootWarnings { get; }

    /// <summary>The board's checkpoint witnesses and quorum (election.json <c>witnesses</c>/<c>witnessQuorum</c>); null: the election has none.</summary>
    public TVS.Engine.Election.WitnessPolicy? Witnesses { get; private init; }

    /// <summary>Checkpoint origin line for partition <paramref name="partition"/>.</summary>
    public string Origin(int partition) => $"tvs/{Id:D}/p{partition}";

    public VoteOpener CreateOpener() => new(IngestKey, Id);

    public VoteAdmission CreateAdmission()
    {
        var admission = new VoteAdmission(Id);
        foreach (var (depth, key) in Keys)
        {
            admission.SetKey(depth, key);
        }
        // Roots reach the engine only through RootAcceptance: each accepted signed root is judged
        // again here, so an admission can never hold a root without t issuer signatures.
        if (Issuers != null)
        {
            var acceptance = new RootAcceptance(Id, Issuers);
            foreach (var signed in SignedRoots)
            {
                var verdict = acceptance.AcceptInto(admission, signed);
                if (!verdict.Accepted)
                {
                    throw new InvalidOperationException($"root {signed.Statement.Root}: {verdict}");
                }
            }
        }
        return admission;
    }

    /// <summary>
    /// Creates a simulated election in <paramref name="directory"/>: fresh ingest and checkpoint
    /// keys, a simulated Groth16 setup at <see cref="SimulatedDepth"/> with
    /// <paramref name="rootCount"/> random registry roots, and, when <paramref name="fixtures"/>
    /// names tests/fixtures/groth16, the real Semaphore keys and root of those fixtures (the
    /// election id is then the fixtures' one). Marked insecure in its manifest.
    /// </summary>
    /// <remarks>
    /// It also creates <see cref="DefaultIssuers"/> issuer keys (secrets/issuer-NN.key) with
    /// threshold <see cref="DefaultIssuerThreshold"/>, and every root is published as a signed
    /// root: signed by the first <paramref name="rootSigners"/> issuers (default all). With
    /// <paramref name="rootSigners"/> below the threshold, or for the
    /// <paramref name="underSignedRoots"/> extra simulated roots (signed by t − 1 issuers), the
    /// root is in the manifest but not accepted: votes under it are refused as unknown_root.
    /// </remarks>
    public static ElectionSetup CreateSimulated(string directory, int rootCount = 4, string? fixtures = null, Guid? id = null,
        int rootSigners = DefaultIssuers, int underSignedRoots = 0, int partitions = 1, int simulatedDepth = SimulatedDepth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(simulatedDepth, SimulatedDepth);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(simulatedDepth, VoteRecord.MaxDepth);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(partitions, MaxPartitions);
        ArgumentOutOfRangeException.ThrowIfLessThan(rootSigners, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rootSigners, DefaultIssuers);
        System.IO.Directory.CreateDirectory(Path.Combine(directory, SecretsDirectory));
        var electionId = fixtures != null ? FixtureElection : id ?? Guid.NewGuid();
        var simulated = new SimulatedSetup(SemaphoreSignals.Count);
        var keys = new Dictionary<int, VerifyingKey> { [SimulatedDepth] = simulated.Key };
        var vkFiles = new JsonObject();
        File.WriteAllBytes(Path.Combine(directory, $"vk-{SimulatedDepth}.json"), SnarkjsJson.WriteVerifyingKey(simulated.Key));
        vkFiles[SimulatedDepth.ToString(System.Globalization.CultureInfo.InvariantCulture)] = $"vk-{SimulatedDepth}.json";
        if (simulatedDepth != SimulatedDepth)
        {
            // A registry deeper than 2^16 needs a deeper circuit: the simulated key serves that depth too.
            keys[simulatedDepth] = simulated.Key;
            File.WriteAllBytes(Path.Combine(directory, $"vk-{simulatedDepth}.json"), SnarkjsJson.WriteVerifyingKey(simulated.Key));
            vkFiles[simulatedDepth.ToString(System.Globalization.CultureInfo.InvariantCulture)] = $"vk-{simulatedDepth}.json";
        }
        var simulatedRoots = Enumerable.Range(0, rootCount).Select(_ => SimulatedSetup.RandomNonZero()).ToList();
        var roots = new List<Fr>(simulatedRoots);
        var underSigned = Enumerable.Range(0, underSignedRoots).Select(_ => SimulatedSetup.RandomNonZero()).ToList();
        if (fixtures != null)
        {
            foreach (var set in FixtureSets(fixtures))
            {
                var vkBytes = File.ReadAllBytes(Path.Combine(set.Path, "verification_key.json"));
                if (SnarkjsJson.TryReadVerifyingKey(vkBytes, out var vk) != VerifyError.None)
                {
                    throw new InvalidDataException($"{set.Path}: bad verification key");
                }
                keys[set.Depth] = vk!;
                File.WriteAllBytes(Path.Combine(directory, $"vk-{set.Depth}.json"), vkBytes);
                vkFiles[set.Depth.ToString(System.Globalization.CultureInfo.InvariantCulture)] = $"vk-{set.Depth}.json";
                if (!roots.Contains(set.Root))
                {
                    roots.Add(set.Root);
                }
            }
        }
        // The issuers: n fresh keys; every root becomes a signed root. A simulated root has no
        // registry behind it, so its statement claims a registry of 2^SimulatedDepth leaves.
        var issuerKeys = Enumerable.Range(1, DefaultIssuers).Select(IssuerKey.Generate).ToList();
        var signedRoots = new JsonArray();
        foreach (var issuer in issuerKeys)
        {
            WriteSecret(Path.Combine(directory, SecretsDirectory, IssuerKeyFile(issuer.Issuer)), issuer.ToFileText().TrimEnd());
        }
        void Sign(Fr root, long size, int signers)
        {
            var statement = new RootStatement(electionId, size, LeanImt.DepthFor(size), root);
            var signed = signers > 0 ? SignedRoot.Combine(issuerKeys.Take(signers).Select(k => k.Sign(statement))) : new SignedRoot(statement, []);
            signedRoots.Add(signed.ToJsonObject());
        }
        foreach (var root in simulatedRoots)
        {
            Sign(root, 1L << SimulatedDepth, rootSigners);
        }
        foreach (var root in underSigned)
        {
            Sign(root, 1L << SimulatedDepth, DefaultIssuerThreshold - 1);
        }
        if (fixtures != null)
        {
            foreach (var set in FixtureSets(fixtures).DistinctBy(s => s.Root))
            {
                Sign(set.Root, set.Members > 0 ? set.Members : 1L << set.Depth, rootSigners);
            }
        }
        simulatedRoots.AddRange(underSigned);
        var issuersJson = new JsonObject
        {
            ["threshold"] = DefaultIssuerThreshold,
            ["keys"] = new JsonArray(issuerKeys.Select(k => (JsonNode)Convert.ToHexStringLower(k.PublicKey)).ToArray()),
        };
        foreach (var k in issuerKeys)
        {
            k.Dispose();
        }
        if (rootSigners < DefaultIssuerThreshold)
        {
            roots.Clear(); // "roots" lists the accepted roots only
        }

        var ingest = HpkePrivateKey.Generate();
        var signer = NoteSigner.Generate($"tvs-{electionId.ToString("N")[..8]}");
        var raw = new byte[HpkePrivateKey.Length];
        ingest.ExportPrivateKey(raw);
        WriteSecret(Path.Combine(directory, SecretsDirectory, IngestKeyFile), Convert.ToHexStringLower(raw));
        CryptographicZero(raw);
        WriteSecret(Path.Combine(directory, SecretsDirectory, CheckpointKeyFile), signer.SignerKey);
        WriteSecret(Path.Combine(directory, SecretsDirectory, TrapdoorFile), Convert.ToHexStringLower(simulated.ExportTrapdoor()));
        const string insecure = "simulated Groth16 setup: its trapdoor is in secrets/simulated-setup.trapdoor and forges any eligibility proof; for load tests and demos only";
        var manifest = new JsonObject
        {
            ["version"] = 1,
            ["electionId"] = electionId.ToString("D"),
            ["partitions"] = partitions,
            ["insecure"] = insecure,
            ["ingestPublicKey"] = Convert.ToHexStringLower(ingest.PublicKey),
            ["checkpointVerifierKey"] = signer.Verifier.VerifierKey,
            ["verificationKeys"] = vkFiles,
            ["roots"] = new JsonArray(roots.Select(r => (JsonNode)r.ToString()).ToArray()),
            ["simulatedRoots"] = new JsonArray(simulatedRoots.Select(r => (JsonNode)r.ToString()).ToArray()),
            ["issuers"] = issuersJson,
            ["signedRoots"] = signedRoots,
        };
        File.WriteAllText(Path.Combine(directory, ManifestFile), manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        ingest.Dispose();
        signer.Dispose();
        // The caller gets exactly what Load gives, so the accepted roots come from the one rule.
        return Load(directory, allowInsecure: true);
    }

    /// <summary>
    /// The election id and partition count of <paramref name="directory"/>'s election.json alone,
    /// without its secrets: what a gateway needs (<c>tvs gateway run --election-dir</c>).
    /// </summary>
    public static (Guid Id, int Partitions) ReadManifest(string directory)
    {
        string manifestPath = Path.Combine(directory, ManifestFile);
        var m = JsonNode.Parse(File.ReadAllText(manifestPath)) as JsonObject ?? throw new InvalidDataException($"{manifestPath}: not a JSON object");
        if ((int?)m["version"] != 1)
        {
            throw new InvalidDataException($"{manifestPath}: unknown version");
        }
        return (Guid.Parse((string)m["electionId"]!), TVS.Engine.Tally.ElectionRecord.ReadPartitions(m));
    }

    /// <summary>
    /// The checkpoint/close signer named by secrets/checkpoint.key: a note signer key text
    /// (<c>PRIVATE+KEY+…</c>, the default) or an RFC 7512 PKCS#11 URI of an Ed25519 key in a token,
    /// which signs under the name of the published verifier key.
    /// </summary>
    public static NoteSigner OpenCheckpointSigner(string keyText, string publishedVerifierKey)
    {
        if (!TVS.Pkcs11.Pkcs11Uri.LooksLikeUri(keyText))
        {
            return NoteSigner.Parse(keyText);
        }
        var uri = TVS.Pkcs11.Pkcs11Uri.Parse(keyText);
        return NoteSigner.FromSigner(NoteVerifier.Parse(publishedVerifierKey).Name, TVS.Pkcs11.Pkcs11Ed25519Signer.Open(uri));
    }

    /// <summary>
    /// Moves an election's checkpoint/close signer into a token: secrets/checkpoint.key becomes the
    /// key's PKCS#11 URI (no secret in it) and election.json's checkpointVerifierKey the token key's
    /// verifier key (same key name). Do it before the first vote: earlier checkpoints would no
    /// longer verify under the published key. Returns the new verifier key.
    /// </summary>
    public static string UseTokenCheckpointKey(string directory, TVS.Pkcs11.Pkcs11Uri uri)
    {
        string manifestPath = Path.Combine(directory, ManifestFile);
        var m = JsonNode.Parse(File.ReadAllText(manifestPath)) as JsonObject ?? throw new InvalidDataException($"{manifestPath}: not a JSON object");
        string name = NoteVerifier.Parse((string)m["checkpointVerifierKey"]!).Name;
        using var signer = NoteSigner.FromSigner(name, TVS.Pkcs11.Pkcs11Ed25519Signer.Open(uri));
        m["checkpointVerifierKey"] = signer.Verifier.VerifierKey;
        string secrets = Path.Combine(directory, SecretsDirectory);
        string keyPath = Path.Combine(secrets, CheckpointKeyFile);
        // The old key text is replaced first, the manifest follows (a crash between the two leaves a
        // mismatch that Load reports, never a half-written file).
        TVS.Engine.IO.AtomicFile.Write(keyPath, System.Text.Encoding.UTF8.GetBytes(uri + "\n"));
        TVS.Engine.IO.AtomicFile.Write(manifestPath, System.Text.Encoding.UTF8.GetBytes(m.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n"));
        return signer.Verifier.VerifierKey;
    }

    /// <summary>
    /// Loads an election directory. An insecure (simulated) setup is refused unless
    /// <paramref name="allowInsecure"/>: production mode never runs one.
    /// </summary>
    public static ElectionSetup Load(string directory, bool allowInsecure)
    {
        string manifestPath = Path.Combine(directory, ManifestFile);
        var m = JsonNode.Parse(File.ReadAllText(manifestPath)) as JsonObject ?? throw new InvalidDataException($"{manifestPath}: not a JSON object");
        if ((int?)m["version"] != 1)
        {
            throw new InvalidDataException($"{manifestPath}: unknown version");
        }
        var id = Guid.Parse((string)m["electionId"]!);
        int partitions = TVS.Engine.Tally.ElectionRecord.ReadPartitions(m);
        var witnesses = TVS.Engine.Election.WitnessPolicy.FromManifest(m);
        string? insecure = (string?)m["insecure"];
        if (insecure != null && !allowInsecure)
        {
            throw new InvalidOperationException($"{directory}: refused in production mode: the election's setup is insecure ({insecure})");
        }
        var keys = new Dictionary<int, VerifyingKey>();
        foreach (var (depthText, file) in (JsonObject)m["verificationKeys"]!)
        {
            int depth = int.Parse(depthText, System.Globalization.CultureInfo.InvariantCulture);
            var e = SnarkjsJson.TryReadVerifyingKey(File.ReadAllBytes(Path.Combine(directory, (string)file!)), out var vk);
            if (e != VerifyError.None)
            {
                throw new InvalidDataException($"{directory}/{(string)file!}: {e.Describe()}");
            }
            keys[depth] = vk!;
        }
        var listedRoots = ReadRoots(m["roots"]);
        var simulatedRoots = ReadRoots(m["simulatedRoots"]);
        var (issuers, accepted, roots, warnings) = ReadSignedRoots(directory, id, m, listedRoots);
        string secrets = Path.Combine(directory, SecretsDirectory);
        var rawIngest = Convert.FromHexString(File.ReadAllText(Path.Combine(secrets, IngestKeyFile)).Trim());
        var ingest = HpkePrivateKey.Import(rawIngest);
        CryptographicZero(rawIngest);
        if (!ingest.PublicKey.SequenceEqual(Convert.FromHexString((string)m["ingestPublicKey"]!)))
        {
            throw new InvalidDataException($"{directory}: the ingest private key does not match the published public key");
        }
        var signer = OpenCheckpointSigner(File.ReadAllText(Path.Combine(secrets, CheckpointKeyFile)).Trim(), (string)m["checkpointVerifierKey"]!);
        if (signer.Verifier.VerifierKey != (string)m["checkpointVerifierKey"]!)
        {
            throw new InvalidDataException($"{directory}: the checkpoint signing key does not match the published verifier key");
        }
        SimulatedSetup? simulated = null;
        string trapdoor = Path.Combine(secrets, TrapdoorFile);
        if (insecure != null && File.Exists(trapdoor))
        {
            simulated = SimulatedSetup.ImportTrapdoor(Convert.FromHexString(File.ReadAllText(trapdoor).Trim()));
        }
        return new ElectionSetup(directory, id, insecure, keys, roots, ingest, signer, simulated, simulatedRoots, issuers, accepted, warnings, partitions)
        {
            Witnesses = witnesses,
        };
    }

    /// <summary>
    /// The issuers and every signed root of the directory (manifest "signedRoots", then
    /// roots/*.json in name order), judged by <see cref="RootAcceptance"/>. A malformed signed root
    /// is a warning, not an error: one bad file must not stop an election that has good roots.
    /// </summary>
    private static (IssuerSet? Issuers, List<SignedRoot> Accepted, List<Fr> Roots, List<string> Warnings) ReadSignedRoots(string directory, Guid id, JsonObject m, List<Fr> listedRoots)
    {
        var warnings = new List<string>();
        var accepted = new List<SignedRoot>();
        var roots = new List<Fr>();
        IssuerSet? issuers = null;
        if (m["issuers"] is JsonObject io)
        {
            var keys = ((JsonArray?)io["keys"] ?? throw new InvalidDataException($"{directory}: issuers.keys missing"))
                .Select(k => Convert.FromHexString((string)k!)).ToList();
            issuers = new IssuerSet(keys, (int?)io["threshold"] ?? throw new InvalidDataException($"{directory}: issuers.threshold missing"));
        }
        else
        {
            warnings.Add("election.json has no \"issuers\": no registry root can be accepted (every vote is unknown_root)");
        }
        var candidates = new List<(string Source, Func<SignedRoot> Read)>();
        int n = 0;
        foreach (var node in (JsonArray?)m["signedRoots"] ?? [])
        {
            var copy = node;
            candidates.Add(($"signedRoots[{n++}]", () => SignedRoot.FromJson(copy)));
        }
        string rootsDir = Path.Combine(directory, RootsDirectory);
        if (System.IO.Directory.Exists(rootsDir))
        {
            foreach (var file in System.IO.Directory.GetFiles(rootsDir, "*.json").Order(StringComparer.Ordinal))
            {
                candidates.Add(($"{RootsDirectory}/{Path.GetFileName(file)}", () => SignedRoot.Parse(File.ReadAllText(file))));
            }
        }
        var acceptance = issuers is null ? null : new RootAcceptance(id, issuers);
        foreach (var (source, read) in candidates)
        {
            SignedRoot signed;
            try
            {
                signed = read();
            }
            catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or InvalidOperationException)
            {
                warnings.Add($"{source}: not accepted: malformed ({e.Message})");
                continue;
            }
            if (acceptance is null)
            {
                continue;
            }
            var verdict = acceptance.Evaluate(signed);
            if (!verdict.Accepted)
            {
                warnings.Add($"{source}: root {signed.Statement.Root} not accepted: {verdict}");
                continue;
            }
            accepted.Add(signed);
            if (!roots.Contains(signed.Statement.Root))
            {
                roots.Add(signed.Statement.Root);
            }
        }
        foreach (var r in listedRoots.Where(r => !roots.Contains(r)))
        {
            warnings.Add($"roots: {r} has no accepted signed root (fewer than {issuers?.Threshold.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "t"} issuer signatures): not accepted");
        }
        return (issuers, accepted, roots, warnings);
    }

    private static List<Fr> ReadRoots(JsonNode? array)
    {
        var roots = new List<Fr>();
        foreach (var r in (JsonArray?)array ?? [])
        {
            var v = BigInteger.Parse((string)r!, System.Globalization.CultureInfo.InvariantCulture);
            if (v.Sign < 0 || v >= Fr.Modulus)
            {
                throw new InvalidDataException($"root {v} is not a canonical field element");
            }
            roots.Add(Fr.FromBigInteger(v));
        }
        return roots;
    }

    /// <summary>A committed Semaphore fixture set: its directory, tree depth, registry root and registry size.</summary>
    public sealed record FixtureSet(string Path, int Depth, Fr Root, int Members = 0);

    /// <summary>The Semaphore fixture sets under tests/fixtures/groth16 (semaphore-d*).</summary>
    public static IReadOnlyList<FixtureSet> FixtureSets(string fixtures)
    {
        var sets = new List<FixtureSet>();
        foreach (var dir in System.IO.Directory.GetDirectories(fixtures, "semaphore-d*").Order(StringComparer.Ordinal))
        {
            var inputs = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "inputs.json")))!;
            sets.Add(new FixtureSet(dir, (int)inputs["depth"]!, Fr.FromBigInteger(BigInteger.Parse((string)inputs["merkleTreeRoot"]!, System.Globalization.CultureInfo.InvariantCulture)),
                ((JsonArray?)inputs["members"])?.Count ?? (int?)inputs["members"] ?? 0));
        }
        return sets;
    }

    private static void WriteSecret(string path, string text)
    {
        File.WriteAllText(path, text + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private static void CryptographicZero(byte[] secret) => System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);

    public void Dispose()
    {
        IngestKey.Dispose();
        Signer.Dispose();
    }
}
