using System.Diagnostics.CodeAnalysis;

namespace TVS.Engine.Pipeline;

/// <summary>Throws kept out of line so that callers stay small and inlinable.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowBufferSizeNotPowerOfTwo(int size) =>
        throw new ArgumentException($"Ring buffer size must be a power of two and at least 1, got {size}.", "bufferSize");

    [DoesNotReturn]
    public static void ThrowClaimOutOfRange(int n, int bufferSize) =>
        throw new ArgumentOutOfRangeException(nameof(n), n, $"Claim size must be between 1 and the buffer size ({bufferSize}).");

    [DoesNotReturn]
    public static void ThrowMaxBatchOutOfRange(int maxBatch) =>
        throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, "maxBatch must be at least 1.");

    [DoesNotReturn]
    public static void ThrowAlreadyStarted() =>
        throw new InvalidOperationException("Already started.");

    [DoesNotReturn]
    public static void ThrowNotBuilt() =>
        throw new InvalidOperationException("The pipeline was already built; add stages before Build().");

    [DoesNotReturn]
    public static void ThrowNoStages() =>
        throw new InvalidOperationException("A pipeline needs at least one stage.");

    [DoesNotReturn]
    public static void ThrowNoWorkers() =>
        throw new ArgumentException("A worker stage needs at least one handler.", "handlers");

    [DoesNotReturn]
    public static void ThrowDefaultBlockingStrategy() =>
        throw new InvalidOperationException("BlockingWaitStrategy must be created with new BlockingWaitStrategy(), not default.");
}
