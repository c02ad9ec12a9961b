using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;
using TVS.Crypto.Threshold;
using TVS.Engine.Election;
using TVS.Engine.IO;
using TVS.Engine.Votes;
using TVS.Merkle;

namespace TVS.Engine.Tally;

/// <summary>What election.json gives the verifier: the id, the partitions, the keys and the registry roots it accepts.</summary>
internal sealed record RecordElection(Guid Id, int Partitions, NoteVerifier CheckpointKey, WitnessPolicy? Witnesses, Dictionary<int, VerifyingKey> Keys, HashSet<Fr> Roots);

/// <summary>
/// Reads the files of an election record for the verifier, through <see cref="IRecordStore"/> (a
/// directory or an S3 prefix): election.json, the election key, the contests and the published
/// result. A file that cannot be read is reported as the file's failure; those without which
/// nothing else can be checked stop the run. The votes are read by range from the board's entry
/// bundles (<see cref="BoardBallots"/>), never here.
/// </summary>
internal sealed class RecordReader(IRecordStore store, VerificationReport report)
{
    public IRecordStore Store { get; } = store;

    /// <summary>The file's bytes; a <see cref="FileNotFoundException"/> naming it (relative to the record) when it is absent.</summary>
    public byte[] Read(string path) => Store.TryGet(path) ?? throw new FileNotFoundException($"{path}: missing from the record ({Store.Location})", path);

    /// <summary>The file as UTF-8 text (see <see cref="Read"/>).</summary>
    public string ReadText(string path) => System.Text.Encoding.UTF8.GetString(Read(path));

    /// <summary>A message that starts with an absolute path under <paramref name="directory"/>, with that path made relative to it.</summary>
    public static string Relative(string message, string directory)
    {
        int colon = message.IndexOf(": ", StringComparison.Ordinal);
        if (colon > 0 && Path.IsPathRooted(message[..colon]))
        {
            return Path.GetRelativePath(directory, message[..colon]).Replace('\\', '/') + message[colon..];
        }
        return message;
    }

    /// <summary>A failure's message: a <see cref="RecordFormatException"/> names its file and field already; anything else is prefixed with <paramref name="file"/>.</summary>
    public static string Describe(string file, Exception e) => e is RecordFormatException || (e is FileNotFoundException f && f.FileName == file) ? e.Message : $"{file}: {e.Message}";

    /// <summary>election.json: the id, the partitions, the checkpoint key, the Groth16 keys, the issuers and the registry roots they signed.</summary>
    public RecordElection ReadElection()
    {
        Guid id;
        int partitions;
        NoteVerifier checkpointKey;
        WitnessPolicy? witnesses;
        var keys = new Dictionary<int, VerifyingKey>();
        HashSet<Fr> roots;
        try
        {
            var json = new RecordJson(ElectionRecord.ElectionFile);
            var m = json.Document(ReadText(ElectionRecord.ElectionFile));
            string idText = json.String(m, "electionId");
            if (!Guid.TryParse(idText, out id))
            {
                throw json.Error("electionId", $"'{idText}' is not a UUID");
            }
            partitions = ElectionRecord.ReadPartitions(m);
            checkpointKey = NoteVerifier.Parse(json.String(m, "checkpointVerifierKey"));
            witnesses = WitnessPolicy.FromManifest(m);
            foreach (var (depthText, fileNode) in json.Object(m, "verificationKeys"))
            {
                string file = json.AsString(fileNode, RecordJson.PathOf("verificationKeys", depthText));
                if (!int.TryParse(depthText, NumberStyles.None, CultureInfo.InvariantCulture, out int depth))
                {
                    throw json.Error(RecordJson.PathOf("verificationKeys", depthText), "is not named by a tree depth");
                }
                var e = SnarkjsJson.TryReadVerifyingKey(Read(file), out var vk);
                if (e != VerifyError.None)
                {
                    throw new FormatException($"verification key {file}: {e.Describe()}");
                }
                keys[depth] = vk!;
            }
            roots = AcceptedRoots(id, m, json);
        }
        catch (Exception e) when (e is IOException or FormatException or InvalidOperationException or ArgumentException or NoteException or InvalidDataException)
        {
            throw report.Stop(Describe(ElectionRecord.ElectionFile, e));
        }
        report.Ok($"{ElectionRecord.ElectionFile}: election {id}, {partitions} partition(s), {keys.Count} verification key(s), {roots.Count} registry root(s) signed by at least t issuers, checkpoint key {checkpointKey.Name}"
            + (witnesses is null ? "" : $", {witnesses.Witnesses.Count} witness(es), quorum {witnesses.Quorum}"));
        return new RecordElection(id, partitions, checkpointKey, witnesses, keys, roots);
    }

