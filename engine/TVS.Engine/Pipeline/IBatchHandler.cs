namespace TVS.Engine.Pipeline;

/// <summary>
/// A stage's work, called with a run of consecutive published slots. Implemented by a struct
/// and used as a generic parameter, so the call is direct and can be inlined.
/// </summary>
/// <remarks>
/// <para><paramref name="batch"/> in <see cref="OnBatch"/> is contiguous in memory: slot
/// <c>batch[i]</c> holds sequence <c>firstSequence + i</c>. A run that crosses the end of the
/// ring is delivered in two calls, and no call holds more than the stage's <c>maxBatch</c>
/// slots, so a Groth16 stage can verify <c>batch</c> as one batch directly.</para>
/// <para>The slots belong to the stage for the duration of the call: it may read and write them
/// in place (e.g. set a verdict). They are handed to the next stage only after the call returns.
/// The handler must not keep the span. It must not throw: the exception is not caught, so it is
/// unhandled on the stage's thread and ends the process (fail fast); rejections are data written
/// into the slot.</para>
/// </remarks>
public interface IBatchHandler<T> where T : struct
{
    void OnBatch(Span<T> batch, long firstSequence);
}
