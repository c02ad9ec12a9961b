using TVS.Crypto.Ristretto;

namespace TVS.Crypto.Threshold;

/// <summary>One trustee's decryption share of one ballot: D_i = s_i·R and its DLEQ proof.</summary>
public struct DecryptionShare
{
    /// <summary>32 + 96 bytes: D_i ‖ A ‖ B ‖ z (docs/formats.md, "Decryption share").</summary>
    public const int Length = RistrettoPoint.Length + DleqProof.Length;

    public RistrettoPoint Share;
    public DleqProof Proof;

    public readonly void Encode(Span<byte> destination)
    {
        Share.Encode(destination);
        Proof.Encode(destination[RistrettoPoint.Length..]);
    }

    /// <summary>
    /// Reads only D_i of an encoded share (length and a valid non-identity D_i), leaving the proof
    /// unread: for combining first (<c>tvs tally --proofs on-failure</c>), where decoding A and B
    /// of every share would cost two point validations each for proofs that are mostly never
    /// checked. The proof is checked, and its encoding validated, when it is verified from the
    /// same bytes (<see cref="DleqBatch"/>, <see cref="ThresholdDecryption.VerifyShare(Guid, in RistrettoPoint, in RistrettoPoint, ReadOnlySpan{byte})"/>).
    /// </summary>
    public static bool TryReadShare(ReadOnlySpan<byte> encoding, out RistrettoPoint share)
    {
        share = default;
        return encoding.Length == Length && RistrettoPoint.TryDecodeNonIdentity(encoding[..RistrettoPoint.Length], out share);
    }

    public static bool TryDecode(ReadOnlySpan<byte> encoding, out DecryptionShare share)
    {
        share = default;
        return encoding.Length == Length
            && RistrettoPoint.TryDecodeNonIdentity(encoding[..RistrettoPoint.Length], out share.Share)
            && DleqProof.TryDecode(encoding[RistrettoPoint.Length..], out share.Proof);
    }
}

/// <summary>
/// The trustees' side of the tally: decryption shares with proofs, their verification, and the
/// Lagrange combination D = Σ λ_i·D_i = s·R. Per-ballot calls allocate nothing; the batch calls
/// split a range of ballots into chunks over the cores, and take (start, count) so a tally can
/// resume from the last range it persisted.
/// </summary>
public static class ThresholdDecryption
{
    /// <summary>Ballots per parallel work item: large enough that scheduling costs nothing next to the curve work of each ballot (docs/PERFORMANCE.md, "Trustees").</summary>
    public const int ChunkSize = 256;

    public static DecryptionShare CreateShare(Guid electionId, in RistrettoScalar secretShare, in RistrettoPoint verificationKey, in RistrettoPoint ephemeral)
    {
        if (ephemeral.IsIdentity) throw new ArgumentException("R must not be the identity", nameof(ephemeral));
        DecryptionShare d;
        d.Share = RistrettoPoint.Multiply(secretShare, ephemeral);
        d.Proof = Dleq.Prove(electionId, secretShare, verificationKey, ephemeral, d.Share);
        return d;
    }

    public static bool VerifyShare(Guid electionId, in RistrettoPoint verificationKey, in RistrettoPoint ephemeral, in DecryptionShare share) =>
        Dleq.Verify(electionId, verificationKey, ephemeral, share.Share, share.Proof);

    /// <summary>An encoded share (as a shares file holds it): false if it does not decode or its proof does not verify.</summary>
    public static bool VerifyShare(Guid electionId, in RistrettoPoint verificationKey, in RistrettoPoint ephemeral, ReadOnlySpan<byte> share) =>
        DecryptionShare.TryDecode(share, out var decoded) && VerifyShare(electionId, verificationKey, ephemeral, decoded);

    /// <summary>D = Σ λ_i·D_i, with the weights of <see cref="Lagrange.CoefficientsAtZero"/> for the same indices in the same order.</summary>
    public static RistrettoPoint Combine(ReadOnlySpan<RistrettoScalar> lagrange, ReadOnlySpan<RistrettoPoint> shares)
    {
        if (lagrange.Length != shares.Length || shares.Length == 0) throw new ArgumentException("one weight per share, at least one share");
        var d = RistrettoPoint.Multiply(lagrange[0], shares[0]);
        for (int i = 1; i < shares.Length; i++) d += RistrettoPoint.Multiply(lagrange[i], shares[i]);
        return d;
    }

    /// <summary>Shares for ballots [start, start + count) of <paramref name="ephemerals"/> into the same positions of <paramref name="output"/>.</summary>
    public static void CreateShares(Guid electionId, RistrettoScalar secretShare, RistrettoPoint verificationKey,
        RistrettoPoint[] ephemerals, DecryptionShare[] output, int start, int count, int maxDegreeOfParallelism = -1)
    {
        CheckRange(ephemerals.Length, output.Length, start, count);
        try
        {
            ForChunks(start, count, maxDegreeOfParallelism, (from, to) =>
            {
                for (int i = from; i < to; i++) output[i] = CreateShare(electionId, secretShare, verificationKey, ephemerals[i]);
            });
        }
        finally
        {
            secretShare.Clear();
        }
    }

