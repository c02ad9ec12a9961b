using System.Globalization;
using TVS.Engine.IO;

namespace TVS.Engine.Tally;

/// <summary>One shares file as found: where it is, whose, and the first ballot its name says it covers.</summary>
public sealed record ShareFileRef(IRecordStore Store, string Path, int Trustee, long First)
{
    /// <summary>Reads and decodes the file; <see cref="TallyException"/> naming it when it is missing, torn or damaged, or not what its name says.</summary>
    public ShareChunk Load(Guid electionId)
    {
        var bytes = Store.TryGet(Path) ?? throw new TallyException($"{Name}: missing");
        var chunk = ShareChunk.TryDecode(bytes, out var why) ?? throw new TallyException($"{Name}: {why}");
        if (chunk.ElectionId != electionId)
        {
            throw new TallyException($"{Name}: shares for election {chunk.ElectionId}, not {electionId}");
        }
        if (chunk.Trustee != Trustee || chunk.First != First)
        {
            throw new TallyException($"{Name}: holds trustee {chunk.Trustee}'s shares from ballot {chunk.First}, its name says trustee {Trustee} from ballot {First}");
        }
        return chunk;
    }

    /// <summary>The file for messages: its store's location and path.</summary>
    public string Name => $"{Store.Location.TrimEnd('/')}/{Path}";
}

/// <summary>
/// The trustees' shares files of an election, indexed by trustee and first ballot from their
/// names (<c>…/trustee-NN/chunk-{first:D12}.shares</c>, as <c>tvs trustee decrypt</c> writes
/// them) without reading them: a tally or a verification of any size lists them once and reads
/// each when its range comes. Several locations may hold them (each trustee hands over a
/// folder); the same file twice is harmless, two different files for one trustee and range are
/// refused when read.
/// </summary>
public sealed class ShareFiles
{
    private readonly SortedDictionary<int, SortedDictionary<long, List<ShareFileRef>>> _files;

    private ShareFiles(SortedDictionary<int, SortedDictionary<long, List<ShareFileRef>>> files) => _files = files;

    /// <summary>The trustees that have at least one shares file, ascending.</summary>
    public IReadOnlyList<int> Trustees => [.. _files.Keys];

    /// <summary>Every file found, by trustee then first ballot (copies of one file in several locations: the first found).</summary>
    public IEnumerable<ShareFileRef> All => _files.Values.SelectMany(t => t.Values.Select(l => l[0]));

    /// <summary>The first ballot of each of <paramref name="trustee"/>'s files, ascending.</summary>
    public IReadOnlyList<long> FirstsOf(int trustee) => [.. _files[trustee].Keys];

    /// <summary>Lists every <c>*.shares</c> file under each (store, prefix); <see cref="TallyException"/> for one not named as <c>tvs trustee decrypt</c> names them.</summary>
    public static ShareFiles Find(IEnumerable<(IRecordStore Store, string Prefix)> locations)
    {
        ArgumentNullException.ThrowIfNull(locations);
        var files = new SortedDictionary<int, SortedDictionary<long, List<ShareFileRef>>>();
        foreach (var (store, prefix) in locations)
        {
            foreach (var path in store.List(prefix))
            {
                if (!path.EndsWith(ShareChunk.Extension, StringComparison.Ordinal))
                {
                    continue;
                }
                // The trustee's folder may be the location itself (tvs tally --shares …/trustee-03).
                if (!TryParseName(store.Location.TrimEnd('/', Path.DirectorySeparatorChar) + "/" + path, out int trustee, out long first))
                {
                    throw new TallyException($"{store.Location.TrimEnd('/')}/{path}: a shares file must be named trustee-NN/chunk-{{first ballot, 12 digits}}{ShareChunk.Extension}, as tvs trustee decrypt writes it");
                }
                var mine = files.TryGetValue(trustee, out var m) ? m : files[trustee] = [];
                (mine.TryGetValue(first, out var same) ? same : mine[first] = []).Add(new ShareFileRef(store, path, trustee, first));
            }
        }
        return new ShareFiles(files);
    }

    /// <summary>Shares files under local directories (<c>tvs tally --shares DIR…</c>).</summary>
    public static ShareFiles FindInDirectories(IEnumerable<string> directories)
    {
        var locations = new List<(IRecordStore, string)>();
        foreach (var dir in directories)
        {
            if (!Directory.Exists(dir))
            {
                throw new TallyException($"{dir}: no such directory");
            }
            locations.Add((new DirectoryRecordStore(dir, create: false), ""));
        }
        return Find(locations);
    }

