namespace TVS.Engine.Pipeline;

/// <summary>Lifecycle of a stage, as the pipeline drives it (no per-event use).</summary>
public interface IStage
{
    /// <summary>What this stage has completed; downstream stages and the ring's gating use it.</summary>
    Sequence Sequence { get; }

    void Start();

    /// <summary>
    /// Asks the stage to stop once it has processed everything published on the ring before this
    /// call (its upstream stages must be draining too). Returns at once; see <see cref="Join"/>.
    /// </summary>
    void Halt();

    /// <summary>
    /// Asks the stage to stop once it has processed every sequence up to
    /// <paramref name="lastSequence"/> (which must be published, and reached by upstream stages).
    /// </summary>
    void HaltAt(long lastSequence);

    /// <summary>Asks the stage to stop at the next batch boundary without draining.</summary>
    void HaltNow();

    /// <summary>Waits for the stage's thread(s) to end; false on timeout.</summary>
    bool Join(TimeSpan timeout);
}
