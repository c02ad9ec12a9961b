namespace TVS.Engine.IO;

/// <summary>
/// A record store on a local directory, which any static HTTP server can serve as it is. Every
/// file is written atomically (<see cref="AtomicFile"/>). A file that exists is never changed:
/// the same bytes again are a no-op, other bytes are refused (an immutable public file would
/// change); only <c>checkpoint</c> files are replaced. Paths never leave the directory.
/// </summary>
public class DirectoryRecordStore : IRecordStore
{
    /// <param name="root">The directory.</param>
    /// <param name="create">Create it if absent (writers); a reader leaves a missing directory missing, and reads nothing from it.</param>
    /// <param name="replaceable">Every file may be replaced (a working directory, not published files).</param>
    public DirectoryRecordStore(string root, bool create = true, bool replaceable = false)
    {
        Replaceable = replaceable;
        Root = Path.GetFullPath(root);
        if (create)
        {
            Directory.CreateDirectory(Root);
        }
    }

    public string Root { get; }

    /// <summary>Whether files other than <c>checkpoint</c> may be replaced.</summary>
    public bool Replaceable { get; }

    public string Location => Root;

    public bool Exists => Directory.Exists(Root);

    public void Put(string path, ReadOnlySpan<byte> content)
    {
        string full = FullPath(path);
        bool mutable = Replaceable || Path.GetFileName(full) == "checkpoint";
        if (!mutable && File.Exists(full))
        {
            var existing = File.ReadAllBytes(full);
            if (existing.AsSpan().SequenceEqual(content))
            {
                return;
            }
            throw new InvalidDataException($"{full} exists with other content ({existing.Length} bytes, now {content.Length}): published files are immutable");
        }
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        AtomicFile.Write(full, content);
    }

    public byte[]? TryGet(string path)
    {
        string full = FullPath(path);
        return File.Exists(full) ? File.ReadAllBytes(full) : null;
    }

    public IEnumerable<string> List(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (!Directory.Exists(Root))
        {
            return [];
        }
        // Start the walk at the deepest directory the prefix names, not at the root: listing one
        // partition's checkpoints must not walk every tile of the board.
        int slash = prefix.LastIndexOf('/');
        string start = slash < 0 ? Root : FullPath(prefix[..slash]);
        if (!Directory.Exists(start))
        {
            return [];
        }
        var paths = new List<string>();
        foreach (var file in Directory.EnumerateFiles(start, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(Root, file).Replace('\\', '/');
            // An interrupted AtomicFile.Write leaves its temporary file behind: not a record file.
            if (relative.StartsWith(prefix, StringComparison.Ordinal) && !AtomicFile.IsTemporary(file))
            {
                paths.Add(relative);
            }
        }
        paths.Sort(StringComparer.Ordinal);
        return paths;
    }

    private string FullPath(string path)
    {
        string full = Path.GetFullPath(Path.Combine(Root, path));
        if (!full.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"path '{path}' leaves {Root}", nameof(path));
        }
        return full;
    }

    public void Dispose() => GC.SuppressFinalize(this);
}
