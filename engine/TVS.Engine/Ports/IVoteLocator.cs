namespace TVS.Engine.Ports;

/// <summary>An accepted vote's place: its partition, MMR index and the committed v1 record.</summary>
public sealed record LocatedVote(int Partition, long Index, byte[] Record);

/// <summary>
/// Finds an accepted vote by its nullifier in the authority (PostgreSQL's <c>votes</c> in
/// production), for receipts: any gateway replica answers for every vote of the election.
/// </summary>
public interface IVoteLocator : IDisposable
{
    /// <summary>The vote of <paramref name="nullifier"/>, or null if no accepted vote has it.</summary>
    ValueTask<LocatedVote?> LocateAsync(Nullifier nullifier, CancellationToken cancellationToken);
}
