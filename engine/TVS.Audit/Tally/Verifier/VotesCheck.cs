using System.Diagnostics;
using System.Globalization;
using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;
using TVS.Engine.Votes;
using TVS.Merkle.Tiles;

namespace TVS.Engine.Tally;

/// <summary>
/// Every accepted vote, read from the board's entry bundles (each authenticated against its
/// partition's signed head) by range over all cores: its record parses, of this election, under a
/// registry root the issuers signed, with a verification key for its depth, in its nullifier's
/// partition (Kafka's murmur2), its Groth16 proof valid for the signals derived from the record
/// (batched); and every nullifier unique across the election, in bounded memory: each range's
/// nullifiers are kept by bucket (<see cref="RangeStore"/>), then each group of buckets is
/// sorted on its own. Each range's outcome is kept, so that a run with a state directory resumes.
/// </summary>
internal static class VotesCheck
{
    /// <summary>Failure lines of one kind printed one by one; the rest are counted.</summary>
    public const int MaxFailureLines = 1000;

    public static void Run(RecordElection election, BoardBallots ballots, RangeStore store, VerifyOptions options, VerificationReport report)
    {
        int failures = report.FailureCount;
        int threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        var ranges = BallotSources.Ranges(ballots.Count, options.RangeBallots).ToArray();
        var outcomes = new RangeOutcome[ranges.Length];
        var clock = Stopwatch.StartNew();
        long done = 0;
        long lastProgress = 0;
        var scopeHash = SemaphoreSignals.ScopeHash(election.Id);
        Parallel.For(0, ranges.Length, new ParallelOptions { MaxDegreeOfParallelism = threads },
            () => VoteProofs.NewBatch(ProofBatchSize),
            (r, _, proofs) =>
            {
                var (first, count) = ranges[r];
                var outcome = store.TryLoad(first, count);
                if (outcome is null)
                {
                    outcome = CheckRange(election, ballots, first, count, scopeHash, proofs);
                    store.Save(outcome);
                }
                outcomes[r] = outcome;
                long now = Interlocked.Add(ref done, count);
                long ms = clock.ElapsedMilliseconds;
                long last = Interlocked.Read(ref lastProgress);
                if (options.Progress is { } progress && (ms - last >= 2000 || now == ballots.Count) && Interlocked.CompareExchange(ref lastProgress, ms, last) == last)
                {
                    lock (progress)
                    {
                        progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"verify: {now:N0}/{ballots.Count:N0} ballots checked (last: p{Locate(ballots, first).Partition}, ballots {first:N0}–{first + count - 1:N0}), {now / Math.Max(clock.Elapsed.TotalSeconds, 1e-3):N0} ballots/s"));
                    }
                }
                return proofs;
            }, _ => { });

        int printed = 0;
        long hidden = 0;
        foreach (var o in outcomes)
        {
            hidden += o.Omitted;
            foreach (var m in o.Failures)
            {
                if (printed++ < MaxFailureLines)
                {
                    report.Fail(m);
                }
                else
                {
                    hidden++;
                }
            }
        }
        if (hidden > 0)
        {
            report.Fail($"p0..p{ballots.Partitions.Count - 1}/tile/entries/: {hidden} more vote failure(s) not listed (at most {RangeOutcome.MaxFailures} per range of {options.RangeBallots} ballots and {MaxFailureLines} in all are)");
        }
        if (store.Resumed > 0)
        {
            report.Note($"{store.Resumed} of {ranges.Length} range(s) of {options.RangeBallots} ballots resumed from {options.StateDirectory}");
        }
        bool unique = UniqueNullifiers(ballots, outcomes, store, options, report);
        if (report.FailureCount == failures && unique)
        {
            report.Ok($"p0..p{ballots.Partitions.Count - 1}/tile/entries/: {ballots.Count} votes in {ballots.Partitions.Count} partition(s) parse, every root signed, every vote in its nullifier's partition, every nullifier unique across partitions, every Groth16 proof verifies (scope = election, message = SHA-256 of the ballot)");
        }
    }

    private const int ProofBatchSize = 128;

    /// <summary>The partition and index of ballot <paramref name="ballot"/>.</summary>
    public static (int Partition, long Index) Locate(BoardBallots ballots, long ballot)
    {
        int k = 0;
        while (k + 1 < ballots.Partitions.Count && ballots.FirstBallotOf(k + 1) <= ballot)
        {
            k++;
        }
        return (k, ballot - ballots.FirstBallotOf(k));
    }

    /// <summary>The board path of the bundle that holds entry <paramref name="index"/> of <paramref name="partition"/>.</summary>
    public static string BundlePath(BoardPartition partition, long index)
    {
        long bundle = index / TilePaths.Width;
        int width = (bundle + 1) * TilePaths.Width <= partition.Size ? TilePaths.Width : (int)(partition.Size - bundle * TilePaths.Width);
        return BoardPartition.PathOf(partition.Partition, TilePaths.Entries(bundle, width));
    }

    /// <summary>How a failure names a vote: its bundle's board path and its index in the partition.</summary>
    public static string At(BoardBallots ballots, int partition, long index) => $"{BundlePath(ballots.Partitions[partition], index)}: entry {index}";

    private static RangeOutcome CheckRange(RecordElection election, BoardBallots ballots, long first, int count, Fr scopeHash, ProofBatch proofs)
    {
        var failures = new List<(long Ballot, int Order, string Message)>();
        // The range's records in one buffer (no allocation per vote): record i is buffer[starts[i]..starts[i + 1]).
        var buffer = new byte[count * 1024];
        var starts = new int[count + 1];
        var where = new (int Partition, long Index)[count];
        int read = 0;
        try
        {
            ballots.Read(first, count, (ballot, partition, index, record) =>
            {
                int at = starts[read];
                if (buffer.Length - at < record.Length)
                {
                    Array.Resize(ref buffer, Math.Max(buffer.Length * 2, at + record.Length));
                }
                record.CopyTo(buffer.AsSpan(at));
                starts[read + 1] = at + record.Length;
                where[read] = (partition, index);
                read++;
            });
        }
        catch (IOException e)
        {
            // A bundle that is missing, truncated or not the signed entries: named, and the
            // ballots it should hold counted as unchecked, never silently skipped.
            failures.Add((first + read, 0, $"{e.Message} (ballots {first + read}–{first + count - 1} of this range not checked)"));
        }
        int partitions = ballots.Partitions.Count;
        var entries = new List<NullifierEntry>(read);
        var keyOf = new VerifyingKey?[read];
        var parsed = new VoteRecord[read];
        Span<byte> key = stackalloc byte[32];
        for (int i = 0; i < read; i++)
        {
            var (k, index) = where[i];
            var record = buffer.AsSpan(starts[i], starts[i + 1] - starts[i]);
            long ballot = first + i;
            if (!VoteRecord.TryParse(record, out var rec, out var why))
            {
                failures.Add((ballot, 1, $"{At(ballots, k, index)}: the vote record does not parse ({why})"));
                continue;
            }
            parsed[i] = rec;
            if (rec.ElectionId != election.Id)
            {
                failures.Add((ballot, 2, $"{At(ballots, k, index)} (nullifier {rec.Nullifier}): vote of election {rec.ElectionId}"));
            }
            if (!election.Roots.Contains(rec.Root))
            {
                failures.Add((ballot, 3, $"{At(ballots, k, index)} (nullifier {rec.Nullifier}): root {rec.Root} is not a registry root signed by at least t issuers"));
            }
            // Nullifier uniqueness holds per engine (its nullifier store); across partitions it holds
            // only if every nullifier reaches one engine: the record key's Kafka partition.
            rec.Nullifier.WriteBigEndian(key);
            int home = KeyPartitioner.PartitionOf(key, partitions);
            if (home != k)
            {
                failures.Add((ballot, 4, $"{At(ballots, k, index)} (nullifier {rec.Nullifier}): belongs to partition {home} (murmur2 of the nullifier mod {partitions}), not {k}: moved between partitions"));
            }
            entries.Add(new NullifierEntry(key, ballot));
            if (!election.Keys.TryGetValue(rec.Depth, out var vk))
            {
                failures.Add((ballot, 5, $"{At(ballots, k, index)} (nullifier {rec.Nullifier}): no verification key for tree depth {rec.Depth}"));
                continue;
            }
            keyOf[i] = vk;
        }

        // Groth16, one multi-pairing per 128 proofs; a failing batch is split until each proof has its verdict.
        var errors = new VerifyError[read];
        void Flush()
        {
            var verdicts = proofs.Verify(out var tags);
            for (int t = 0; t < verdicts.Length; t++)
            {
                errors[tags[t]] = verdicts[t];
            }
        }
        for (int i = 0; i < read; i++)
        {
            if (keyOf[i] is not { } vk)
            {
                continue;
            }
            if (proofs.IsFull)
            {
                Flush();
            }
            errors[i] = VoteProofs.TryAdd(proofs, vk, buffer.AsSpan(starts[i], starts[i + 1] - starts[i]), parsed[i], scopeHash, tag: i);
        }
        Flush();
        for (int i = 0; i < read; i++)
        {
            if (errors[i] != VerifyError.None)
            {
                var (k, index) = where[i];
                failures.Add((first + i, 6, $"{At(ballots, k, index)}: the Groth16 proof does not verify with the signals derived from the record ({errors[i].Describe()})"));
            }
        }
        failures.Sort((x, y) => x.Ballot != y.Ballot ? x.Ballot.CompareTo(y.Ballot) : x.Order.CompareTo(y.Order));
        return RangeOutcome.Of(first, count, failures.Select(f => f.Message).ToList(), entries);
    }

    /// <summary>
    /// Sorts the nullifiers bucket by bucket, as many buckets at a time as
    /// <see cref="VerifyOptions.SortEntries"/> allows, and reports every nullifier used twice
    /// (the later ballot, naming the first). Returns whether all are unique.
    /// </summary>
    private static bool UniqueNullifiers(BoardBallots ballots, RangeOutcome[] outcomes, RangeStore store, VerifyOptions options, VerificationReport report)
    {
        const int buckets = RangeOutcome.Buckets;
        var totals = new long[buckets];
        foreach (var o in outcomes)
        {
            for (int b = 0; b < buckets; b++)
            {
                totals[b] += o.BucketStarts[b + 1] - o.BucketStarts[b];
            }
        }
        var duplicates = new List<(long Ballot, long First, NullifierEntry Entry)>();
        long duplicateCount = 0;
        int from = 0;
        while (from < buckets)
        {
            // The buckets of this pass: at least one, as many as fit.
            int to = from + 1;
            long size = totals[from];
            while (to < buckets && size + totals[to] <= options.SortEntries)
            {
                size += totals[to++];
            }
            var pass = new NullifierEntry[size];
            var offsets = new long[to - from + 1];
            for (int b = from; b < to; b++)
            {
                offsets[b - from + 1] = offsets[b - from] + totals[b];
            }
            var fill = offsets[..^1].ToArray();
            foreach (var o in outcomes)
            {
                for (int b = from; b < to; b++)
                {
                    int n = o.BucketStarts[b + 1] - o.BucketStarts[b];
                    if (n > 0)
                    {
                        store.ReadEntries(o.First, o.BucketStarts[b], pass.AsSpan((int)fill[b - from], n));
                        fill[b - from] += n;
                    }
                }
            }
            var found = new List<(long, long, NullifierEntry)>[to - from];
            var counts = new long[to - from];
            Parallel.For(from, to, new ParallelOptions { MaxDegreeOfParallelism = options.Threads > 0 ? options.Threads : Environment.ProcessorCount }, b =>
            {
                var slice = pass.AsSpan((int)offsets[b - from], (int)(offsets[b - from + 1] - offsets[b - from]));
                slice.Sort();
                var list = new List<(long, long, NullifierEntry)>();
                for (int i = 1; i < slice.Length; i++)
                {
                    if (slice[i].SameNullifier(slice[i - 1]))
                    {
                        // the group's first ballot is the earliest (sorted by nullifier, then ballot)
                        int g = i - 1;
                        while (g > 0 && slice[g - 1].SameNullifier(slice[i]))
                        {
                            g--;
                        }
                        list.Add((slice[i].Ballot, slice[g].Ballot, slice[i]));
                    }
                }
                counts[b - from] = list.Count;
                list.Sort((x, y) => x.Item1.CompareTo(y.Item1));
                if (list.Count > MaxFailureLines)
                {
                    list.RemoveRange(MaxFailureLines, list.Count - MaxFailureLines);
                }
                found[b - from] = list;
            });
            duplicateCount += counts.Sum();
            foreach (var list in found)
            {
                duplicates.AddRange(list);
            }
            // Only the earliest duplicates are named: bounded however many there are.
            duplicates.Sort((x, y) => x.Ballot.CompareTo(y.Ballot));
            if (duplicates.Count > MaxFailureLines)
            {
                duplicates.RemoveRange(MaxFailureLines, duplicates.Count - MaxFailureLines);
            }
            from = to;
        }
        foreach (var (ballot, first, entry) in duplicates)
        {
            var (k, index) = Locate(ballots, ballot);
            var (k0, index0) = Locate(ballots, first);
            string at = At(ballots, k, index);
            string nullifier = entry.ToDecimal();
            report.Fail(k0 == k
                ? $"{at}: nullifier {nullifier} already used by entry {index0} ({BundlePath(ballots.Partitions[k0], index0)}) (duplicate vote)"
                : $"{at}: nullifier {nullifier} already accepted in partition {k0} ({BundlePath(ballots.Partitions[k0], index0)} entry {index0}): the same voter counted twice");
        }
        if (duplicateCount > duplicates.Count)
        {
            report.Fail($"p0..p{ballots.Partitions.Count - 1}/tile/entries/: {duplicateCount - duplicates.Count} more nullifier(s) used twice not listed");
        }
        return duplicateCount == 0;
    }
}
