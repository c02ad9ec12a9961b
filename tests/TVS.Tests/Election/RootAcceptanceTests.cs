using TVS.Crypto.Bn254;
using TVS.Crypto.Registry;
using TVS.Engine.Election;
using TVS.Engine.Votes;
using TVS.LoadGen;
using TVS.Tests.Engine;
using Xunit.Abstractions;

namespace TVS.Tests.Election;

public sealed class RootAcceptanceTests : IDisposable
{
    private const int N = 9, T = 5;
    private static readonly Guid Id = Guid.Parse("0b7e3f1a-2c4d-4e5f-8a9b-0c1d2e3f4a5b");
    private readonly List<IssuerKey> _keys = Enumerable.Range(1, N).Select(IssuerKey.Generate).ToList();
    private readonly ITestOutputHelper _output;

    public RootAcceptanceTests(ITestOutputHelper output) => _output = output;

    private RootAcceptance Acceptance => new(Id, new IssuerSet(_keys.Select(k => k.PublicKey).ToList(), T));

    private static RootStatement Statement(long size = 40, Fr? root = null, Guid? id = null)
        => new(id ?? Id, size, LeanImt.DepthFor(size), root ?? Fr.FromUInt64(123456789));

    private SignedRoot SignedBy(RootStatement s, IEnumerable<int> issuers)
        => new(s, issuers.Select(i => _keys[i - 1].Sign(s).Signature).ToList());

    public static TheoryData<int> Seeds => [1, 2, 3, 4, 5, 6, 7, 8];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Any_t_distinct_issuers_accept_and_any_t_minus_1_refuse(int seed)
    {
        var rng = new Random(seed);
        var issuers = Enumerable.Range(1, N).OrderBy(_ => rng.Next()).ToList();
        var s = Statement(size: 1 + rng.Next(1000));
        var enough = Acceptance.Evaluate(SignedBy(s, issuers.Take(T + rng.Next(N - T + 1))));
        Assert.True(enough.Accepted, enough.ToString());

        var few = Acceptance.Evaluate(SignedBy(s, issuers.Take(T - 1)));
        Assert.Equal(RootRefusal.TooFewSignatures, few.Refusal);
        Assert.Equal(T - 1, few.DistinctIssuers);

        // t − 1 distinct issuers, one of them repeated (even with a second valid signature): still t − 1.
        var dup = issuers.Take(T - 1).Append(issuers[0]).ToList();
        var dupVerdict = Acceptance.Evaluate(SignedBy(s, dup));
        Assert.Equal(RootRefusal.TooFewSignatures, dupVerdict.Refusal);
        Assert.Contains("duplicate", dupVerdict.Detail);
    }

    [Fact]
    public void Signatures_over_another_election_size_or_root_are_refused()
    {
        var s = Statement();
        var sigs = SignedBy(s, Enumerable.Range(1, T)).Signatures;
        Assert.True(Acceptance.Evaluate(new SignedRoot(s, sigs)).Accepted);
        // The same signatures presented for another statement do not verify.
        Assert.Equal(RootRefusal.BadSignature, Acceptance.Evaluate(new SignedRoot(s with { Size = 41 }, sigs)).Refusal);
        Assert.Equal(RootRefusal.BadSignature, Acceptance.Evaluate(new SignedRoot(s with { Root = Fr.FromUInt64(7) }, sigs)).Refusal);
        // A statement of another election, even validly signed, is refused before any signature.
        var other = Statement(id: Guid.NewGuid());
        Assert.Equal(RootRefusal.WrongElection, Acceptance.Evaluate(SignedBy(other, Enumerable.Range(1, N))).Refusal);
        // One bad entry spoils the root even with t good ones beside it.
        var tampered = sigs.Select(x => x).ToList();
        var bad = tampered[0].Signature.ToArray();
        bad[5] ^= 1;
        tampered.Add(new IssuerSignature(6, bad));
        Assert.Equal(RootRefusal.BadSignature, Acceptance.Evaluate(new SignedRoot(s, tampered)).Refusal);
        // Issuer 1's signature presented as issuer 6's.
        var moved = sigs.Take(T - 1).Append(new IssuerSignature(6, sigs[0].Signature)).ToList();
        Assert.Equal(RootRefusal.BadSignature, Acceptance.Evaluate(new SignedRoot(s, moved)).Refusal);
    }

