using System.Text.Json;
using System.Text.Json.Nodes;
using TVS.Crypto.Bn254;
using TVS.Crypto.Registry;

namespace TVS.Engine.Election;

/// <summary>One issuer's Ed25519 signature over a <see cref="RootStatement"/>'s signed bytes.</summary>
public readonly record struct IssuerSignature(int Issuer, byte[] Signature);

/// <summary>
/// One issuer's endorsement of a registry root (the file <c>tvs issuer sign-root</c> writes):
/// <c>{"version":1,"electionId","size","depth","root","issuer","signature"}</c>.
/// </summary>
public sealed record RootEndorsement(RootStatement Statement, IssuerSignature Signature)
{
    public string ToJson()
    {
        var o = RootJson.Statement(Statement);
        o["issuer"] = Signature.Issuer;
        o["signature"] = Convert.ToHexStringLower(Signature.Signature);
        return o.ToJsonString(RootJson.Indented) + "\n";
    }

    public static RootEndorsement Parse(string json)
    {
        var o = RootJson.Object(json, ["version", "electionId", "size", "depth", "root", "issuer", "signature"]);
        return new RootEndorsement(RootJson.ReadStatement(o), RootJson.ReadSignature(o));
    }
}

/// <summary>
/// A registry root with the signatures collected from the issuers (docs/formats.md, "Signed
/// registry root"): <c>{"version":1,"electionId","size","depth","root","signatures":[{"issuer","signature"}…]}</c>.
/// Parsing is strict (exact fields, canonical decimal root, lowercase hex) but does not judge
/// the signatures: that is <see cref="RootAcceptance"/>'s job.
/// </summary>
public sealed record SignedRoot(RootStatement Statement, IReadOnlyList<IssuerSignature> Signatures)
{
    public JsonObject ToJsonObject()
    {
        var o = RootJson.Statement(Statement);
        o["signatures"] = new JsonArray(Signatures.Select(s => (JsonNode)new JsonObject
        {
            ["issuer"] = s.Issuer,
            ["signature"] = Convert.ToHexStringLower(s.Signature),
        }).ToArray());
        return o;
    }

    public string ToJson() => ToJsonObject().ToJsonString(RootJson.Indented) + "\n";

    public static SignedRoot Parse(string json) => FromJson(JsonNode.Parse(json, documentOptions: RootJson.NoDuplicates));

    public static SignedRoot FromJson(JsonNode? node)
    {
        var o = RootJson.Object(node, ["version", "electionId", "size", "depth", "root", "signatures"]);
        var statement = RootJson.ReadStatement(o);
        if (o["signatures"] is not JsonArray array) throw new FormatException("signatures: not an array");
        var signatures = new List<IssuerSignature>(array.Count);
        foreach (var s in array)
        {
            signatures.Add(RootJson.ReadSignature(RootJson.Object(s, ["issuer", "signature"])));
        }
        return new SignedRoot(statement, signatures);
    }

    /// <summary>
    /// Combines endorsements of one statement (<c>tvs issuer collect</c>): all must name the same
    /// statement; the result lists each issuer once, by index. Signatures are not checked here.
    /// </summary>
    public static SignedRoot Combine(IEnumerable<RootEndorsement> endorsements)
    {
        RootStatement? statement = null;
        var byIssuer = new SortedDictionary<int, IssuerSignature>();
        foreach (var e in endorsements)
        {
            statement ??= e.Statement;
            if (e.Statement != statement) throw new InvalidDataException($"issuer {e.Signature.Issuer} endorsed another statement (size {e.Statement.Size}, root {e.Statement.Root})");
            byIssuer.TryAdd(e.Signature.Issuer, e.Signature);
        }
        if (statement is null) throw new InvalidDataException("no endorsements");
        return new SignedRoot(statement.Value, byIssuer.Values.ToList());
    }
}

/// <summary>JSON helpers shared by the signed-root files: strict field sets and spellings.</summary>
internal static class RootJson
{
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    public static readonly JsonDocumentOptions NoDuplicates = new() { AllowDuplicateProperties = false };

    public static JsonObject Statement(RootStatement s) => new()
    {
        ["version"] = 1,
        ["electionId"] = s.ElectionId.ToString("D"),
        ["size"] = s.Size,
        ["depth"] = s.Depth,
        ["root"] = s.Root.ToString(),
    };

    public static JsonObject Object(string json, string[] fields) => Object(JsonNode.Parse(json, documentOptions: NoDuplicates), fields);

    public static JsonObject Object(JsonNode? node, string[] fields)
    {
        if (node is not JsonObject o) throw new FormatException("not a JSON object");
        foreach (var (name, _) in o)
        {
            if (Array.IndexOf(fields, name) < 0) throw new FormatException($"unknown field \"{name}\"");
        }
        foreach (var f in fields)
        {
            if (!o.ContainsKey(f)) throw new FormatException($"missing field \"{f}\"");
        }
        return o;
    }

    public static RootStatement ReadStatement(JsonObject o)
    {
        if (Integer(o, "version") != 1) throw new FormatException("unknown version");
        string id = String(o, "electionId");
        // The canonical UUID spelling only: one election, one text.
        if (!Guid.TryParseExact(id, "D", out var electionId) || electionId.ToString("D") != id) throw new FormatException("electionId: not a lowercase UUID");
        long size = Integer(o, "size");
        long depth = Integer(o, "depth");
        if (depth is < 0 or > LeanImt.MaxDepth) throw new FormatException("depth out of range");
        if (!IdentityCommitment.TryParseDecimal(String(o, "root"), out Fr root, out var error)) throw new FormatException("root: " + error);
        var statement = new RootStatement(electionId, size, (int)depth, root);
        var why = statement.Validate();
        if (why != null) throw new FormatException(why);
        return statement;
    }

    public static IssuerSignature ReadSignature(JsonObject o)
    {
        long issuer = Integer(o, "issuer");
        if (issuer is < 1 or > 255) throw new FormatException("issuer: an index 1..255");
        string hex = String(o, "signature");
        if (hex.Length != 128 || hex.Any(c => c is not (>= '0' and <= '9' or >= 'a' and <= 'f'))) throw new FormatException("signature: 64 bytes as 128 lowercase hex digits");
        return new IssuerSignature((int)issuer, Convert.FromHexString(hex));
    }

    private static long Integer(JsonObject o, string name)
    {
        if (o[name] is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !v.TryGetValue(out long x)) throw new FormatException($"{name}: not an integer");
        return x;
    }

    private static string String(JsonObject o, string name)
        => o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw new FormatException($"{name}: not a string");
}
