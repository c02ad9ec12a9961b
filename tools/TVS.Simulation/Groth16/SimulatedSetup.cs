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

    public SimulatedSetup(int publicInputs) : this(RandomTrapdoor(publicInputs))
    {
    }

    private static Fr[] RandomTrapdoor(int publicInputs)
    {
        var t = new Fr[4 + publicInputs + 1];
        for (int i = 0; i < t.Length; i++) t[i] = RandomNonZero();
        while (t[2].Equals(t[3])) t[3] = RandomNonZero();
        return t;
    }

    /// <summary>α, β, γ, δ, then one IC scalar per public input plus one.</summary>
    private SimulatedSetup(Fr[] trapdoor)
    {
        if (trapdoor.Length < 5 || trapdoor.Any(x => x.IsZero) || trapdoor[2].Equals(trapdoor[3]))
            throw new ArgumentException("not a simulated-setup trapdoor");
        _alpha = trapdoor[0]; _beta = trapdoor[1]; _gamma = trapdoor[2]; _delta = trapdoor[3];
        _deltaInv = _delta.Inverse();
        _ic = trapdoor[4..];
        var icPoints = new G1Affine[_ic.Length];
        for (int i = 0; i < _ic.Length; i++)
        {
            icPoints[i] = G1Mul(_ic[i]);
        }
        var err = VerifyingKey.TryCreate(G1Mul(_alpha), G2Mul(_beta), G2Mul(_gamma), G2Mul(_delta), icPoints, out var key);
        if (err != VerifyError.None) throw new InvalidOperationException("simulated key rejected: " + err);
        Key = key!;
    }

    /// <summary>The trapdoor (α, β, γ, δ, IC scalars) as 32-byte big-endian scalars: whoever holds it forges any proof.</summary>
    public byte[] ExportTrapdoor()
    {
        var all = new Fr[4 + _ic.Length];
        all[0] = _alpha; all[1] = _beta; all[2] = _gamma; all[3] = _delta;
        _ic.CopyTo(all, 4);
        var bytes = new byte[all.Length * 32];
        for (int i = 0; i < all.Length; i++) all[i].WriteBigEndian(bytes.AsSpan(i * 32, 32));
        return bytes;
    }

    /// <summary>Re-creates a setup from <see cref="ExportTrapdoor"/>'s bytes (same key, same proofs possible).</summary>
    public static SimulatedSetup ImportTrapdoor(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % 32 != 0 || bytes.Length < 5 * 32) throw new ArgumentException("not a simulated-setup trapdoor");
        var t = new Fr[bytes.Length / 32];
        for (int i = 0; i < t.Length; i++)
            if (!Fr.TryFromBigEndian(bytes.Slice(i * 32, 32), out t[i])) throw new ArgumentException("not a simulated-setup trapdoor");
        return new SimulatedSetup(t);
    }

    /// <summary>
    /// A valid proof for the given public signals: fresh random a, b for every proof (so A, B, C
    /// are independent and uniformly distributed, as in real proofs); c = (ab − αβ − γ·Σ sᵢ·icᵢ)/δ.
    /// </summary>
    public Proof Prove(ReadOnlySpan<Fr> publicSignals)
    {
        if (publicSignals.Length != _ic.Length - 1) throw new ArgumentException("wrong number of public signals");
        var a = RandomNonZero();
        var b = RandomNonZero();
        var lin = _ic[0];
        for (int i = 0; i < publicSignals.Length; i++) lin += publicSignals[i] * _ic[i + 1];
        var c = (a * b - _alpha * _beta - _gamma * lin) * _deltaInv;
        // The points are multiples of the generators, so on their curves and in their groups:
        // the subgroup test that input from outside needs is skipped (minting speed for loadgen).
        var err = Proof.FromCheckedPoints(GeneratorTable.Mul(a.ToCanonical()).ToAffine(), G2Jac.ScalarMulGls(G2Affine.Generator, b.ToBigInteger()).ToAffine(),
            GeneratorTable.Mul(c.ToCanonical()).ToAffine(), out var proof);
        if (err != VerifyError.None) throw new InvalidOperationException("simulated proof rejected: " + err);
        return proof;
    }

    private static G1FixedBase GeneratorTable => s_generatorTable ??= new G1FixedBase(G1Affine.Generator);
    private static G1FixedBase? s_generatorTable;

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
