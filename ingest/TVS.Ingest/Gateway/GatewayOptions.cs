using System.Net;
using TVS.Crypto.Hpke;
using TVS.Engine.Votes;

namespace TVS.Ingest.Gateway;

/// <summary>Settings of a <see cref="GatewayServer"/> (docs/formats.md "Gateway API"; defaults sized for one gateway node).</summary>
public sealed record GatewayOptions
{
    /// <summary>Smallest sealed envelope: the vote record's fixed part and a 1-byte ballot, plus HPKE's enc and tag.</summary>
    public const int MinEnvelope = VoteRecord.HeaderSize + 1 + HpkeEnvelope.Overhead;

    /// <summary>Largest sealed envelope (<see cref="VoteRecord.MaxEnvelope"/>).</summary>
    public const int MaxEnvelope = VoteRecord.MaxEnvelope;

    public const string NullifierHeader = "X-TVS-Nullifier";

    /// <summary>The one election this gateway takes votes for.</summary>
    public required Guid ElectionId { get; init; }

    public required string BootstrapServers { get; init; }

    /// <summary>
    /// The election's partition count (election.json <c>partitions</c>): when set,
    /// <see cref="GatewayServer.StartAsync"/> refuses to start unless votes.pending has exactly
    /// this many partitions (<see cref="Kafka.PartitionCountMismatchException"/>). Null: not
    /// checked (<c>tvs gateway run</c> warns).
    /// </summary>
    public int? Partitions { get; init; }

    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>0 picks a free port (tests): see <see cref="GatewayServer.BaseAddress"/>.</summary>
    public int Port { get; init; } = 8080;

    /// <summary>Sustained requests per second per client IP (token bucket refill).</summary>
    public double RatePerClient { get; init; } = 20;

    /// <summary>Bucket size: requests a client may send at once.</summary>
    public int BurstPerClient { get; init; } = 40;

    /// <summary>Open connections at most (the rest wait in the kernel's backlog).</summary>
    public long MaxConnections { get; init; } = 10_000;

    /// <summary>
    /// Body bytes held by requests in flight at most: a request whose declared length does not fit
    /// is refused with 503 "busy" rather than allocated (many slow clients cannot exhaust memory).
    /// </summary>
    public long MaxBufferedBodyBytes { get; init; } = 256L << 20;

    /// <summary>A body must arrive at least this fast (bytes/s) after <see cref="BodyRateGrace"/>: slow-body clients are cut.</summary>
    public double MinBodyBytesPerSecond { get; init; } = 4096;

    public TimeSpan BodyRateGrace { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>All headers must arrive within this.</summary>
    public TimeSpan HeadersTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Where the status endpoint looks votes up; null answers 404 for every lookup.</summary>
    public IVoteStatusSource? Status { get; init; }

    /// <summary>
    /// Receipts from the shared stores (PostgreSQL + the bulletin board): an accepted vote's status
    /// answer carries its receipt (docs/formats.md "Voter receipt"). Consulted before
    /// <see cref="Status"/>, which still answers pending and rejected votes. Null: no receipts.
    /// </summary>
    public TVS.Engine.Board.ReceiptService? Receipts { get; init; }

    /// <summary>
    /// Run request code on the socket I/O threads (Kestrel's UnsafePreferInlineScheduling) rather
    /// than hopping to the thread pool: measured cheaper per request and lower latency (docs/
    /// PERFORMANCE.md, "Gateway"). Pair it with DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 in
    /// the process environment (<c>tvs gateway run</c> sets it). Turn it off if a handler ever
    /// blocks: a blocked I/O thread stalls every connection it serves.
    /// </summary>
    public bool InlineIo { get; init; } = true;

    /// <summary>Extra librdkafka producer settings.</summary>
    public IReadOnlyDictionary<string, string>? KafkaExtra { get; init; }
}
