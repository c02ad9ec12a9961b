using System.Text.Json;
using TVS.Cli;

namespace TVS.Tests;

/// <summary>tvs registry root: the root @semaphore-protocol/group prints, and clear refusals (exit 2).</summary>
[Collection(InProcessCliCollection.Name)]
public class CliRegistryTests
{
    private static (int Code, string Out, string Err) Run(string json, bool asJson = false)
    {
        var file = Path.Combine(Path.GetTempPath(), $"tvs-commitments-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, json);
        try
        {
            var o = new StringWriter();
            var e = new StringWriter();
            int code = RegistryCommands.Root(new FileInfo(file), asJson, o, e);
            return (code, o.ToString(), e.ToString());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void PrintsTheGroupRoot()
    {
        var g = PoseidonFixtures.Load("group");
        var members = g.GetProperty("members").GetRawText();
        var (code, text, _) = Run(members);
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal($"size {g.GetProperty("size").GetInt32()}\ndepth {g.GetProperty("depth").GetInt32()}\nroot {g.GetProperty("root").GetString()}\n", text.Replace("\r\n", "\n"));

        (code, text, _) = Run(members, asJson: true);
        Assert.Equal(ExitCodes.Ok, code);
        using var doc = JsonDocument.Parse(text);
        Assert.Equal(g.GetProperty("size").GetInt32(), doc.RootElement.GetProperty("size").GetInt32());
        Assert.Equal(g.GetProperty("depth").GetInt32(), doc.RootElement.GetProperty("depth").GetInt32());
        Assert.Equal(g.GetProperty("root").GetString(), doc.RootElement.GetProperty("root").GetString());

        (code, text, _) = Run("[]", asJson: true);
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal("{\"size\":0,\"depth\":0,\"root\":\"0\"}", text.Trim());
    }

    [Fact]
    public void ThroughTheCommandLine()
    {
        var file = Path.Combine(Path.GetTempPath(), $"tvs-commitments-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, "[\"1\",\"2\",\"3\"]");
        try
        {
            var stdout = Console.Out;
            var o = new StringWriter();
            Console.SetOut(o);
            int code;
            try { code = Program.BuildRoot().Parse(["registry", "root", "--commitments", file, "--json"]).Invoke(); }
            finally { Console.SetOut(stdout); }
            Assert.Equal(0, code);
            // @semaphore-protocol/group: new Group([1n, 2n, 3n]).root
            Assert.Equal("{\"size\":3,\"depth\":2,\"root\":\"13816780880028945690020260331303642730075999758909899334839547418969502592169\"}", o.ToString().Trim());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("[", "not a JSON array")]
    [InlineData("{}", "not a JSON array")]
    [InlineData("[1]", "element 0 is number, not a decimal string")]
    [InlineData("[\"1\", \"x\"]", "element 1 \"x\": not a decimal number")]
    [InlineData("[\"0x01\"]", "not a decimal number")]
    [InlineData("[\"01\"]", "leading zero")]
    [InlineData("[\"21888242871839275222246405745257275088548364400416034343698204186575808495617\"]", "not below the BN254 scalar field order r")]
    [InlineData("[\"0\"]", "zero marks a removed member")]
    [InlineData("[\"5\", \"6\", \"5\"]", "element 2 repeats element 0")]
    public void RefusesWithAReason(string json, string reason)
    {
        var (code, text, err) = Run(json);
        Assert.Equal(ExitCodes.Refused, code);
        Assert.Equal("", text);
        Assert.Contains(reason, err);
    }

    [Fact]
    public void MissingFileIsRefused()
    {
        var o = new StringWriter();
        var e = new StringWriter();
        Assert.Equal(ExitCodes.Refused, RegistryCommands.Root(new FileInfo("/no/such/commitments.json"), false, o, e));
        Assert.Contains("commitments.json", e.ToString());
    }
}
