using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TVS.Engine.Pipeline;

namespace TVS.Tests.Pipeline;

public sealed class SequenceTests
{
    private sealed class RawData
    {
        public byte Data;
    }

    [Fact]
    public void Value_sits_alone_in_the_middle_of_a_256_byte_object()
    {
        // Declared layout (what the runtime is asked for).
        Assert.Equal(248, Marshal.SizeOf<Sequence>());
        Assert.Equal(120, (int)Marshal.OffsetOf<Sequence>("_value"));

        // Actual managed layout: the value's offset from the start of the object's field area.
        var s = new Sequence();
        ref byte fieldsStart = ref Unsafe.As<RawData>(s).Data;
        nint offset = Unsafe.ByteOffset(ref fieldsStart, ref Unsafe.As<long, byte>(ref s.ValueRef));
        Assert.Equal(Sequence.ValueOffset, (int)offset);

        // Actual object size: CoreCLR keeps it in the MethodTable's base size (offset 4):
        // object header (8) + method table pointer (8) + field area (248). So 128 bytes separate
        // the value from the previous object (120 + MT pointer) and the next one (120 + header).
        int baseSize = Marshal.ReadInt32(typeof(Sequence).TypeHandle.Value, 4);
        Assert.Equal(8 + 8 + Sequence.FieldAreaSize, baseSize);
        Assert.True(Sequence.ValueOffset + IntPtr.Size >= 128);
        Assert.True(Sequence.FieldAreaSize - Sequence.ValueOffset - sizeof(long) + 8 >= 128);
    }

    [Fact]
    public void Operations()
    {
        var s = new Sequence();
        Assert.Equal(Sequence.InitialValue, s.Value);
        s.Value = 5;
        Assert.Equal(5, s.Value);
        Assert.False(s.CompareAndSet(4, 9));
        Assert.True(s.CompareAndSet(5, 9));
        Assert.Equal(10, s.IncrementAndGet());
        Assert.Equal(13, s.AddAndGet(3));
        s.SetMax(7);
        Assert.Equal(13, s.Value);
        s.SetMax(20);
        Assert.Equal(20, s.Value);
        s.SetValueFenced(21);
        Assert.Equal(21, s.Value);
        Assert.Equal(3, Sequence.Minimum([new Sequence(3), new Sequence(8)], -1));
        Assert.Equal(-7, Sequence.Minimum([], -7));
    }

    [Fact]
    public void IncrementAndGet_is_atomic_across_threads()
    {
        var s = new Sequence(0);
        const int PerThread = 100_000;
        var threads = new Thread[2];
        for (int t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(() =>
            {
                for (int i = 0; i < PerThread; i++)
                {
                    s.IncrementAndGet();
                }
            });
            threads[t].Start();
        }

        foreach (Thread t in threads)
        {
            t.Join();
        }

        Assert.Equal(2L * PerThread, s.Value);
    }
}
