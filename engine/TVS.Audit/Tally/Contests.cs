using System.Text.Json;
using System.Text.Json.Nodes;

namespace TVS.Engine.Tally;

/// <summary>One contest of the ballot: a name and its candidates (choice k of a ballot means Candidates[k]).</summary>
public sealed record Contest(string Name, IReadOnlyList<string> Candidates);

/// <summary>
/// The ballot's contests, <c>contests.json</c> in the election directory (docs/formats.md,
/// "Contests"): a ballot's selections are one choice per contest, in this order.
/// </summary>
public sealed class ContestList
{
    public const string FileName = "contests.json";

    public ContestList(IReadOnlyList<Contest> contests)
    {
        if (contests.Count == 0 || contests.Count > Crypto.Threshold.BallotCipher.MaxContests)
        {
            throw new ArgumentException("between 1 and BallotCipher.MaxContests contests", nameof(contests));
        }
        foreach (var c in contests)
        {
            if (string.IsNullOrEmpty(c.Name) || c.Candidates.Count == 0 || c.Candidates.Count > ushort.MaxValue)
            {
                throw new ArgumentException($"contest '{c.Name}': a name and 1 to 65535 candidates", nameof(contests));
            }
        }
        Contests = contests;
    }

    public IReadOnlyList<Contest> Contests { get; }

    public int Count => Contests.Count;

    /// <summary>Candidates per contest, in order (what the load generator draws from).</summary>
    public int[] CandidateCounts() => Contests.Select(c => c.Candidates.Count).ToArray();

    public JsonObject ToJson() => new()
    {
        ["version"] = 1,
        ["contests"] = new JsonArray(Contests.Select(c => (JsonNode)new JsonObject
        {
            ["name"] = c.Name,
            ["candidates"] = new JsonArray(c.Candidates.Select(n => (JsonNode)n).ToArray()),
        }).ToArray()),
    };

    public void Write(string path) => File.WriteAllText(path, ToJson().ToJsonString(Json.Indented) + "\n");

    /// <summary>Throws <see cref="FormatException"/> on anything malformed.</summary>
    public static ContestList Parse(string text)
    {
        try
        {
            var n = JsonNode.Parse(text) ?? throw new FormatException("empty");
            if ((int?)n["version"] != 1)
            {
                throw new FormatException("unknown version");
            }
            var list = new List<Contest>();
            foreach (var c in n["contests"]?.AsArray() ?? throw new FormatException("'contests' missing"))
            {
                var name = (string?)c?["name"] ?? throw new FormatException("contest without a name");
                var candidates = (c!["candidates"]?.AsArray() ?? throw new FormatException($"contest '{name}' without candidates"))
                    .Select(x => (string?)x ?? throw new FormatException($"contest '{name}': a candidate is not a string")).ToArray();
                list.Add(new Contest(name, candidates));
            }
            return new ContestList(list);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            throw new FormatException(e.Message, e);
        }
    }

    public static ContestList Load(string path) => Parse(File.ReadAllText(path));

    /// <summary>A small default ballot for demos and tests: 3 contests of 2 to 4 candidates.</summary>
    public static ContestList Sample() => new(
    [
        new Contest("President", ["Ada", "Grace", "Alan", "Barbara"]),
        new Contest("Proposition 1", ["Yes", "No"]),
        new Contest("City council", ["Edsger", "Donald", "Leslie"]),
    ]);
}

internal static class Json
{
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
}
