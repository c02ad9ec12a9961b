using System.Numerics;
using System.Text;
using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;
using TVS.Crypto.Ristretto;
using TVS.Crypto.Threshold;
using TVS.Engine.Votes;
using TVS.Merkle;

namespace TVS.LoadGen;

/// <summary>
/// What to generate: <see cref="Voters"/> distinct voters casting one vote each, plus duplicates,
/// malformed records, and some votes spoiled (bad proof, unknown root), in these proportions of
/// <see cref="Voters"/>.
/// </summary>
public sealed record LoadMix
{
    public int Voters { get; init; } = 10_000;
    /// <summary>Extra records re-using an earlier voter's nullifier (half exact replays, half a new ballot with a valid proof).</summary>
    public double Duplicates { get; init; } = 0.05;
    /// <summary>Voters whose proof is bad (wrong signals, a point off the curve, a non-canonical coordinate).</summary>
    public double BadProofs { get; init; } = 0.05;
    /// <summary>Voters whose root is not an accepted registry root.</summary>
    public double WrongRoots { get; init; }
    /// <summary>Extra records that are not votes of this election (garbage, wrong key length, tampered envelope, wrong election, nullifier mismatch).</summary>
    public double Malformed { get; init; } = 0.01;
    /// <summary>Also send the committed real Semaphore proofs (tests/fixtures/groth16), if the election has their keys.</summary>
    public string? Fixtures { get; init; }
    public int Seed { get; init; } = 1;
    public int BallotBytes { get; init; } = 160;
    /// <summary>Real encrypted ballots instead of random bytes (null: random bytes, <see cref="BallotBytes"/> long).</summary>
    public BallotMix? Ballots { get; init; }

    /// <summary>
    /// Voters who registered with the issuers (null: simulated voters, a random nullifier under one
    /// of the election's simulated roots each). When set, voter v casts with
    /// <c>Registered[v]</c>'s nullifier (its identity's) under its registry root, and
    /// <see cref="Voters"/> is ignored: there are exactly that many voters.
    /// </summary>
    public IReadOnlyList<RegisteredVoter>? Registered { get; init; }

    /// <summary>The circuit depth votes carry (selects the verification key); null: <see cref="ElectionSetup.SimulatedDepth"/>.</summary>
    public int? Depth { get; init; }

    /// <summary>
    /// Registry roots simulated voters cast under (each voter picks one); null: the election's
    /// <see cref="ElectionSetup.SimulatedRoots"/>. <see cref="TestMaterial"/> sets the accepted
    /// signed roots, so an election whose only root is its registry's (the demo's) gets votes too.
    /// Ignored with <see cref="Registered"/>.
    /// </summary>
    public IReadOnlyList<Fr>? Roots { get; init; }
}

/// <summary>A registered voter as the load generator needs it: the identity's nullifier in this election and the signed registry root its Merkle path leads to.</summary>
public sealed record RegisteredVoter(Fr Nullifier, Fr Root);

/// <summary>
/// Real ballots: each vote's ballot is <see cref="BallotCipher.Encrypt(in RistrettoPoint, Guid, ReadOnlySpan{ushort})"/>
/// to <see cref="ElectionKey"/> of one random choice per contest (<see cref="Candidates"/>[k]
/// candidates in contest k). A share <see cref="OutOfRange"/> of voters picks a non-existent
/// candidate in one contest, and a share <see cref="WrongKey"/> encrypts to another key than the
/// election's (a client with a stale key): the tally must count those ballots as spoiled
/// (choice_out_of_range, authentication_failed).
/// </summary>
public sealed record BallotMix(RistrettoPoint ElectionKey, int[] Candidates, double OutOfRange = 0, double WrongKey = 0);

/// <summary>One generated input record and the verdict the engine must reach for it.</summary>
public sealed record GeneratedRecord(byte[] Key, byte[] Value, string Expected, byte[]? Plaintext);

