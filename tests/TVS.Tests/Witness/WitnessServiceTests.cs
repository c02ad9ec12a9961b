using System.Text;
using TVS.Engine.Ports;
using TVS.Merkle;
using TVS.Witness;

namespace TVS.Tests.Witness;

public sealed class WitnessServiceTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly WitnessTestLog _log = new();
    private readonly CosignatureSigner _key = CosignatureSigner.Generate("witness.test/w1");

    public void Dispose()
    {
        _key.Dispose();
        _log.Dispose();
        _dir.Dispose();
    }

    private WitnessService NewService(params WitnessLog[] logs)
    {
        WitnessLog[] l = logs.Length > 0 ? logs : [new WitnessLog(_log.Origin, [_log.Signer.Verifier])];
        return new WitnessService(_key, l, new WitnessState(_dir.Path, l.Select(x => x.Origin)));
    }

    private static Task<WitnessResponse> Add(WitnessService s, string body) => s.AddCheckpointAsync(Encoding.UTF8.GetBytes(body));

    private static Task<WitnessResponse> Add(WitnessService s, byte[] body) => s.AddCheckpointAsync(body);

    [Fact]
    public async Task CosignsAConsistentSequenceAndRemembersIt()
    {
        WitnessService s = NewService();
        WitnessResponse r = await Add(s, _log.Body(0, 5));
        Assert.Equal(200, r.Status);
        string text = SignedNote.Parse(_log.Note(5)).Text;
        NoteSignature line = SignedNote.Parse(text + "\n" + r.Body).Signatures.Single();
        Assert.True(_key.Verifier.TryVerify(text, line, out long t));
        Assert.True(t > 1_700_000_000);
        Assert.Equal(200, (await Add(s, _log.Body(5, 12))).Status);
        Assert.Equal(200, (await Add(s, _log.Body(12, 12))).Status); // the same checkpoint again
        Assert.Equal(200, (await Add(s, _log.Body(12, 32))).Status);

        // The state directory alone carries it: a new witness over it knows size 32.
        var again = new WitnessState(_dir.Path, [_log.Origin]);
        Assert.Equal(32, again.Get(_log.Origin)!.Size);
        Assert.Equal(_log.Root(32), again.Get(_log.Origin)!.Root);
        Assert.True(Cosignatures.Check(again.Get(_log.Origin)!.Note, [_key.Verifier], 1).Met);
        Assert.Equal(again.Get(_log.Origin)!.Note, s.LatestNote(WitnessState.OriginHash(_log.Origin)));
    }

    [Fact]
    public async Task RefusesRollback()
    {
        WitnessService s = NewService();
        Assert.Equal(200, (await Add(s, _log.Body(0, 10))).Status);
        // An older checkpoint from its true old size: 409 with the witness's size.
        WitnessResponse stale = await Add(s, _log.Body(5, 7));
        Assert.Equal(409, stale.Status);
        Assert.Equal("10\n", stale.Body);
        Assert.Equal("text/x.tlog.size", stale.ContentType);
        Assert.Equal(409, (await Add(s, _log.Body(0, 7))).Status);
        // From the witness's size to a smaller tree: old > size is a malformed request (400).
        string back = WitnessClient.RequestBody(10, [], _log.Note(7));
        Assert.Equal(400, (await Add(s, back)).Status);
        Assert.Equal(10, s.State.Get(_log.Origin)!.Size);
    }

    [Fact]
    public async Task RefusesForkAtTheSameSize()
    {
        using var fork = new WitnessTestLog(prefix: "fork", signer: NoteSigner.FromSeed(_log.Origin, WitnessTestLog.SeedOf(_log.Signer.SignerKey)));
        WitnessService s = NewService();
        Assert.Equal(200, (await Add(s, _log.Body(0, 10))).Status);
        WitnessResponse r = await Add(s, WitnessClient.RequestBody(10, [], fork.Note(10)));
        Assert.Equal(422, r.Status);
        Assert.Equal("fork", r.Code);
        Assert.Equal(_log.Root(10), s.State.Get(_log.Origin)!.Root);
    }

    [Fact]
    public async Task RefusesALargerTreeNotConsistentWithTheCosignedOne()
    {
        using var fork = new WitnessTestLog(prefix: "fork", signer: NoteSigner.FromSeed(_log.Origin, WitnessTestLog.SeedOf(_log.Signer.SignerKey)));
        WitnessService s = NewService();
        Assert.Equal(200, (await Add(s, _log.Body(0, 10))).Status);
        // The other tree's own (valid) proof from 10 to 20: it does not start from the cosigned root.
        Assert.Equal(422, (await Add(s, WitnessClient.RequestBody(10, fork.Proof(10, 20), fork.Note(20)))).Status);
        // The honest proof for the other tree's checkpoint, and a truncated proof, fail too.
        Assert.Equal(422, (await Add(s, WitnessClient.RequestBody(10, _log.Proof(10, 20), fork.Note(20)))).Status);
        Assert.Equal(422, (await Add(s, WitnessClient.RequestBody(10, _log.Proof(10, 20)[..^1], _log.Note(20)))).Status);
        Assert.Equal(422, (await Add(s, WitnessClient.RequestBody(10, [], _log.Note(20)))).Status);
        Assert.Equal(10, s.State.Get(_log.Origin)!.Size);
        Assert.Equal(200, (await Add(s, _log.Body(10, 20))).Status);
    }

    [Fact]
    public async Task RefusesCheckpointsNotSignedByTheLogsKey()
    {
        using var impostor = new WitnessTestLog(signer: NoteSigner.Generate("tvs.test/e1/p0"));
        using var unknown = new WitnessTestLog(origin: "tvs.test/e2/p0");
        WitnessService s = NewService();
        WitnessResponse r = await Add(s, impostor.Body(0, 5));
        Assert.Equal(403, r.Status);
        Assert.Equal("bad_log_signature", r.Code);
        // A valid log signature plus a corrupted one by the same key: the note is malformed (signed-note).
        string note = _log.Note(5);
        string[] parts = note.Split('\n');
        string sigLine = parts[^2];
        int i = sigLine.Length - 10;
        string corrupted = note.Replace(sigLine, sigLine[..i] + (sigLine[i] == 'A' ? 'B' : 'A') + sigLine[(i + 1)..], StringComparison.Ordinal);
        Assert.Equal(403, (await Add(s, WitnessClient.RequestBody(0, [], corrupted))).Status);
        // A log the witness does not follow: 404 (tlog-witness).
        Assert.Equal(404, (await Add(s, unknown.Body(0, 5))).Status);
        Assert.Null(s.State.Get(_log.Origin));
    }

    [Fact]
    public async Task RefusesMalformedRequests()
    {
        WitnessService s = NewService();
        string note = _log.Note(5);
        string h = _log.Root(3).ToBase64();
        foreach (string body in new[]
        {
            "",
            note,
            "old 0\n" + note,                           // no blank line after the proof
            "old 00\n\n" + note,                        // not canonical
            "old -1\n\n" + note,
            "old 0 \n\n" + note,
            "old 0\r\n\n" + note,
            "old 0\n" + h[..^1] + "\n\n" + note,        // a proof line that is not a hash
            "old 0\n\nnot a note\n",
            "old 0\n\n" + note.Replace("\n\n", "\n", StringComparison.Ordinal), // no signature block
            "old 0\n\n" + "tvs.test/e1/p0\n05\n" + h + "\n\n" + note.Split("\n\n")[1], // bad size line
            "old 0\n" + string.Concat(Enumerable.Repeat(h + "\n", 64)) + "\n" + note, // 64 proof lines
        })
        {
            WitnessResponse r = await Add(s, body);
            Assert.True(r.Status == 400, $"{r.Status} {r.Body} for {body}");
        }
        Assert.Equal(400, (await Add(s, [0xff, 0xfe, (byte)'\n'])).Status);
        // Well formed, but an old size of 0 takes no proof, and an empty tree has the empty root.
        Assert.Equal(422, (await Add(s, "old 0\n" + h + "\n\n" + note)).Status);
        string empty = new Checkpoint(_log.Origin, 0, _log.Root(1)).Sign(_log.Signer);
        Assert.Equal(422, (await Add(s, "old 0\n\n" + empty)).Status);
        Assert.Equal(200, (await Add(s, "old 0\n\n" + new Checkpoint(_log.Origin, 0, Rfc9162.EmptyRoot).Sign(_log.Signer))).Status);
        Assert.Equal(0, s.State.Get(_log.Origin)!.Size);
    }

    [Fact]
    public async Task SplitViewShownToTwoWitnessesIsDetectedWhenTheirCheckpointsMeet()
    {
        // The log key signs two different trees of size 12 and shows one to each witness.
        using var fork = new WitnessTestLog(prefix: "fork", signer: NoteSigner.FromSeed(_log.Origin, WitnessTestLog.SeedOf(_log.Signer.SignerKey)));
        using var key2 = CosignatureSigner.Generate("witness.test/w2");
        var logs = new[] { new WitnessLog(_log.Origin, [_log.Signer.Verifier]) };
        var w1 = new WitnessService(_key, logs, new WitnessState(Path.Combine(_dir.Path, "w1"), [_log.Origin]));
        var w2 = new WitnessService(key2, logs, new WitnessState(Path.Combine(_dir.Path, "w2"), [_log.Origin]));
        Assert.Equal(200, (await Add(w1, _log.Body(0, 12))).Status);
        Assert.Equal(200, (await Add(w2, fork.Body(0, 12))).Status);

        // Each witness's latest cosigned checkpoint (GET /{hash}/checkpoint) meets the other's.
        string hash = WitnessState.OriginHash(_log.Origin);
        SplitViewReport r = SplitView.Compare(w1.LatestNote(hash)!, w2.LatestNote(hash)!, _log.Signer.Verifier, [_key.Verifier, key2.Verifier]);
        Assert.Equal(SplitViewKind.SameSizeDifferentRoots, r.Kind);
        Assert.Equal("witness.test/w1", r.CosignersA.Cosigners.Single().Witness.Name);
        Assert.Equal("witness.test/w2", r.CosignersB.Cosigners.Single().Witness.Name);

        // And neither witness will cosign the other side, now or as a larger tree.
        Assert.Equal(422, (await Add(w1, WitnessClient.RequestBody(12, [], fork.Note(12)))).Status);
        Assert.Equal(422, (await Add(w2, WitnessClient.RequestBody(12, _log.Proof(12, 20), _log.Note(20)))).Status);
    }

    [Fact]
    public async Task ConcurrentRequestsNeverRollBack()
    {
        WitnessService s = NewService();
        Assert.Equal(200, (await Add(s, _log.Body(0, 1))).Status);
        // Many requests from size 1 at once: exactly one wins, the others see 409 with its size.
        WitnessResponse[] rs = await Task.WhenAll(Enumerable.Range(2, 16).Select(n => Task.Run(() => Add(s, _log.Body(1, n)))));
        Assert.Single(rs, r => r.Status == 200);
        long size = s.State.Get(_log.Origin)!.Size;
        Assert.All(rs.Where(r => r.Status != 200), r => Assert.Equal($"{size}\n", r.Body));
    }

    [Fact]
    public async Task HttpServerAndClientSpeakTlogWitness()
    {
        WitnessService s = NewService();
        await using WitnessServer server = await WitnessServer.StartAsync(s, new WitnessOptions { Listen = "http://127.0.0.1:0", MaxBodyBytes = 8 * 1024 });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var client = new WitnessClient(http, server.Address, _key.Verifier);

        WitnessResult first = await client.AddCheckpointAsync(0, [], _log.Note(8));
        Assert.True(first.Ok, first.Detail);
        string cosigned = Cosignatures.AddSignatureLines(_log.Note(8), first.CosignatureLines!);
        Assert.True(Cosignatures.Check(cosigned, [_key.Verifier], 1).Met);

        // The publisher lost track: it sends old 0, learns 8 from the 409, and retries with a proof from 8.
        WitnessResult conflict = await client.AddCheckpointAsync(0, [], _log.Note(20));
        Assert.Equal(WitnessFailure.Conflict, conflict.Failure);
        Assert.Equal(8, conflict.LatestSize);
        Assert.True((await client.AddCheckpointAsync(8, _log.Proof(8, 20), _log.Note(20))).Ok);
        Assert.Equal(WitnessFailure.Inconsistent, (await client.AddCheckpointAsync(20, _log.Proof(8, 20), _log.Note(30))).Failure);
        using (var impostor = new WitnessTestLog(signer: NoteSigner.Generate(_log.Origin)))
        {
            Assert.Equal(WitnessFailure.Refused, (await client.AddCheckpointAsync(20, [], impostor.Note(20))).Failure);
        }

        // Another witness's key: a 200 without its cosignature is a bad response.
        using var otherKey = CosignatureSigner.Generate("witness.test/w2");
        Assert.Equal(WitnessFailure.BadResponse, (await new WitnessClient(http, server.Address, otherKey.Verifier).AddCheckpointAsync(20, [], _log.Note(20))).Failure);

        // Monitoring: the latest cosigned checkpoint by origin hash.
        string latest = await http.GetStringAsync(new Uri(server.Address, WitnessState.OriginHash(_log.Origin) + "/checkpoint"));
        Assert.Equal(20, Checkpoint.Open(latest, _log.Signer.Verifier).Size);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync(new Uri(server.Address, new string('0', 64) + "/checkpoint"))).StatusCode);

        // Bodies are bounded before they are buffered, with or without a length.
        using var big = new StringContent("old 0\n\n" + new string('a', 9000));
        Assert.Equal(413, (int)(await http.PostAsync(new Uri(server.Address, "add-checkpoint"), big)).StatusCode);
        using var chunked = new StreamContent(new MemoryStream(new byte[9000]));
        chunked.Headers.ContentLength = null;
        var req = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Address, "add-checkpoint")) { Content = chunked };
        req.Headers.TransferEncodingChunked = true;
        Assert.Equal(413, (int)(await http.SendAsync(req)).StatusCode);
        using var malformed = new StringContent("old x\n\n");
        HttpResponseMessage bad = await http.PostAsync(new Uri(server.Address, "add-checkpoint"), malformed);
        Assert.Equal(400, (int)bad.StatusCode);
        Assert.Contains("\"error\"", await bad.Content.ReadAsStringAsync());

        // A witness that is down is Unavailable, not an exception.
        using var down = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        Assert.Equal(WitnessFailure.Unavailable, (await new WitnessClient(down, new Uri("http://127.0.0.1:1/"), _key.Verifier).AddCheckpointAsync(0, [], _log.Note(1))).Failure);
    }

    [Fact]
    public void LogSpecsGroupKeysByOrigin()
    {
        using var second = NoteSigner.Generate("board-key-2");
        var logs = WitnessLog.ParseAll([_log.Signer.Verifier.VerifierKey, second.Verifier.VerifierKey + "," + _log.Origin, second.Verifier.VerifierKey]);
        Assert.Equal(2, logs.Single(l => l.Origin == _log.Origin).Keys.Count);
        Assert.Single(logs.Single(l => l.Origin == "board-key-2").Keys);
        Assert.Throws<FormatException>(() => WitnessLog.ParseAll(["nonsense"]));
    }
}

