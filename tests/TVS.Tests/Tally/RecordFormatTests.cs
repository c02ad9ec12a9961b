using System.Text.Json.Nodes;
using TVS.Cli;
using TVS.Engine.Tally;
using TVS.Merkle;

namespace TVS.Tests.Tally;

/// <summary>
/// Malformed JSON in the files the tally and the verifier read (result.json, election.json,
/// manifest.json): a field missing, of the wrong type, null, or the file truncated gives a
/// <see cref="RecordFormatException"/> or a verifier failure naming the file and the field, never
/// a crash.
/// </summary>
[Collection(InProcessCliCollection.Name)]
public sealed class RecordFormatTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tvs-record-format-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static JsonObject ValidResult() => new TallyResult(Guid.Parse("6f1c2b9e-8d4a-4e3b-9a7c-2f5e1d0b3a94"), 5, [1, 2, 3], 3, ContestList.Sample(),
        [[1, 1, 1, 1], [2, 2], [1, 2, 1]], [(4, "choice_out_of_range")]).ToJson();

    public static TheoryData<string, string?, string> MalformedResults() => new()
    {
        { "missing field", "ballots", "\"ballots\" is missing, expected an integer" },
        { "wrong type", "threshold", "\"threshold\" is a string, expected an integer" },
        { "null", "contests[0].candidates[1].votes", "\"contests[0].candidates[1].votes\" is null, expected an integer" },
        { "null element", "trustees[1]", "\"trustees[1]\" is null, expected an integer" },
        { "wrong element type", "spoiledBallots[0]", "\"spoiledBallots[0]\" is a number, expected an object" },
        { "truncated", null, "is not valid JSON" },
        { "not an object", null, "is an array, expected a JSON object" },
    };

    [Theory]
    [MemberData(nameof(MalformedResults))]
    public void A_malformed_result_names_the_file_and_the_field(string fault, string? field, string expected)
    {
        var json = ValidResult();
        string text = fault switch
        {
            "missing field" => Without(json, "ballots"),
            "wrong type" => With(json, o => o["threshold"] = "three"),
            "null" => With(json, o => o["contests"]![0]!["candidates"]![1]!["votes"] = null),
            "null element" => With(json, o => o["trustees"]![1] = null),
            "wrong element type" => With(json, o => o["spoiledBallots"]![0] = 4),
            "truncated" => json.ToJsonString()[..60],
            "not an object" => "[1, 2]",
            _ => throw new ArgumentException(fault),
        };
        var e = Assert.Throws<RecordFormatException>(() => TallyResult.Parse(text));
        Assert.Equal(TallyResult.FileName, e.File);
        Assert.Equal(field, e.Field);
        Assert.StartsWith(TallyResult.FileName + ": ", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<FormatException>(e); // callers that refuse a malformed result keep refusing it
    }

    [Fact]
    public void A_valid_result_reads_back_unchanged()
    {
        var json = ValidResult();
        var parsed = TallyResult.Parse(json.ToJsonString());
        Assert.Equal(json.ToJsonString(), parsed.ToJson().ToJsonString());
    }

    public static TheoryData<string, string, string> MalformedRecordFiles() => new()
    {
        { ElectionRecord.ElectionFile, "missing field", "election.json: \"electionId\" is missing, expected a string" },
        { ElectionRecord.ElectionFile, "wrong type", "election.json: \"verificationKeys\" is an array, expected an object" },
        { ElectionRecord.ElectionFile, "null", "election.json: \"issuers.threshold\" is null, expected an integer" },
        { ElectionRecord.ElectionFile, "wrong element type", "election.json: \"issuers.keys[0]\" is a number, expected a string" },
        { ElectionRecord.ElectionFile, "signed roots not an array", "election.json: \"signedRoots\" is a number, expected an array" },
        { ElectionRecord.ElectionFile, "truncated", "election.json: is not valid JSON" },
        { ElectionRecord.ElectionFile, "null document", "election.json: is null, expected a JSON object" },
        { ElectionRecord.ManifestFile, "wrong type", "manifest.json: \"files\" is a number, expected an array" },
        { ElectionRecord.ManifestFile, "wrong element type", "manifest.json: \"files[0].path\" is a number, expected a string" },
        { ElectionRecord.ManifestFile, "truncated", "manifest.json: is not valid JSON" },
        { ElectionRecord.ManifestFile, "null document", "manifest.json: is null, expected a JSON object" },
        { ElectionRecord.ManifestFile, "version 1", "manifest.json: version 1: this verifier reads version 2" },
        { ElectionRecord.ManifestFile, "partition root not base64", "manifest.json: \"partitions[0].root\" 'xyz' is not a base64 SHA-256 hash" },
    };

    /// <summary>
    /// The verifier reads manifest.json, then election.json, before anything else: a record of
    /// these two files is enough to see how it reports them malformed.
    /// </summary>
    [Theory]
    [MemberData(nameof(MalformedRecordFiles))]
    public void The_verifier_names_the_file_and_the_field_of_a_malformed_record_file(string file, string fault, string expected)
    {
        using var checkpointKey = NoteSigner.Generate("tvs-test");
        using var issuerKey = NoteSigner.Generate("issuer");
        var election = new JsonObject
        {
            ["version"] = 1,
            ["electionId"] = "6f1c2b9e-8d4a-4e3b-9a7c-2f5e1d0b3a94",
            ["partitions"] = 1,
            ["checkpointVerifierKey"] = checkpointKey.Verifier.VerifierKey,
            ["verificationKeys"] = new JsonObject(),
            ["issuers"] = new JsonObject { ["threshold"] = 1, ["keys"] = new JsonArray(Convert.ToHexStringLower(issuerKey.Verifier.PublicKeyBytes.Span)) },
        };
        var manifest = new JsonObject { ["version"] = RecordLayout.ManifestVersion, ["partitions"] = new JsonArray(), ["files"] = new JsonArray(new JsonObject { ["path"] = ElectionRecord.ElectionFile, ["sha256"] = "00" }) };
        var target = file == ElectionRecord.ElectionFile ? election : manifest;
        string text = (file, fault) switch
        {
            (_, "truncated") => target.ToJsonString()[..40],
            (_, "null document") => "null",
            (ElectionRecord.ElectionFile, "missing field") => Without(election, "electionId"),
            (ElectionRecord.ElectionFile, "wrong type") => With(election, o => o["verificationKeys"] = new JsonArray()),
            (ElectionRecord.ElectionFile, "null") => With(election, o => o["issuers"]!["threshold"] = null),
            (ElectionRecord.ElectionFile, "wrong element type") => With(election, o => o["issuers"]!["keys"]![0] = 7),
            (ElectionRecord.ElectionFile, "signed roots not an array") => With(election, o => o["signedRoots"] = 5),
            (ElectionRecord.ManifestFile, "wrong type") => With(manifest, o => o["files"] = 3),
            (ElectionRecord.ManifestFile, "wrong element type") => With(manifest, o => o["files"]![0]!["path"] = 3),
            (ElectionRecord.ManifestFile, "version 1") => With(manifest, o => o["version"] = 1),
            (ElectionRecord.ManifestFile, "partition root not base64") => With(manifest, o => o["partitions"] = new JsonArray(new JsonObject { ["partition"] = 0, ["size"] = 1, ["root"] = "xyz" })),
            _ => throw new ArgumentException(fault),
        };
        File.WriteAllText(Path.Combine(_dir, ElectionRecord.ElectionFile), file == ElectionRecord.ElectionFile ? text : election.ToJsonString());
        File.WriteAllText(Path.Combine(_dir, ElectionRecord.ManifestFile), file == ElectionRecord.ManifestFile ? text : manifest.ToJsonString());

        var w = new StringWriter();
        int exit = RecordCommands.Verify(_dir, null, w, w);
        Assert.Equal(ExitCodes.Invalid, exit);
        Assert.Contains("FAIL " + expected, w.ToString(), StringComparison.Ordinal);
    }

    private static string Without(JsonObject o, string name)
    {
        var copy = o.DeepClone().AsObject();
        copy.Remove(name);
        return copy.ToJsonString();
    }

    private static string With(JsonObject o, Action<JsonObject> change)
    {
        var copy = o.DeepClone().AsObject();
        change(copy);
        return copy.ToJsonString();
    }
}
