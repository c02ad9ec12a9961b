namespace TVS.Engine.Ports;

/// <summary>
/// A store refused a write for a reason no retry can change (docs/pipeline.md, "Failure policy"):
/// its state does not belong to this partition's log (a gap, another history), the store belongs to
/// another partition or election. The engine stops the partition with this reason instead of
/// retrying; transient failures (I/O, a connection, a timeout) are any other exception and are retried.
/// </summary>
public class StoreRefusedException : InvalidOperationException
{
    public StoreRefusedException(string message)
        : base(message)
    {
    }

    public StoreRefusedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
