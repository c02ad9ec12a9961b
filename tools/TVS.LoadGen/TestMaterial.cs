using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;
using TVS.Crypto.Threshold;
using TVS.Engine.Tally;

namespace TVS.LoadGen;

/// <summary>
/// What an election directory must hold for <see cref="LoadGenerator"/> to mint votes the engine
/// accepts and the tally counts: the simulated Groth16 setup's trapdoor
/// (secrets/simulated-setup.trapdoor, so a proof can be made for any nullifier), a verification key
/// of election.json that is that setup's, at least one registry root the issuers signed (t
/// signatures), the trustees' election key (election-key.json, the ballots are encrypted to it)
/// and the contests (contests.json, one valid choice per contest). <c>tvs demo</c> and
/// <c>tvs election create</c> with a simulated setup followed by the key ceremony leave all of it.
/// </summary>
/// <param name="Ballots">Encryption to the election key, one valid choice per contest, no spoiled ballot.</param>
/// <param name="Roots">The accepted signed roots: each simulated voter votes under one of them.</param>
/// <param name="Depth">The circuit depth the votes carry: the deepest whose key is the simulated setup's.</param>
public sealed record TestMaterial(BallotMix Ballots, IReadOnlyList<Fr> Roots, int Depth)
{
    /// <summary>
    /// The test material of <paramref name="election"/>, or null with <paramref name="missing"/>
    /// saying, one line per item, what the directory lacks (the CLI prints them as its refusal).
    /// </summary>
    public static TestMaterial? TryLoad(ElectionSetup election, out List<string> missing)
    {
        missing = [];
        string dir = election.Directory;
        int depth = -1;
        if (election.Insecure is null)
        {
            missing.Add($"{dir}/{ElectionSetup.ManifestFile} is a production setup (no \"insecure\"): its eligibility proofs need the voters' identities and the circuit's proving key, which the load generator never has");
        }
        else if (election.Simulated is not { } simulated)
        {
            missing.Add($"{dir}/{ElectionSetup.SecretsDirectory}/{ElectionSetup.TrapdoorFile}: the simulated setup's trapdoor (it mints the eligibility proofs)");
        }
        else
        {
            var simulatedKey = SnarkjsJson.WriteVerifyingKey(simulated.Key);
            foreach (var (d, key) in election.Keys)
            {
                if (d > depth && (ReferenceEquals(key, simulated.Key) || SnarkjsJson.WriteVerifyingKey(key).AsSpan().SequenceEqual(simulatedKey)))
                {
                    depth = d;
                }
            }
            if (depth < 0)
            {
                missing.Add($"{dir}/{ElectionSetup.ManifestFile}: no verification key is the simulated setup's (its trapdoor belongs to another setup)");
            }
        }
        if (election.Roots.Count == 0)
        {
            missing.Add($"{dir}: no registry root signed by the issuers' threshold (election.json \"signedRoots\" or roots/*.json){(election.RootWarnings.Count > 0 ? ": " + string.Join("; ", election.RootWarnings) : "")}");
        }
        TVS.Crypto.Ristretto.RistrettoPoint? electionKey = null;
        string keyPath = Path.Combine(dir, ElectionRecord.ElectionKeyFile);
        if (!File.Exists(keyPath))
        {
            missing.Add($"{keyPath}: the trustees' election key (the key ceremony writes it; ballots are encrypted to it)");
        }
        else
        {
            try
            {
                var result = CeremonyFiles.ReadResult(keyPath);
                if (result.Parameters.ElectionId != election.Id)
                {
                    missing.Add($"{keyPath}: made for election {result.Parameters.ElectionId:D}, not {election.Id:D}");
                }
                else
                {
                    electionKey = result.PublicKey;
                }
            }
            catch (Exception e) when (e is FormatException or IOException or System.Text.Json.JsonException or InvalidOperationException or ArgumentException)
            {
                missing.Add($"{keyPath}: unreadable ({e.Message})");
            }
        }
        int[]? candidates = null;
        string contestsPath = Path.Combine(dir, ContestList.FileName);
        if (!File.Exists(contestsPath))
        {
            missing.Add($"{contestsPath}: the contests (their candidate counts bound each valid choice)");
        }
        else
        {
            try
            {
                candidates = ContestList.Load(contestsPath).CandidateCounts();
            }
            catch (Exception e) when (e is FormatException or IOException or System.Text.Json.JsonException or InvalidOperationException or ArgumentException)
            {
                missing.Add($"{contestsPath}: unreadable ({e.Message})");
            }
        }
        if (missing.Count > 0)
        {
            return null;
        }
        return new TestMaterial(new BallotMix(electionKey!.Value, candidates!), election.Roots, depth);
    }

    /// <summary><paramref name="mix"/> with this material's ballots, roots and depth: every valid vote of it is tallyable.</summary>
    public LoadMix Apply(LoadMix mix) => mix with { Ballots = Ballots, Roots = Roots, Depth = Depth, Registered = null };
}
