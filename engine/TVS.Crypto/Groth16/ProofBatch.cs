using TVS.Crypto.Bn254;

namespace TVS.Crypto.Groth16;

/// <summary>
/// Proofs gathered for one batch verification, each with a tag of the caller's (the index of
/// its vote, slot or file), and the verdict of each once verified: one proof alone is checked by
/// <see cref="Groth16Verifier"/>, more by <see cref="Groth16BatchVerifier"/>, which splits a
/// failing batch until every proof has its own verdict. Every verifier of the project gathers
/// and verifies its proofs through this type. The signals of each proof are written into a
/// buffer of the batch (<see cref="NextSignals"/>) or given as the caller's memory. One instance
/// per thread; every buffer is sized at construction, so it allocates nothing afterwards.
/// </summary>
public sealed class ProofBatch
{
    private readonly Groth16BatchVerifier _verifier;
    private readonly BatchItem[] _items;
    private readonly int[] _tags;
    private readonly VerifyError[] _verdicts;
    private readonly Fr[] _signals;
    private readonly int _signalsPerProof;
    private int _count;

    /// <param name="capacity">Most proofs one batch holds.</param>
    /// <param name="signalsPerProof">Size of each proof's slice of <see cref="NextSignals"/>; 0 when the caller always gives its own signals.</param>
    public ProofBatch(int capacity, int signalsPerProof = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(signalsPerProof);
        _verifier = new Groth16BatchVerifier(capacity);
        _items = new BatchItem[capacity];
        _tags = new int[capacity];
        _verdicts = new VerifyError[capacity];
        _signals = new Fr[capacity * signalsPerProof];
        _signalsPerProof = signalsPerProof;
    }

    public int Capacity => _items.Length;

    /// <summary>Proofs gathered since the last <see cref="Verify"/>.</summary>
    public int Count => _count;

    public bool IsFull => _count == _items.Length;

    /// <summary>Where the next proof's signals go before <see cref="Add(VerifyingKey, in Proof, int)"/>.</summary>
    public Span<Fr> NextSignals
    {
        get
        {
            if (_count == _items.Length)
            {
                ThrowFull();
            }
            return _signals.AsSpan(_count * _signalsPerProof, _signalsPerProof);
        }
    }

    /// <summary>Adds a proof whose signals were written into <see cref="NextSignals"/>.</summary>
    public void Add(VerifyingKey key, in Proof proof, int tag) =>
        Add(key, proof, _signals.AsMemory(_count * _signalsPerProof, _signalsPerProof), tag);

    /// <summary>Adds a proof with signals the caller keeps unchanged until <see cref="Verify"/>.</summary>
    public void Add(VerifyingKey key, in Proof proof, ReadOnlyMemory<Fr> signals, int tag)
    {
        if (_count == _items.Length)
        {
            ThrowFull();
        }
        _items[_count] = new BatchItem(key, proof, signals);
        _tags[_count++] = tag;
    }

    /// <summary>
    /// Verifies the gathered proofs and empties the batch. Verdict k belongs to the proof added
    /// k-th, whose tag is <paramref name="tags"/>[k]; both spans stay valid until the next Add.
    /// </summary>
    public ReadOnlySpan<VerifyError> Verify(out ReadOnlySpan<int> tags)
    {
        int n = _count;
        var verdicts = _verdicts.AsSpan(0, n);
        if (n == 1)
        {
            ref readonly var item = ref _items[0];
            verdicts[0] = Groth16Verifier.Verify(item.Key, item.Proof, item.Public.Span);
        }
        else if (n > 1)
        {
            _verifier.Verify(_items.AsSpan(0, n), verdicts);
        }
        // Drops the keys and signals the items referenced; the caller keeps its own.
        _items.AsSpan(0, n).Clear();
        _count = 0;
        tags = _tags.AsSpan(0, n);
        return verdicts;
    }

    private static void ThrowFull() => throw new InvalidOperationException("the proof batch is full: verify it first");
}
