using System.Net;
using System.Net.Sockets;
using TVS.Cli;
using TVS.Storage.S3;
using Xunit.Abstractions;

namespace TVS.Tests.Storage;

/// <summary>
/// The bucket decision (docs/ops/storage.md, "The bucket") against the local S3 server: a missing
/// bucket is named with its endpoint and not created unless allowed; allowed, it is created;
/// an endpoint that does not answer is named in a warning (outages are retried, not refused); <c>tvs engine run</c> stops at start on a missing
/// bucket it may not create and creates it in test mode on an S3-compatible endpoint.
/// </summary>
[Collection(InProcessCliCollection.Name)]
public sealed class S3BucketTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly string _root = Directory.CreateTempSubdirectory("tvs-s3-bucket-").FullName;

    public S3BucketTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string FreshBucket() => "tvs-missing-" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public void A_missing_bucket_is_named_with_its_endpoint_and_created_only_when_allowed()
    {
        if (!TestServices.S3(_output, out var s3))
        {
            return;
        }
        var missing = s3 with { Bucket = FreshBucket() };
        var error = new StringWriter();
        Assert.False(S3Buckets.Prepare(missing, create: false, "test", error, createSetting: "S3CreateBucket: true"));
        _output.WriteLine(error.ToString());
        Assert.Contains($"S3 bucket '{missing.Bucket}' at {missing.ServiceUrl} does not exist", error.ToString());
        Assert.Contains("S3CreateBucket: true", error.ToString());
        using (var probe = new S3BlobSink(missing))
        {
            Assert.Equal(S3BucketState.Missing, probe.ProbeBucket(out _)); // refusing did not create it
        }

        var info = new StringWriter();
        Assert.True(S3Buckets.Prepare(missing, create: true, "test", error, info));
        Assert.Contains("created", info.ToString());
        using (var probe = new S3BlobSink(missing))
        {
            Assert.Equal(S3BucketState.Exists, probe.ProbeBucket(out _));
        }
        Assert.True(S3Buckets.Prepare(missing, create: false, "test", error)); // there now: nothing to do
    }

    [Fact]
    public void An_endpoint_that_does_not_answer_is_named_in_a_warning()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var options = new S3BlobSinkOptions { Bucket = "tvs-nowhere", ServiceUrl = $"http://127.0.0.1:{port}", AccessKey = "k", SecretKey = "s", Timeout = TimeSpan.FromSeconds(5), MaxSdkRetries = 0 };
        var error = new StringWriter();
        // Named, but not a refusal: an outage is retried where the writes happen (an engine restarted during one waits).
        Assert.True(S3Buckets.Prepare(options, create: true, "test", error));
        _output.WriteLine(error.ToString());
        Assert.Contains($"WARNING: S3 bucket 'tvs-nowhere' at http://127.0.0.1:{port}: no answer from the endpoint", error.ToString());
    }

    [Fact]
    public void Engine_run_refuses_a_missing_bucket_it_may_not_create_and_creates_it_in_test_mode()
    {
        if (!TestServices.S3(_output, out var s3))
        {
            return;
        }
        string election = Path.Combine(_root, "election"), input = Path.Combine(_root, "input.log");
        Assert.Equal(0, Tvs("loadgen", "--election", election, "--out", input, "--voters", "20", "--seal").Exit);
        string Config(string data, string bucket, string? create)
        {
            var engine = new System.Text.Json.Nodes.JsonObject
            {
                ["Election"] = election,
                ["Data"] = Path.Combine(_root, data),
                ["Input"] = input,
                ["StopAtEnd"] = true,
                ["PublishBoard"] = false,
                ["S3Bucket"] = bucket,
                ["S3Endpoint"] = s3.ServiceUrl,
                ["S3AccessKey"] = s3.AccessKey,
                ["S3SecretKey"] = s3.SecretKey,
            };
            if (create != null)
            {
                engine["S3CreateBucket"] = create == "true";
            }
            return new System.Text.Json.Nodes.JsonObject { ["Engine"] = engine }.ToJsonString();
        }
        Environment.SetEnvironmentVariable("TVS_Engine__Mode", "test");
        try
        {
            string refusedBucket = FreshBucket();
            File.WriteAllText(Path.Combine(_root, "refuse.json"), Config("data-refused", refusedBucket, "false"));
            var refused = Tvs("engine", "run", "--config", Path.Combine(_root, "refuse.json"));
            Assert.Equal(ExitCodes.Unusable, refused.Exit);
            Assert.Contains($"S3 bucket '{refusedBucket}' at {s3.ServiceUrl} does not exist", refused.Err);
            Assert.DoesNotContain("Exception", refused.Err);

            string createdBucket = FreshBucket();
            File.WriteAllText(Path.Combine(_root, "create.json"), Config("data-created", createdBucket, null));
            var created = Tvs("engine", "run", "--config", Path.Combine(_root, "create.json"));
            Assert.Equal(0, created.Exit);
            Assert.Contains($"created S3 bucket '{createdBucket}'", created.Err);
            using var sink = new S3BlobSink(s3 with { Bucket = createdBucket });
            Assert.NotEmpty(sink.ListKeys("")); // the run's batch objects went there
        }
        finally
        {
            Environment.SetEnvironmentVariable("TVS_Engine__Mode", null);
        }
    }

    [Fact]
    public void Gateway_run_refuses_a_receipts_board_in_a_missing_bucket_before_it_starts()
    {
        if (!TestServices.S3(_output, out var s3))
        {
            return;
        }
        string election = Path.Combine(_root, "gw-election");
        TVS.LoadGen.ElectionSetup.CreateSimulated(election).Dispose();
        string bucket = FreshBucket();
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", s3.AccessKey);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", s3.SecretKey);
        try
        {
            var refused = Tvs("gateway", "run", "--bootstrap", "127.0.0.1:1", "--election-dir", election, "--port", "0",
                "--receipts-pg", "Host=127.0.0.1;Database=none", "--board", $"s3://{bucket}/boards", "--s3-endpoint", s3.ServiceUrl!);
            Assert.Equal(ExitCodes.Refused, refused.Exit);
            Assert.Contains($"tvs gateway run: --board s3://{bucket}/boards: S3 bucket '{bucket}' at {s3.ServiceUrl} does not exist", refused.Err);
            Assert.DoesNotContain("S3CreateBucket", refused.Err); // a gateway never creates it
            using var probe = new S3BlobSink(s3 with { Bucket = bucket });
            Assert.Equal(S3BucketState.Missing, probe.ProbeBucket(out _));
        }
        finally
        {
            Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", null);
            Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", null);
        }
    }

    private (int Exit, string Out, string Err) Tvs(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var oldOut = Console.Out;
        var oldErr = Console.Error;
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            int exit = Program.BuildRoot().Parse(args).Invoke();
            return (exit, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
            _output.WriteLine($"tvs {string.Join(' ', args)}\n{stdout}{stderr}");
        }
    }
}