/// <summary>A generated load: the records in input order and the expected outcome computed independently of the engine.</summary>
public sealed class GeneratedLoad
{
    internal GeneratedLoad(List<GeneratedRecord> records, long[][]? tally = null, SortedDictionary<string, long>? spoiled = null)
    {
        Records = records;
        ExpectedTally = tally;
        ExpectedSpoiled = spoiled ?? new(StringComparer.Ordinal);
        foreach (var r in records)
        {
            ExpectedCounts[r.Expected] = ExpectedCounts.GetValueOrDefault(r.Expected) + 1;
            if (r.Expected == "accepted")
            {
                AcceptedLeafHashes.Add(Rfc9162.HashLeaf(r.Plaintext));
            }
        }
    }

    public List<GeneratedRecord> Records { get; }

    /// <summary>With <see cref="LoadMix.Ballots"/>: votes per contest and candidate over the votes that must be accepted.</summary>
    public long[][]? ExpectedTally { get; }

    /// <summary>With <see cref="LoadMix.Ballots"/>: accepted votes whose ballot the tally must spoil, by reason code.</summary>
    public SortedDictionary<string, long> ExpectedSpoiled { get; }

    /// <summary>Expected verdict codes ("accepted", "duplicate", "bad_proof", …) and how many of each.</summary>
    public SortedDictionary<string, int> ExpectedCounts { get; } = new(StringComparer.Ordinal);

    /// <summary>RFC 9162 leaf hashes of the votes that must be accepted, in acceptance order.</summary>
    public List<Hash256> AcceptedLeafHashes { get; } = [];

    /// <summary>The MMR root the engine must reach: RFC 9162 MTH of the accepted votes, computed here without any MMR.</summary>
    public Hash256 ExpectedRoot() => Rfc9162.MerkleTreeHash(AcceptedLeafHashes.ToArray());
}

/// <summary>
/// Mints votes for a simulated election (<see cref="ElectionSetup.Simulated"/>): every vote gets
/// its own random A, B, C (<see cref="SimulatedSetup.Prove"/>), a random ballot and an HPKE
/// envelope, in parallel over all cores; then computes, in input order, which must be accepted
/// (first valid vote per nullifier wins) and why each other one is refused.
/// </summary>
public static class LoadGenerator
{
    private enum Kind : byte
    {
        Valid,
        BadSignals,
        NotOnCurve,
        NonCanonical,
        WrongRoot,
        Replay,
        DoubleVote,
        Garbage,
        ShortKey,
        TamperedEnvelope,
        WrongElection,
        NullifierMismatch,
        Fixture,
    }

    private sealed record Spec(Kind Kind, int Voter, Fr Nullifier, Fr Root, byte[] Ballot, int Seed, ushort[]? Choices = null);

