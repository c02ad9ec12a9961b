namespace TVS.Cli;

/// <summary>
/// The exit codes of every <c>tvs</c> verb, declared once. Two families share the numbers: the
/// checking verbs (engine, loadgen, proof, checkpoint verify, zk verify, election close, tally,
/// trustee decrypt, record export, verify, receipt, board) say 1 for an input that was read and
/// does not hold and 2 for one that cannot be used; the service and key verbs (gateway, issuer,
/// registry, hsm, witness) only refuse, with 2; the administrative verbs (trustee ceremony, db)
/// say 1 when the step was tried and failed and 2 for a wrong invocation. Each verb's own
/// summary says which of these it uses.
/// </summary>
public static class ExitCodes
{
    /// <summary>Done, or the input verifies.</summary>
    public const int Ok = 0;

    /// <summary>Checking verbs: the input was read and a check failed (a proof, a signature, a count).</summary>
    public const int Invalid = 1;

    /// <summary>Checking verbs: the input cannot be used (missing or unreadable files, bad settings or options).</summary>
    public const int Unusable = 2;

    /// <summary>Service and key verbs: refused to start or to act (bad options, an unusable key or election).</summary>
    public const int Refused = 2;

    /// <summary>Administrative verbs (trustee ceremony, db): the step was tried and failed (a refused file, the server's error).</summary>
    public const int Failed = 1;

    /// <summary>Administrative verbs (trustee ceremony, db): the invocation cannot be used (bad options, missing files, wrong passphrase).</summary>
    public const int Usage = 2;
}
