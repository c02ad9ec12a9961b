using TVS.Engine.Ports;
using TVS.Storage.S3;

namespace TVS.Storage.Board;

/// <summary>
/// The production bulletin board: objects under <c>{KeyPrefix}{election}/</c> of an S3 bucket
/// (docs/formats.md "Bulletin board (tlog-tiles)"), written as <see cref="S3BlobSink"/> writes batch
/// objects (plain bodies with Content-MD5 and SHA-256, read back on non-AWS endpoints). A CDN or
/// the bucket's static website serves it. Rewriting a tile puts the same bytes again (publishing
/// is deterministic), so no conditional write is needed.
/// </summary>
public sealed class S3BoardStore : IBoardStore
{
    private readonly S3BlobSink _objects;

    public S3BoardStore(S3BlobSinkOptions options, Guid electionId)
        : this(options with { KeyPrefix = options.KeyPrefix + $"{electionId:D}/" })
    {
    }

    /// <summary>The files under <paramref name="options"/>' key prefix as they are (an election record exported to <c>s3://bucket/prefix/</c>).</summary>
    public S3BoardStore(S3BlobSinkOptions options)
    {
        _objects = new S3BlobSink(options);
    }

    public string Location => $"s3://{_objects.Options.Bucket}/{_objects.Options.KeyPrefix}";

    /// <summary>Objects written so far.</summary>
    public long Puts => _objects.Puts;

    public void EnsureBucket() => _objects.EnsureBucket();

    public void Put(string path, ReadOnlySpan<byte> content) => _objects.Put(path, content);

    /// <summary>
    /// The object, or null when there is none — or when its bytes fail the checksum it was
    /// written with: an S3-compatible server that writes a PUT's body in place (s3rver) keeps
    /// what a publisher killed mid-upload sent. Read as absent, the publisher rebuilds the
    /// partition's board from index 0 and puts every object again, which repairs it; real S3
    /// never exposes such an object.
    /// </summary>
    public byte[]? TryGet(string path)
    {
        try
        {
            return _objects.Get(path);
        }
        catch (Amazon.Runtime.AmazonClientException e) when (e.Message.Contains("hash", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
    }

    public IEnumerable<string> List(string prefix)
    {
        var keys = _objects.ListKeys(prefix);
        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    public void Dispose() => _objects.Dispose();
}
