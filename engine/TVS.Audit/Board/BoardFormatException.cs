namespace TVS.Engine.Tally;

/// <summary>
/// A file of the bulletin board (a hash tile, an entry bundle) that is missing, malformed, or does
/// not hash to the signed root it must: the message names the board path and what is wrong. An
/// <see cref="IOException"/>: the files read are not the election's, as a failed read is not.
/// </summary>
public sealed class BoardFormatException(string path, string problem) : IOException($"{path}: {problem}")
{
    /// <summary>The board path at fault (e.g. <c>p3/tile/entries/x001/234</c>).</summary>
    public string Path { get; } = path;
}
