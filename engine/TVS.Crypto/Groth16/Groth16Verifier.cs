using System.Security.Cryptography;
using TVS.Crypto.Bn254;

namespace TVS.Crypto.Groth16;

/// <summary>
/// Groth16 verification on BN254, the check snarkjs makes: e(−A, B)·e(vk_x, γ)·e(C, δ)·e(α, β) = 1
/// with vk_x = IC₀ + Σ sᵢ·ICᵢ. γ, δ and β use precomputed lines; one final exponentiation.
/// </summary>
public static class Groth16Verifier
{
    /// <summary>Verifies one proof. Never throws on hostile input: returns the reason instead.</summary>
    public static VerifyError Verify(VerifyingKey vk, in Proof proof, ReadOnlySpan<Fr> publicSignals)
    {
        if (publicSignals.Length != vk.PublicInputCount) return VerifyError.WrongPublicSignalCount;
        if (proof.A.IsInfinity || proof.B.IsInfinity || proof.C.IsInfinity) return VerifyError.PointAtInfinity;
        var vkx = LinearCombination(vk, publicSignals);
        Span<G1Affine> ps = [proof.A.Negate()];
        Span<G2Affine> qs = [proof.B];
        Span<G1Affine> pf = [vkx, proof.C];
        ReadOnlySpan<G2Prepared> qf = [vk.GammaPrepared, vk.DeltaPrepared];
        Span<G2Proj> scratch = stackalloc G2Proj[1];
        var f = Pairing.MillerLoop(ps, qs, pf, qf, scratch);
        f *= vk.AlphaBetaMiller;
        return Pairing.FinalExponentiation(f).IsOne ? VerifyError.None : VerifyError.PairingCheckFailed;
    }

    /// <summary>IC₀ + Σ sᵢ·ICᵢ, with the key's fixed-base tables.</summary>
    internal static G1Affine LinearCombination(VerifyingKey vk, ReadOnlySpan<Fr> publicSignals)
    {
        int n = publicSignals.Length;
        Span<Limbs4> scalars = n <= 32 ? stackalloc Limbs4[n + 1] : new Limbs4[n + 1];
        scalars[0] = new Limbs4(1, 0, 0, 0);
        for (int i = 0; i < n; i++) scalars[i + 1] = publicSignals[i].ToCanonical();
        return vk.ICCombination(scalars).ToAffine();
    }
}

/// <summary>One statement for batch verification.</summary>
public readonly struct BatchItem
{
    public readonly VerifyingKey Key;
    public readonly Proof Proof;
    public readonly ReadOnlyMemory<Fr> Public;

    public BatchItem(VerifyingKey key, in Proof proof, ReadOnlyMemory<Fr> publicSignals)
    {
        Key = key; Proof = proof; Public = publicSignals;
    }
}

/// <summary>
/// Batch verification by a random linear combination: with fresh CSPRNG scalars rᵢ of 128 bits of entropy,
/// Π e(−rᵢAᵢ, Bᵢ) · Π_keys [ e(Σ rᵢ·vk_xᵢ, γ) · e(Σ rᵢCᵢ, δ) · e((Σ rᵢ)·α, β) ] = 1,
/// one multi-Miller loop and one final exponentiation for the whole batch, whatever mix of keys
/// it holds. A batch with any invalid proof fails except with probability ≤ 2⁻¹²⁸; a failing batch
/// is split and re-checked so that every proof gets its own verdict. One instance per thread; after the
/// first batch of the largest size it allocates nothing.
/// </summary>
public sealed class Groth16BatchVerifier
{
    private int _capacity;
    private int[] _order = [];
    private int[] _slotOf = [];
    private ulong[] _k1 = [];
    private ulong[] _k2 = [];
    private G1Jac[] _rAJac = [];
    private G1Affine[] _a = [];
    private readonly AffineBatchGlv _glv = new();
    private G1Affine[] _negRA = [];
    private G2Affine[] _b = [];
    private G1Affine[] _cPoints = [];
    private Limbs4[] _cScalars = [];
    private G2Proj[] _scratch = [];
    private readonly AffineMillerLoop _affine = new();
    private byte[] _random = [];

    // per distinct key in a batch
    private VerifyingKey[] _keys = new VerifyingKey[4];
    private int[] _keyCount = new int[4];
    private int[] _keyStart = new int[4];
    private Fr[] _sumR = new Fr[4];
    private Fr[][] _coef = new Fr[4][];
    private G1Jac[] _fixedJac = new G1Jac[12];
    private G1Affine[] _fixedP = new G1Affine[12];
    private G2Prepared[] _fixedQ = new G2Prepared[12];
    private Limbs4[] _icScalars = new Limbs4[8];

