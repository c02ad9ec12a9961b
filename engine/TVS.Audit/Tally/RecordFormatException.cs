namespace TVS.Engine.Tally;

/// <summary>
/// A file of the election (election.json, manifest.json, election-key.json, result.json) that is
/// not what its format says: not JSON, truncated, or a field missing, null or of the wrong type.
/// The message names the file and, where one is to blame, the field (as a JSON path,
/// <c>contests[0].candidates[1].votes</c>). A <see cref="FormatException"/>, so the callers that
/// refuse a malformed file keep refusing it the same way.
/// </summary>
public sealed class RecordFormatException : FormatException
{
    public RecordFormatException(string file, string? field, string problem, Exception? inner = null)
        : base(field is null ? $"{file}: {problem}" : $"{file}: \"{field}\" {problem}", inner)
    {
        File = file;
        Field = field;
    }

    /// <summary>The file, as its reader named it (record-relative for the verifier).</summary>
    public string File { get; }

    /// <summary>The JSON path of the field at fault; null when the document as a whole is.</summary>
    public string? Field { get; }
}