    [Fact]
    public void Unknown_issuers_are_refused()
    {
        var s = Statement();
        using var outsider = IssuerKey.Generate(10);
        var sigs = SignedBy(s, Enumerable.Range(1, T)).Signatures.Append(outsider.Sign(s).Signature).ToList();
        var v = Acceptance.Evaluate(new SignedRoot(s, sigs));
        Assert.Equal(RootRefusal.UnknownIssuer, v.Refusal);
        // An outsider key that signs under a known index does not verify either.
        using var impostor = IssuerKey.Generate(3);
        var withImpostor = SignedBy(s, [1, 2, 4, 5]).Signatures.Append(impostor.Sign(s).Signature).ToList();
        Assert.Equal(RootRefusal.BadSignature, Acceptance.Evaluate(new SignedRoot(s, withImpostor)).Refusal);
    }

    [Fact]
    public void Signed_bytes_and_json_are_canonical_and_strict()
    {
        var s = Statement(size: 16);
        var bytes = s.ToSignedBytes();
        Assert.Equal(77, bytes.Length);
        Assert.Equal("TVS v1 registry root"u8.ToArray(), bytes[..20]);
        Assert.True(RootStatement.TryRead(bytes, out var back, out _));
        Assert.Equal(s, back);
        // Root ≥ r in the signed bytes: refused.
        var nonCanonical = bytes.ToArray();
        Fr.Modulus.ToByteArray(isUnsigned: true, isBigEndian: true).CopyTo(nonCanonical, 45);
        Assert.False(RootStatement.TryRead(nonCanonical, out _, out var why));
        Assert.Contains("non-canonical", why);
        // Depth that does not match the size: refused.
        Assert.NotNull((s with { Depth = 5 }).Validate());

        var signed = SignedBy(s, [1, 2, 3, 4, 5]);
        var json = signed.ToJson();
        var parsed = SignedRoot.Parse(json);
        Assert.Equal(signed.Statement, parsed.Statement);
        Assert.True(Acceptance.Evaluate(parsed).Accepted);
        string rText = Fr.Modulus.ToString();
        Assert.Throws<FormatException>(() => SignedRoot.Parse(json.Replace(s.Root.ToString(), rText)));
        Assert.Throws<FormatException>(() => SignedRoot.Parse(json.Replace("\"size\": 16", "\"size\": 16, \"extra\": 1")));
        Assert.Throws<FormatException>(() => SignedRoot.Parse(json.Replace("\"root\": \"", "\"root\": \"0")));
        Assert.ThrowsAny<Exception>(() => SignedRoot.Parse(json.Replace("\"size\": 16", "\"size\": 16, \"size\": 17")));

        var e = _keys[2].Sign(s);
        var eBack = RootEndorsement.Parse(e.ToJson());
        Assert.Equal(e.Statement, eBack.Statement);
        Assert.Equal(e.Signature.Signature, eBack.Signature.Signature);
    }

    [Fact]
    public void AcceptInto_adds_only_accepted_roots()
    {
        var admission = new VoteAdmission(Id);
        var good = Statement(root: Fr.FromUInt64(11));
        var forged = Statement(root: Fr.FromUInt64(12));
        Assert.True(Acceptance.AcceptInto(admission, SignedBy(good, [1, 2, 3, 4, 5])).Accepted);
        Assert.False(Acceptance.AcceptInto(admission, SignedBy(forged, [1, 2, 3, 4])).Accepted);
        var sim = new TVS.Crypto.Groth16.SimulatedSetup(SemaphoreSignals.Count);
        admission.SetKey(16, sim.Key);
        Assert.True(Check(admission, good.Root).IsAccepted);
        Assert.Equal(VoteRejectReason.UnknownRoot, Check(admission, forged.Root));
    }

    private static VoteRejectReason Check(VoteAdmission admission, Fr root)
    {
        var ballot = new byte[8];
        var plaintext = new byte[VoteRecord.HeaderSize + ballot.Length];
        VoteRecord.Write(Id, 16, root, Fr.FromUInt64(5), default, ballot, plaintext);
        Assert.True(VoteRecord.TryParse(plaintext, out var record, out var reason), reason.ToString());
        return admission.Check(record, out _);
    }