    public Groth16BatchVerifier(int initialCapacity = 256) => Grow(initialCapacity);

    private void Grow(int n)
    {
        if (n <= _capacity) return;
        _capacity = n;
        _order = new int[n];
        _slotOf = new int[n];
        _k1 = new ulong[n];
        _k2 = new ulong[n];
        _rAJac = new G1Jac[n];
        _a = new G1Affine[n];
        _negRA = new G1Affine[n];
        _b = new G2Affine[n];
        _cPoints = new G1Affine[2 * n];
        _cScalars = new Limbs4[2 * n];
        _scratch = new G2Proj[n];
        _random = new byte[16 * n];
    }

    /// <summary>Verifies every item; results[i] gets item i's verdict.</summary>
    public void Verify(ReadOnlySpan<BatchItem> items, Span<VerifyError> results)
    {
        if (results.Length < items.Length) throw new ArgumentException("results too short", nameof(results));
        Grow(items.Length);
        // Structural checks first; only well-formed items enter the batch.
        int m = 0;
        var pending = _order.AsSpan(0, items.Length);
        for (int i = 0; i < items.Length; i++)
        {
            ref readonly var it = ref items[i];
            if (it.Public.Length != it.Key.PublicInputCount) { results[i] = VerifyError.WrongPublicSignalCount; continue; }
            if (it.Proof.A.IsInfinity || it.Proof.B.IsInfinity || it.Proof.C.IsInfinity) { results[i] = VerifyError.PointAtInfinity; continue; }
            results[i] = VerifyError.None;
            pending[m++] = i;
        }
        Resolve(items, pending[..m], results);
    }

    /// <summary>Below this many proofs a failed batch is settled by single verifications.</summary>
    private const int SingleThreshold = 4;

    /// <summary>
    /// Checks a subset as one batch; on failure splits it into (up to) eight parts and resolves
    /// each, down to single verifications of at most <see cref="SingleThreshold"/> proofs. Eight
    /// parts rather than two: every extra batch check costs a final exponentiation and its share of
    /// Miller loops again, and eight-way splitting finds one bad proof in 256 with about half the
    /// work of halving (binary bisection made batches slower than single checks in the demo:
    /// docs/PERFORMANCE.md, "Splitting a failing batch").
    /// </summary>
    private void Resolve(ReadOnlySpan<BatchItem> items, Span<int> subset, Span<VerifyError> results)
    {
        if (subset.Length <= SingleThreshold)
        {
            foreach (int i in subset)
            {
                ref readonly var it = ref items[i];
                results[i] = Groth16Verifier.Verify(it.Key, it.Proof, it.Public.Span);
            }
            return;
        }
        if (CheckBatch(items, subset)) return;
        int part = Math.Max(SingleThreshold, (subset.Length + 7) / 8);
        for (int start = 0; start < subset.Length; start += part)
            Resolve(items, subset.Slice(start, Math.Min(part, subset.Length - start)), results);
    }

