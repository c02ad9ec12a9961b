using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using TVS.Engine.Ports;

namespace TVS.Storage.S3;

/// <summary>Where and how <see cref="S3BlobSink"/> writes (docs/ops/storage.md, "S3").</summary>
public sealed record S3BlobSinkOptions
{
    public required string Bucket { get; init; }

    /// <summary>An S3-compatible endpoint (e.g. <c>http://127.0.0.1:4568</c>); null for AWS itself.</summary>
    public string? ServiceUrl { get; init; }

    public string Region { get; init; } = "us-east-1";

    /// <summary>Static credentials; both null means the SDK's default chain (environment, profile, instance role).</summary>
    public string? AccessKey { get; init; }
    public string? SecretKey { get; init; }

    /// <summary>Path-style addressing (<c>endpoint/bucket/key</c>); null means on for a <see cref="ServiceUrl"/>, off for AWS.</summary>
    public bool? ForcePathStyle { get; init; }

    /// <summary>GET every object after writing it and compare SHA-256; null means on for a <see cref="ServiceUrl"/>, off for AWS.</summary>
    public bool? VerifyReadBack { get; init; }

    /// <summary>Prepended to every key (e.g. <c>"prod/"</c>); empty by default.</summary>
    public string KeyPrefix { get; init; } = "";

    /// <summary>Per request; the SDK's own retries are limited to <see cref="MaxSdkRetries"/> so that failures reach the flush stage's back-off and its warnings.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    public int MaxSdkRetries { get; init; } = 1;

    internal bool IsAws => ServiceUrl is null;
}

/// <summary>What <see cref="S3BlobSink.ProbeBucket"/> found.</summary>
public enum S3BucketState
{
    Exists,
    Missing,
    /// <summary>The server refused the credentials for this bucket (403/401).</summary>
    Forbidden,
    /// <summary>No S3 answer: connection refused, DNS, timeout, or an unexpected server error.</summary>
    Unreachable,
}

/// <summary>
/// Batch objects in S3 (docs/formats.md, "S3 batch objects"). Each put is a single PutObject
/// with a plain body (no aws-chunked encoding, checksums only when required: docs/design.md "Storage",
/// s3rver stores the chunk framing verbatim otherwise), a Content-MD5 and an
/// x-amz-checksum-sha256 the server can check, and, by default for non-AWS endpoints, a read-back
/// whose SHA-256 must match. Putting the same key and bytes again overwrites them with the same
/// bytes, so a retried put is harmless. Every failure is thrown (the flush stage retries).
/// </summary>
public sealed class S3BlobSink : IBlobSink
{
    private readonly AmazonS3Client _client;
    private byte[] _buffer = new byte[1 << 20];

