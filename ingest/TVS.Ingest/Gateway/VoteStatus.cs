using System.Buffers.Binary;
using System.Collections.Concurrent;
using Confluent.Kafka;
using TVS.Ingest.Kafka;

namespace TVS.Ingest.Gateway;

public enum VoteState : byte
{
    Unknown,
    /// <summary>Written to votes.pending; no verdict seen yet.</summary>
    Pending,
    Accepted,
    Rejected,
}

/// <summary>What the gateway tells a voter about a nullifier.</summary>
public readonly record struct VoteStatus(VoteState State, long MmrIndex = -1, int Partition = -1, string? Reason = null)
{
    public static VoteStatus Unknown => default;
}

/// <summary>
/// Where <c>GET /v1/elections/{id}/votes/{nullifier}</c> looks a vote up. Production: a lookup
/// over the engine's committed rows (the integrator fills it); tests and <c>tvs dev</c>:
/// <see cref="InMemoryVoteStatusBook"/> fed from votes.validated and votes.rejected.
/// </summary>
public interface IVoteStatusSource
{
    /// <summary>The status of <paramref name="nullifier"/> (32 bytes, big-endian); Unknown if none.</summary>
    VoteStatus Get(ReadOnlySpan<byte> nullifier);

    /// <summary>
    /// A hint from the gateway that the vote was acknowledged by Kafka (so the status can say
    /// "pending" before the engine's verdict). A source backed by the engine's rows may ignore it.
    /// </summary>
    void Submitted(ReadOnlySpan<byte> nullifier, int partition, long offset);
}

/// <summary>The 32 bytes of a nullifier as a dictionary key (no allocation, no string).</summary>
internal readonly record struct NullifierKey(ulong A, ulong B, ulong C, ulong D)
{
    public static NullifierKey From(ReadOnlySpan<byte> n) => new(
        BinaryPrimitives.ReadUInt64BigEndian(n),
        BinaryPrimitives.ReadUInt64BigEndian(n[8..]),
        BinaryPrimitives.ReadUInt64BigEndian(n[16..]),
        BinaryPrimitives.ReadUInt64BigEndian(n[24..]));
}

/// <summary>
/// An in-memory status book for tests and development: pending from the gateway's own
/// submissions, verdicts from <see cref="VoteStatusFeeder"/>. An accepted verdict is final (a
/// later duplicate of the same nullifier is rejected, but the nullifier's vote stands). Bounded:
/// past <see cref="Capacity"/> entries, new ones are not remembered (Unknown), never an OOM.
/// </summary>
public sealed class InMemoryVoteStatusBook(int capacity = 1_000_000) : IVoteStatusSource
{
    private readonly ConcurrentDictionary<NullifierKey, VoteStatus> _map = new();

    public int Capacity { get; } = capacity;

    public int Count => _map.Count;

    public VoteStatus Get(ReadOnlySpan<byte> nullifier)
        => nullifier.Length == 32 && _map.TryGetValue(NullifierKey.From(nullifier), out var s) ? s : VoteStatus.Unknown;

    public void Submitted(ReadOnlySpan<byte> nullifier, int partition, long offset)
    {
        if (nullifier.Length == 32 && _map.Count < Capacity)
        {
            _map.TryAdd(NullifierKey.From(nullifier), new VoteStatus(VoteState.Pending, Partition: partition));
        }
    }

    public void Accepted(ReadOnlySpan<byte> nullifier, long mmrIndex, int partition)
    {
        if (nullifier.Length == 32 && (_map.Count < Capacity || _map.ContainsKey(NullifierKey.From(nullifier))))
        {
            _map[NullifierKey.From(nullifier)] = new VoteStatus(VoteState.Accepted, mmrIndex, partition);
        }
    }

    public void Rejected(ReadOnlySpan<byte> nullifier, string reason, int partition)
    {
        if (nullifier.Length != 32)
        {
            return;
        }
        var key = NullifierKey.From(nullifier);
        var rejected = new VoteStatus(VoteState.Rejected, Partition: partition, Reason: reason);
        while (true)
        {
            if (_map.TryGetValue(key, out var current))
            {
                if (current.State == VoteState.Accepted || _map.TryUpdate(key, rejected, current))
                {
                    return;
                }
            }
            else if (_map.Count >= Capacity || _map.TryAdd(key, rejected))
            {
                return;
            }
        }
    }
}

/// <summary>
/// Feeds an <see cref="InMemoryVoteStatusBook"/> from votes.validated and votes.rejected (every
/// partition, from the beginning, no consumer group) on a thread of its own until disposed.
/// </summary>
public sealed class VoteStatusFeeder : IDisposable
{
    private readonly IConsumer<byte[], byte[]> _consumer;
    private readonly InMemoryVoteStatusBook _book;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;

    public VoteStatusFeeder(string bootstrapServers, InMemoryVoteStatusBook book)
    {
        _book = book;
        _consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "tvs-gateway-status",
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            FetchWaitMaxMs = 50,
        }).SetLogHandler((_, _) => { }).Build();
        using var admin = new DependentAdminClientBuilder(_consumer.Handle).Build();
        var assignment = new List<TopicPartitionOffset>();
        foreach (var topic in new[] { KafkaTopics.Validated, KafkaTopics.Rejected })
        {
            int n = KafkaTopics.PartitionCount(admin, topic, TimeSpan.FromSeconds(10));
            for (int p = 0; p < n; p++)
            {
                assignment.Add(new TopicPartitionOffset(topic, p, Offset.Beginning));
            }
        }
        _consumer.Assign(assignment);
        _thread = new Thread(Run) { IsBackground = true, Name = "tvs-status-feeder" };
        _thread.Start();
    }

    /// <summary>Events applied so far.</summary>
    public long Applied { get; private set; }

    private void Run()
    {
        while (!_stop.IsCancellationRequested)
        {
            ConsumeResult<byte[], byte[]>? r;
            try
            {
                r = _consumer.Consume(100);
            }
            catch (ConsumeException)
            {
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            if (r == null || r.IsPartitionEOF || r.Message.Key is not { Length: 32 } key)
            {
                continue;
            }
            if (r.Topic == KafkaTopics.Validated)
            {
                if (ValidatedPublisher.TryDecode(r.Message.Value, out long index, out int partition, out _))
                {
                    _book.Accepted(key, index, partition);
                }
            }
            else
            {
                _book.Rejected(key, KafkaTopics.ReadTextHeader(r.Message.Headers, KafkaTopics.ReasonHeader) ?? "unknown",
                    (int)KafkaTopics.ReadNumberHeader(r.Message.Headers, KafkaTopics.PartitionHeader));
            }
            Applied++;
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join(TimeSpan.FromSeconds(5));
        _consumer.Dispose();
        _stop.Dispose();
    }
}
