using System.Buffers.Binary;
using System.Security.Cryptography;
using TVS.Crypto.Ristretto;
using TVS.Crypto.Threshold;

namespace TVS.Engine.Tally;

/// <summary>
/// A decryption shares file: one trustee's shares for a contiguous range of ballots
/// (docs/formats.md, "Decryption shares file"):
/// <code>
/// "TVSSHR\0\x01" (8) ‖ election id (16, UUID big-endian) ‖ trustee (u16 BE) ‖ first ballot (u64 BE)
/// ‖ count (u32 BE) ‖ ballots digest (32) ‖ count × share (96: D_i ‖ c ‖ z) ‖ SHA-256 of all before (32)
/// ballots digest = SHA-256 over the range's ballots, each as u32 BE length ‖ bytes
/// </code>
/// A ballot whose R is not a valid point gets 96 zero bytes (no share exists; the ballot is
/// spoiled as malformed). The digest binds the file to exactly those ballots; the trailing hash
/// lets a resumed run tell a complete file from a torn or damaged one without verifying proofs.
/// </summary>
public sealed class ShareChunk
{
    public static ReadOnlySpan<byte> Magic => "TVSSHR\0\x01"u8;
    public const int HeaderLength = 8 + 16 + 2 + 8 + 4 + 32;
    public const int TrailerLength = 32;
    public const string Extension = ".shares";

    private ShareChunk(Guid electionId, int trustee, long first, int count, byte[] ballotsDigest, byte[] body, byte[] hash)
    {
        Hash = hash;
        ElectionId = electionId;
        Trustee = trustee;
        First = first;
        Count = count;
        BallotsDigest = ballotsDigest;
        Body = body;
    }

    public Guid ElectionId { get; }
    public int Trustee { get; }
    public long First { get; }
    public int Count { get; }
    public byte[] BallotsDigest { get; }

    /// <summary>The file's trailing SHA-256 (of everything before it): names this exact file.</summary>
    public byte[] Hash { get; }

    /// <summary>count × 96 bytes of shares.</summary>
    public byte[] Body { get; }

    public ReadOnlySpan<byte> ShareBytes(int k) => Body.AsSpan(k * DecryptionShare.Length, DecryptionShare.Length);

    public static string FileName(long first) => $"chunk-{first:D12}{Extension}";

    public static string TrusteeDirectory(int trustee) => $"trustee-{trustee:D2}";

    /// <summary>SHA-256 over ballots [first, first + count), each as u32 BE length ‖ bytes.</summary>
    public static byte[] DigestBallots(IReadOnlyList<byte[]> ballots, long first, int count)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> len = stackalloc byte[4];
        for (long i = first; i < first + count; i++)
        {
            var b = ballots[(int)i];
            BinaryPrimitives.WriteUInt32BigEndian(len, (uint)b.Length);
            h.AppendData(len);
            h.AppendData(b);
        }
        return h.GetHashAndReset();
    }

    public static byte[] Encode(Guid electionId, int trustee, long first, int count, ReadOnlySpan<byte> ballotsDigest, ReadOnlySpan<byte> body)
    {
        if (body.Length != count * DecryptionShare.Length)
        {
            throw new ArgumentException("one 96-byte share per ballot", nameof(body));
        }
        var file = new byte[HeaderLength + body.Length + TrailerLength];
        Magic.CopyTo(file);
        electionId.TryWriteBytes(file.AsSpan(8, 16), bigEndian: true, out _);
        BinaryPrimitives.WriteUInt16BigEndian(file.AsSpan(24), (ushort)trustee);
        BinaryPrimitives.WriteInt64BigEndian(file.AsSpan(26), first);
        BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(34), count);
        ballotsDigest.CopyTo(file.AsSpan(38));
        body.CopyTo(file.AsSpan(HeaderLength));
        SHA256.HashData(file.AsSpan(0, file.Length - TrailerLength), file.AsSpan(file.Length - TrailerLength));
        return file;
    }

    /// <summary>Parses a file; null with <paramref name="error"/> when it is not a complete, intact shares file.</summary>
    public static ShareChunk? TryDecode(ReadOnlySpan<byte> file, out string? error)
    {
        error = null;
        if (file.Length < HeaderLength + TrailerLength || !file[..8].SequenceEqual(Magic))
        {
            error = "not a shares file (magic or length)";
            return null;
        }
        int count = BinaryPrimitives.ReadInt32BigEndian(file[34..]);
        if (count < 0 || (long)HeaderLength + (long)count * DecryptionShare.Length + TrailerLength != file.Length)
        {
            error = $"length {file.Length} does not match its count {count} (torn or truncated)";
            return null;
        }
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(file[..^TrailerLength], hash);
        if (!hash.SequenceEqual(file[^TrailerLength..]))
        {
            error = "its trailing SHA-256 does not match its content (damaged)";
            return null;
        }
        long first = BinaryPrimitives.ReadInt64BigEndian(file[26..]);
        if (first < 0)
        {
            error = "negative first ballot";
            return null;
        }
        return new ShareChunk(new Guid(file.Slice(8, 16), bigEndian: true), BinaryPrimitives.ReadUInt16BigEndian(file[24..]), first, count,
            file.Slice(38, 32).ToArray(), file.Slice(HeaderLength, count * DecryptionShare.Length).ToArray(), hash.ToArray());
    }

    /// <summary>Every shares file under <paramref name="directory"/> (recursively), in path order.</summary>
    public static IEnumerable<string> FindFiles(string directory) =>
        Directory.EnumerateFiles(directory, "*" + Extension, SearchOption.AllDirectories).Order(StringComparer.Ordinal);
}