    public static GeneratedLoad Generate(ElectionSetup election, LoadMix mix, IProgress<int>? progress = null)
    {
        var sim = election.Simulated ?? throw new InvalidOperationException("the election has no simulated setup (its trapdoor): the load generator cannot mint proofs for it");
        int depth = mix.Depth ?? ElectionSetup.SimulatedDepth;
        if (!election.Keys.TryGetValue(depth, out var simKey) || !ReferenceEquals(simKey, sim.Key) && !SameKey(simKey, sim.Key))
        {
            throw new InvalidOperationException($"the election's depth-{depth} key is not its simulated setup's");
        }
        var registered = mix.Registered;
        var voterRoots = mix.Roots ?? election.SimulatedRoots;
        var someRoot = registered is { Count: > 0 } ? registered[0].Root
            : voterRoots.Count > 0 ? voterRoots[0]
            : throw new InvalidOperationException("no registered voters and no simulated roots: nothing to vote under");
        var rng = new Random(mix.Seed);
        var specs = new List<Spec>();
        int voters = registered?.Count ?? mix.Voters;
        int bad = (int)Math.Round(voters * mix.BadProofs);
        int wrongRoots = (int)Math.Round(voters * mix.WrongRoots);
        var voterSpecs = new Spec[voters];
        for (int v = 0; v < voters; v++)
        {
            var kind = v < bad ? (Kind)((int)Kind.BadSignals + (v % 10 < 8 ? 0 : v % 10 == 8 ? 1 : 2)) : v < bad + wrongRoots ? Kind.WrongRoot : Kind.Valid;
            var root = kind == Kind.WrongRoot ? RandomFr(rng) : registered?[v].Root ?? voterRoots[rng.Next(voterRoots.Count)];
            var nullifier = registered?[v].Nullifier ?? RandomFr(rng);
            voterSpecs[v] = new Spec(kind, v, nullifier, root, RandomBytes(rng, mix.BallotBytes), rng.Next(), Choices(rng, mix.Ballots));
        }
        specs.AddRange(voterSpecs);
        int duplicates = (int)Math.Round(voters * mix.Duplicates);
        for (int d = 0; d < duplicates && voters > 0; d++)
        {
            var of = voterSpecs[rng.Next(voters)];
            // A replay keeps its voter's choices (it is the same record); a double vote chooses anew.
            var kind = d % 2 == 0 ? Kind.Replay : Kind.DoubleVote;
            specs.Add(of with { Kind = kind, Ballot = RandomBytes(rng, mix.BallotBytes), Seed = rng.Next(), Choices = kind == Kind.Replay ? of.Choices : Choices(rng, mix.Ballots) });
        }
        int malformed = (int)Math.Round(voters * mix.Malformed);
        for (int m = 0; m < malformed; m++)
        {
            var kind = (Kind)((int)Kind.Garbage + (m % 5));
            specs.Add(new Spec(kind, -1, RandomFr(rng), someRoot, RandomBytes(rng, mix.BallotBytes), rng.Next()));
        }

        // Real Semaphore proofs (snarkjs / @semaphore-protocol/proof), their ballots the texts they were made for.
        var fixtureVotes = new List<(Fr Nullifier, byte[] Key, byte[] Value, byte[] Plaintext)>();
        if (mix.Fixtures != null)
        {
            if (election.Id != ElectionSetup.FixtureElection)
            {
                throw new InvalidOperationException("real fixture proofs belong to the fixture election: create the election with the fixtures");
            }
            foreach (var set in ElectionSetup.FixtureSets(mix.Fixtures))
            {
                for (int i = 0; File.Exists(Path.Combine(set.Path, "valid", $"proof_{i:D3}.json")); i++)
                {
                    SnarkjsJson.TryReadProof(File.ReadAllBytes(Path.Combine(set.Path, "valid", $"proof_{i:D3}.json")), out var proof);
                    SnarkjsJson.TryReadPublicSignals(File.ReadAllBytes(Path.Combine(set.Path, "valid", $"public_{i:D3}.json")), out var signals);
                    var ballot = Encoding.UTF8.GetBytes($"ballot {set.Depth}/{i}");
                    var plaintext = new byte[VoteRecord.HeaderSize + ballot.Length];
                    VoteRecord.Write(election.Id, set.Depth, signals[0], signals[1], proof, ballot, plaintext);
                    var sealedVote = VoteSealer.Seal(election.IngestKey.PublicKey, election.Id, set.Depth, signals[0], signals[1], proof, ballot);
                    fixtureVotes.Add((signals[1], sealedVote.Key, sealedVote.Value, plaintext));
                    specs.Add(new Spec(Kind.Fixture, fixtureVotes.Count - 1, signals[1], signals[0], ballot, 0));
                }
            }
        }

        // Input order: shuffled (Fisher–Yates, seeded), so duplicates may precede their originals.
        for (int i = specs.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (specs[i], specs[j]) = (specs[j], specs[i]);
        }

        // Real ballots: encrypted to the election key (fresh r from the CSPRNG, so not seeded).
        if (mix.Ballots is { } ballots)
        {
            var y = ballots.ElectionKey;
            var stale = RistrettoPoint.MultiplyBase(RistrettoScalar.Random());
            Parallel.For(0, specs.Count, i =>
            {
                if (specs[i].Choices is { } choices && specs[i].Kind != Kind.Replay)
                {
                    specs[i] = specs[i] with { Ballot = BallotCipher.Encrypt(EncryptsToWrongKey(specs[i], ballots) ? stale : y, election.Id, choices) };
                }
            });
        }

        // Minting and sealing: the expensive part, in parallel; the spec fixes every choice.
        var built = new (byte[] Key, byte[] Value, string Intrinsic, byte[]? Plaintext)[specs.Count];
        int done = 0;
        Parallel.For(0, specs.Count, i =>
        {
            var s = specs[i];
            if (s.Kind == Kind.Replay)
            {
                return; // copied from its voter's record below
            }
            built[i] = s.Kind == Kind.Fixture
                ? (fixtureVotes[s.Voter].Key, fixtureVotes[s.Voter].Value, "ok", fixtureVotes[s.Voter].Plaintext)
                : Build(election, sim, s, depth);
            int n = Interlocked.Increment(ref done);
            if (n % 1000 == 0)
            {
                progress?.Report(n);
            }
        });
        progress?.Report(specs.Count);

        // A replay is its voter's record byte for byte.
        var positionOfVoter = new Dictionary<int, int>();
        for (int i = 0; i < specs.Count; i++)
        {
            if (specs[i].Voter >= 0 && specs[i].Kind is Kind.Valid or Kind.BadSignals or Kind.NotOnCurve or Kind.NonCanonical or Kind.WrongRoot)
            {
                positionOfVoter[specs[i].Voter] = i;
            }
        }
        for (int i = 0; i < specs.Count; i++)
        {
            if (specs[i].Kind == Kind.Replay)
            {
                built[i] = built[positionOfVoter[specs[i].Voter]];
            }
        }

        // Expected verdicts in input order: first valid vote per nullifier wins; a refused proof of
        // an already accepted nullifier is a duplicate (the engine's precedence, docs/pipeline.md).
        var accepted = new HashSet<Fr>();
        var records = new List<GeneratedRecord>(specs.Count);
        var tally = mix.Ballots?.Candidates.Select(c => new long[c]).ToArray();
        var spoiled = new SortedDictionary<string, long>(StringComparer.Ordinal);
        for (int i = 0; i < specs.Count; i++)
        {
            var (key, value, intrinsic, plaintext) = built[i];
            var nullifier = specs[i].Nullifier;
            string expected;
            if (intrinsic == "ok")
            {
                expected = accepted.Add(nullifier) ? "accepted" : "duplicate";
            }
            else
            {
                expected = IsProofCode(intrinsic) && accepted.Contains(nullifier) ? "duplicate" : intrinsic;
            }
            records.Add(new GeneratedRecord(key, value, expected, expected == "accepted" ? plaintext : null));
            if (tally != null && expected == "accepted")
            {
                CountExpected(specs[i], mix.Ballots!, tally, spoiled);
            }
        }
        return new GeneratedLoad(records, tally, spoiled);
    }

