using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using TVS.Crypto.Bn254;
using TVS.Crypto.Registry;

namespace TVS.Cli;

/// <summary>
/// <c>tvs registry root</c>: the voter registry's LeanIMT root (Poseidon, circomlib parameters) as
/// @semaphore-protocol/group computes it. Exit codes: 0 done, 2 unreadable or refused input.
/// </summary>
public static class RegistryCommands
{
    public static Command Build()
    {
        var registry = new Command("registry", "Voter registry (LeanIMT with Poseidon, as @semaphore-protocol/group)");
        var root = new Command("root", "Print the size, depth and root of the registry holding the given identity commitments");
        var commitments = new Option<FileInfo>("--commitments") { Description = "JSON array of identity commitments as decimal strings, in registry order", Required = true };
        var json = new Option<bool>("--json") { Description = "print {\"size\":…,\"depth\":…,\"root\":\"…\"} instead of text" };
        root.Options.Add(commitments);
        root.Options.Add(json);
        root.SetAction(r => Root(r.GetValue(commitments)!, r.GetValue(json), Console.Out, Console.Error));
        registry.Subcommands.Add(root);
        return registry;
    }

    /// <summary>
    /// Reads the commitments, refuses what @semaphore-protocol/group would not hold as a member
    /// (zero: Group.addMembers refuses it, zero marks a removed member) or what the registry must
    /// not hold (a duplicate: Group accepts it, but it is the same identity twice, so an issuer
    /// error), and prints size, depth and root (decimal; 0 for an empty registry, as Group).
    /// </summary>
    public static int Root(FileInfo file, bool json, TextWriter output, TextWriter error)
    {
        if (!TryReadCommitments(file, out var leaves, out var why))
        {
            error.WriteLine($"tvs registry root: {file.FullName}: {why}");
            return ExitCodes.Refused;
        }
        var sw = Stopwatch.StartNew();
        var root = LeanImtBuilder.ComputeRoot(leaves);
        sw.Stop();
        int depth = LeanImt.DepthFor(leaves.Length);
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new RootJson(leaves.Length, depth, root.ToString())));
        }
        else
        {
            output.WriteLine($"size {leaves.Length}");
            output.WriteLine($"depth {depth}");
            output.WriteLine($"root {root}");
            if (leaves.Length > 0) error.WriteLine($"hashed in {sw.Elapsed.TotalSeconds:F3} s");
        }
        return ExitCodes.Ok;
    }

    private sealed record RootJson(
        [property: System.Text.Json.Serialization.JsonPropertyName("size")] int Size,
        [property: System.Text.Json.Serialization.JsonPropertyName("depth")] int Depth,
        [property: System.Text.Json.Serialization.JsonPropertyName("root")] string RootDecimal);

    internal static bool TryReadCommitments(FileInfo file, out Fr[] leaves, out string why)
    {
        leaves = [];
        var list = new List<Fr>();
        var seen = new Dictionary<Fr, int>();
        try
        {
            using var stream = file.OpenRead();
            // Streamed element by element: a registry file can be far larger than one JSON DOM should be.
            int i = 0;
            foreach (var e in JsonSerializer.DeserializeAsyncEnumerable<JsonElement>(stream, topLevelValues: false).ToBlockingEnumerable())
            {
                if (e.ValueKind != JsonValueKind.String)
                {
                    why = $"element {i} is {e.ValueKind.ToString().ToLowerInvariant()}, not a decimal string";
                    return false;
                }
                var s = e.GetString()!;
                if (!IdentityCommitment.TryParseDecimal(s, out var leaf, out var err))
                {
                    why = $"element {i} \"{Shorten(s)}\": {err}";
                    return false;
                }
                if (leaf.IsZero)
                {
                    why = $"element {i} is 0: zero marks a removed member and is no identity commitment (@semaphore-protocol/group refuses it too)";
                    return false;
                }
                if (!seen.TryAdd(leaf, i))
                {
                    why = $"element {i} repeats element {seen[leaf]} ({Shorten(s)}): one identity per voter";
                    return false;
                }
                list.Add(leaf);
                i++;
            }
        }
        catch (JsonException e)
        {
            why = "not a JSON array of strings: " + e.Message;
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            why = e.Message;
            return false;
        }
        if (list.Count > 0 && LeanImt.DepthFor(list.Count) > LeanImt.MaxDepth)
        {
            why = $"{list.Count} commitments exceed depth {LeanImt.MaxDepth}";
            return false;
        }
        leaves = list.ToArray();
        why = "";
        return true;
    }

    private static string Shorten(string s) => s.Length <= 80 ? s : s[..77] + "...";
}
