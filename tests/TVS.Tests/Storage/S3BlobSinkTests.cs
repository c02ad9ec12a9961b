using System.Net;
using System.Net.Sockets;
using TVS.Storage.S3;
using Xunit.Abstractions;

namespace TVS.Tests.Storage;

[Collection(ExternalServicesCollection.Name)]
public class S3BlobSinkTests
{
    private readonly ITestOutputHelper _output;

    public S3BlobSinkTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Objects_read_back_byte_exact_and_a_second_put_is_harmless()
    {
        if (!TestServices.S3(_output, out var options))
        {
            return;
        }
        using var sink = new S3BlobSink(options);
        Assert.True(sink.VerifyReadBack); // on by default for a non-AWS endpoint
        sink.EnsureBucket(); // again: already there is fine
        var rng = new Random(7);
        // 256 KiB is the size docs/design.md ("Storage") saw come back 566 bytes longer with the SDK's defaults.
        foreach (int size in new[] { 1, 1000, 256 * 1024, 3 * 1024 * 1024 + 17 })
        {
            var content = new byte[size];
            rng.NextBytes(content);
            string key = $"elections/{Guid.Empty:D}/p0/{size:D12}-{size:D12}";
            sink.Put(key, content);
            sink.Put(key, content); // the flush stage's retry
            Assert.Equal(content, sink.Get(key));
        }
        Assert.Equal(4, sink.ListKeys("elections/").Count);
        Assert.Null(sink.Get("elections/none"));
    }

    [Fact]
    public void A_key_prefix_is_applied_to_put_get_and_list()
    {
        if (!TestServices.S3(_output, out var options))
        {
            return;
        }
        using var sink = new S3BlobSink(options with { KeyPrefix = "env-a/" });
        sink.Put("x/1", "one"u8);
        Assert.Equal(["x/1"], sink.ListKeys("x/"));
        using var raw = new S3BlobSink(options);
        Assert.Equal("one"u8.ToArray(), raw.Get("env-a/x/1"));
    }

    [Fact]
    public void An_unreachable_endpoint_throws_for_the_flush_stage_to_retry()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        using var sink = new S3BlobSink(new S3BlobSinkOptions
        {
            Bucket = "nowhere",
            ServiceUrl = $"http://127.0.0.1:{port}",
            AccessKey = "x",
            SecretKey = "y",
            Timeout = TimeSpan.FromSeconds(2),
            MaxSdkRetries = 0,
        });
        Assert.ThrowsAny<Exception>(() => sink.Put("k", "v"u8));
    }
}
