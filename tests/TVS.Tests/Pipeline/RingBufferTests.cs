using System.Runtime.CompilerServices;
using TVS.Engine.Pipeline;
using static TVS.Tests.Pipeline.PipelineTestKit;

namespace TVS.Tests.Pipeline;

[Collection(nameof(PipelineCollection))]
public sealed class RingBufferTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-4)]
    [InlineData(3)]
    [InlineData(12)]
    public void Size_must_be_a_power_of_two(int size)
    {
        Assert.Throws<ArgumentException>(() => new RingBuffer<long>(size));
    }

    [Fact]
    public void Sequences_map_to_slots_by_mask()
    {
        var ring = new RingBuffer<long>(8);
        Assert.True(Unsafe.AreSame(ref ring[3], ref ring[11]));
        Assert.False(Unsafe.AreSame(ref ring[3], ref ring[4]));
        ring[7] = 42;
        Assert.Equal(42, ring[15]);
        Assert.Equal(7, ring.ContiguousEnd(0));
        Assert.Equal(15, ring.ContiguousEnd(13));
        Span<long> span = ring.GetSpan(13, 3);
        Assert.True(Unsafe.AreSame(ref span[2], ref ring[7]));
    }

    [Fact]
    public void Claims_and_publishes()
    {
        var ring = new RingBuffer<long>(8);
        Assert.Equal(-1, ring.Cursor.Value);
        Assert.Equal(0, ring.Next());
        Assert.Equal(-1, ring.Cursor.Value);
        ring.Publish(0);
        Assert.Equal(0, ring.Cursor.Value);
        Assert.Equal(4, ring.Next(4));
        ring.Publish(1, 4);
        Assert.Equal(4, ring.Cursor.Value);
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.Next(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.Next(9));
    }

    [Fact]
    public void TryNext_fails_when_it_would_overwrite_an_unconsumed_slot()
    {
        var ring = new RingBuffer<long>(4);
        var consumer = new Sequence();
        ring.SetGatingSequences(consumer);
        Assert.Equal(4, ring.RemainingCapacity);
        for (int i = 0; i < 4; i++)
        {
            Assert.True(ring.TryNext(out long s));
            Assert.Equal(i, s);
            ring.Publish(s);
        }

        Assert.Equal(0, ring.RemainingCapacity);
        Assert.False(ring.TryNext(out _));
        Assert.False(ring.TryNext(2, out _));
        consumer.Value = 0;
        Assert.False(ring.TryNext(2, out _));
        Assert.True(ring.TryNext(out long next));
        Assert.Equal(4, next);
        consumer.Value = 4;
        Assert.True(ring.TryNext(4, out next));
        Assert.Equal(8, next);
    }

    private sealed class Gate
    {
        public readonly ManualResetEventSlim Open = new(false);
    }

    private struct GatedHandler(Gate gate, StageLog log) : IBatchHandler<TestEvent>
    {
        private CheckingHandler _inner = new(log, 0, lastStage: true, spinPerEvent: 20);

        public void OnBatch(Span<TestEvent> batch, long firstSequence)
        {
            gate.Open.Wait();
            _inner.OnBatch(batch, firstSequence);
        }
    }

    [Fact]
    public void Producer_blocks_when_the_consumer_is_slow_and_never_overwrites()
    {
        const int Size = 8;
        const long Count = 20_000;
        var gate = new Gate();
        var log = new StageLog();
        var b = new PipelineBuilder<TestEvent, YieldingWaitStrategy>(Size, default);
        b.AddStage(new GatedHandler(gate, log));
        using Pipeline<TestEvent> p = b.Build();
        p.Start();

        Task<long> producer = ProduceAsync(p.Ring, Count, checkConsumed: true);

        // The consumer is held: the producer fills the ring and then must wait.
        Assert.True(SpinWait.SpinUntil(() => p.Ring.Cursor.Value == Size - 1, TestTimeout));
        Thread.Sleep(100);
        Assert.Equal(Size - 1, p.Ring.Cursor.Value);
        Assert.False(producer.IsCompleted);
        Assert.Equal(0, p.Ring.RemainingCapacity);

        gate.Open.Set();
        Assert.Equal(0, WaitFor(producer));
        WaitUntil(p.Completed, Count - 1);
        Assert.True(p.Halt(TestTimeout));
        AssertClean(log, Count);
    }
}
