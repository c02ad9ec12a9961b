using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using TVS.Crypto.Ristretto;

namespace TVS.Crypto.Threshold;

/// <summary>
/// The key ceremony's shared directory (docs/election-guide.md, "Key ceremony"): what trustees
/// exchange. Everything here is public and signed; secrets live in each trustee's own key folder.
/// <code>
/// ceremony.json                       parameters (operator)
/// keys/trustee-NN.json                public keys (keygen)
/// deals/deal-NN.json                  commitments + sealed shares (deal)
/// complaints/complaint-NN.json        dealers whose share failed (complain; may be empty)
/// answers/answer-NN.json              revealed disputed shares (answer; may be empty)
/// result/election-key-NN.json         QUAL, Y, Y_j, commitments (finalize; all must be identical)
/// </code>
/// JSON readers throw <see cref="FormatException"/> on anything malformed; byte strings are
/// lowercase hex; every point must be a canonical ristretto255 encoding.
/// </summary>
public sealed class CeremonyFiles(string root)
{
    public string Root { get; } = root;

    public string ParametersPath => Path.Combine(Root, "ceremony.json");
    public string KeyPath(int i) => Path.Combine(Root, "keys", $"trustee-{i:D2}.json");
    public string DealPath(int i) => Path.Combine(Root, "deals", $"deal-{i:D2}.json");
    public string ComplaintPath(int i) => Path.Combine(Root, "complaints", $"complaint-{i:D2}.json");
    public string AnswerPath(int i) => Path.Combine(Root, "answers", $"answer-{i:D2}.json");
    public string ResultPath(int i) => Path.Combine(Root, "result", $"election-key-{i:D2}.json");

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void WriteJson(string path, JsonNode node)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, node.ToJsonString(Indented) + "\n");
    }

    private static JsonNode ReadJson(string path)
    {
        var info = new FileInfo(path);
        if (info.Exists && info.Length > 4 << 20) throw new FormatException($"{path}: larger than 4 MiB");
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) ?? throw new FormatException($"{path}: empty");
        }
        catch (JsonException e)
        {
            throw new FormatException($"{path}: {e.Message}");
        }
    }

    // ceremony.json

    public void WriteParameters(DkgParameters p) => WriteJson(ParametersPath, new JsonObject
    {
        ["version"] = 1,
        ["electionId"] = p.ElectionId.ToString(),
        ["threshold"] = p.Threshold,
        ["trustees"] = p.Trustees,
    });

    public DkgParameters ReadParameters()
    {
        var n = ReadJson(ParametersPath);
        if (Int(n, "version") != 1) throw new FormatException("ceremony.json: unknown version");
        var p = new DkgParameters(Guid.Parse(Str(n, "electionId")), Int(n, "threshold"), Int(n, "trustees"));
        p.Validate();
        return p;
    }

    // keys

    public static JsonObject ToJson(TrusteePublicKey k) => new()
    {
        ["index"] = k.Index,
        ["signingKey"] = Hex(k.SigningKey),
        ["encryptionKey"] = Hex(k.EncryptionKey),
        ["signature"] = Hex(k.Signature),
    };

    public static TrusteePublicKey KeyFromJson(JsonNode n) =>
        new(Int(n, "index"), Bytes(n, "signingKey", 32), Bytes(n, "encryptionKey", 32), Bytes(n, "signature", 64));

    public void WriteKey(TrusteePublicKey k) => WriteJson(KeyPath(k.Index), ToJson(k));

    /// <summary>All n public keys, each self-signed and filed under its own index.</summary>
    public List<TrusteePublicKey> ReadKeys(DkgParameters p)
    {
        var keys = new List<TrusteePublicKey>();
        for (int i = 1; i <= p.Trustees; i++)
        {
            var path = KeyPath(i);
            if (!File.Exists(path)) throw new FileNotFoundException($"trustee {i} has not published a key yet ({path})");
            var k = KeyFromJson(ReadJson(path));
            if (k.Index != i || !k.Verify(p.ElectionId)) throw new FormatException($"{path}: index or self-signature is wrong");
            keys.Add(k);
        }
        return keys;
    }

    // deals

    public static JsonObject ToJson(Deal d) => new()
    {
        ["dealer"] = d.Dealer,
        ["commitments"] = new JsonArray(d.Commitments.Select(c => (JsonNode)c.ToHex()).ToArray()),
        ["shares"] = new JsonArray(d.Shares.Select(s => (JsonNode)new JsonObject { ["recipient"] = s.Recipient, ["envelope"] = Hex(s.Envelope) }).ToArray()),
        ["signature"] = Hex(d.Signature),
    };

    public static Deal DealFromJson(JsonNode n)
    {
        var commitments = Arr(n, "commitments").Select(c => Point(c, "commitment")).ToArray();
        var shares = Arr(n, "shares").Select(s => new EncryptedShare(Int(s!, "recipient"), Bytes(s!, "envelope", -1))).ToArray();
        return new Deal(Int(n, "dealer"), commitments, shares, Bytes(n, "signature", 64));
    }

    public void WriteDeal(Deal d) => WriteJson(DealPath(d.Dealer), ToJson(d));

    /// <summary>The deals present (a missing or unreadable deal is simply absent: finalize disqualifies its dealer).</summary>
    public Dictionary<int, Deal> ReadDeals(DkgParameters p, TextWriter? log = null) => ReadAll(p, DealPath, DealFromJson, log);

    // complaints

    public static JsonObject ToJson(Complaint c) => new()
    {
        ["complainer"] = c.Complainer,
        ["against"] = new JsonArray(c.Against.Select(i => (JsonNode)i).ToArray()),
        ["signature"] = Hex(c.Signature),
    };

    public static Complaint ComplaintFromJson(JsonNode n) =>
        new(Int(n, "complainer"), Arr(n, "against").Select(i => i!.GetValue<int>()).ToArray(), Bytes(n, "signature", 64));

    public void WriteComplaint(Complaint c) => WriteJson(ComplaintPath(c.Complainer), ToJson(c));

    public Dictionary<int, Complaint> ReadComplaints(DkgParameters p, TextWriter? log = null) => ReadAll(p, ComplaintPath, ComplaintFromJson, log);

    // answers

    public static JsonObject ToJson(Answer a) => new()
    {
        ["dealer"] = a.Dealer,
        ["reveals"] = new JsonArray(a.Reveals.Select(r => (JsonNode)new JsonObject { ["recipient"] = r.Recipient, ["share"] = Hex(r.Share) }).ToArray()),
        ["signature"] = Hex(a.Signature),
    };

    public static Answer AnswerFromJson(JsonNode n) =>
        new(Int(n, "dealer"), Arr(n, "reveals").Select(r => new RevealedShare(Int(r!, "recipient"), Bytes(r!, "share", 32))).ToArray(), Bytes(n, "signature", 64));

    public void WriteAnswer(Answer a) => WriteJson(AnswerPath(a.Dealer), ToJson(a));

    public Dictionary<int, Answer> ReadAnswers(DkgParameters p, TextWriter? log = null) => ReadAll(p, AnswerPath, AnswerFromJson, log);

    // result

    public static JsonObject ToJson(DkgResult r) => new()
    {
        ["version"] = 1,
        ["electionId"] = r.Parameters.ElectionId.ToString(),
        ["threshold"] = r.Parameters.Threshold,
        ["trustees"] = r.Parameters.Trustees,
        ["qualified"] = new JsonArray(r.Qualified.Select(i => (JsonNode)i).ToArray()),
        ["disqualified"] = new JsonObject(r.Disqualified.OrderBy(kv => kv.Key).Select(kv => KeyValuePair.Create(kv.Key.ToString(CultureInfo.InvariantCulture), (JsonNode?)kv.Value))),
        ["publicKey"] = r.PublicKey.ToHex(),
        ["verificationKeys"] = new JsonArray(r.VerificationKeys.Select(v => (JsonNode)v.ToHex()).ToArray()),
        ["commitments"] = new JsonObject(r.Commitments.OrderBy(kv => kv.Key).Select(kv => KeyValuePair.Create(kv.Key.ToString(CultureInfo.InvariantCulture),
            (JsonNode?)new JsonArray(kv.Value.Select(c => (JsonNode)c.ToHex()).ToArray())))),
    };

    /// <summary>Reads an election-key.json and checks it is self-consistent: Y = Σ C_i0 and Y_j from the commitments.</summary>
    public static DkgResult ResultFromJson(JsonNode n)
    {
        if (Int(n, "version") != 1) throw new FormatException("election key: unknown version");
        var p = new DkgParameters(Guid.Parse(Str(n, "electionId")), Int(n, "threshold"), Int(n, "trustees"));
        p.Validate();
        var qual = Arr(n, "qualified").Select((i, k) => IntValue(i, $"qualified[{k}]")).ToArray();
        var disq = (n["disqualified"] as JsonObject ?? throw new FormatException("disqualified missing"))
            .ToDictionary(kv => int.Parse(kv.Key, CultureInfo.InvariantCulture), kv => StringValue(kv.Value, $"disqualified.{kv.Key}"));
        var y = Point(n["publicKey"], "publicKey");
        var vk = Arr(n, "verificationKeys").Select(v => Point(v, "verificationKey")).ToArray();
        var com = (n["commitments"] as JsonObject ?? throw new FormatException("commitments missing"))
            .ToDictionary(kv => int.Parse(kv.Key, CultureInfo.InvariantCulture),
                kv => (kv.Value as JsonArray ?? throw new FormatException($"'commitments.{kv.Key}' missing or not an array")).Select(c => Point(c, "commitment")).ToArray());
        if (vk.Length != p.Trustees || qual.Length < p.Threshold || !qual.Order().SequenceEqual(com.Keys.Order()) || com.Values.Any(c => c.Length != p.Threshold))
            throw new FormatException("election key: sizes do not match the parameters");
        var ySum = RistrettoPoint.Identity;
        foreach (var c in com.Values) ySum += c[0];
        if (ySum != y || y.IsIdentity) throw new FormatException("election key: Y is not the sum of the qualified dealers' C_0");
        for (int j = 1; j <= p.Trustees; j++)
        {
            var acc = RistrettoPoint.Identity;
            foreach (var c in com.Values) acc += Feldman.ShareCommitment(c, j);
            if (acc != vk[j - 1]) throw new FormatException($"election key: Y_{j} does not follow from the commitments");
        }
        return new DkgResult(p, qual.Order().ToArray(), disq, y, vk, com);
    }

    public void WriteResult(int trustee, DkgResult r) => WriteJson(ResultPath(trustee), ToJson(r));

    public static DkgResult ReadResult(string path) => ResultFromJson(ReadJson(path));

    private static Dictionary<int, T> ReadAll<T>(DkgParameters p, Func<int, string> path, Func<JsonNode, T> parse, TextWriter? log)
    {
        var all = new Dictionary<int, T>();
        for (int i = 1; i <= p.Trustees; i++)
        {
            var f = path(i);
            if (!File.Exists(f)) continue;
            try
            {
                all[i] = parse(ReadJson(f));
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException or ArgumentException or KeyNotFoundException)
            {
                log?.WriteLine($"{f}: unreadable, treated as absent ({e.Message})");
            }
        }
        return all;
    }

    // JSON helpers: strict, throw FormatException.

    public static string Hex(byte[] b) => Convert.ToHexStringLower(b);

    private static string Str(JsonNode n, string name) =>
        n[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new FormatException($"'{name}' missing or not a string");

    private static int Int(JsonNode n, string name) => IntValue(n[name], name);

    /// <summary>A value that must be an integer; <paramref name="path"/> names it in the error.</summary>
    private static int IntValue(JsonNode? value, string path) =>
        value is JsonValue v && v.TryGetValue<int>(out var i) ? i : throw new FormatException($"'{path}' missing or not an integer");

    private static string StringValue(JsonNode? value, string path) =>
        value is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new FormatException($"'{path}' missing or not a string");

    private static JsonArray Arr(JsonNode n, string name) => n[name] as JsonArray ?? throw new FormatException($"'{name}' missing or not an array");

    private static byte[] Bytes(JsonNode n, string name, int length)
    {
        var s = Str(n, name);
        byte[] b;
        try { b = Convert.FromHexString(s); }
        catch (FormatException) { throw new FormatException($"'{name}' is not hex"); }
        if (length >= 0 && b.Length != length) throw new FormatException($"'{name}' must be {length} bytes");
        return b;
    }

    private static RistrettoPoint Point(JsonNode? n, string what)
    {
        var s = n is JsonValue v && v.TryGetValue<string>(out var str) ? str : throw new FormatException($"{what} is not a string");
        byte[] b;
        try { b = Convert.FromHexString(s); }
        catch (FormatException) { throw new FormatException($"{what} is not hex"); }
        return RistrettoPoint.TryDecode(b, out var p) ? p : throw new FormatException($"{what} is not a canonical ristretto255 encoding");
    }
}
