using TVS.Engine.IO;
using TVS.Engine.Ports;

namespace TVS.Storage.Local;

/// <summary>
/// The embedded batch-object store: one immutable file per object under a root directory, the
/// object key as its relative path. Written to a temporary file, fsynced and renamed, so an object
/// is whole or absent; putting the same key again replaces it with the same bytes.
/// </summary>
public sealed class LocalBlobSink : IBlobSink
{
    public LocalBlobSink(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public void Put(string key, ReadOnlySpan<byte> content)
    {
        string path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.Write(path, content);
    }

    /// <summary>The file of <paramref name="key"/>; refuses keys that would leave the root.</summary>
    public string PathOf(string key)
    {
        string path = Path.GetFullPath(Path.Combine(Root, key));
        if (!path.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"object key {key} leaves the store's root", nameof(key));
        }
        return path;
    }

    public void Dispose()
    {
    }
}

/// <summary>
/// The embedded bulletin board: every signed checkpoint as <c>{size:D12}.note</c> under a
/// directory, plus <c>latest.note</c>, each written atomically.
/// </summary>
public sealed class LocalCheckpointSink : ICheckpointSink
{
    public const string LatestFile = "latest.note";

    public LocalCheckpointSink(string directory)
    {
        Directory = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public void Publish(long size, string signedNote)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(signedNote);
        AtomicFile.Write(Path.Combine(Directory, $"{size:D12}.note"), bytes);
        AtomicFile.Write(Path.Combine(Directory, LatestFile), bytes);
    }

    public void Dispose()
    {
    }
}