    /// <summary>One random choice per contest; with probability <see cref="BallotMix.OutOfRange"/>, one of them names no candidate.</summary>
    private static ushort[]? Choices(Random rng, BallotMix? ballots)
    {
        if (ballots is null)
        {
            return null;
        }
        var c = new ushort[ballots.Candidates.Length];
        for (int k = 0; k < c.Length; k++)
        {
            c[k] = (ushort)rng.Next(ballots.Candidates[k]);
        }
        if (rng.NextDouble() < ballots.OutOfRange)
        {
            int k = rng.Next(c.Length);
            c[k] = (ushort)ballots.Candidates[k];
        }
        return c;
    }

    /// <summary>What the tally must make of an accepted vote's ballot (tally codes of docs/formats.md, "Result").</summary>
    private static void CountExpected(Spec s, BallotMix ballots, long[][] tally, SortedDictionary<string, long> spoiled)
    {
        if (s.Choices is not { } c || s.Kind == Kind.Fixture)
        {
            spoiled["malformed"] = spoiled.GetValueOrDefault("malformed") + 1; // a fixture's ballot is its text, not a ciphertext
            return;
        }
        if (EncryptsToWrongKey(s, ballots))
        {
            spoiled["authentication_failed"] = spoiled.GetValueOrDefault("authentication_failed") + 1;
            return;
        }
        for (int k = 0; k < c.Length; k++)
        {
            if (c[k] >= ballots.Candidates[k])
            {
                spoiled["choice_out_of_range"] = spoiled.GetValueOrDefault("choice_out_of_range") + 1;
                return;
            }
        }
        for (int k = 0; k < c.Length; k++)
        {
            tally[k][c[k]]++;
        }
    }

