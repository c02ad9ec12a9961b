using TVS.Cli;
using TVS.Tests.Witness;

namespace TVS.Tests;

/// <summary><c>tvs receipt verify</c> with a malformed election.json: a typed refusal naming the field, never a null dereference.</summary>
public sealed class CliReceiptInputTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("{\"partitions\":1}", "\"electionId\" is missing or not a string")]
    [InlineData("{\"electionId\":7,\"partitions\":1}", "\"electionId\" is missing or not a string")]
    [InlineData("{\"electionId\":\"5b0c1e8e-3d8a-4f7e-9a59-7a1d3c1f2b10\",\"partitions\":1}", "\"checkpointVerifierKey\" is missing or not a string")]
    [InlineData("[1,2]", "not a JSON object")]
    public void A_manifest_without_its_fields_is_refused_naming_the_field(string manifest, string expected)
    {
        string election = Directory.CreateDirectory(Path.Combine(_dir.Path, "election")).FullName;
        File.WriteAllText(Path.Combine(election, "election.json"), manifest);
        string receipt = Path.Combine(_dir.Path, "receipt.json");
        File.WriteAllText(receipt, "{}");
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(ExitCodes.Unusable, BoardCommands.Verify(receipt, election, null, output, error));
        Assert.Contains("election.json: " + expected, error.ToString(), StringComparison.Ordinal);
    }
}
