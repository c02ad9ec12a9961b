using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace TVS.Ingest.Kafka;

/// <summary>
/// librdkafka's built-in mock cluster, hosted by this process (development and tests: <c>tvs dev
/// kafka</c>, tests/TVS.Tests/Ingest). A client created with <c>test.mock.num.brokers</c> starts N
/// mock brokers on 127.0.0.1 ephemeral ports; they speak the real Kafka protocol, so any client in
/// any process can connect to <see cref="BootstrapServers"/> while this object lives.
/// </summary>
/// <remarks>
/// Limits (docs/ops/kafka.md): data lives in memory only, and the mock keeps at most 5 MiB or
/// 100,000 message sets per partition, silently evicting older data (the partition's low
/// watermark moves up). Whoever uses it keeps each partition's backlog below that and checks
/// <see cref="LowWatermark"/>; a KafkaInputLog positioned below the low watermark fails loudly
/// (auto.offset.reset=error) instead of skipping records.
/// </remarks>
public sealed class MockKafkaCluster : IDisposable
{
    private readonly IAdminClient _host;

    private MockKafkaCluster(IAdminClient host, string bootstrapServers, int brokers)
    {
        _host = host;
        BootstrapServers = bootstrapServers;
        Brokers = brokers;
    }

    /// <summary>Comma-separated 127.0.0.1:port of every mock broker.</summary>
    public string BootstrapServers { get; }

    public int Brokers { get; }

    /// <summary>Starts <paramref name="brokers"/> mock brokers and, with <paramref name="partitions"/> &gt; 0, creates the TVS topics.</summary>
    public static MockKafkaCluster Start(int brokers = 3, int partitions = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        var config = new AdminClientConfig();
        config.Set("test.mock.num.brokers", brokers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // The host client's own log lines about its (fake) bootstrap are noise.
        var host = new AdminClientBuilder(config).SetLogHandler((_, _) => { }).Build();
        try
        {
            // librdkafka replaces this client's bootstrap.servers with the mock brokers' addresses.
            // The .NET client exposes neither that nor the mock API, so the handle goes to
            // librdkafka's own exported functions (rdkafka_mock.h): the same native library the
            // client loaded. Topics are created there too: the mock has no controller for CreateTopics.
            IntPtr mock = Native.rd_kafka_handle_mock_cluster(RawHandle(host));
            if (mock == IntPtr.Zero)
            {
                throw new InvalidOperationException("the client did not start a mock cluster (test.mock.num.brokers ignored)");
            }
            string bootstrap = Marshal.PtrToStringUTF8(Native.rd_kafka_mock_cluster_bootstraps(mock))
                ?? throw new InvalidOperationException("the mock cluster has no bootstrap servers");
            var cluster = new MockKafkaCluster(host, bootstrap, brokers) { _mock = mock };
            if (partitions > 0)
            {
                foreach (var topic in KafkaTopics.All)
                {
                    cluster.CreateTopic(topic, partitions);
                }
            }
            return cluster;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>Low and high watermark offsets of one partition, asked of the brokers.</summary>
    public WatermarkOffsets Watermarks(string topic, int partition)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = BootstrapServers, GroupId = "tvs-watermarks" }).Build();
        return consumer.QueryWatermarkOffsets(new TopicPartition(topic, partition), TimeSpan.FromSeconds(10));
    }

    /// <summary>The partition's low watermark: above 0 means the mock cluster evicted records.</summary>
    public long LowWatermark(string topic, int partition) => Watermarks(topic, partition).Low.Value;

    private IntPtr _mock;

    /// <summary>Creates <paramref name="topic"/> in the mock cluster (replication: min(3, brokers)).</summary>
    public void CreateTopic(string topic, int partitions)
    {
        int err = Native.rd_kafka_mock_topic_create(_mock, topic, partitions, Math.Min(3, Brokers));
        if (err != 0)
        {
            throw new KafkaException((ErrorCode)err);
        }
    }

    /// <summary>The client's rd_kafka_t*: Confluent.Kafka keeps it in an internal SafeHandle.</summary>
    private static IntPtr RawHandle(IClient client)
    {
        var property = typeof(Handle).GetProperty("LibrdkafkaHandle", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? throw new InvalidOperationException("Confluent.Kafka changed: Handle.LibrdkafkaHandle is gone");
        var safe = (SafeHandle)property.GetValue(client.Handle)!;
        return safe.DangerousGetHandle();
    }

    private static class Native
    {
        private const string Lib = "librdkafka";

        static Native() => NativeLibrary.SetDllImportResolver(typeof(Native).Assembly, Resolve);

        /// <summary>
        /// The very library Confluent.Kafka loaded: librdkafka.redist ships several Linux builds
        /// (glibc with SASL, centos8, alpine) and the client picks the first that loads, so the
        /// plain name may not be it (here librdkafka.so lacks libsasl2.so.3).
        /// </summary>
        private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
        {
            if (name != Lib)
            {
                return IntPtr.Zero;
            }
            if (File.Exists("/proc/self/maps"))
            {
                foreach (var line in File.ReadLines("/proc/self/maps"))
                {
                    int slash = line.IndexOf('/');
                    if (slash >= 0 && line.EndsWith("librdkafka.so", StringComparison.Ordinal) && NativeLibrary.TryLoad(line[slash..], out var loaded))
                    {
                        return loaded;
                    }
                }
            }
            string dir = Path.Combine(AppContext.BaseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native");
            foreach (var candidate in new[] { "librdkafka.so", "centos8-librdkafka.so", "alpine-librdkafka.so", "librdkafka.dylib", "librdkafka.dll" })
            {
                if (NativeLibrary.TryLoad(Path.Combine(dir, candidate), out var handle))
                {
                    return handle;
                }
            }
            return IntPtr.Zero;
        }

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern IntPtr rd_kafka_handle_mock_cluster(IntPtr rk);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr mcluster);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern int rd_kafka_mock_topic_create(IntPtr mcluster, [MarshalAs(UnmanagedType.LPUTF8Str)] string topic, int partitionCount, int replicationFactor);
    }

    public void Dispose() => _host.Dispose();
}