    private bool CheckBatch(ReadOnlySpan<BatchItem> items, ReadOnlySpan<int> subset)
    {
        int n = subset.Length;
        int keyCount = 0;
        RandomNumberGenerator.Fill(_random.AsSpan(0, 16 * n)); // one CSPRNG call per batch check
        // 1. random scalars, key slots, per-key sums of r and of r·s_j
        for (int k = 0; k < n; k++)
        {
            ref readonly var it = ref items[subset[k]];
            int slot = SlotFor(it.Key, ref keyCount);
            _slotOf[k] = slot;
            _keyCount[slot]++;
            // r = k1 + k2·λ with independent 64-bit k1, k2: 2^128 distinct scalars (the GLV
            // lattice has no vector this short), so a bad proof survives with probability ≤ 2^-128,
            // and r·A costs 64 doublings.
            ulong k1 = BitConverter.ToUInt64(_random, 16 * k);
            ulong k2 = BitConverter.ToUInt64(_random, 16 * k + 8) | (1UL << 63); // never zero
            _k1[k] = k1;
            _k2[k] = k2;
            var rf = Glv.Combine(k1, k2);
            _sumR[slot] += rf;
            var coef = _coef[slot];
            var pub = it.Public.Span;
            for (int j = 0; j < pub.Length; j++) coef[j] += rf * pub[j];
            // A and B for the variable Miller-loop pairs (−rA, B)
            _a[k] = it.Proof.A;
            _b[k] = it.Proof.B;
        }
        // −rA for the whole batch in lock-step affine coordinates (one inversion per bit); one by
        // one in Jacobian coordinates for small batches or a degenerate input.
        if (n < AffineMillerLoop.MinimumPairs
            || !_glv.TryRunNegated(_a.AsSpan(0, n), _k1.AsSpan(0, n), _k2.AsSpan(0, n), _negRA.AsSpan(0, n)))
        {
            for (int k = 0; k < n; k++) _rAJac[k] = Glv.Mul(in _a[k], _k1[k], _k2[k]).Negate();
            G1Jac.BatchToAffine(_rAJac.AsSpan(0, n), _negRA.AsSpan(0, n));
        }

        // 2. per key: Σ rC (grouped contiguously by slot), Σ r·vk_x, (Σ r)·α
        int start = 0;
        // Σ rC as an MSM over (C, φ(C)) with the 64-bit halves (k1, k2).
        for (int s = 0; s < keyCount; s++) { _keyStart[s] = start; start += 2 * _keyCount[s]; _keyCount[s] = 0; }
        for (int k = 0; k < n; k++)
        {
            int s = _slotOf[k];
            int pos = _keyStart[s] + _keyCount[s];
            _keyCount[s] += 2;
            ref readonly var c = ref items[subset[k]].Proof.C;
            _cPoints[pos] = c;
            _cScalars[pos] = new Limbs4(_k1[k], 0, 0, 0);
            _cPoints[pos + 1] = Glv.Endomorphism(in c);
            _cScalars[pos + 1] = new Limbs4(_k2[k], 0, 0, 0);
        }
        for (int s = 0; s < keyCount; s++)
        {
            var key = _keys[s];
            var sumC = Msm.G1(_cPoints.AsSpan(_keyStart[s], _keyCount[s]), _cScalars.AsSpan(_keyStart[s], _keyCount[s]));
            int ic = key.IC.Length;
            if (_icScalars.Length < ic) _icScalars = new Limbs4[ic];
            _icScalars[0] = _sumR[s].ToCanonical();
            for (int j = 1; j < ic; j++) _icScalars[j] = _coef[s][j - 1].ToCanonical();
            var vkx = key.ICCombination(_icScalars.AsSpan(0, ic));
            var alpha = key.AlphaTable.Mul(in _icScalars[0]);
            _fixedJac[3 * s] = vkx;
            _fixedJac[3 * s + 1] = sumC;
            _fixedJac[3 * s + 2] = alpha;
            _fixedQ[3 * s] = key.GammaPrepared;
            _fixedQ[3 * s + 1] = key.DeltaPrepared;
            _fixedQ[3 * s + 2] = key.BetaPrepared;
        }
        G1Jac.BatchToAffine(_fixedJac.AsSpan(0, 3 * keyCount), _fixedP.AsSpan(0, 3 * keyCount));

        // 3. one multi-Miller loop, one final exponentiation
        // The batch's pairs in lock-step, in affine coordinates with one inversion per step; the
        // projective loop for small batches, or if an input is degenerate (it cannot be for decoded proofs).
        if (n < AffineMillerLoop.MinimumPairs || !_affine.TryRun(_negRA.AsSpan(0, n), _b.AsSpan(0, n),
                _fixedP.AsSpan(0, 3 * keyCount), _fixedQ.AsSpan(0, 3 * keyCount), out var f))
        {
            f = Pairing.MillerLoop(_negRA.AsSpan(0, n), _b.AsSpan(0, n),
                _fixedP.AsSpan(0, 3 * keyCount), _fixedQ.AsSpan(0, 3 * keyCount), _scratch);
        }
        for (int s = 0; s < keyCount; s++) { _keys[s] = null!; _keyCount[s] = 0; }
        return Pairing.FinalExponentiation(f).IsOne;
    }

    private int SlotFor(VerifyingKey key, ref int keyCount)
    {
        for (int s = 0; s < keyCount; s++)
            if (ReferenceEquals(_keys[s], key)) return s;
        if (keyCount == _keys.Length)
        {
            int size = keyCount * 2;
            Array.Resize(ref _keys, size);
            Array.Resize(ref _keyCount, size);
            Array.Resize(ref _keyStart, size);
            Array.Resize(ref _sumR, size);
            Array.Resize(ref _coef, size);
            Array.Resize(ref _fixedJac, 3 * size);
            Array.Resize(ref _fixedP, 3 * size);
            Array.Resize(ref _fixedQ, 3 * size);
        }
        int slot = keyCount++;
        _keys[slot] = key;
        _keyCount[slot] = 0;
        _sumR[slot] = Fr.Zero;
        if (_coef[slot] is null || _coef[slot].Length < key.PublicInputCount) _coef[slot] = new Fr[key.PublicInputCount];
        else Array.Clear(_coef[slot]);
        return slot;
    }
}
