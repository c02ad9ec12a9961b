namespace TVS.Engine.Tally;

/// <summary>
/// What one run of the record verifier found, written as it is found: "ok" for a check that
/// passed, "FAIL" for each failure (one line naming the file and the item), "note" for what is
/// not a failure by itself. Every check of <see cref="RecordVerifier"/> reports here.
/// </summary>
internal sealed class VerificationReport(TextWriter output)
{
    public List<string> Failures { get; } = [];

    /// <summary>Failures so far: a check compares it before and after to know whether it passed.</summary>
    public int FailureCount => Failures.Count;

    public void Fail(string message)
    {
        Failures.Add(message);
        output.WriteLine("FAIL " + message);
    }

    public void Ok(string message) => output.WriteLine("ok   " + message);

    public void Note(string message) => output.WriteLine("note " + message);

    /// <summary>An indented line under the previous one (a receipt's proof hashes).</summary>
    public void Detail(string line) => output.WriteLine("       " + line);

    /// <summary>Reports a failure that leaves nothing further checkable; throw what it returns.</summary>
    public VerificationStoppedException Stop(string message)
    {
        Fail(message);
        return new VerificationStoppedException();
    }
}

/// <summary>Ends a verifier run after a failure that leaves nothing further checkable (already reported).</summary>
internal sealed class VerificationStoppedException : Exception;