public sealed class CheckpointCosignerTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task CollectsAQuorumAndRelearnsSizesAfterAPublisherRestart()
    {
        using var log = new WitnessTestLog();
        using var k1 = CosignatureSigner.Generate("w1");
        using var k2 = CosignatureSigner.Generate("w2");
        using var k3 = CosignatureSigner.Generate("w3");
        var logs = new[] { new WitnessLog(log.Origin, [log.Signer.Verifier]) };
        WitnessServer Start(CosignatureSigner k) => WitnessServer.StartAsync(new WitnessService(k, logs, new WitnessState(Path.Combine(_dir.Path, k.Name), [log.Origin])), new WitnessOptions { Listen = "http://127.0.0.1:0" }).GetAwaiter().GetResult();
        await using WitnessServer s1 = Start(k1), s2 = Start(k2);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        ICheckpointWitness[] witnesses =
        [
            new WitnessClient(http, s1.Address, k1.Verifier),
            new WitnessClient(http, s2.Address, k2.Verifier),
            new WitnessClient(http, new Uri("http://127.0.0.1:1/"), k3.Verifier), // down
        ];
        var policy = TVS.Engine.Election.WitnessPolicy.Create([k1.Verifier.VerifierKey, k2.Verifier.VerifierKey, k3.Verifier.VerifierKey], 2);
        var cosigner = new TVS.Engine.Board.CheckpointCosigner(witnesses, policy);
        Func<long, long, IReadOnlyList<Hash256>> proof = (a, b) => log.Proof(a, b);

        var first = await cosigner.CosignAsync(log.Note(5), proof);
        Assert.True(first.Check.Met, first.Check.ToString());
        Assert.Equal(WitnessFailure.Unavailable, first.Results[2].Result.Failure);
        Assert.True((await cosigner.CosignAsync(log.Note(9), proof)).Check.Met);

        // A restarted publisher starts from 0 everywhere: the 409s teach it 9, and it retries.
        var fresh = new TVS.Engine.Board.CheckpointCosigner(witnesses, policy);
        var again = await fresh.CosignAsync(log.Note(20), proof);
        Assert.True(again.Check.Met, again.Check.ToString());
        Assert.Equal(20, fresh.LastCosignedSize(witnesses[0]));
        Assert.Equal(20, Checkpoint.Open(again.Note, log.Signer.Verifier).Size);
    }
}