    public S3BlobSink(S3BlobSinkOptions options)
    {
        Options = options;
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle ?? !options.IsAws,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            Timeout = options.Timeout,
            MaxErrorRetry = options.MaxSdkRetries,
        };
        if (options.ServiceUrl is { } url)
        {
            config.ServiceURL = url;
            config.AuthenticationRegion = options.Region;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region);
        }
        _client = options.AccessKey is { } access && options.SecretKey is { } secret
            ? new AmazonS3Client(new BasicAWSCredentials(access, secret), config)
            : new AmazonS3Client(config);
        VerifyReadBack = options.VerifyReadBack ?? !options.IsAws;
    }

    public S3BlobSinkOptions Options { get; }
    public bool VerifyReadBack { get; }

    /// <summary>Objects written (read-backs included in the time) since this sink was made.</summary>
    public long Puts { get; private set; }

    public void Put(string key, ReadOnlySpan<byte> content)
    {
        // The SDK is asynchronous and reads a stream: copy the span into a reused buffer once.
        if (content.Length > _buffer.Length)
        {
            _buffer = new byte[Math.Max(content.Length, _buffer.Length * 2)];
        }
        content.CopyTo(_buffer);
        var sha256 = SHA256.HashData(content);
        var md5 = MD5.HashData(content);
        string fullKey = Options.KeyPrefix + key;
        using (var body = new MemoryStream(_buffer, 0, content.Length, writable: false))
        {
            var request = new PutObjectRequest
            {
                BucketName = Options.Bucket,
                Key = fullKey,
                InputStream = body,
                AutoCloseStream = false,
                UseChunkEncoding = false,
                MD5Digest = Convert.ToBase64String(md5),
                ChecksumSHA256 = Convert.ToBase64String(sha256),
                ContentType = "application/octet-stream",
            };
            Wait(_client.PutObjectAsync(request));
        }
        if (VerifyReadBack)
        {
            var stored = Get(key) ?? throw new InvalidDataException($"s3://{Options.Bucket}/{fullKey}: missing right after it was written");
            if (stored.Length != content.Length || !SHA256.HashData(stored).AsSpan().SequenceEqual(sha256))
            {
                throw new InvalidDataException(
                    $"s3://{Options.Bucket}/{fullKey}: read back {stored.Length} bytes, wrote {content.Length}, SHA-256 differs (an S3-compatible server storing aws-chunked framing?)");
            }
        }
        Puts++;
    }

    /// <summary>The object's bytes, or null if there is no such key.</summary>
    public byte[]? Get(string key)
    {
        try
        {
            using var response = Wait(_client.GetObjectAsync(new GetObjectRequest { BucketName = Options.Bucket, Key = Options.KeyPrefix + key }));
            using var content = new MemoryStream(response.ContentLength > 0 ? (int)response.ContentLength : 0);
            response.ResponseStream.CopyTo(content);
            return content.ToArray();
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Every key under <paramref name="prefix"/> (after <see cref="S3BlobSinkOptions.KeyPrefix"/>), in S3's order (ascending).</summary>
    public List<string> ListKeys(string prefix)
    {
        var keys = new List<string>();
        var request = new ListObjectsV2Request { BucketName = Options.Bucket, Prefix = Options.KeyPrefix + prefix };
        while (true)
        {
            var response = Wait(_client.ListObjectsV2Async(request));
            foreach (var o in response.S3Objects ?? [])
            {
                keys.Add(o.Key[Options.KeyPrefix.Length..]);
            }
            if (response.IsTruncated != true)
            {
                return keys;
            }
            request.ContinuationToken = response.NextContinuationToken;
        }
    }

    /// <summary>Where the bucket is, for messages: the S3-compatible endpoint, or AWS and its region.</summary>
    public string Endpoint => Options.ServiceUrl ?? $"AWS S3 (region {Options.Region})";

    /// <summary>
    /// Whether the bucket is there, with one HEAD request (docs/ops/storage.md, "The bucket"):
    /// <paramref name="detail"/> carries the server's or the transport's words when it is not.
    /// Never throws for a missing bucket, refused credentials or an unreachable endpoint, so the
    /// caller can name the bucket and the endpoint instead of failing deep inside a later put.
    /// </summary>
    public S3BucketState ProbeBucket(out string detail)
    {
        detail = "";
        try
        {
            Wait(_client.HeadBucketAsync(new HeadBucketRequest { BucketName = Options.Bucket }));
            return S3BucketState.Exists;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            detail = e.ErrorCode ?? "NotFound";
            return S3BucketState.Missing;
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            detail = $"{(int)e.StatusCode} {e.ErrorCode}".TrimEnd();
            return S3BucketState.Forbidden;
        }
        catch (AmazonServiceException e)
        {
            detail = $"{(int)e.StatusCode} {e.ErrorCode} {e.Message}".Trim();
            return S3BucketState.Unreachable;
        }
        catch (Exception e) when (e is AmazonClientException or HttpRequestException or IOException or System.Net.Sockets.SocketException or TaskCanceledException)
        {
            detail = e.InnerException is { } inner && !e.Message.Contains(inner.Message, StringComparison.Ordinal) ? $"{e.Message} ({inner.Message})" : e.Message;
            return S3BucketState.Unreachable;
        }
    }

    /// <summary>Creates the bucket if it does not exist (development and tests; production buckets are provisioned).</summary>
    public void EnsureBucket()
    {
        try
        {
            Wait(_client.PutBucketAsync(new PutBucketRequest { BucketName = Options.Bucket }));
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
        }
    }

    // The flush thread has no synchronization context: blocking on the task cannot deadlock.
    private static T Wait<T>(Task<T> task) => task.GetAwaiter().GetResult();

    public void Dispose() => _client.Dispose();
}