    /// <summary>
    /// Verifies trustee i's shares for ballots [start, start + count), in batches of
    /// <see cref="ChunkSize"/> (<see cref="DleqBatch"/>); ok[k] says which passed, with the verdicts
    /// of <see cref="VerifyShare(Guid, in RistrettoPoint, in RistrettoPoint, in DecryptionShare)"/>. Returns the number that failed.
    /// </summary>
    public static int VerifyShares(Guid electionId, RistrettoPoint verificationKey, RistrettoPoint[] ephemerals, DecryptionShare[] shares,
        bool[] ok, int start, int count, int maxDegreeOfParallelism = -1)
    {
        CheckRange(ephemerals.Length, shares.Length, start, count);
        CheckRange(ok.Length, ok.Length, start, count);
        int failed = 0;
        ForChunks(start, count, maxDegreeOfParallelism, (from, to) =>
        {
            var batch = t_batch is { } b && b.ElectionId == electionId ? b : (t_batch = new DleqBatch(electionId, ChunkSize));
            int f = 0;
            // One thread may get the whole range (a single chunk, or no parallelism): a batch at a time.
            for (int i = from; i < to;)
            {
                for (; i < to && !batch.IsFull; i++) batch.Add(verificationKey, ephemerals[i], shares[i], i);
                var verdicts = batch.Verify(out var tags);
                for (int k = 0; k < verdicts.Length; k++)
                {
                    ok[tags[k]] = verdicts[k];
                    if (!verdicts[k]) f++;
                }
            }
            if (f != 0) Interlocked.Add(ref failed, f);
        });
        return failed;
    }

    /// <summary>One batch per thread, reused by every chunk that thread verifies.</summary>
    [ThreadStatic]
    private static DleqBatch? t_batch;

    /// <summary>
    /// Combines for ballots [start, start + count): <paramref name="sharesByTrustee"/>[k][ballot] is
    /// the share of the k-th trustee in <paramref name="indices"/>. Writes D into <paramref name="combined"/>.
    /// </summary>
    public static void CombineShares(ReadOnlySpan<int> indices, RistrettoPoint[][] sharesByTrustee, RistrettoPoint[] combined, int start, int count, int maxDegreeOfParallelism = -1)
    {
        if (indices.Length != sharesByTrustee.Length) throw new ArgumentException("one share array per index");
        foreach (var s in sharesByTrustee) CheckRange(s.Length, combined.Length, start, count);
        var lambda = new RistrettoScalar[indices.Length];
        Lagrange.CoefficientsAtZero(indices, lambda);
        int t = indices.Length;
        ForChunks(start, count, maxDegreeOfParallelism, (from, to) =>
        {
            for (int i = from; i < to; i++)
            {
                var d = RistrettoPoint.Multiply(lambda[0], sharesByTrustee[0][i]);
                for (int k = 1; k < t; k++) d += RistrettoPoint.Multiply(lambda[k], sharesByTrustee[k][i]);
                combined[i] = d;
            }
        });
    }

    private static void CheckRange(int a, int b, int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Math.Min(a, b)) throw new ArgumentOutOfRangeException(nameof(count), "range outside the arrays");
    }

    private static void ForChunks(int start, int count, int maxDegreeOfParallelism, Action<int, int> body)
    {
        int chunks = (count + ChunkSize - 1) / ChunkSize;
        if (chunks <= 1 || maxDegreeOfParallelism == 1)
        {
            body(start, start + count);
            return;
        }
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, c =>
        {
            int from = start + c * ChunkSize;
            body(from, Math.Min(from + ChunkSize, start + count));
        });
    }
}

/// <summary>Lagrange interpolation at 0 over distinct trustee indices (1-based).</summary>
public static class Lagrange
{
    /// <summary>λ_i = Π_{j≠i} j / (j − i) mod ℓ, for each i in <paramref name="indices"/>. Computed once per subset, not per ballot.</summary>
    public static void CoefficientsAtZero(ReadOnlySpan<int> indices, Span<RistrettoScalar> coefficients)
    {
        if (coefficients.Length < indices.Length) throw new ArgumentException("one coefficient per index", nameof(coefficients));
        for (int a = 0; a < indices.Length; a++)
        {
            if (indices[a] < 1) throw new ArgumentException("indices start at 1", nameof(indices));
            for (int b = 0; b < a; b++)
                if (indices[a] == indices[b]) throw new ArgumentException($"index {indices[a]} appears twice", nameof(indices));
        }
        for (int a = 0; a < indices.Length; a++)
        {
            var num = RistrettoScalar.One;
            var den = RistrettoScalar.One;
            var xi = RistrettoScalar.FromUInt64((ulong)indices[a]);
            for (int b = 0; b < indices.Length; b++)
            {
                if (b == a) continue;
                var xj = RistrettoScalar.FromUInt64((ulong)indices[b]);
                num *= xj;
                den *= xj - xi;
            }
            if (!RistrettoScalar.TryInvert(den, out var inv)) throw new InvalidOperationException("distinct indices give a nonzero denominator");
            coefficients[a] = num * inv;
        }
    }

    /// <summary>Σ λ_i·s_i: the secret from t shares (tests and the local demo; the tally never does this).</summary>
    public static RistrettoScalar InterpolateAtZero(ReadOnlySpan<int> indices, ReadOnlySpan<RistrettoScalar> shares)
    {
        Span<RistrettoScalar> lambda = new RistrettoScalar[indices.Length];
        CoefficientsAtZero(indices, lambda);
        var s = RistrettoScalar.Zero;
        for (int i = 0; i < indices.Length; i++) s += lambda[i] * shares[i];
        return s;
    }

    /// <summary>Σ λ_i·P_i: interpolation in the exponent (e.g. Y from t verification keys).</summary>
    public static RistrettoPoint InterpolateAtZero(ReadOnlySpan<int> indices, ReadOnlySpan<RistrettoPoint> points)
    {
        Span<RistrettoScalar> lambda = new RistrettoScalar[indices.Length];
        CoefficientsAtZero(indices, lambda);
        return ThresholdDecryption.Combine(lambda, points);
    }
}
