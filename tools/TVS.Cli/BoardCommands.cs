using System.CommandLine;

namespace TVS.Cli;

/// <summary>
/// <c>tvs receipt verify|get</c> and <c>tvs board publish</c>: a voter's receipt checked offline,
/// fetched from the stores, and the bulletin board brought up to the authority by hand
/// (docs/formats.md "Voter receipt", "Bulletin board (tlog-tiles)"; docs/operations.md).
/// </summary>
public static partial class BoardCommands
{
    public static Command BuildReceipt()
    {
        var receipt = new Command("receipt", "Voter receipts: check one offline, or get one from the stores");
        receipt.Subcommands.Add(BuildReceiptVerify());
        receipt.Subcommands.Add(BuildReceiptGet());
        return receipt;
    }

    private static (Guid Id, TVS.Merkle.NoteVerifier Verifier, int Partitions) Public(string electionDir)
    {
        var (id, key, partitions) = ElectionCommands.ReadPublicElection(electionDir);
        return (id, key, partitions);
    }
}
