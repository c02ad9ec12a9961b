using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;
using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;
using TVS.Crypto.Hpke;
using TVS.Engine.Votes;
using TVS.Merkle;

namespace TVS.LoadGen;

/// <summary>
/// An election directory as the engine reads it (docs/formats.md, "Election directory"):
/// <c>election.json</c> (public: id, verification keys per depth, accepted roots, ingest public
/// key, checkpoint verifier key, and whether the setup is insecure) and <c>secrets/</c> (the
/// ingest private key, the checkpoint signing key and, for a simulated setup, its trapdoor).
/// </summary>
public sealed class ElectionSetup : IDisposable
{
    public const string ManifestFile = "election.json";
    public const string SecretsDirectory = "secrets";
    public const string IngestKeyFile = "ingest.key";
    public const string CheckpointKeyFile = "checkpoint.key";
    public const string TrapdoorFile = "simulated-setup.trapdoor";

    /// <summary>The election of the committed Semaphore fixtures (tests/fixtures/groth16): its real proofs are valid votes in it.</summary>
    public static readonly Guid FixtureElection = Guid.Parse("6f1c2b9e-8d4a-4e3b-9a7c-2f5e1d0b3a94");

    /// <summary>Tree depth of simulated votes (no real fixture uses it, so its key can be the simulated one).</summary>
    public const int SimulatedDepth = 16;

    private ElectionSetup(string directory, Guid id, string? insecure, Dictionary<int, VerifyingKey> keys, List<Fr> roots,
        HpkePrivateKey ingestKey, NoteSigner signer, SimulatedSetup? simulated, List<Fr> simulatedRoots)
    {
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
        foreach (var root in Roots)
        {
            admission.AddRoot(root);
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
    public static ElectionSetup CreateSimulated(string directory, int rootCount = 4, string? fixtures = null, Guid? id = null)
    {
        System.IO.Directory.CreateDirectory(Path.Combine(directory, SecretsDirectory));
        var electionId = fixtures != null ? FixtureElection : id ?? Guid.NewGuid();
        var simulated = new SimulatedSetup(SemaphoreSignals.Count);
        var keys = new Dictionary<int, VerifyingKey> { [SimulatedDepth] = simulated.Key };
        var simulatedRoots = Enumerable.Range(0, rootCount).Select(_ => SimulatedSetup.RandomNonZero()).ToList();
        var roots = new List<Fr>(simulatedRoots);
        var vkFiles = new JsonObject();
        File.WriteAllBytes(Path.Combine(directory, $"vk-{SimulatedDepth}.json"), SnarkjsJson.WriteVerifyingKey(simulated.Key));
        vkFiles[SimulatedDepth.ToString(System.Globalization.CultureInfo.InvariantCulture)] = $"vk-{SimulatedDepth}.json";
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
            ["insecure"] = insecure,
            ["ingestPublicKey"] = Convert.ToHexStringLower(ingest.PublicKey),
            ["checkpointVerifierKey"] = signer.Verifier.VerifierKey,
            ["verificationKeys"] = vkFiles,
            ["roots"] = new JsonArray(roots.Select(r => (JsonNode)r.ToString()).ToArray()),
            ["simulatedRoots"] = new JsonArray(simulatedRoots.Select(r => (JsonNode)r.ToString()).ToArray()),
        };
        File.WriteAllText(Path.Combine(directory, ManifestFile), manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return new ElectionSetup(directory, electionId, insecure, keys, roots, ingest, signer, simulated, simulatedRoots);
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
        var roots = ReadRoots(m["roots"]);
        var simulatedRoots = ReadRoots(m["simulatedRoots"]);
        string secrets = Path.Combine(directory, SecretsDirectory);
        var rawIngest = Convert.FromHexString(File.ReadAllText(Path.Combine(secrets, IngestKeyFile)).Trim());
        var ingest = HpkePrivateKey.Import(rawIngest);
        CryptographicZero(rawIngest);
        if (!ingest.PublicKey.SequenceEqual(Convert.FromHexString((string)m["ingestPublicKey"]!)))
        {
            throw new InvalidDataException($"{directory}: the ingest private key does not match the published public key");
        }
        var signer = NoteSigner.Parse(File.ReadAllText(Path.Combine(secrets, CheckpointKeyFile)).Trim());
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
        return new ElectionSetup(directory, id, insecure, keys, roots, ingest, signer, simulated, simulatedRoots);
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

    /// <summary>A committed Semaphore fixture set: its directory, tree depth and registry root.</summary>
    public sealed record FixtureSet(string Path, int Depth, Fr Root);

    /// <summary>The Semaphore fixture sets under tests/fixtures/groth16 (semaphore-d*).</summary>
    public static IReadOnlyList<FixtureSet> FixtureSets(string fixtures)
    {
        var sets = new List<FixtureSet>();
        foreach (var dir in System.IO.Directory.GetDirectories(fixtures, "semaphore-d*").Order(StringComparer.Ordinal))
        {
            var inputs = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "inputs.json")))!;
            sets.Add(new FixtureSet(dir, (int)inputs["depth"]!, Fr.FromBigInteger(BigInteger.Parse((string)inputs["merkleTreeRoot"]!, System.Globalization.CultureInfo.InvariantCulture))));
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
