using TVS.Engine.Pipeline;

namespace TVS.Tests.Pipeline;

/// <summary>Pipeline tests start threads that spin: run them one at a time on a 2-core box.</summary>
[CollectionDefinition(nameof(PipelineCollection), DisableParallelization = true)]
public sealed class PipelineCollection;

/// <summary>The slot type the tests use.</summary>
internal struct TestEvent
{
    public long Value;      // written by the producer: the sequence
    public long Stamp;      // written by the producer: the sequence (overwrite detection)
    public long Consumed;   // written by the last stage: the sequence it finished
    public int StageMask;   // bit k set by stage k
    public int WorkCount;   // incremented by the worker stage
    public int WorkDone;    // set by a worker after it finished the slot
}

/// <summary>What a checking stage saw; the handler structs keep a reference to it.</summary>
internal sealed class StageLog
{
    public long Count;
    public long Sum;
    public long Expected;   // next sequence this stage expects (order check)
    public long Errors;
    public long Batches;
    public long MaxBatch;
    public string? FirstError;

    public void Fail(string message)
    {
        Errors++;
        FirstError ??= message;
    }
}

/// <summary>Stage k: checks order and that stages 0..k-1 saw the slot first; sums values.</summary>
internal struct CheckingHandler(StageLog log, int stage, bool lastStage = false, int spinPerEvent = 0) : IBatchHandler<TestEvent>
{
    public void OnBatch(Span<TestEvent> batch, long firstSequence)
    {
        StageLog l = log;
        if (firstSequence != l.Expected)
        {
            l.Fail($"stage {stage}: batch starts at {firstSequence}, expected {l.Expected}");
        }

        int before = (1 << stage) - 1;
        for (int i = 0; i < batch.Length; i++)
        {
            ref TestEvent e = ref batch[i];
            long seq = firstSequence + i;
            if (e.Value != seq || e.Stamp != seq)
            {
                l.Fail($"stage {stage}: slot of {seq} holds {e.Value}/{e.Stamp}");
            }

            if ((e.StageMask & before) != before)
            {
                l.Fail($"stage {stage}: {seq} not seen by earlier stages (mask {e.StageMask})");
            }

            if (spinPerEvent != 0)
            {
                Thread.SpinWait(spinPerEvent);
                if (e.Stamp != seq)
                {
                    l.Fail($"stage {stage}: slot of {seq} overwritten while in use");
                }
            }

            e.StageMask |= 1 << stage;
            if (lastStage)
            {
                e.Consumed = seq;
            }

            l.Sum += e.Value;
        }

        l.Count += batch.Length;
        l.Expected = firstSequence + batch.Length;
        l.Batches++;
        l.MaxBatch = Math.Max(l.MaxBatch, batch.Length);
    }
}

internal static class PipelineTestKit
{
    public static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Publishes 0..count-1 one by one from another thread; checks no slot is overwritten before it is consumed.</summary>
    public static Task<long> ProduceAsync(RingBuffer<TestEvent> ring, long count, bool checkConsumed) =>
        Task.Factory.StartNew(() =>
        {
            long violations = 0;
            int size = ring.BufferSize;
            for (long i = 0; i < count; i++)
            {
                long seq = ring.Next();
                ref TestEvent e = ref ring[seq];
                if (checkConsumed && seq >= size && e.Consumed != seq - size)
                {
                    violations++;
                }

                e.Value = seq;
                e.Stamp = seq;
                e.StageMask = 0;
                e.WorkCount = 0;
                e.WorkDone = 0;
                ring.Publish(seq);
            }

            return violations;
        }, TaskCreationOptions.LongRunning);

    /// <summary>Waits for the producer and returns how many unconsumed slots it found on its way.</summary>
    public static long WaitFor(Task<long> producer)
    {
        Assert.True(producer.Wait(TestTimeout), "producer did not finish in time (deadlock?)");
        return producer.GetAwaiter().GetResult();
    }

    public static void WaitUntil(Sequence sequence, long value)
    {
        Assert.True(SpinWait.SpinUntil(() => sequence.Value >= value, TestTimeout), $"sequence stuck at {sequence.Value}, wanted {value}");
    }

    public static void AssertClean(StageLog log, long count)
    {
        Assert.True(log.Errors == 0, log.FirstError);
        Assert.Equal(count, log.Count);
        Assert.Equal(count * (count - 1) / 2, log.Sum);
    }
}
