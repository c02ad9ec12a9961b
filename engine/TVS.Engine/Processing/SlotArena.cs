namespace TVS.Engine.Processing;

/// <summary>
/// The bytes behind the ring's slots: one circular buffer the ingest thread fills in order and
/// the stages read in place. Positions are monotonic; a record never straddles the end (the tail
/// is skipped instead). Space is reclaimed as the last stage passes slots: a record may be
/// written only where every slot still in flight has none. Memory is bounded by the buffer,
/// whatever mix of vote sizes arrives.
/// </summary>
public sealed class SlotArena
{
    private readonly byte[] _buffer;

    public SlotArena(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1 << 16);
        _buffer = GC.AllocateUninitializedArray<byte>(capacity, pinned: false);
    }

    public int Capacity => _buffer.Length;

    /// <summary>Next free position (monotonic).</summary>
    public long Head { get; private set; }

    /// <summary>The bytes at monotonic position <paramref name="start"/>.</summary>
    public Span<byte> At(long start, int length) => _buffer.AsSpan((int)(start % _buffer.Length), length);

    /// <summary>
    /// Where a record of <paramref name="length"/> bytes would start: <see cref="Head"/>, or the
    /// start of the next lap when it would not fit before the buffer's end.
    /// </summary>
    public long PlaceFor(int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _buffer.Length / 2);
        long physical = Head % _buffer.Length;
        return physical + length <= _buffer.Length ? Head : Head + (_buffer.Length - physical);
    }

    /// <summary>
    /// Whether <paramref name="length"/> bytes fit at <see cref="PlaceFor"/> given that the oldest
    /// slot still in flight starts at <paramref name="oldestLive"/> (<see cref="Head"/> if none).
    /// </summary>
    public bool Fits(int length, long oldestLive) => PlaceFor(length) + length - oldestLive <= _buffer.Length;

    /// <summary>Takes <paramref name="length"/> bytes at <see cref="PlaceFor"/>; the caller checked <see cref="Fits"/>.</summary>
    public long Take(int length)
    {
        long start = PlaceFor(length);
        Head = start + length;
        return start;
    }
}
