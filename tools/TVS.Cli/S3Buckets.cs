using TVS.Storage.S3;

namespace TVS.Cli;

/// <summary>
/// The one place <c>tvs</c> decides about a bucket before it writes to or reads from S3
/// (docs/ops/storage.md, "The bucket"): it is probed once at start; a missing one is created only
/// when the caller may create it (an engine told <c>S3CreateBucket</c>, or by default a test-mode
/// engine on an S3-compatible endpoint), otherwise the command stops with a message naming the
/// bucket and the endpoint instead of failing deep inside the SDK on its first put.
/// </summary>
public static class S3Buckets
{
    /// <summary>
    /// True when the bucket is there (or was just created), or when the endpoint does not answer
    /// (a warning: outages are retried where the writes happen); false after writing why not to
    /// <paramref name="error"/> as <c>{who}: …</c> when the server says the bucket is missing or
    /// refuses the credentials. <paramref name="createSetting"/> names the
    /// setting that would let this command create it (null: none, the command never creates).
    /// </summary>
    public static bool Prepare(S3BlobSinkOptions options, bool create, string who, TextWriter error, TextWriter? info = null, string? createSetting = null)
    {
        using var sink = new S3BlobSink(options);
        var state = sink.ProbeBucket(out string detail);
        string bucket = $"S3 bucket '{options.Bucket}' at {sink.Endpoint}";
        switch (state)
        {
            case S3BucketState.Exists:
                return true;
            case S3BucketState.Missing when create:
                try
                {
                    sink.EnsureBucket();
                }
                catch (Exception e) when (e is Amazon.Runtime.AmazonClientException or HttpRequestException or IOException)
                {
                    error.WriteLine($"{who}: {bucket} does not exist and could not be created: {e.Message}");
                    return false;
                }
                info?.WriteLine($"{who}: created {bucket} (it did not exist)");
                return true;
            case S3BucketState.Missing:
                error.WriteLine($"{who}: {bucket} does not exist: create it first (e.g. aws s3 mb s3://{options.Bucket}"
                    + (options.ServiceUrl is { } url ? $" --endpoint-url {url}" : "") + ")"
                    + (createSetting is null ? "" : $", or set {createSetting} to let tvs create it") + " (docs/ops/storage.md, \"The bucket\")");
                return false;
            case S3BucketState.Forbidden:
                error.WriteLine($"{who}: {bucket}: access refused ({detail}): check the credentials (S3AccessKey/S3SecretKey, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the SDK's chain) and the bucket's policy");
                return false;
            default:
                // An outage is not a wrong setting: the flush stage and the board publisher retry
                // with back-off until S3 is back (docs/ops/storage.md, "What a failure looks like"),
                // so an engine restarted during one starts and waits rather than exiting.
                error.WriteLine($"{who}: WARNING: {bucket}: no answer from the endpoint ({detail}); starting anyway, writes retry until it answers");
                return true;
        }
    }
}
