using System.Net;
using System.Net.Http.Json;
using System.Numerics;
using System.Text.Json.Nodes;
using NSec.Cryptography;
using TVS.Crypto.Bn254;
using TVS.Crypto.Registry;
using TVS.Engine.Election;
using TVS.Issuer;

namespace TVS.Tests.Election;

/// <summary>The issuer service over HTTP: Kestrel on a free port, in-process.</summary>
public sealed class IssuerServiceTests : IAsyncLifetime
{
    private static readonly Guid Id = Guid.Parse("3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a");
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tvs-issuer-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly Key _authority = Key.Create(SignatureAlgorithm.Ed25519);
    private readonly IssuerKey _key = IssuerKey.Generate(3);
    private readonly List<string> _voters = Enumerable.Range(0, 12).Select(i => $"voter-{i:D3}").ToList();
    private IssuerServer _server = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        var roll = VoterRoll.Load(VoterRoll.Create(Id, _authority, _voters), _authority.PublicKey.Export(KeyBlobFormat.RawPublicKey), Id);
        _server = await IssuerServer.StartAsync(Options(roll, 100));
        _http.BaseAddress = _server.Address;
    }

    private IssuerOptions Options(VoterRoll roll, int rate) => new()
    {
        ElectionId = Id,
        RegistryPath = Path.Combine(_dir, "registry.bin"),
        Key = _key,
        Eligibility = new SignedRollEligibility(roll),
        Listen = "http://127.0.0.1:0",
        RegistrationsPerWindow = rate,
    };

    private string Token(string voter) => Convert.ToHexStringLower(VoterRoll.CreateToken(Id, _authority, voter));

    private static string Commitment(int i) => (new BigInteger(1_000_003) * (i + 7)).ToString();

    private Task<HttpResponseMessage> Register(string commitment, string voter, string token, Guid? election = null)
        => _http.PostAsJsonAsync($"/v1/elections/{election ?? Id:D}/registrations", new { commitment, voterId = voter, token });

    [Fact]
    public async Task Register_once_per_voter_then_prove_and_sign_the_root()
    {
        for (int i = 0; i < 5; i++)
        {
            var r = await Register(Commitment(i), _voters[i], Token(_voters[i]));
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
            Assert.Equal(i, (int)(await r.Content.ReadFromJsonAsync<JsonObject>())!["index"]!);
        }
        // The same voter again, even with a new identity: 409.
        var again = await Register(Commitment(99), _voters[0], Token(_voters[0]));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("already_registered", (string?)(await again.Content.ReadFromJsonAsync<JsonObject>())!["error"]);
        // Another voter with an already registered commitment: 409 too.
        Assert.Equal(HttpStatusCode.Conflict, (await Register(Commitment(1), _voters[6], Token(_voters[6]))).StatusCode);
        // Token of another voter, a token for another election, a voter not on the roll: 403.
        Assert.Equal(HttpStatusCode.Forbidden, (await Register(Commitment(20), _voters[7], Token(_voters[8]))).StatusCode);
        var otherElection = Convert.ToHexStringLower(VoterRoll.CreateToken(Guid.NewGuid(), _authority, _voters[7]));
        Assert.Equal(HttpStatusCode.Forbidden, (await Register(Commitment(20), _voters[7], otherElection)).StatusCode);
        var outsider = "not-on-roll";
        Assert.Equal(HttpStatusCode.Forbidden, (await Register(Commitment(20), outsider, Convert.ToHexStringLower(VoterRoll.CreateToken(Id, _authority, outsider)))).StatusCode);
        // Bad commitments: 400 with the reason.
        foreach (var bad in new[] { "0", "0x12", "012", "-5", Fr.Modulus.ToString(), "" })
        {
            var r = await Register(bad, _voters[9], Token(_voters[9]));
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            var body = (await r.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal("bad_commitment", (string?)body["error"]);
            Assert.False(string.IsNullOrEmpty((string?)body["detail"]));
        }
        // Unknown election: 404.
        Assert.Equal(HttpStatusCode.NotFound, (await Register(Commitment(30), _voters[9], Token(_voters[9]), Guid.NewGuid())).StatusCode);

        // The root, signed by this issuer.
        var root = (await _http.GetFromJsonAsync<JsonObject>($"/v1/elections/{Id:D}/registry/root"))!;
        Assert.Equal(5, (int)root["size"]!);
        Assert.Equal(3, (int)root["depth"]!);
        var expected = new LeanImt(Enumerable.Range(0, 5).Select(i => Fr.FromBigInteger(BigInteger.Parse(Commitment(i)))).ToArray());
        Assert.Equal(expected.Root.ToString(), (string?)root["root"]);
        var endorsement = RootEndorsement.Parse(root["endorsement"]!.ToJsonString());
        var issuers = new IssuerSet([.. Enumerable.Range(0, 2).Select(_ => IssuerKey.Generate(1).PublicKey), _key.PublicKey], threshold: 1);
        Assert.True(new RootAcceptance(Id, issuers).Evaluate(new SignedRoot(endorsement.Statement, [endorsement.Signature])).Accepted);

        // The Merkle proof of each member verifies against that root.
        for (int i = 0; i < 5; i++)
        {
            var p = (await _http.GetFromJsonAsync<JsonObject>($"/v1/elections/{Id:D}/registry/proof?commitment={Commitment(i)}"))!;
            var proof = new LeanImtProof(
                Fr.FromBigInteger(BigInteger.Parse((string)p["root"]!)), Fr.FromBigInteger(BigInteger.Parse((string)p["leaf"]!)), (ulong)p["index"]!,
                ((JsonArray)p["siblings"]!).Select(s => Fr.FromBigInteger(BigInteger.Parse((string)s!))).ToArray());
            Assert.True(LeanImt.VerifyProof(proof));
            Assert.Equal(expected.Root, proof.Root);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync($"/v1/elections/{Id:D}/registry/proof?commitment=12345")).StatusCode);

        // Durable: a new service over the same file sees the registrations and still refuses voter 0.
        await _server.DisposeAsync();
        var roll = VoterRoll.Load(VoterRoll.Create(Id, _authority, _voters), _authority.PublicKey.Export(KeyBlobFormat.RawPublicKey), Id);
        _server = await IssuerServer.StartAsync(Options(roll, 100));
        using var http2 = new HttpClient { BaseAddress = _server.Address };
        Assert.Equal(5, (int)(await http2.GetFromJsonAsync<JsonObject>($"/v1/elections/{Id:D}/registry/root"))!["size"]!);
        Assert.Equal(HttpStatusCode.Conflict, (await http2.PostAsJsonAsync($"/v1/elections/{Id:D}/registrations", new { commitment = Commitment(50), voterId = _voters[0], token = Token(_voters[0]) })).StatusCode);

        // The registry file recomputes to the same root (what tvs issuer sign-root signs).
        var (fileId, commitments) = RegistryFile.ReadCommitments(Path.Combine(_dir, "registry.bin"));
        Assert.Equal(Id, fileId);
        Assert.Equal(expected.Root, LeanImtBuilder.ComputeRoot(commitments.ToArray()));
    }

    [Fact]
    public async Task Registrations_are_rate_limited_per_client()
    {
        await _server.DisposeAsync();
        var roll = VoterRoll.Load(VoterRoll.Create(Id, _authority, _voters), _authority.PublicKey.Export(KeyBlobFormat.RawPublicKey), Id);
        _server = await IssuerServer.StartAsync(Options(roll, 3));
        using var http = new HttpClient { BaseAddress = _server.Address };
        var codes = new List<HttpStatusCode>();
        for (int i = 0; i < 5; i++)
        {
            codes.Add((await http.PostAsJsonAsync($"/v1/elections/{Id:D}/registrations", new { commitment = Commitment(i), voterId = _voters[i], token = Token(_voters[i]) })).StatusCode);
        }
        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], codes);
    }

    [Fact]
    public void Concurrent_registrations_are_committed_in_groups_and_still_one_per_voter()
    {
        string path = Path.Combine(_dir, "group.bin");
        using var registry = RegistryFile.Open(path, Id);
        const int n = 400;
        var results = new RegisterResult[n + 40];
        var indexes = new int[n + 40];
        // 400 distinct voters, then 20 repeats of voters 0..19 (new commitments) and 20 new voters
        // re-using commitments 20..39, all at once: exactly the 400 distinct ones get in.
        Parallel.For(0, n + 40, new ParallelOptions { MaxDegreeOfParallelism = 32 }, i =>
        {
            var voter = new byte[32];
            var (v, c) = i < n ? (i, i) : i < n + 20 ? (i - n, 10_000 + i) : (20_000 + i, i - n);
            BitConverter.TryWriteBytes(voter, v);
            results[i] = registry.Register(voter, Fr.FromUInt64((ulong)c + 1), out indexes[i]);
        });
        int registered = results.Count(r => r == RegisterResult.Registered);
        Assert.Equal(n, registered);
        Assert.Equal(n, indexes.Where((_, i) => results[i] == RegisterResult.Registered).Distinct().Count());
        Assert.Equal(n, registry.Size);
        // Each voter and each commitment once: a repeat lost either to the original or the original to it.
        Assert.Equal(n, RegistryFile.ReadCommitments(path).Commitments.Distinct().Count());
        Assert.Equal(RegistryFile.HeaderSize + n * RegistryFile.RecordSize, new FileInfo(path).Length);
    }

    [Fact]
    public void A_torn_last_record_is_cut_on_open()
    {
        string path = Path.Combine(_dir, "torn.bin");
        using (var r = RegistryFile.Open(path, Id))
        {
            Assert.Equal(RegisterResult.Registered, r.Register(new byte[32], Fr.FromUInt64(5), out _));
        }
        File.AppendAllText(path, "partial");
        using var again = RegistryFile.Open(path, Id);
        Assert.Equal(1, again.Size);
        Assert.Equal(RegistryFile.HeaderSize + RegistryFile.RecordSize, new FileInfo(path).Length);
        Assert.Throws<InvalidDataException>(() => RegistryFile.Open(path, Guid.NewGuid()).Dispose());
    }

    [Fact]
    public void A_roll_signed_by_another_key_or_tampered_is_refused()
    {
        var json = VoterRoll.Create(Id, _authority, _voters);
        using var other = Key.Create(SignatureAlgorithm.Ed25519);
        Assert.Throws<FormatException>(() => VoterRoll.Load(json, other.PublicKey.Export(KeyBlobFormat.RawPublicKey), Id));
        var hash = Convert.ToHexStringLower(VoterRoll.VoterHash(_voters[0]));
        var tampered = json.Replace(hash, Convert.ToHexStringLower(VoterRoll.VoterHash("intruder")));
        Assert.Throws<FormatException>(() => VoterRoll.Load(tampered, _authority.PublicKey.Export(KeyBlobFormat.RawPublicKey), Id));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _http.Dispose();
        _key.Dispose();
        _authority.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
