using Npgsql;
using TVS.Engine.Board;
using TVS.Engine.Ports;
using TVS.LoadGen;
using TVS.Storage.Board;

namespace TVS.Cli;

/// <summary>
/// The bulletin board of <c>tvs engine run</c> (embedded or over Kafka), from its settings: the
/// store (a directory, or S3 under the engine's bucket at <c>{S3KeyPrefix}{election}/</c>, else
/// <c>{Data}/board</c>) and the authority it follows (PostgreSQL when configured, else the data
/// directory), published by a <see cref="BoardFollower"/> on its own thread.
/// </summary>
public sealed class EngineBoard : IDisposable
{
    private readonly IBoardStore _store;
    private readonly HttpClient? _http;

    private EngineBoard(BoardFollower follower, IBoardStore store, HttpClient? http)
    {
        Follower = follower;
        _store = store;
        _http = http;
    }

    public BoardFollower Follower { get; }

    /// <summary>Starts publishing the <paramref name="partitions"/> (asked every round); null when <c>PublishBoard</c> is off.</summary>
    public static EngineBoard? Start(EngineSettings settings, ElectionSetup election, NpgsqlDataSource? dataSource, Func<IReadOnlyCollection<int>> partitions, Action<string> log)
    {
        if (!settings.PublishBoard)
        {
            return null;
        }
        IBoardStore store = settings.Board is null && settings.S3Options() is { } s3
            ? new S3BoardStore(s3, election.Id)
            : new LocalBoardStore(settings.Board ?? Path.Combine(settings.Data!, "board"));
        IBoardSource source = dataSource is not null
            ? new PostgresBoardSource(dataSource, election.Id)
            : new LocalBoardSource(settings.Data!, election.Signer.Verifier);
        HttpClient? http = null;
        IReadOnlyList<ICheckpointWitness>? witnesses = null;
        if (election.Witnesses is { } policy)
        {
            http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            witnesses = WitnessEndpoints.Clients(policy, settings.WitnessUrls, http, out var missing);
            if (missing.Count > 0)
            {
                log($"board: WARNING: no WitnessUrls entry for witness(es) {string.Join(", ", missing)} of election.json: their cosignatures are never asked for"
                    + (policy.Quorum > witnesses.Count ? $"; with {witnesses.Count} reachable of quorum {policy.Quorum}, no checkpoint will be witnessed" : ""));
            }
        }
        var follower = new BoardFollower(store, source, election.Signer.Verifier, election.Origin, partitions, log,
            election.Signer, $"tvs/{election.Id:D}/combined", election.Partitions)
        {
            Interval = TimeSpan.FromMilliseconds(Math.Max(100, settings.BoardIntervalMs)),
            Witnesses = witnesses is { Count: > 0 } ? witnesses : null,
            WitnessPolicy = election.Witnesses,
        };
        follower.Start();
        log($"board: publishing to {store.Location}" + (election.Witnesses is { } p ? $", cosigned by {witnesses!.Count} of {p.Witnesses.Count} witnesses (quorum {p.Quorum})" : ""));
        return new EngineBoard(follower, store, http);
    }

    /// <summary>Stops with a last round (the board catches up with the last checkpoint); warns if it could not.</summary>
    public void Stop(Action<string> log)
    {
        if (!Follower.Stop())
        {
            log("board: the last round failed; the board lags the authority until a publisher runs again (tvs board publish)");
        }
    }

    public void Dispose()
    {
        Follower.Dispose();
        _store.Dispose();
        _http?.Dispose();
    }
}