    /// <summary>Decided by a hash of the voter, so the expectation, the encryption and a replay of
    /// the same record agree without another draw from the generator (loads without WrongKey stay
    /// as they were).</summary>
    private static bool EncryptsToWrongKey(Spec s, BallotMix ballots) =>
        ballots.WrongKey > 0 && (uint)s.Voter * 2654435761u % 10_000 < ballots.WrongKey * 10_000;

    private static bool IsProofCode(string code) => code is "bad_proof" or "not_on_curve" or "non_canonical" or "not_in_subgroup" or "infinity";

    private static bool SameKey(VerifyingKey a, VerifyingKey b) => SnarkjsJson.WriteVerifyingKey(a).AsSpan().SequenceEqual(SnarkjsJson.WriteVerifyingKey(b));

    private static (byte[] Key, byte[] Value, string Intrinsic, byte[]? Plaintext) Build(ElectionSetup election, SimulatedSetup sim, Spec s, int depth)
    {
        var rng = new Random(s.Seed);
        var id = election.Id;
        var signals = new Fr[SemaphoreSignals.Count];
        var signedBallot = s.Kind == Kind.BadSignals ? RandomBytes(rng, s.Ballot.Length) : s.Ballot;
        SemaphoreSignals.Compute(s.Root, s.Nullifier, signedBallot, id, signals);
        var proof = sim.Prove(signals);
        var plaintext = new byte[VoteRecord.HeaderSize + s.Ballot.Length];
        VoteRecord.Write(s.Kind == Kind.WrongElection ? Guid.NewGuid() : id, depth, s.Root, s.Nullifier, proof, s.Ballot, plaintext);
        var key = new byte[32];
        s.Nullifier.WriteBigEndian(key);
        string intrinsic = "ok";
        switch (s.Kind)
        {
            case Kind.BadSignals:
                intrinsic = "bad_proof";
                break;
            case Kind.NotOnCurve:
                plaintext[87 + 64 + 127] ^= 0x01; // B.y's last byte: still canonical, off the twist
                intrinsic = "not_on_curve";
                break;
            case Kind.NonCanonical:
                plaintext.AsSpan(87, 32).Fill(0xFF); // A.x ≥ p
                intrinsic = "non_canonical";
                break;
            case Kind.WrongRoot:
                intrinsic = "unknown_root";
                break;
            case Kind.WrongElection:
                intrinsic = "wrong_election";
                break;
            case Kind.NullifierMismatch:
                RandomFr(rng).WriteBigEndian(key);
                intrinsic = "nullifier_mismatch";
                break;
        }
        if (s.Kind == Kind.Garbage)
        {
            return (key, RandomBytes(rng, 1 + rng.Next(VoteRecord.HeaderSize)), "malformed", null);
        }
        var value = VoteSealer.SealPlaintext(election.IngestKey.PublicKey, id, key, plaintext);
        switch (s.Kind)
        {
            case Kind.ShortKey:
                return (key[..31], value, "malformed", null);
            case Kind.TamperedEnvelope:
                value[value.Length - 1 - rng.Next(value.Length - 32)] ^= 0x20;
                return (key, value, "envelope", null);
        }
        if ((intrinsic == "ok" || IsProofCode(intrinsic)) && !election.Roots.Contains(s.Root))
        {
            // The admission check (accepted root) comes before the proof in the engine: a double
            // vote of a voter whose root was never accepted, or a bad proof under such a root.
            intrinsic = "unknown_root";
        }
        return (key, value, intrinsic, intrinsic == "ok" ? plaintext : null);
    }

    private static Fr RandomFr(Random rng)
    {
        var bytes = new byte[32];
        rng.NextBytes(bytes);
        bytes[0] &= 0x1f;
        var v = new BigInteger(bytes, isUnsigned: true, isBigEndian: true) % Fr.Modulus;
        return Fr.FromBigInteger(v.IsZero ? BigInteger.One : v);
    }

    private static byte[] RandomBytes(Random rng, int n)
    {
        var b = new byte[n];
        rng.NextBytes(b);
        return b;
    }
}
