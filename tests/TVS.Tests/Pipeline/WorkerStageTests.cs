using TVS.Engine.Pipeline;
using static TVS.Tests.Pipeline.PipelineTestKit;

namespace TVS.Tests.Pipeline;

/// <summary>What one worker saw.</summary>
internal sealed class WorkerLog
{
    public long Count;
    public long Batches;
    public long MaxBatch;
    public long Errors;
    public string? FirstError;
}

/// <summary>
/// Worker stage handler: checks stage 0 saw the slot, counts each sequence in a shared array
/// (exactly-once check), marks the slot as started, works a little, then marks it done.
/// </summary>
internal struct WorkerHandler(WorkerLog log, int[] hits, int spinPerEvent) : IBatchHandler<TestEvent>
{
    public void OnBatch(Span<TestEvent> batch, long firstSequence)
    {
        for (int i = 0; i < batch.Length; i++)
        {
            ref TestEvent e = ref batch[i];
            long seq = firstSequence + i;
            if (e.Value != seq || (e.StageMask & 1) == 0)
            {
                log.Errors++;
                log.FirstError ??= $"worker: slot of {seq} holds {e.Value}, mask {e.StageMask}";
            }

            Interlocked.Increment(ref hits[seq]);
            e.WorkCount++;
            Thread.SpinWait(spinPerEvent);
            e.StageMask |= 2;
            Volatile.Write(ref e.WorkDone, 1);
        }

        log.Count += batch.Length;
        log.Batches++;
        log.MaxBatch = Math.Max(log.MaxBatch, batch.Length);
    }
}

/// <summary>Downstream of the worker stage: every slot it sees must be finished by exactly one worker.</summary>
internal struct AfterWorkersHandler(StageLog log) : IBatchHandler<TestEvent>
{
    private CheckingHandler _inner = new(log, 2, lastStage: true);

    public void OnBatch(Span<TestEvent> batch, long firstSequence)
    {
        for (int i = 0; i < batch.Length; i++)
        {
            if (batch[i].WorkDone != 1 || batch[i].WorkCount != 1)
            {
                log.Fail($"after workers: {firstSequence + i} done={batch[i].WorkDone} count={batch[i].WorkCount}");
            }
        }

        _inner.OnBatch(batch, firstSequence);
    }
}

