namespace TVS.Engine.IO;

/// <summary>
/// A tree of public files addressed by '/'-separated relative paths: the bulletin board and the
/// election record (docs/formats.md "Election record"), in a directory embedded or under an S3
/// prefix in production (<c>S3BoardStore</c> in storage). Every post-voting step (close, the
/// trustees' shares, tally, export, verify) reads the election through this port, never an
/// engine's data directory (docs/design.md "After voting").
/// </summary>
public interface IRecordStore : IDisposable
{
    /// <summary>Where the files are, for messages (a directory or s3://bucket/prefix).</summary>
    string Location { get; }

    /// <summary>
    /// Stores <paramref name="content"/> at <paramref name="path"/>, durably when it returns. The
    /// same bytes again are harmless. Only files named <c>checkpoint</c> are ever replaced; a
    /// store may refuse to change any other file (public files are immutable).
    /// </summary>
    void Put(string path, ReadOnlySpan<byte> content);

    /// <summary>The file's bytes, or null if there is none.</summary>
    byte[]? TryGet(string path);

    /// <summary>The paths of every file whose path starts with <paramref name="prefix"/> ("" = all), in ordinal order.</summary>
    IEnumerable<string> List(string prefix);
}