    private static bool TryParseName(string path, out int trustee, out long first)
    {
        trustee = 0;
        first = 0;
        var parts = path.Split('/', Path.DirectorySeparatorChar);
        if (parts.Length < 2)
        {
            return false;
        }
        string dir = parts[^2], name = parts[^1];
        const string chunkPrefix = "chunk-";
        return dir.StartsWith("trustee-", StringComparison.Ordinal)
            && int.TryParse(dir.AsSpan("trustee-".Length), NumberStyles.None, CultureInfo.InvariantCulture, out trustee)
            && trustee is >= 1 and <= ushort.MaxValue
            && name.Length == chunkPrefix.Length + 12 + ShareChunk.Extension.Length
            && name.StartsWith(chunkPrefix, StringComparison.Ordinal)
            && long.TryParse(name.AsSpan(chunkPrefix.Length, 12), NumberStyles.None, CultureInfo.InvariantCulture, out first);
    }

    /// <summary>
    /// <paramref name="trustee"/>'s shares for ballots [<paramref name="first"/>, +<paramref name="count"/>):
    /// the file that starts there, decoded and checked (election, trustee, range, ballots digest
    /// <paramref name="ballotsDigest"/>). Copies of it in other locations must be identical.
    /// </summary>
    public ShareChunk Load(Guid electionId, int trustee, long first, int count, ReadOnlySpan<byte> ballotsDigest)
    {
        if (!_files.TryGetValue(trustee, out var mine) || !mine.TryGetValue(first, out var copies))
        {
            throw new TallyException($"trustee {trustee}: no shares file for ballots from {first} ({ShareChunk.TrusteeDirectory(trustee)}/{ShareChunk.FileName(first)})");
        }
        var chunk = copies[0].Load(electionId);
        for (int i = 1; i < copies.Count; i++)
        {
            var other = copies[i].Load(electionId);
            if (other.Count != chunk.Count || !other.Body.AsSpan().SequenceEqual(chunk.Body))
            {
                throw new TallyException($"{copies[i].Name}: trustee {trustee}: a different shares file for ballots from {first} is also in {copies[0].Name}");
            }
        }
        if (chunk.Count != count)
        {
            throw new TallyException(chunk.Count < count
                ? $"{copies[0].Name}: trustee {trustee}: covers ballots {first}–{first + chunk.Count - 1}; ballots {first + chunk.Count}–{first + count - 1} have no shares file"
                : $"{copies[0].Name}: trustee {trustee}: covers ballots {first}–{first + chunk.Count - 1}, beyond ballot {first + count - 1} where the next file starts or the election ends");
        }
        if (!chunk.BallotsDigest.AsSpan().SequenceEqual(ballotsDigest))
        {
            throw new TallyException($"{copies[0].Name}: trustee {trustee}: made for other ballots (its ballots digest differs from ballots {first}–{first + count - 1})");
        }
        return chunk;
    }

    /// <summary>
    /// The ballot ranges a tally walks: the files of the lowest trustee; every other trustee's files
    /// must start at the same ballots (every trustee runs <c>tvs trustee decrypt</c> with the same
    /// <c>--chunk</c>, 4,096 by default), the first at 0, and none beyond <paramref name="ballots"/>.
    /// </summary>
    public List<(long First, int Count)> Ranges(IReadOnlyList<int> trustees, long ballots)
    {
        ArgumentNullException.ThrowIfNull(trustees);
        var firsts = FirstsOf(trustees[0]);
        foreach (int t in trustees)
        {
            var mine = FirstsOf(t);
            if (mine.Count == 0 || mine[0] != 0)
            {
                throw new TallyException($"trustee {t}: ballots 0–{(mine.Count == 0 ? ballots : mine[0]) - 1} have no shares file");
            }
            if (mine[^1] >= Math.Max(1, ballots))
            {
                throw new TallyException($"{_files[t][mine[^1]][0].Name}: trustee {t}: starts at ballot {mine[^1]}, the election has {ballots}");
            }
            if (!mine.SequenceEqual(firsts))
            {
                long at = mine.Zip(firsts).FirstOrDefault(p => p.First != p.Second).First;
                throw new TallyException($"trustee {t}'s shares files start at other ballots than trustee {trustees[0]}'s (first difference near ballot {at}): every trustee must run tvs trustee decrypt with the same --chunk");
            }
        }
        var ranges = new List<(long, int)>(firsts.Count);
        for (int i = 0; i < firsts.Count; i++)
        {
            long end = i + 1 < firsts.Count ? firsts[i + 1] : ballots;
            ranges.Add((firsts[i], (int)Math.Min(int.MaxValue, end - firsts[i])));
        }
        return ranges;
    }
}
