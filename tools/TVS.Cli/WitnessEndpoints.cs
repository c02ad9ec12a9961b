using TVS.Engine.Election;
using TVS.Engine.Ports;
using TVS.Witness;

namespace TVS.Cli;

/// <summary>
/// Where the publisher reaches the election's witnesses. election.json names them by key only
/// (public, fixed before voting); their submission URLs are the operator's configuration:
/// engine setting <c>WitnessUrls</c> (a JSON object witness name → URL, docs/ops/witness.md) or
/// <c>tvs board publish --witness NAME=URL</c>.
/// </summary>
public static class WitnessEndpoints
{
    /// <summary>
    /// One <see cref="WitnessClient"/> per listed witness that has a URL; a URL for a name
    /// election.json does not list is an error (a typo would silently drop a witness). Witnesses
    /// without a URL are returned in <paramref name="missing"/>.
    /// </summary>
    public static IReadOnlyList<ICheckpointWitness> Clients(WitnessPolicy policy, IReadOnlyDictionary<string, string> urls, HttpClient http, out IReadOnlyList<string> missing)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(urls);
        foreach (string name in urls.Keys)
        {
            if (!policy.Witnesses.Any(w => w.Name == name))
            {
                throw new InvalidDataException($"witness URL given for '{name}', which election.json does not list (listed: {string.Join(", ", policy.Witnesses.Select(w => w.Name))})");
            }
        }
        var clients = new List<ICheckpointWitness>();
        var without = new List<string>();
        foreach (var key in policy.Witnesses)
        {
            if (urls.TryGetValue(key.Name, out string? url))
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https"))
                {
                    throw new InvalidDataException($"witness {key.Name}: '{url}' is not an http(s) URL");
                }
                clients.Add(new WitnessClient(http, uri, key));
            }
            else
            {
                without.Add(key.Name);
            }
        }
        missing = without;
        return clients;
    }

    /// <summary>Parses <c>NAME=URL</c> options (the name may hold '/', the URL '=').</summary>
    public static Dictionary<string, string> Parse(IEnumerable<string> specs)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string s in specs)
        {
            int eq = s.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == s.Length - 1 || !map.TryAdd(s[..eq], s[(eq + 1)..]))
            {
                throw new InvalidDataException($"--witness '{s}': expected NAME=URL, each name once");
            }
        }
        return map;
    }
}
