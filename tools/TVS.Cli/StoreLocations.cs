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
    public static S3BlobSinkOptions S3Options(string location, string? endpoint) => S3Options(location, new S3BlobSinkOptions
    {
        Bucket = "-",
        ServiceUrl = endpoint,
        AccessKey = Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID"),
        SecretKey = Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY"),
    });

    /// <summary>
    /// The options for <c>s3://bucket/prefix/</c>: <paramref name="template"/>'s endpoint (else
    /// <c>AWS_ENDPOINT_URL_S3</c> / <c>AWS_ENDPOINT_URL</c>) and credentials, that bucket, that prefix.
    /// </summary>
    public static S3BlobSinkOptions S3Options(string location, S3BlobSinkOptions? template)
    {
        ArgumentNullException.ThrowIfNull(location);
        string rest = location[S3Scheme.Length..];
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        string bucket = slash < 0 ? rest : rest[..slash];
        if (bucket.Length == 0)
        {
            throw new ArgumentException($"{location}: no bucket (s3://bucket/prefix/)");
        }
        string prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
        var options = (template ?? new S3BlobSinkOptions { Bucket = bucket }) with { Bucket = bucket, KeyPrefix = prefix.Length == 0 ? "" : prefix + "/" };
        return options.ServiceUrl is null
            ? options with { ServiceUrl = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3") ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL") }
            : options;
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

    /// <summary>A record at exactly <paramref name="location"/>, S3 endpoint and credentials from <paramref name="template"/>.</summary>
    public static IRecordStore OpenRecord(string location, S3BlobSinkOptions? template, bool create)
    {
        ArgumentNullException.ThrowIfNull(location);
        return IsS3(location) ? new S3BoardStore(S3Options(location, template)) : new DirectoryRecordStore(location, create);
    }

    /// <summary>
    /// The election's board as the engine and the gateway take its location: a directory as it
    /// is; <c>s3://bucket/prefix/</c> as the prefix the engines publish under, the election's
    /// objects being under <c>prefix/{election id}/</c> (docs/formats.md, "Bulletin board"); a
    /// prefix that already ends with the election id is taken as it is.
    /// </summary>
    public static IBoardStore OpenBoard(string location, Guid electionId, S3BlobSinkOptions? template)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (!IsS3(location))
        {
            return new LocalBoardStore(location);
        }
        var options = S3Options(location, template);
        return options.KeyPrefix.EndsWith($"{electionId:D}/", StringComparison.OrdinalIgnoreCase)
            ? new S3BoardStore(options)
            : new S3BoardStore(options, electionId);
    }

    /// <summary><see cref="OpenBoard(string, Guid, S3BlobSinkOptions?)"/> with the endpoint alone (credentials from the environment).</summary>
    public static IBoardStore OpenBoard(string location, Guid electionId, string? s3Endpoint, bool verifyReadBack = true)
        => OpenBoard(location, electionId, IsS3(location) ? S3Options(location, s3Endpoint) with { VerifyReadBack = verifyReadBack ? null : false } : null);
}
