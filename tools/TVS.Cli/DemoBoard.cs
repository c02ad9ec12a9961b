using TVS.Engine;
using TVS.Engine.Board;
using TVS.Engine.Ports;
using TVS.LoadGen;
using TVS.Storage.Board;
using TVS.Storage.Local;

namespace TVS.Cli;

/// <summary>The demo's receipt check: a receipt for every accepted vote, built from the board and verified as a voter's device would.</summary>
internal static class DemoBoard
{
    public static (int Checked, int Valid) CheckReceipts(ElectionSetup election, string data, IBoardStore board)
    {
        int total = 0, valid = 0;
        using var service = new ReceiptService(election.Id, election.Signer.Verifier, new LocalVoteLocator(data, 1), board);
        string votes = LocalPartition.VotesDirectory(data, 0);
        if (!File.Exists(Path.Combine(votes, LocalVoteStore.ProgressFile)))
        {
            return (0, 0);
        }
        foreach (var v in LocalVoteStore.ReadAll(votes))
        {
            total++;
            var found = service.LookupAsync(Nullifier.FromBytes(v.NullifierBytes), CancellationToken.None).AsTask().GetAwaiter().GetResult();
            if (found.State == ReceiptState.Ready && Receipt.TryParse(found.Json, out var receipt, out _)
                && receipt!.Verify(election.Id, election.Partitions, election.Signer.Verifier, v.Record, election.Witnesses).Ok)
            {
                valid++;
            }
        }
        return (total, valid);
    }
}
