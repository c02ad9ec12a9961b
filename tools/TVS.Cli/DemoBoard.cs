using TVS.Engine;
using TVS.Engine.Board;
using TVS.Engine.Ports;
using TVS.Engine.Votes;
using TVS.LoadGen;
using TVS.Storage.Board;
using TVS.Storage.Local;

namespace TVS.Cli;

/// <summary>The demo's receipt check: a receipt for every accepted vote, built from the board and verified as a voter's device would.</summary>
internal static class DemoBoard
{
    /// <summary>Every accepted vote of partition 0 (<paramref name="source"/>: the data directory, or PostgreSQL), its receipt from <paramref name="locator"/> and the board, verified.</summary>
    public static (int Checked, int Valid) CheckReceipts(ElectionSetup election, IVoteLocator locator, IBoardSource source, IBoardStore board)
    {
        int total = 0, valid = 0;
        using var service = new ReceiptService(election.Id, election.Signer.Verifier, locator, board);
        if (source.LatestCheckpoint(0) is not { } latest)
        {
            return (0, 0);
        }
        var votes = new List<byte[]>();
        source.ReadRecords(0, 0, latest.Size, (_, record) => votes.Add(record.ToArray()));
        foreach (var record in votes)
        {
            total++;
            if (!VoteRecord.TryParse(record, out _, out _))
            {
                continue;
            }
            var found = service.LookupAsync(Nullifier.FromBytes(VoteRecord.SealedNullifier(record)), CancellationToken.None).AsTask().GetAwaiter().GetResult();
            if (found.State == ReceiptState.Ready && Receipt.TryParse(found.Json, out var receipt, out _)
                && receipt!.Verify(election.Id, election.Partitions, election.Signer.Verifier, record, election.Witnesses).Ok)
            {
                valid++;
            }
        }
        return (total, valid);
    }
}