/// <summary>
/// A trustee's side of the tally (<c>tvs trustee decrypt</c>): D_i = s_i·R with a DLEQ proof
/// for every ballot, written in chunk files by ballot range, resumable.
/// </summary>
public static class TrusteeDecryptor
{
    /// <summary>Ballots per file: a lost chunk costs at most this much recomputation (per-ballot cost: docs/PERFORMANCE.md, "Trustees").</summary>
    public const int DefaultChunkBallots = 4096;

    public sealed record Outcome(int ChunksWritten, int ChunksSkipped, long Ballots, int WithoutShare);

    /// <summary>
    /// Writes trustee <paramref name="trustee"/>'s shares for every ballot of
    /// <paramref name="ballots"/> into <paramref name="outDirectory"/>, one file per range of
    /// <paramref name="chunkBallots"/>, ranges in parallel on <paramref name="threads"/> cores
    /// (memory: the ranges in flight), skipping files already present and intact for the same
    /// ballots (a run killed midway resumes from its finished files; each is written atomically).
    /// <paramref name="maxChunks"/> stops after writing that many (tests: an interrupted run).
    /// Throws if s_i·G is not the trustee's verification key.
    /// </summary>
    public static Outcome Run(Guid electionId, int trustee, RistrettoScalar secretShare, RistrettoPoint verificationKey,
        IBallotSource ballots, string outDirectory, int chunkBallots = DefaultChunkBallots, int maxChunks = int.MaxValue,
        TextWriter? log = null, CancellationToken cancel = default, int threads = -1)
    {
        ArgumentNullException.ThrowIfNull(ballots);
        if (RistrettoPoint.MultiplyBase(secretShare) != verificationKey)
        {
            throw new InvalidOperationException($"this share is not trustee {trustee}'s: s·G differs from its verification key Y_{trustee}");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBallots, 1);
        Directory.CreateDirectory(outDirectory);
        int written = 0, skipped = 0, without = 0, started = 0;
        var ranges = BallotSources.Ranges(ballots.Count, chunkBallots).ToList();
        // Ranges taken in order (no buffering): an interrupted run leaves a prefix of the files, plus those in flight.
        var partitioner = System.Collections.Concurrent.Partitioner.Create(ranges, System.Collections.Concurrent.EnumerablePartitionerOptions.NoBuffering);
        var options = new ParallelOptions { CancellationToken = cancel, MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        try
        {
            DecryptAll();
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        void DecryptAll() => Parallel.ForEach(partitioner, options,
            () => new byte[Math.Min(chunkBallots, Math.Max(1, ballots.Count)) * DecryptionShare.Length],
            (range, loop, body) =>
            {
                var (first, count) = range;
                var chunkBallotsRead = ballots.ReadBallots(first, count);
                var digest = ShareChunk.DigestBallots(chunkBallotsRead, 0, count);
                string path = Path.Combine(outDirectory, ShareChunk.FileName(first));
                if (File.Exists(path))
                {
                    var existing = ShareChunk.TryDecode(File.ReadAllBytes(path), out var why);
                    if (existing != null && existing.ElectionId == electionId && existing.Trustee == trustee && existing.First == first
                        && existing.Count == count && existing.BallotsDigest.AsSpan().SequenceEqual(digest))
                    {
                        Interlocked.Increment(ref skipped);
                        return body;
                    }
                    log?.WriteLine($"{path}: {why ?? "made for other ballots or another trustee"}: recomputing");
                }
                if (Interlocked.Increment(ref started) > maxChunks)
                {
                    loop.Stop();
                    return body;
                }
                int missing = 0;
                for (int k = 0; k < count; k++)
                {
                    var dest = body.AsSpan(k * DecryptionShare.Length, DecryptionShare.Length);
                    if (BallotCipher.TryReadEphemeral(chunkBallotsRead[k], out var r) != BallotError.None)
                    {
                        dest.Clear(); // no R, no share: the ballot is spoiled as malformed
                        missing++;
                        continue;
                    }
                    ThresholdDecryption.CreateShare(electionId, secretShare, verificationKey, r).Encode(dest);
                }
                var file = ShareChunk.Encode(electionId, trustee, first, count, digest, body.AsSpan(0, count * DecryptionShare.Length));
                // A crash leaves the old file or none, never a torn one under the final name.
                IO.AtomicFile.Write(path, file);
                Interlocked.Add(ref without, missing);
                Interlocked.Increment(ref written);
                return body;
            }, _ => { });
        secretShare.Clear();
        return new Outcome(written, skipped, ballots.Count, without);
    }
}
