using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TVS.Engine.Pipeline;

/// <summary>
/// A 64-bit sequence counter that sits alone on its cache lines.
/// </summary>
/// <remarks>
/// <para>Layout: the object's field area is <see cref="FieldAreaSize"/> bytes and the value sits at
/// <see cref="ValueOffset"/>. With the 8-byte method-table pointer and 8-byte object header in
/// front, at least 128 bytes separate the value from any other object's data on both sides, which
/// guards against false sharing with the neighbouring line that the adjacent-line prefetcher pulls
/// in together with it (hence 128 and not 64).</para>
/// <para>Memory ordering: <see cref="Value"/> reads are acquire, writes are release
/// (<see cref="Volatile"/>); <see cref="SetValueFenced"/>, <see cref="CompareAndSet"/>,
/// <see cref="IncrementAndGet"/> and <see cref="AddAndGet"/> are full fences.</para>
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = FieldAreaSize)]
public sealed class Sequence
{
    /// <summary>Value of a sequence nothing has been published or processed on.</summary>
    public const long InitialValue = -1;

    /// <summary>Bytes of padding in front of the value (inside the field area).</summary>
    public const int ValueOffset = 120;

    /// <summary>Size of the field area: value in the middle, 120 bytes either side.</summary>
    public const int FieldAreaSize = ValueOffset + sizeof(long) + ValueOffset;

    [FieldOffset(ValueOffset)]
    private long _value;

    // StructLayout.Size alone is not honoured for classes (the runtime trims trailing space), so
    // the padding after the value is held by a real field at the end of the field area.
#pragma warning disable CS0169 // never used: it only reserves space
    [FieldOffset(FieldAreaSize - sizeof(long))]
    private readonly long _trailingPad;
#pragma warning restore CS0169

    public Sequence(long initialValue = InitialValue) => _value = initialValue;

    /// <summary>Acquire read / release write.</summary>
    public long Value
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(ref _value);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        set => Volatile.Write(ref _value, value);
    }

    /// <summary>Write with a full fence (store-load ordered with the reads that follow).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetValueFenced(long value) => Interlocked.Exchange(ref _value, value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool CompareAndSet(long expected, long next) =>
        Interlocked.CompareExchange(ref _value, next, expected) == expected;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long IncrementAndGet() => Interlocked.Increment(ref _value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long AddAndGet(long delta) => Interlocked.Add(ref _value, delta);

    /// <summary>Raises the value to at least <paramref name="candidate"/>; never lowers it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetMax(long candidate)
    {
        long current;
        while (candidate > (current = Volatile.Read(ref _value)))
        {
            if (Interlocked.CompareExchange(ref _value, candidate, current) == current)
            {
                return;
            }
        }
    }

    /// <summary>For the layout test only.</summary>
    internal ref long ValueRef => ref _value;

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Minimum of the sequences, or <paramref name="ifEmpty"/> when there are none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Minimum(Sequence[] sequences, long ifEmpty)
    {
        long min = ifEmpty;
        if (sequences.Length != 0)
        {
            min = long.MaxValue;
            for (int i = 0; i < sequences.Length; i++)
            {
                long v = sequences[i].Value;
                if (v < min)
                {
                    min = v;
                }
            }
        }

        return min;
    }
}
