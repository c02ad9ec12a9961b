using System.Runtime.InteropServices;

namespace TVS.Engine.IO;

/// <summary>
/// Whole-file replacement that a crash leaves either old or new, never torn, and that is durable
/// when it returns: write a temporary file, fsync it, rename it over the target, fsync the
/// directory (the rename is an entry of the directory, lost with it otherwise). The one
/// write-then-rename of the project: the stores, the board, the trustees' share files, the close
/// statement and the witness state all go through it.
/// </summary>
public static partial class AtomicFile
{
    /// <summary>The suffix of the temporary file a write goes through before its rename.</summary>
    public const string TemporarySuffix = ".tmp";

    /// <summary>Whether <paramref name="path"/> is the temporary file of a write (left behind by a crash mid-write).</summary>
    public static bool IsTemporary(string path) => path.EndsWith(TemporarySuffix, StringComparison.Ordinal);

    /// <summary>Replaces <paramref name="path"/> with <paramref name="content"/>, durably.</summary>
    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        string temp = path + TemporarySuffix;
        using (var f = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            f.Write(content);
            f.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>Creates <paramref name="path"/> with <paramref name="content"/>, durably; throws if it exists (never replaces).</summary>
    public static void Create(string path, ReadOnlySpan<byte> content)
    {
        string temp = path + TemporarySuffix;
        using (var f = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            f.Write(content);
            f.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: false);
        SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>
    /// fsync(2) of a directory, so a rename or a new file in it survives a power cut. .NET has no
    /// directory handle (File.OpenHandle refuses directories), so on Linux this is open(2) +
    /// fsync(2) through libc and a failure throws; elsewhere it is skipped (production runs on Linux).
    /// </summary>
    public static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        int fd = Posix.Open(directory, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            throw new IOException($"open({directory}) for fsync failed: errno {Marshal.GetLastPInvokeError()}");
        }
        try
        {
            if (Posix.Fsync(fd) != 0)
            {
                throw new IOException($"fsync({directory}) failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            _ = Posix.Close(fd);
        }
    }

    private static partial class Posix
    {
        private const string Libc = "libc.so.6";

        [LibraryImport(Libc, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        internal static partial int Open(string path, int flags);

        [LibraryImport(Libc, EntryPoint = "fsync", SetLastError = true)]
        internal static partial int Fsync(int fd);

        [LibraryImport(Libc, EntryPoint = "close")]
        internal static partial int Close(int fd);
    }
}
