namespace TVS.Merkle;

/// <summary>
/// Append-only storage of MMR node hashes, addressed by position (see <see cref="MmrPositions"/>).
/// A single writer; implementations need not be thread-safe.
/// </summary>
public interface IMmrNodeStore : IDisposable
{
    /// <summary>Number of node hashes stored (appended, durable or not).</summary>
    long Count { get; }

    /// <summary>Appends a node hash at position <see cref="Count"/>.</summary>
    void Append(in Hash256 node);

    /// <summary>Reads the node hash at <paramref name="position"/> (0 ≤ position &lt; Count), including appended but not yet flushed nodes.</summary>
    Hash256 Read(long position);

    /// <summary>Durable point: when this returns, every appended node survives a crash.</summary>
    void Flush();

    /// <summary>Drops every node at position ≥ <paramref name="count"/> (recovery to a checkpoint), durably.</summary>
    void TruncateTo(long count);
}

/// <summary>An <see cref="IMmrNodeStore"/> in memory, for tests and small trees (combined checkpoints).</summary>
public sealed class InMemoryMmrNodeStore : IMmrNodeStore
{
    private Hash256[] _nodes = new Hash256[1024];
    private long _count;

    /// <inheritdoc/>
    public long Count => _count;

    /// <inheritdoc/>
    public void Append(in Hash256 node)
    {
        if (_count == _nodes.Length)
        {
            Array.Resize(ref _nodes, checked(_nodes.Length * 2));
        }
        _nodes[_count++] = node;
    }

    /// <inheritdoc/>
    public Hash256 Read(long position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(position, _count);
        return _nodes[position];
    }

    /// <inheritdoc/>
    public void Flush()
    {
    }

    /// <inheritdoc/>
    public void TruncateTo(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _count = Math.Min(_count, count);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}