    /// <summary>
    /// The registry roots an auditor accepts: those of election.json's "signedRoots" and the
    /// record's roots/*.json that carry valid signatures of at least t distinct issuers of
    /// election.json's "issuers" (the engine's rule, RootAcceptance). The informative "roots" list
    /// is not trusted: an accepted root is one the issuers signed.
    /// </summary>
    private HashSet<Fr> AcceptedRoots(Guid id, JsonObject m, RecordJson json)
    {
        if (m["issuers"] is not JsonObject io)
        {
            throw new FormatException("no \"issuers\": no registry root can be accepted");
        }
        var keyArray = json.Array(io, "keys", "issuers");
        var issuerKeys = new List<byte[]>(keyArray.Count);
        for (int k = 0; k < keyArray.Count; k++)
        {
            string at = RecordJson.PathOf("issuers.keys", k);
            string hex = json.AsString(keyArray[k], at);
            if (hex.Length % 2 != 0 || !hex.All(char.IsAsciiHexDigit))
            {
                throw json.Error(at, "is not hex");
            }
            issuerKeys.Add(Convert.FromHexString(hex));
        }
        var issuers = new IssuerSet(issuerKeys, json.Int(io, "threshold", "issuers"));
        var acceptance = new RootAcceptance(id, issuers);
        var candidates = new List<(string Source, Func<SignedRoot> Read)>();
        int n = 0;
        foreach (var node in json.OptionalArray(m, "signedRoots") ?? [])
        {
            var copy = node;
            candidates.Add(($"{ElectionRecord.ElectionFile} signedRoots[{n++}]", () => SignedRoot.FromJson(copy)));
        }
        foreach (var file in Store.List(ElectionRecord.RootsDirectory + "/").Where(f => f.EndsWith(".json", StringComparison.Ordinal) && f.IndexOf('/', ElectionRecord.RootsDirectory.Length + 1) < 0))
        {
            candidates.Add((file, () => SignedRoot.Parse(ReadText(file))));
        }
        var roots = new HashSet<Fr>();
        foreach (var (source, read) in candidates)
        {
            try
            {
                var signed = read();
                var verdict = acceptance.Evaluate(signed);
                if (verdict.Accepted)
                {
                    roots.Add(signed.Statement.Root);
                }
                else
                {
                    // Not a failure by itself (the engine too ignores such a root); a vote under it fails.
                    report.Note($"{source}: root {signed.Statement.Root} not accepted: {verdict}");
                }
            }
            catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
            {
                report.Note($"{source}: not accepted: malformed ({e.Message})");
            }
        }
        return roots;
    }

    /// <summary>The DKG's public output (election-key.json), checked as it is read; null (reported) if it is unusable or of another election.</summary>
    public DkgResult? ReadElectionKey(Guid id)
    {
        try
        {
            var json = new RecordJson(ElectionRecord.ElectionKeyFile);
            var dkg = CeremonyFiles.ResultFromJson(json.Document(ReadText(ElectionRecord.ElectionKeyFile)));
            if (dkg.Parameters.ElectionId != id)
            {
                report.Fail($"{ElectionRecord.ElectionKeyFile}: made for election {dkg.Parameters.ElectionId}, not {id}");
                return null;
            }
            report.Ok($"{ElectionRecord.ElectionKeyFile}: Y equals the sum of the {dkg.Qualified.Length} qualified dealers' constant commitments; every Y_j follows from the commitments (t = {dkg.Parameters.Threshold}, n = {dkg.Parameters.Trustees})");
            return dkg;
        }
        catch (Exception e) when (e is IOException or FormatException or InvalidOperationException or ArgumentException or KeyNotFoundException)
        {
            report.Fail(Describe(ElectionRecord.ElectionKeyFile, e));
            return null;
        }
    }

    /// <summary>contests.json; null (reported) if unusable.</summary>
    public ContestList? ReadContests()
    {
        try
        {
            return ContestList.Parse(ReadText(ContestList.FileName));
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            report.Fail($"{ContestList.FileName}: {e.Message}");
            return null;
        }
    }

    /// <summary>The published result; null (reported) if unusable.</summary>
    public TallyResult? ReadResult()
    {
        try
        {
            return TallyResult.Parse(ReadText(TallyResult.FileName), TallyResult.FileName);
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            report.Fail(Describe(TallyResult.FileName, e));
            return null;
        }
    }
}