[Collection(nameof(PipelineCollection))]
public sealed class WorkerStageTests
{
    private static void Run<TWait>(TWait wait, int workers, int ringSize, int count, int maxBatch, int spinPerEvent)
        where TWait : struct, IWaitStrategy
    {
        var before = new StageLog();
        var after = new StageLog();
        var hits = new int[count];
        var workerLogs = new WorkerLog[workers];
        var handlers = new WorkerHandler[workers];
        for (int i = 0; i < workers; i++)
        {
            workerLogs[i] = new WorkerLog();
            handlers[i] = new WorkerHandler(workerLogs[i], hits, spinPerEvent);
        }

        var b = new PipelineBuilder<TestEvent, TWait>(ringSize, wait);
        b.AddStage(new CheckingHandler(before, 0));
        WorkerStage<TestEvent, WorkerHandler, TWait> stage = b.AddWorkerStage(handlers, maxBatch);
        b.AddStage(new AfterWorkersHandler(after));
        using Pipeline<TestEvent> p = b.Build();
        p.Start();
        Task<long> producer = ProduceAsync(p.Ring, count, checkConsumed: true);
        Assert.Equal(0, WaitFor(producer));
        WaitUntil(p.Completed, count - 1);
        Assert.True(p.Halt(TestTimeout));

        AssertClean(before, count);
        AssertClean(after, count);
        Assert.Equal(count - 1, stage.Sequence.Value);
        long total = 0;
        foreach (WorkerLog w in workerLogs)
        {
            Assert.True(w.Errors == 0, w.FirstError);
            Assert.True(w.MaxBatch <= maxBatch, $"batch of {w.MaxBatch} > {maxBatch}");
            total += w.Count;
        }

        Assert.Equal(count, total);
        for (int s = 0; s < count; s++)
        {
            if (hits[s] != 1)
            {
                Assert.Fail($"sequence {s} processed {hits[s]} times");
            }
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Each_event_once_downstream_sees_only_finished_slots_in_order(int workers)
    {
        Run(new YieldingWaitStrategy(), workers, ringSize: 256, count: 50_000, maxBatch: 8, spinPerEvent: 10);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Wraps_a_small_ring(int workers)
    {
        Run(new YieldingWaitStrategy(), workers, ringSize: 8, count: 10_000, maxBatch: 3, spinPerEvent: 0);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Blocking_strategy(int workers)
    {
        Run(new BlockingWaitStrategy(), workers, ringSize: 64, count: 20_000, maxBatch: 16, spinPerEvent: 0);
    }

    [Fact]
    public void Busy_spin_strategy()
    {
        // 2 workers + 2 stages + producer on 2 cores: keep it short.
        Run(new BusySpinWaitStrategy(), 2, ringSize: 1024, count: 5_000, maxBatch: 64, spinPerEvent: 0);
    }

    [Fact]
    public void Uneven_work_keeps_the_stage_sequence_gap_free()
    {
        // Large batches with slow events: workers finish out of order all the time.
        Run(new YieldingWaitStrategy(), 3, ringSize: 1024, count: 20_000, maxBatch: 100, spinPerEvent: 200);
    }

    /// <summary>Uneven work: slot cost depends on its sequence, so workers finish out of order.</summary>
    private struct UnevenWorker(int[] hits) : IBatchHandler<TestEvent>
    {
        public void OnBatch(Span<TestEvent> batch, long firstSequence)
        {
            for (int i = 0; i < batch.Length; i++)
            {
                long seq = firstSequence + i;
                Interlocked.Increment(ref hits[seq]);
                Thread.SpinWait((int)(seq % 7) * 40);
                Volatile.Write(ref batch[i].WorkDone, 1);
            }
        }
    }

    [Fact]
    public void Stage_sequence_never_covers_an_unfinished_slot()
    {
        // Watches the worker stage's own sequence (not just what a downstream stage sees): a
        // ring larger than the run, so no slot is reused and every slot can be checked.
        const int Count = 30_000;
        var hits = new int[Count];
        var handlers = new[] { new UnevenWorker(hits), new UnevenWorker(hits), new UnevenWorker(hits), new UnevenWorker(hits) };
        var b = new PipelineBuilder<TestEvent, YieldingWaitStrategy>(1 << 15, default);
        WorkerStage<TestEvent, UnevenWorker, YieldingWaitStrategy> stage = b.AddWorkerStage(handlers, maxBatch: 50);
        using Pipeline<TestEvent> p = b.Build();
        p.Start();

        long bad = -1;
        long observations = 0;
        var watcher = new Thread(() =>
        {
            long checkedUpTo = -1;
            long deadline = Environment.TickCount64 + (long)TestTimeout.TotalMilliseconds;
            while (checkedUpTo < Count - 1 && Environment.TickCount64 < deadline)
            {
                long completed = stage.Sequence.Value;
                for (long s = checkedUpTo + 1; s <= completed; s++)
                {
                    if (Volatile.Read(ref p.Ring[s].WorkDone) != 1 && bad < 0)
                    {
                        bad = s;
                    }
                }

                if (completed > checkedUpTo)
                {
                    observations++;
                    checkedUpTo = completed;
                }

                Thread.Yield();
            }
        });
        watcher.Start();
        WaitFor(ProduceAsync(p.Ring, Count, checkConsumed: false));
        Assert.True(watcher.Join(TestTimeout));
        Assert.True(p.Halt(TestTimeout));
        Assert.Equal(-1, bad);
        Assert.Equal(Count - 1, stage.Sequence.Value);
        Assert.True(observations > 1);
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void Halt_drains_the_worker_stage()
    {
        const int Count = 20_000;
        var hits = new int[Count];
        var handlers = new[] { new WorkerHandler(new WorkerLog(), hits, 300), new WorkerHandler(new WorkerLog(), hits, 300) };
        var before = new StageLog();
        var after = new StageLog();
        var b = new PipelineBuilder<TestEvent, YieldingWaitStrategy>(1 << 15, default);
        b.AddStage(new CheckingHandler(before, 0));
        b.AddWorkerStage(handlers, maxBatch: 32);
        b.AddStage(new AfterWorkersHandler(after));
        using Pipeline<TestEvent> p = b.Build();
        p.Start();
        WaitFor(ProduceAsync(p.Ring, Count, checkConsumed: false));
        Assert.True(p.Halt(TestTimeout));
        AssertClean(after, Count);
        Assert.Equal(Count - 1, p.Completed.Value);
        Assert.All(hits, h => Assert.Equal(1, h));
    }
}
