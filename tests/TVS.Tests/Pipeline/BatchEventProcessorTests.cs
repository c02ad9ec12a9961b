using TVS.Engine.Pipeline;
using static TVS.Tests.Pipeline.PipelineTestKit;

namespace TVS.Tests.Pipeline;

[Collection(nameof(PipelineCollection))]
public sealed class BatchEventProcessorTests
{
    private static StageLog[] RunChain<TWait>(TWait wait, int ringSize, long count, int stages, int maxBatch = int.MaxValue, int spinPerEvent = 0)
        where TWait : struct, IWaitStrategy
    {
        var logs = new StageLog[stages];
        var b = new PipelineBuilder<TestEvent, TWait>(ringSize, wait);
        for (int k = 0; k < stages; k++)
        {
            logs[k] = new StageLog();
            b.AddStage(new CheckingHandler(logs[k], k, lastStage: k == stages - 1, spinPerEvent), maxBatch);
        }

        using Pipeline<TestEvent> p = b.Build();
        p.Start();
        Task<long> producer = ProduceAsync(p.Ring, count, checkConsumed: true);
        Assert.Equal(0, WaitFor(producer));
        WaitUntil(p.Completed, count - 1);
        Assert.True(p.Halt(TestTimeout));
        foreach (StageLog log in logs)
        {
            AssertClean(log, count);
        }

        return logs;
    }

    [Fact]
    public void Each_stage_sees_sequences_in_order()
    {
        StageLog[] logs = RunChain(new YieldingWaitStrategy(), 1024, 200_000, stages: 3, maxBatch: 37);
        foreach (StageLog log in logs)
        {
            Assert.True(log.MaxBatch <= 37);
        }
    }

    [Fact]
    public void Ten_million_events_across_three_stages_none_lost()
    {
        RunChain(new YieldingWaitStrategy(), 1 << 16, 10_000_000, stages: 3);
    }

    [Fact]
    public void Wrap_around_on_an_eight_slot_ring()
    {
        RunChain(new YieldingWaitStrategy(), 8, 1_000_000, stages: 1);
    }

    [Fact]
    public void Batches_never_cross_the_end_of_the_ring()
    {
        StageLog[] logs = RunChain(new YieldingWaitStrategy(), 16, 100_000, stages: 1);
        Assert.True(logs[0].MaxBatch <= 16);
    }

    [Fact]
    public void Busy_spin_strategy()
    {
        // Producer + one spinning stage: two threads for two (shared) cores.
        RunChain(new BusySpinWaitStrategy(), 1024, 100_000, stages: 1);
    }

    [Fact]
    public void Yielding_strategy()
    {
        RunChain(new YieldingWaitStrategy(), 1024, 300_000, stages: 2);
    }

    [Fact]
    public void Blocking_strategy()
    {
        RunChain(new BlockingWaitStrategy(), 1024, 100_000, stages: 3);
        RunChain(new BlockingWaitStrategy(), 8, 20_000, stages: 2);
    }

    [Fact]
    public void Default_blocking_strategy_is_rejected()
    {
        Assert.Throws<InvalidOperationException>(() => new PipelineBuilder<TestEvent, BlockingWaitStrategy>(8, default));
    }

    [Fact]
    public void Blocking_strategy_wakes_idle_stages()
    {
        var logs = new[] { new StageLog(), new StageLog() };
        var b = new PipelineBuilder<TestEvent, BlockingWaitStrategy>(64, new BlockingWaitStrategy());
        b.AddStage(new CheckingHandler(logs[0], 0));
        b.AddStage(new CheckingHandler(logs[1], 1, lastStage: true));
        using Pipeline<TestEvent> p = b.Build();
        p.Start();
        for (long i = 0; i < 3; i++)
        {
            Thread.Sleep(30); // let both stages go to sleep on the monitor
            long s = p.Ring.Next();
            p.Ring[s] = new TestEvent { Value = s, Stamp = s };
            p.Ring.Publish(s);
            WaitUntil(p.Completed, s);
        }

        Assert.True(p.Halt(TestTimeout));
        AssertClean(logs[1], 3);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Halt_drains_everything_published_before_it(int strategy)
    {
        switch (strategy)
        {
            case 0: HaltDrains(new YieldingWaitStrategy()); break;
            case 1: HaltDrains(new BlockingWaitStrategy()); break;
            default: HaltDrains(new BusySpinWaitStrategy()); break;
        }
    }

    private static void HaltDrains<TWait>(TWait wait)
        where TWait : struct, IWaitStrategy
    {
        const long Count = 5_000;
        var logs = new[] { new StageLog(), new StageLog() };
        var b = new PipelineBuilder<TestEvent, TWait>(8192, wait);
        BatchEventProcessor<TestEvent, CheckingHandler, TWait> first = b.AddStage(new CheckingHandler(logs[0], 0, spinPerEvent: 200), maxBatch: 16);
        b.AddStage(new CheckingHandler(logs[1], 1, lastStage: true, spinPerEvent: 200), maxBatch: 16);
        using Pipeline<TestEvent> p = b.Build();
        p.Start();
        Task<long> producer = ProduceAsync(p.Ring, Count, checkConsumed: false);
        WaitFor(producer);

        // The stages are slow: most of the events are still queued when the halt comes.
        Assert.True(p.Halt(TestTimeout));
        Assert.False(first.IsRunning);
        Assert.Equal(Count - 1, p.Completed.Value);
        AssertClean(logs[0], Count);
        AssertClean(logs[1], Count);
    }

    [Fact]
    public void Halt_on_an_idle_pipeline_returns_promptly()
    {
        var b = new PipelineBuilder<TestEvent, BlockingWaitStrategy>(8, new BlockingWaitStrategy());
        var log = new StageLog();
        b.AddStage(new CheckingHandler(log, 0, lastStage: true));
        using Pipeline<TestEvent> p = b.Build();
        p.Start();
        Thread.Sleep(20);
        Assert.True(p.Halt(TestTimeout));
        Assert.Equal(0, log.Count);
    }

    [Fact]
    public void HaltNow_stops_without_draining()
    {
        var log = new StageLog();
        var b = new PipelineBuilder<TestEvent, YieldingWaitStrategy>(1 << 16, default);
        b.AddStage(new CheckingHandler(log, 0, lastStage: true, spinPerEvent: 2_000), maxBatch: 4);
        using Pipeline<TestEvent> p = b.Build();
        p.Start();
        WaitFor(ProduceAsync(p.Ring, 50_000, checkConsumed: false));
        Assert.True(p.HaltNow(TestTimeout));
        Assert.True(log.Errors == 0, log.FirstError);
        Assert.True(log.Count < 50_000);
        Assert.Equal(log.Count - 1, p.Completed.Value);
    }
}
