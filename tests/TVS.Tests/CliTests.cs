namespace TVS.Tests;

[Collection(InProcessCliCollection.Name)]
public class CliTests
{
    [Fact]
    public void UnknownVerbFails()
    {
        Assert.NotEqual(0, TVS.Cli.Program.BuildRoot().Parse(["no-such-verb"]).Invoke());
    }
}