    [Fact]
    public void Election_directory_accepts_only_roots_with_t_signatures()
    {
        string dir = Path.Combine(Path.GetTempPath(), "tvs-roots-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            using (var all = ElectionSetup.CreateSimulated(Path.Combine(dir, "a"), rootCount: 2, underSignedRoots: 1))
            {
                Assert.Equal(2, all.Roots.Count);
                Assert.Equal(3, all.SimulatedRoots.Count);
                Assert.DoesNotContain(all.SimulatedRoots[2], all.Roots);
                Assert.Contains(all.RootWarnings, w => w.Contains("too_few_signatures"));
                Assert.Equal(9, all.Issuers!.Count);
                Assert.Equal(5, all.Issuers.Threshold);
                Assert.True(File.Exists(Path.Combine(dir, "a", "secrets", "issuer-09.key")));
                if (!OperatingSystem.IsWindows())
                {
                    Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, "a", "secrets", "issuer-01.key")));
                }
            }
            using (var five = ElectionSetup.CreateSimulated(Path.Combine(dir, "b"), rootCount: 2, rootSigners: 5))
            {
                Assert.Equal(2, five.Roots.Count);
            }
            using (var four = ElectionSetup.CreateSimulated(Path.Combine(dir, "c"), rootCount: 2, rootSigners: 4))
            {
                Assert.Empty(four.Roots);
                Assert.Equal(2, four.RootWarnings.Count);
            }
            // A signed root dropped into roots/ is read too; a tampered one is reported.
            using (var a = ElectionSetup.Load(Path.Combine(dir, "a"), allowInsecure: true))
            {
                var keys = Enumerable.Range(1, 9).Select(i => IssuerKey.Load(Path.Combine(dir, "a", "secrets", ElectionSetup.IssuerKeyFile(i)))).ToList();
                var st = new RootStatement(a.Id, 3, 2, Fr.FromUInt64(99));
                var signed = SignedRoot.Combine(keys.Take(5).Select(k => k.Sign(st)));
                Directory.CreateDirectory(Path.Combine(dir, "a", "roots"));
                File.WriteAllText(Path.Combine(dir, "a", "roots", "r1.json"), signed.ToJson());
                File.WriteAllText(Path.Combine(dir, "a", "roots", "r2.json"), signed.ToJson().Replace("\"size\": 3", "\"size\": 4"));
                keys.ForEach(k => k.Dispose());
            }
            using (var again = ElectionSetup.Load(Path.Combine(dir, "a"), allowInsecure: true))
            {
                Assert.Contains(Fr.FromUInt64(99), again.Roots);
                Assert.Equal(3, again.Roots.Count);
                Assert.Contains(again.RootWarnings, w => w.StartsWith("roots/r2.json", StringComparison.Ordinal) && w.Contains("bad_signature"));
                foreach (var w in again.RootWarnings) _output.WriteLine(w);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// End to end: a registry root signed by only t − 1 issuers is in the election directory and
    /// some voters vote under it with valid proofs; the engine refuses exactly those as unknown_root.
    /// </summary>
    [Fact]
    public void Engine_refuses_votes_under_a_root_with_fewer_than_t_signatures()
    {
        // No bad proofs in the mix: the load generator expects bad_proof for a bad proof under a
        // non-accepted root, where the engine (rightly) says unknown_root first.
        using var h = new EngineHarness(new LoadMix { Voters = 200, BadProofs = 0, Seed = 5 }, underSignedRoots: 2);
        var forged = h.Election.SimulatedRoots.Where(r => !h.Election.Roots.Contains(r)).ToList();
        Assert.Equal(2, forged.Count);
        int expectedUnknown = h.Load.ExpectedCounts.GetValueOrDefault("unknown_root");
        Assert.True(expectedUnknown > 0, "some voters are under the forged roots");
        h.Run(h.DataDir());
        EndToEndTests.AssertOutcome(h, h.DataDir(), _output);
        var letters = TVS.Storage.Local.LocalDeadLetterSink.ReadAll(TVS.Storage.Local.LocalPartition.DeadLetterDirectory(h.DataDir(), 0));
        Assert.Equal(expectedUnknown, letters.Count(d => d.Reason == "unknown_root"));
    }

    public void Dispose() => _keys.ForEach(k => k.Dispose());
}
