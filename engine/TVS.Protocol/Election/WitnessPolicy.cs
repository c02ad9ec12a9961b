using System.Text.Json.Nodes;
using TVS.Merkle;

namespace TVS.Engine.Election;

/// <summary>
/// An election's checkpoint witnesses as published in election.json (docs/formats.md, "Election
/// directory"): <c>"witnesses"</c>, C2SP cosignature/v1 vkeys (Ed25519, type 0x04), and
/// <c>"witnessQuorum"</c>, the k of distinct witnesses whose cosignatures a checkpoint needs
/// before a voter or auditor trusts it (C2SP tlog-witness, tlog-cosignature).
/// </summary>
public sealed class WitnessPolicy
{
    private WitnessPolicy(IReadOnlyList<CosignatureVerifier> witnesses, int quorum)
    {
        Witnesses = witnesses;
        Quorum = quorum;
    }

    /// <summary>The witnesses' verifier keys, in manifest order.</summary>
    public IReadOnlyList<CosignatureVerifier> Witnesses { get; }

    /// <summary>k: cosignatures by distinct listed witnesses a checkpoint needs.</summary>
    public int Quorum { get; }

    /// <summary>
    /// Builds a policy; false with a reason when a key is not a type-0x04 vkey, two entries share
    /// a name, a key ID or a public key (one witness must not count twice: an Ed25519 cosignature
    /// does not commit to the name), the list is empty or longer than 64, or k is not in 1..n.
    /// </summary>
    public static bool TryCreate(IReadOnlyList<string> vkeys, int quorum, out WitnessPolicy? policy, out string? error)
    {
        ArgumentNullException.ThrowIfNull(vkeys);
        policy = null;
        if (vkeys.Count is < 1 or > 64)
        {
            error = "witnesses: 1 to 64 verifier keys";
            return false;
        }
        var list = new List<CosignatureVerifier>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < vkeys.Count; i++)
        {
            if (!CosignatureVerifier.TryParse(vkeys[i], out CosignatureVerifier? v, out string? why))
            {
                error = $"witnesses[{i}]: {why}";
                return false;
            }
            if (!names.Add(v!.Name))
            {
                error = $"witnesses[{i}]: the name {v.Name} is listed twice";
                return false;
            }
            if (!keys.Add(Convert.ToBase64String(v.PublicKeyBytes.Span)))
            {
                error = $"witnesses[{i}]: the same public key as another witness";
                return false;
            }
            list.Add(v);
        }
        if (quorum < 1 || quorum > list.Count)
        {
            error = $"witnessQuorum must be 1..{list.Count}, not {quorum}";
            return false;
        }
        policy = new WitnessPolicy(list, quorum);
        error = null;
        return true;
    }

    /// <summary>As <see cref="TryCreate"/>; throws <see cref="InvalidDataException"/>.</summary>
    public static WitnessPolicy Create(IReadOnlyList<string> vkeys, int quorum)
        => TryCreate(vkeys, quorum, out WitnessPolicy? p, out string? error) ? p! : throw new InvalidDataException(error);

    /// <summary>
    /// Reads <c>witnesses</c> and <c>witnessQuorum</c> from a parsed election.json: null when
    /// neither is present (an election without witnesses); throws <see cref="InvalidDataException"/>
    /// when only one is present, or either is malformed or fails <see cref="TryCreate"/>.
    /// </summary>
    public static WitnessPolicy? FromManifest(JsonNode manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        JsonNode? w = manifest["witnesses"];
        JsonNode? q = manifest["witnessQuorum"];
        if (w is null && q is null)
        {
            return null;
        }
        if (w is not JsonArray array || q is not JsonValue qv || !qv.TryGetValue(out int quorum))
        {
            throw new InvalidDataException("election.json: \"witnesses\" (array of vkeys) and \"witnessQuorum\" (integer) go together");
        }
        var keys = new List<string>();
        foreach (JsonNode? k in array)
        {
            if (k is not JsonValue kv || !kv.TryGetValue(out string? s))
            {
                throw new InvalidDataException($"election.json: witnesses[{keys.Count}] is not a string");
            }
            keys.Add(s);
        }
        return TryCreate(keys, quorum, out WitnessPolicy? p, out string? error) ? p : throw new InvalidDataException("election.json: " + error);
    }

    /// <summary>Writes the two fields into a manifest being built.</summary>
    public void WriteTo(JsonObject manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        manifest["witnesses"] = new JsonArray(Witnesses.Select(v => (JsonNode)JsonValue.Create(v.VerifierKey)).ToArray());
        manifest["witnessQuorum"] = Quorum;
    }

    /// <summary>Checks a signed checkpoint note's cosignatures against this policy.</summary>
    public CosignatureCheck Check(string signedNote) => Cosignatures.Check(signedNote, Witnesses, Quorum);
}
