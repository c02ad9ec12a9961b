using TVS.Engine.Board;
using TVS.LoadGen;
using TVS.Storage.Board;

namespace TVS.Cli;

/// <summary>The embedded path's board: what a closed data directory's steps after voting read.</summary>
public static partial class ElectionCommands
{
    /// <summary>
    /// Brings the board at <paramref name="boardDir"/> up to every partition's latest signed
    /// checkpoint in the data directory (one publisher round per partition, as <c>tvs board
    /// publish</c>): embedded, the steps after voting read the votes from the board as production
    /// does, and an engine run without a publisher (or stopped before it caught up) leaves it
    /// behind. Nothing is written when it is up to date. Returns the warnings of the round.
    /// </summary>
    public static List<string> PublishLocalBoard(ElectionSetup setup, string data, string boardDir)
    {
        var warnings = new List<string>();
        using var board = new LocalBoardStore(boardDir);
        var partitions = Enumerable.Range(0, setup.Partitions).ToArray();
        using var follower = new BoardFollower(board, new LocalBoardSource(data, setup.Signer.Verifier), setup.Signer.Verifier, setup.Origin, () => partitions,
            w => warnings.Add(w), setup.Signer, $"tvs/{setup.Id:D}/combined", setup.Partitions);
        if (!follower.Stop())
        {
            warnings.Add($"{boardDir}: the board could not be brought up to the data directory's checkpoints");
        }
        return warnings;
    }
}
