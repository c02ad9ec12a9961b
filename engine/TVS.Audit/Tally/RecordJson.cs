using System.Text.Json;
using System.Text.Json.Nodes;

namespace TVS.Engine.Tally;

/// <summary>
/// Reads the fields of one JSON file of the election strictly: every field checked for presence
/// and type before use, every fault a <see cref="RecordFormatException"/> naming the file and the
/// field. The verifier and the tally read untrusted files through it, so bad input gets a
/// precise message instead of a null dereference or a cast failure.
/// </summary>
internal readonly struct RecordJson(string file)
{
    public string File { get; } = file;

    /// <summary>The document, which must be a JSON object (not truncated, not <c>null</c>).</summary>
    public JsonObject Document(string text)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new RecordFormatException(File, null, $"is not valid JSON: {e.Message}", e);
        }
        return root as JsonObject ?? throw new RecordFormatException(File, null, $"is {Describe(root)}, expected a JSON object");
    }

    public RecordFormatException Error(string field, string problem) => new(File, field, problem);

    public static string PathOf(string? parent, string name) => parent is null ? name : parent + "." + name;

    public static string PathOf(string parent, int index) => $"{parent}[{index}]";

    /// <summary>The field's value: present and not null.</summary>
    public JsonNode Required(JsonObject o, string name, string? parent, string expected)
    {
        if (!o.TryGetPropertyValue(name, out var node))
        {
            throw Error(PathOf(parent, name), $"is missing, expected {expected}");
        }
        return node ?? throw Error(PathOf(parent, name), $"is null, expected {expected}");
    }

    public string String(JsonObject o, string name, string? parent = null) =>
        AsString(Required(o, name, parent, "a string"), PathOf(parent, name));

    /// <summary>A string field that may be absent or null (null then).</summary>
    public string? OptionalString(JsonObject o, string name, string? parent = null) =>
        o[name] is { } node ? AsString(node, PathOf(parent, name)) : null;

    public int Int(JsonObject o, string name, string? parent = null) =>
        AsInt(Required(o, name, parent, "an integer"), PathOf(parent, name));

    public long Long(JsonObject o, string name, string? parent = null) =>
        AsLong(Required(o, name, parent, "an integer"), PathOf(parent, name));

    public JsonObject Object(JsonObject o, string name, string? parent = null) =>
        AsObject(Required(o, name, parent, "an object"), PathOf(parent, name));

    public JsonArray Array(JsonObject o, string name, string? parent = null) =>
        AsArray(Required(o, name, parent, "an array"), PathOf(parent, name));

    /// <summary>An array field that may be absent or null (null then).</summary>
    public JsonArray? OptionalArray(JsonObject o, string name, string? parent = null) =>
        o[name] is { } node ? AsArray(node, PathOf(parent, name)) : null;

    public string AsString(JsonNode? node, string path) =>
        node is JsonValue v && v.TryGetValue(out string? s) ? s : throw Wrong(node, path, "a string");

    public int AsInt(JsonNode? node, string path) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out int i) ? i : throw Wrong(node, path, "an integer");

    public long AsLong(JsonNode? node, string path) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out long l) ? l : throw Wrong(node, path, "an integer");

    public JsonObject AsObject(JsonNode? node, string path) => node as JsonObject ?? throw Wrong(node, path, "an object");

    public JsonArray AsArray(JsonNode? node, string path) => node as JsonArray ?? throw Wrong(node, path, "an array");

    private RecordFormatException Wrong(JsonNode? node, string path, string expected) =>
        Error(path, $"is {Describe(node)}, expected {expected}");

    private static string Describe(JsonNode? node) => node?.GetValueKind() switch
    {
        null or JsonValueKind.Null => "null",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "not a JSON value",
    };
}
