namespace TVS.Storage.Local;

/// <summary>Whole-file replacement that a crash leaves either old or new, never torn.</summary>
internal static class AtomicFile
{
    /// <summary>Writes to a temporary file, fsyncs it, renames it over <paramref name="path"/>.</summary>
    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        string temp = path + ".tmp";
        using (var f = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            f.Write(content);
            f.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>fsync of a directory, so a rename in it is durable (best effort: not every platform allows it).</summary>
    public static void SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        try
        {
            using var handle = File.OpenHandle(directory, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            RandomAccess.FlushToDisk(handle);
        }
        catch (UnauthorizedAccessException)
        {
        }
        catch (IOException)
        {
        }
    }
}
