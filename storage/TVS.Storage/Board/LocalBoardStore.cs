using TVS.Engine.IO;
using TVS.Engine.Ports;

namespace TVS.Storage.Board;

/// <summary>
/// The embedded bulletin board: a directory (e.g. <c>DIR/board/</c>) any static HTTP server can
/// serve as it is. Every file is written atomically (temporary file, fsync, rename, fsync of the
/// directory). A tile or bundle that exists is never changed: the same bytes again are a no-op,
/// other bytes are refused (an immutable public resource would change); only <c>checkpoint</c>
/// files are replaced.
/// </summary>
public sealed class LocalBoardStore : IBoardStore
{
    public LocalBoardStore(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string Location => Root;

    public void Put(string path, ReadOnlySpan<byte> content)
    {
        string full = FullPath(path);
        bool mutable = Path.GetFileName(full) == "checkpoint";
        if (!mutable && File.Exists(full))
        {
            var existing = File.ReadAllBytes(full);
            if (existing.AsSpan().SequenceEqual(content))
            {
                return;
            }
            throw new InvalidDataException($"{full} exists with other content ({existing.Length} bytes, now {content.Length}): board tiles are immutable");
        }
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        AtomicFile.Write(full, content);
    }

    public byte[]? TryGet(string path)
    {
        string full = FullPath(path);
        return File.Exists(full) ? File.ReadAllBytes(full) : null;
    }

    private string FullPath(string path)
    {
        // Paths come from this program (tile names), but never let one leave the board.
        string full = Path.GetFullPath(Path.Combine(Root, path));
        if (!full.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"board path '{path}' leaves the board", nameof(path));
        }
        return full;
    }

    public void Dispose()
    {
    }
}
