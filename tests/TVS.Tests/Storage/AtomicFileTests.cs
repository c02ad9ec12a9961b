using TVS.Engine.IO;

namespace TVS.Tests.Storage;

/// <summary>The one write-then-rename helper: atomic replacement, and a directory fsync that really runs.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tvs-atomic-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Write_replaces_and_leaves_no_temporary_file()
    {
        string path = Path.Combine(_dir, "f");
        AtomicFile.Write(path, "one"u8);
        AtomicFile.Write(path, "two"u8);
        Assert.Equal("two"u8.ToArray(), File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    [Fact]
    public void Create_refuses_to_replace()
    {
        string path = Path.Combine(_dir, "close.note");
        AtomicFile.Create(path, "first"u8);
        Assert.Throws<IOException>(() => AtomicFile.Create(path, "second"u8));
        Assert.Equal("first"u8.ToArray(), File.ReadAllBytes(path));
    }

    [Fact]
    public void Directory_sync_opens_the_directory_for_real()
    {
        // .NET's File.OpenHandle refuses directories, and a helper that swallowed that error once
        // made every rename's durability a no-op: the sync must reach fsync(2) and report failures.
        Assert.ThrowsAny<UnauthorizedAccessException>(() => File.OpenHandle(_dir, FileMode.Open, FileAccess.Read));
        AtomicFile.SyncDirectory(_dir);
        if (OperatingSystem.IsLinux())
        {
            Assert.Throws<IOException>(() => AtomicFile.SyncDirectory(Path.Combine(_dir, "missing")));
        }
    }
}
