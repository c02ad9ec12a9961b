using BenchmarkDotNet.Attributes;
using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;

namespace TVS.Bench.Groth16;

/// <summary>
/// Groth16 verification with 4 public signals (Semaphore v4's shape), single and batched. Batch
/// results are per batch: divide by BatchSize for the per-proof figure. The proofs come from the
/// simulated setup; the verifier does the same work as on snarkjs proofs.
/// </summary>
[MemoryDiagnoser]
public class Groth16Benchmarks
{
    [Params(256)]
    public int BatchSize { get; set; }

    private SimulatedSetup _setup = null!;
    private BatchItem[] _items = [];
    private VerifyError[] _results = [];
    private Groth16BatchVerifier _batch = null!;
    private byte[] _encodedProof = [];
    private Fr[] _public = [];

    [GlobalSetup]
    public void Setup()
    {
        _setup = new SimulatedSetup(4);
        _items = new BatchItem[BatchSize];
        for (int i = 0; i < BatchSize; i++)
        {
            var pub = new Fr[4];
            for (int j = 0; j < 4; j++) pub[j] = SimulatedSetup.RandomNonZero();
            _items[i] = new BatchItem(_setup.Key, _setup.Prove(pub), pub);
        }
        _public = _items[0].Public.ToArray();
        _results = new VerifyError[BatchSize];
        _batch = new Groth16BatchVerifier(BatchSize);
        _encodedProof = new byte[Proof.EncodedSize];
        _items[0].Proof.Write(_encodedProof);
    }

    /// <summary>Decoding a binary proof: canonical and curve checks, and the G2 subgroup check of B.</summary>
    [Benchmark]
    public VerifyError DecodeProof() => Proof.TryRead(_encodedProof, out _);

    [Benchmark]
    public VerifyError VerifyOne() => Groth16Verifier.Verify(_setup.Key, _items[0].Proof, _public);

    [Benchmark]
    public VerifyError VerifyBatch()
    {
        _batch.Verify(_items, _results);
        return _results[0];
    }
}
