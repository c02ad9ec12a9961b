using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using TVS.Merkle;

namespace TVS.Witness;

/// <summary>The latest checkpoint a witness cosigned for one log: its size, root and the cosigned note.</summary>
public sealed record CosignedHead(long Size, Hash256 Root, string Note);

/// <summary>
/// The witness's durable memory (docs/ops/witness.md, "State directory"): one file per log,
/// <c>{hex SHA-256(origin)}.checkpoint</c>, holding the latest checkpoint it cosigned exactly as
/// served by <c>GET /{origin hash}/checkpoint</c> (the log's signature and the witness's
/// cosignature). Replaced by write-then-rename with fsync of the file and of the directory, so a
/// crash leaves the old or the new file and a returned cosignature is never forgotten.
/// A file that cannot be read refuses the start: the witness never silently forgets a log.
/// </summary>
public sealed class WitnessState
{
    private readonly string _directory;
    private readonly Dictionary<string, CosignedHead> _heads = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    public WitnessState(string directory, IEnumerable<string> origins)
    {
        ArgumentNullException.ThrowIfNull(origins);
        Directory.CreateDirectory(directory);
        _directory = Path.GetFullPath(directory);
        foreach (string origin in origins)
        {
            string path = PathOf(origin);
            if (!File.Exists(path))
            {
                continue;
            }
            Checkpoint c;
            string note;
            try
            {
                note = File.ReadAllText(path, new UTF8Encoding(false, true));
                c = Checkpoint.Parse(SignedNote.Parse(note).Text);
            }
            catch (Exception e) when (e is NoteException or DecoderFallbackException)
            {
                throw new InvalidDataException($"witness state {path} ({origin}) is unreadable: {e.Message}; restore it from a backup, never delete it", e);
            }
            if (c.Origin != origin)
            {
                throw new InvalidDataException($"witness state {path} holds origin '{c.Origin}', expected '{origin}'");
            }
            _heads[origin] = new CosignedHead(c.Size, c.Root, note);
        }
    }

    /// <summary>The state directory (absolute).</summary>
    public string DirectoryPath => _directory;

    /// <summary>Hex SHA-256 of the origin, lowercase: the state file's name and the monitoring path.</summary>
    public static string OriginHash(string origin) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(origin)));

    /// <summary>The latest cosigned checkpoint of <paramref name="origin"/>, or null before the first.</summary>
    public CosignedHead? Get(string origin)
    {
        lock (_gate)
        {
            return _heads.GetValueOrDefault(origin);
        }
    }

    /// <summary>Makes <paramref name="head"/> the latest of <paramref name="origin"/>, durably, before returning.</summary>
    public void Put(string origin, CosignedHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        string path = PathOf(origin);
        string temp = path + ".tmp";
        using (var f = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            f.Write(Encoding.UTF8.GetBytes(head.Note));
            f.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        // From here the new head may be on disk: remember it even if the directory sync fails (the
        // caller then returns no cosignature), so memory is never older than what a restart reads.
        lock (_gate)
        {
            _heads[origin] = head;
        }
        TVS.Engine.IO.AtomicFile.SyncDirectory(_directory);
    }

    private string PathOf(string origin) => Path.Combine(_directory, OriginHash(origin) + ".checkpoint");
}
