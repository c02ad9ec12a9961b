using System.Numerics;
using System.Security.Cryptography;
using TVS.Crypto.Bn254;

namespace TVS.Crypto.Groth16;

/// <summary>
/// INSECURE, for tests and load generation only: a Groth16 verification key whose trapdoor
/// (α, β, γ, δ and the IC discrete logs) is known, so proofs for any public signals can be minted
/// without a circuit. The verifier does exactly the same work on them as on real proofs. Every
/// proof gets independent random A, B and C, as real traffic has. Production refuses such keys
/// (they are marked insecure wherever they are written).
/// </summary>
public sealed class SimulatedSetup
{
    private readonly Fr _alpha, _beta, _gamma, _delta, _deltaInv;
    private readonly Fr[] _ic;
    public VerifyingKey Key { get; }

    public SimulatedSetup(int publicInputs)
    {
        _alpha = RandomNonZero(); _beta = RandomNonZero(); _gamma = RandomNonZero(); _delta = RandomNonZero();
        while (_gamma.Equals(_delta)) _delta = RandomNonZero();
        _deltaInv = _delta.Inverse();
        _ic = new Fr[publicInputs + 1];
        var icPoints = new G1Affine[publicInputs + 1];
        for (int i = 0; i < _ic.Length; i++)
        {
            _ic[i] = RandomNonZero();
            icPoints[i] = G1Mul(_ic[i]);
        }
        var err = VerifyingKey.TryCreate(G1Mul(_alpha), G2Mul(_beta), G2Mul(_gamma), G2Mul(_delta), icPoints, out var key);
        if (err != VerifyError.None) throw new InvalidOperationException("simulated key rejected: " + err);
        Key = key!;
    }

    /// <summary>A valid proof for the given public signals: random a, b; c = (ab − αβ − γ·Σ sᵢ·icᵢ)/δ.</summary>
    public Proof Prove(ReadOnlySpan<Fr> publicSignals)
    {
        if (publicSignals.Length != _ic.Length - 1) throw new ArgumentException("wrong number of public signals");
        var a = RandomNonZero();
        var b = RandomNonZero();
        var lin = _ic[0];
        for (int i = 0; i < publicSignals.Length; i++) lin += publicSignals[i] * _ic[i + 1];
        var c = (a * b - _alpha * _beta - _gamma * lin) * _deltaInv;
        var err = Proof.TryCreate(G1Mul(a), G2Mul(b), G1Mul(c), out var proof);
        if (err != VerifyError.None) throw new InvalidOperationException("simulated proof rejected: " + err);
        return proof;
    }

    private static G1Affine G1Mul(in Fr k) => G1Jac.ScalarMul(G1Affine.Generator, k.ToCanonical()).ToAffine();
    private static G2Affine G2Mul(in Fr k) => G2Jac.ScalarMul(G2Affine.Generator, k.ToCanonical()).ToAffine();

    public static Fr RandomNonZero()
    {
        Span<byte> buf = stackalloc byte[48];
        while (true)
        {
            RandomNumberGenerator.Fill(buf);
            var v = new BigInteger(buf, isUnsigned: true) % Fr.Modulus;
            if (!v.IsZero) return Fr.FromBigInteger(v);
        }
    }
}
