using System.Threading.Channels;

namespace TVS.LoadGen;

/// <summary>Minted votes and their nullifier headers (64 lowercase hex digits), made before they are sent.</summary>
public sealed class VoteChunk
{
    public VoteChunk(IReadOnlyList<GeneratedRecord> records)
    {
        Records = records;
        Nullifiers = new string[records.Count];
        for (int i = 0; i < records.Count; i++)
        {
            Nullifiers[i] = Convert.ToHexStringLower(records[i].Key);
        }
    }

    public IReadOnlyList<GeneratedRecord> Records { get; }
    public string[] Nullifiers { get; }
}

/// <summary>
/// The votes <see cref="GatewayLoad"/> sends: a fixed list, or chunks minted ahead of the sender
/// with at most <c>chunksAhead</c> waiting, so memory stays bounded however long the run. The
/// look-ahead is filled before the clock starts; a run no longer than it is minted entirely in
/// advance (minting never bounds its rate); a longer one is minted while it sends, and
/// <see cref="GatewayLoadReport.MintWaitMs"/> says when the sender had to wait.
/// </summary>
public sealed class VoteFeed : IDisposable
{
    private readonly Channel<VoteChunk> _chunks;
    private readonly Func<int, int, IReadOnlyList<GeneratedRecord>>? _mint;
    private readonly int _chunkVoters, _capacity = 1;
    private readonly IProgress<long>? _minted;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationToken _stopping;
    private Task? _producer;
    private int _disposed;

    /// <summary>Exactly <paramref name="votes"/>, in order.</summary>
    public VoteFeed(IReadOnlyList<GeneratedRecord> votes)
    {
        Count = votes.Count;
        _chunks = Channel.CreateBounded<VoteChunk>(1);
        _chunks.Writer.TryWrite(new VoteChunk(votes));
        _chunks.Writer.Complete();
    }

    /// <param name="count">Requests to feed.</param>
    /// <param name="mint">Chunk k of n voters (its records may be more: duplicates, malformed ones); called on a background task, chunk after chunk.</param>
    /// <param name="chunkVoters">Voters per chunk.</param>
    /// <param name="chunksAhead">Chunks minted and waiting at most (memory: about chunksAhead × chunkVoters votes).</param>
    /// <param name="minted">Voters minted so far (a progress bar).</param>
    public VoteFeed(long count, Func<int, int, IReadOnlyList<GeneratedRecord>> mint, int chunkVoters, int chunksAhead, IProgress<long>? minted = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkVoters, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunksAhead, 1);
        Count = count;
        _mint = mint;
        _chunkVoters = chunkVoters;
        _minted = minted;
        _capacity = chunksAhead;
        _stopping = _stop.Token; // read once: Produce may start after Dispose
        _chunks = Channel.CreateBounded<VoteChunk>(new BoundedChannelOptions(chunksAhead) { SingleReader = true, SingleWriter = true });
    }

    /// <summary>Requests this feed provides.</summary>
    public long Count { get; }

    /// <summary>Votes minted before the clock starts: <paramref name="count"/> voters up to <paramref name="chunksAhead"/> chunks of <paramref name="chunkVoters"/>.</summary>
    public static long Ahead(long count, int chunkVoters, int chunksAhead) => Math.Min(count, (long)chunkVoters * chunksAhead);

    /// <summary>Starts minting (once) and returns when the look-ahead is full or everything is minted.</summary>
    public async Task FillAsync(CancellationToken cancel = default)
    {
        if (_mint is null)
        {
            return;
        }
        _producer ??= Task.Run(Produce);
        while (!_producer.IsCompleted && _chunks.Reader.Count < _capacity)
        {
            await Task.Delay(20, cancel).ConfigureAwait(false);
        }
        if (_producer.IsFaulted)
        {
            await _producer.ConfigureAwait(false); // the minting error, as it was thrown
        }
    }

    /// <summary>The next chunk if it is minted already (no wait).</summary>
    internal bool TryNext(out VoteChunk? chunk) => _chunks.Reader.TryRead(out chunk);

    /// <summary>The next chunk, waiting for it to be minted; null when the feed is done.</summary>
    internal async ValueTask<VoteChunk?> NextAsync(CancellationToken cancel)
    {
        if (_mint is not null)
        {
            _producer ??= Task.Run(Produce);
        }
        try
        {
            return await _chunks.Reader.ReadAsync(cancel).ConfigureAwait(false);
        }
        catch (ChannelClosedException e) when (e.InnerException is null)
        {
            return null;
        }
    }

    private async Task Produce()
    {
        Exception? failure = null;
        var stop = _stopping;
        try
        {
            long done = 0;
            for (int k = 0; done < Count; k++)
            {
                int voters = (int)Math.Min(_chunkVoters, Count - done);
                var chunk = new VoteChunk(_mint!(k, voters));
                await _chunks.Writer.WriteAsync(chunk, stop).ConfigureAwait(false);
                done += voters;
                _minted?.Report(done);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
        finally
        {
            _chunks.Writer.TryComplete(failure);
        }
    }

    /// <summary>Stops minting (a run that ended early); the chunks already minted are dropped.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _stop.Cancel();
            _stop.Dispose();
        }
    }
}
