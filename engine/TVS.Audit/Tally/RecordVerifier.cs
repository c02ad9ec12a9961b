using System.Diagnostics;
using System.Globalization;
using TVS.Engine.IO;

namespace TVS.Engine.Tally;

/// <summary>How <see cref="RecordVerifier"/> runs: never what it checks.</summary>
public sealed record VerifyOptions
{
    /// <summary>Threads for the votes' checks (≤ 0: every core).</summary>
    public int Threads { get; init; } = -1;

    /// <summary>
    /// Where each finished range's outcome is kept (atomic files), so that a run killed mid-way
    /// skips them when run again and gives the same verdict; null: nothing kept.
    /// </summary>
    public string? StateDirectory { get; init; }

    /// <summary>Ballots per range (the unit of work and of resumption).</summary>
    public int RangeBallots { get; init; } = 4096;

    /// <summary>Without a state directory, the ranges' nullifiers stay in memory up to this many ballots (40 bytes each), else go to a temporary directory.</summary>
    public long InMemoryBallots { get; init; } = 1 << 20;

    /// <summary>Nullifiers sorted at once by the uniqueness check (40 bytes each): what bounds its memory.</summary>
    public long SortEntries { get; init; } = 1 << 22;

    /// <summary>Progress lines for long runs (stderr in the CLI); null: none.</summary>
    public TextWriter? Progress { get; init; }
}

/// <summary>
/// <c>tvs verify RECORD</c>: checks an election record with nothing but its files — no engine
/// state, no secret (docs/election-guide.md, "Verify") — read through <see cref="IRecordStore"/>
/// (a directory or an S3 prefix) in the layout of docs/formats.md "Election record": the
/// bulletin board plus the election's files. Every failure is one line naming the file and the
/// item; independent checks go on after a failure, so one run reports everything it can.
/// <para>
/// Order: the manifest, election.json and the stray partitions; the close statement first of the
/// votes (its heads give each partition's size and root) and every partition's board
/// authenticated against it; the votes by range over all cores in bounded memory (resumable with
/// <see cref="VerifyOptions.StateDirectory"/>); each partition's checkpoints against its head;
/// the dead letters; the tally. Each check is its own class, all report into one
/// <see cref="VerificationReport"/>.
/// </para>
/// </summary>
public static class RecordVerifier
{
    /// <summary>Verifies the record in directory <paramref name="record"/>.</summary>
    public static List<string> Verify(string record, TextWriter output, string? receipt = null, int threads = -1)
    {
        using var store = new DirectoryRecordStore(record, create: false);
        if (!store.Exists)
        {
            var report = new VerificationReport(output);
            report.Fail($"{record}: no such record directory");
            return report.Failures;
        }
        return Verify(store, output, receipt, new VerifyOptions { Threads = threads });
    }

    /// <summary>Verifies the whole record (or, with <paramref name="receipt"/>, one vote's inclusion). Returns the failures (empty = valid).</summary>
    public static List<string> Verify(IRecordStore store, TextWriter output, string? receipt, VerifyOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.RangeBallots, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.RangeBallots, ushort.MaxValue); // RangeOutcome's bucket offsets
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SortEntries, 1);
        var report = new VerificationReport(output);
        try
        {
            Run(new RecordReader(store, report), receipt, options, report);
        }
        catch (VerificationStoppedException)
        {
            // a failure that leaves nothing further checkable was already reported
        }
        return report.Failures;
    }

    private static void Run(RecordReader record, string? receipt, VerifyOptions options, VerificationReport report)
    {
        var clock = Stopwatch.StartNew();
        var manifest = ManifestCheck.Run(record, report);
        var election = record.ReadElection();
        StrayPartitionsCheck.Run(manifest.PartitionPaths, election.Partitions, report);
        var close = CloseCheck.Open(record, election, manifest, report);
        if (receipt != null)
        {
            ReceiptCheck.Run(record, election, close, receipt, report);
            return;
        }
        var ballots = CloseCheck.OpenBoard(record, close, report);

        string binding = string.Create(CultureInfo.InvariantCulture,
            $"election {election.Id:D}\nclose {close.Checkpoint.Root.ToBase64()} {close.Checkpoint.Size}\nballots {ballots.Count}\nrange {options.RangeBallots}\n");
        RangeStore ranges;
        try
        {
            ranges = RangeStore.Open(options.StateDirectory, binding, ballots.Count, options.InMemoryBallots);
        }
        catch (IOException e)
        {
            throw report.Stop($"--state {e.Message}");
        }
        using (ranges)
        {
            VotesCheck.Run(election, ballots, ranges, options, report);
        }
        double votesSeconds = clock.Elapsed.TotalSeconds;
        foreach (var head in close.Heads)
        {
            CheckpointsCheck.Run(record, election, head, report);
        }
        DeadLettersCheck.Run(record, close, report);

        // The DKG's public output, the contests, the shares and the result.
        var dkg = record.ReadElectionKey(election.Id);
        var contests = record.ReadContests();
        var published = record.ReadResult();
        if (dkg is not null && contests is not null && published is not null)
        {
            TallyCheck.Run(record, election.Id, dkg, contests, published, ballots, options.Threads, report);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        int cores = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        report.Note(string.Create(CultureInfo.InvariantCulture,
            $"verified {ballots.Count} ballots in {seconds:F1} s: {ballots.Count / Math.Max(seconds, 1e-3):F0} ballots/s on {cores} cores (the votes' checks {votesSeconds:F1} s)"));
    }
}
