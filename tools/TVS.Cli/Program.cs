using System.CommandLine;

namespace TVS.Cli;

public static class Program
{
    public static int Main(string[] args) => BuildRoot().Parse(args).Invoke();

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("TVS: anonymous, end-to-end verifiable voting back end");
        root.Subcommands.Add(DemoCommand.Build());
        root.Subcommands.Add(ZkCommands.Build());
        foreach (var command in EngineCommands.Build())
        {
            root.Subcommands.Add(command);
        }
        root.Subcommands.Add(RegistryCommands.Build());
        root.Subcommands.Add(WithDecrypt(TrusteeCommands.Build()));
        root.Subcommands.Add(DbCommands.Build());
        root.Subcommands.Add(ElectionCommands.Build());
        root.Subcommands.Add(ElectionCommands.BuildTally());
        root.Subcommands.Add(RecordCommands.BuildRecord());
        root.Subcommands.Add(RecordCommands.BuildVerify());
        root.Subcommands.Add(DevCommands.Build());
        root.Subcommands.Add(GatewayCommands.Build());
        root.Subcommands.Add(IssuerCommands.Build());
        root.Subcommands.Add(HsmCommands.Build());
        root.Subcommands.Add(WitnessCommands.Build());
        root.Subcommands.Add(BoardCommands.BuildReceipt());
        root.Subcommands.Add(BoardCommands.BuildBoard());
        return root;
    }

    private static Command WithDecrypt(Command trustee)
    {
        trustee.Subcommands.Add(ElectionCommands.BuildDecrypt());
        return trustee;
    }
}
