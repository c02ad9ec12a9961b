using BenchmarkDotNet.Attributes;
using TVS.Engine.Pipeline;

namespace TVS.Bench.Pipeline;

/// <summary>An 8-byte slot, as in the Disruptor's own throughput tests.</summary>
public struct BenchEvent
{
    public long Value;
}

/// <summary>Sums the values so the work cannot be elided (reads only, like the Disruptor's ValueAdditionEventHandler).</summary>
public struct SumHandler : IBatchHandler<BenchEvent>
{
    public long Sum;

    public void OnBatch(Span<BenchEvent> batch, long firstSequence)
    {
        long sum = Sum;
        for (int i = 0; i < batch.Length; i++)
        {
            sum += batch[i].Value;
        }

        Sum = sum;
    }
}

/// <summary>
/// Common shape: the benchmark thread is the producer and publishes <see cref="Events"/> events
/// per invocation (one claim at a time, or 16), then waits until the last stage has seen them all.
/// Results are per event: events/s = 1e9 / Mean(ns).
/// </summary>
[Config(typeof(PipelineBenchConfig))]
public abstract class PipelineBenchBase<TWait>
    where TWait : struct, IWaitStrategy
{
    public const int Events = 1 << 20;
    protected const int RingSize = 1 << 16;

    private Pipeline<BenchEvent>? _pipeline;
    private RingBuffer<BenchEvent>? _ring;
    private Sequence? _completed;

    protected abstract void AddStages(PipelineBuilder<BenchEvent, TWait> builder);

    [GlobalSetup]
    public void Setup()
    {
        var b = new PipelineBuilder<BenchEvent, TWait>(RingSize, default);
        AddStages(b);
        _pipeline = b.Build();
        _ring = _pipeline.Ring;
        _completed = _pipeline.Completed;
        _pipeline.Start();
    }

    [GlobalCleanup]
    public void Cleanup() => _pipeline!.Halt(TimeSpan.FromSeconds(10));

    /// <summary>Claims and publishes 16 at a time (a Kafka poll hands the ingest thread many records).</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public long PublishBy16()
    {
        RingBuffer<BenchEvent> ring = _ring!;
        long hi = 0;
        for (long i = 0; i < Events; i += 16)
        {
            hi = ring.Next(16);
            long lo = hi - 15;
            for (long s = lo; s <= hi; s++)
            {
                ring[s].Value = s;
            }

            ring.Publish(lo, hi);
        }

        WaitForLast(hi);
        return hi;
    }

    private void WaitForLast(long last)
    {
        SpinWait spin = default;
        while (_completed!.Value < last)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    [Benchmark(OperationsPerInvoke = Events, Baseline = true)]
    public long Publish()
    {
        RingBuffer<BenchEvent> ring = _ring!;
        long last = 0;
        for (long i = 0; i < Events; i++)
        {
            last = ring.Next();
            ring[last].Value = i;
            ring.Publish(last);
        }

        WaitForLast(last);
        return last;
    }
}

/// <summary>One producer → one consumer.</summary>
[GenericTypeArguments(typeof(BusySpinWaitStrategy))]
[GenericTypeArguments(typeof(YieldingWaitStrategy))]
public class OneToOne<TWait> : PipelineBenchBase<TWait>
    where TWait : struct, IWaitStrategy
{
    protected override void AddStages(PipelineBuilder<BenchEvent, TWait> builder) => builder.AddStage(new SumHandler());
}

/// <summary>One producer → three single-threaded stages in a chain (four threads on two cores: yielding only).</summary>
[GenericTypeArguments(typeof(YieldingWaitStrategy))]
public class ThreeStageChain<TWait> : PipelineBenchBase<TWait>
    where TWait : struct, IWaitStrategy
{
    protected override void AddStages(PipelineBuilder<BenchEvent, TWait> builder)
    {
        builder.AddStage(new SumHandler());
        builder.AddStage(new SumHandler());
        builder.AddStage(new SumHandler());
    }
}

/// <summary>One producer → a 2-worker stage (claims of up to 64) → one stage.</summary>
[GenericTypeArguments(typeof(YieldingWaitStrategy))]
public class ParallelStage<TWait> : PipelineBenchBase<TWait>
    where TWait : struct, IWaitStrategy
{
    protected override void AddStages(PipelineBuilder<BenchEvent, TWait> builder)
    {
        builder.AddWorkerStage(new[] { new SumHandler(), new SumHandler() }, maxBatch: 64);
        builder.AddStage(new SumHandler());
    }
}
