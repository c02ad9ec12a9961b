using TVS.Engine.IO;
using TVS.Engine.Ports;
using TVS.Storage.Board;
using TVS.Storage.S3;

namespace TVS.Cli;

/// <summary>
/// Where the post-voting verbs find the board and the record: a directory, or an S3 prefix
/// written <c>s3://bucket/prefix/</c>. For S3 the endpoint is <c>--s3-endpoint</c>, else the AWS
/// variables <c>AWS_ENDPOINT_URL_S3</c> / <c>AWS_ENDPOINT_URL</c>, else AWS itself; credentials
/// are <c>AWS_ACCESS_KEY_ID</c> / <c>AWS_SECRET_ACCESS_KEY</c> or the SDK's chain
/// (docs/operations.md, "After voting").
/// </summary>
public static class StoreLocations
{
    public const string S3Scheme = "s3://";

    public static bool IsS3(string location) => location.StartsWith(S3Scheme, StringComparison.Ordinal);

    /// <summary>The S3 options of <paramref name="location"/> (<c>s3://bucket/prefix/</c>): the bucket, and the prefix as the key prefix ("" for the bucket's root).</summary>
    public static S3BlobSinkOptions S3Options(string location, string? endpoint)
    {
        string rest = location[S3Scheme.Length..];
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        string bucket = slash < 0 ? rest : rest[..slash];
        if (bucket.Length == 0)
        {
            throw new ArgumentException($"{location}: no bucket (s3://bucket/prefix/)");
        }
        string prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
        return new S3BlobSinkOptions
        {
            Bucket = bucket,
            ServiceUrl = endpoint ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3") ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL"),
            KeyPrefix = prefix.Length == 0 ? "" : prefix + "/",
            AccessKey = Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID"),
            SecretKey = Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY"),
        };
    }

    /// <summary>
    /// A record (or any tree of public files) at exactly <paramref name="location"/>. A directory
    /// is created only when <paramref name="create"/> (writers); readers see a missing one as empty.
    /// </summary>
    public static IRecordStore OpenRecord(string location, string? s3Endpoint, bool create)
    {
        ArgumentNullException.ThrowIfNull(location);
        return IsS3(location) ? new S3BoardStore(S3Options(location, s3Endpoint)) : new DirectoryRecordStore(location, create);
    }

    /// <summary>
    /// The election's board as the engine and the gateway take its location: a directory as it
    /// is; <c>s3://bucket/prefix/</c> as the prefix the engines publish under, the election's
    /// objects being under <c>prefix/{election id}/</c> (docs/formats.md, "Bulletin board").
    /// </summary>
    public static IBoardStore OpenBoard(string location, Guid electionId, string? s3Endpoint, bool verifyReadBack = true)
    {
        ArgumentNullException.ThrowIfNull(location);
        return IsS3(location)
            ? new S3BoardStore(S3Options(location, s3Endpoint) with { VerifyReadBack = verifyReadBack ? null : false }, electionId)
            : new LocalBoardStore(location);
    }
}
