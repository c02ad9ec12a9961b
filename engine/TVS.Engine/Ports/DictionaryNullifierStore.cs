namespace TVS.Engine.Ports;

/// <summary>
/// An <see cref="INullifierStore"/> over a <see cref="Dictionary{TKey, TValue}"/>, for pure-logic
/// unit tests of the engine only. It keeps everything in memory, "checkpoints" by copying the
/// whole dictionary, and serializes readers and the writer with a lock. It is not a substitute for
/// the FASTER store (storage/TVS.Storage/FasterNullifierStore.cs) in integration tests or anywhere
/// durability, memory budget or hot-path cost matter.
/// </summary>
internal sealed class DictionaryNullifierStore : INullifierStore
{
    private readonly Lock _lock = new();
    private Dictionary<Nullifier, long> _live = [];
    private Dictionary<Nullifier, long> _checkpointed = [];
    private NullifierCheckpoint _last;

    /// <inheritdoc/>
    public long Count
    {
        get
        {
            lock (_lock)
            {
                return _live.Count;
            }
        }
    }

    /// <inheritdoc/>
    public NullifierCheckpoint LastCheckpoint => _last;

    /// <inheritdoc/>
    public bool TryGet(in Nullifier nullifier, out long mmrIndex)
    {
        lock (_lock)
        {
            return _live.TryGetValue(nullifier, out mmrIndex);
        }
    }

    /// <inheritdoc/>
    public InsertResult TryInsert(in Nullifier nullifier, long mmrIndex)
    {
        lock (_lock)
        {
            return _live.TryAdd(nullifier, mmrIndex) ? InsertResult.Inserted : InsertResult.Duplicate(_live[nullifier]);
        }
    }

    /// <inheritdoc/>
    public NullifierCheckpoint Checkpoint(long coveredPosition)
    {
        lock (_lock)
        {
            _checkpointed = new Dictionary<Nullifier, long>(_live);
            _last = new NullifierCheckpoint(Guid.NewGuid(), coveredPosition, _live.Count);
            return _last;
        }
    }

    /// <inheritdoc/>
    public NullifierCheckpoint Recover()
    {
        lock (_lock)
        {
            _live = new Dictionary<Nullifier, long>(_checkpointed);
            return _last;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}
