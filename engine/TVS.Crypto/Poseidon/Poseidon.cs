using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TVS.Crypto.Bn254;

namespace TVS.Crypto.Hashing;

/// <summary>
/// Poseidon over the BN254 scalar field with circomlib's parameters (circomlibjs <c>poseidon</c>,
/// circom's <c>Poseidon(n)</c>, poseidon-lite, Semaphore): width t = inputs + 1, state
/// [0, inputs…], x⁵ S-box, 8 full rounds around the partial rounds, output state[0]. Round
/// constants and MDS matrix come from <see cref="PoseidonParameters"/>. 1..16 inputs. Nothing is
/// allocated per call (the state lives on the stack); <see cref="Hash2"/> is the unrolled t = 3
/// path the registry tree spends its time in.
/// </summary>
public static class Poseidon
{
    public const int MaxInputs = 16;

    /// <summary>Poseidon(inputs), 1..16 field elements.</summary>
    public static Fr Hash(ReadOnlySpan<Fr> inputs)
    {
        if (inputs.Length is < 1 or > MaxInputs)
            throw new ArgumentOutOfRangeException(nameof(inputs), "Poseidon takes 1..16 inputs");
        if (inputs.Length == 2) return Hash2(in inputs[0], in inputs[1]);

        var p = PoseidonParameters.For(inputs.Length + 1);
        int t = p.T;
        Span<Fr> state = stackalloc Fr[MaxInputs + 1];
        Span<Fr> next = stackalloc Fr[MaxInputs + 1];
        state = state[..t];
        next = next[..t];
        state[0] = Fr.Zero;
        inputs.CopyTo(state[1..]);

        ReadOnlySpan<Fr> c = p.C, m = p.M;
        int half = PoseidonParameters.FullRounds / 2, rounds = p.Rounds;
        for (int r = 0; r < rounds; r++)
        {
            var rc = c.Slice(r * t, t);
            for (int i = 0; i < t; i++) Fr.Add(in state[i], in rc[i], out state[i]);
            if (r < half || r >= rounds - half)
                for (int i = 0; i < t; i++) Pow5(ref state[i]);
            else
                Pow5(ref state[0]);
            for (int i = 0; i < t; i++)
            {
                var row = m.Slice(i * t, t);
                Fr.Mul(in row[0], in state[0], out var acc);
                for (int j = 1; j < t; j++)
                {
                    Fr.Mul(in row[j], in state[j], out var prod);
                    Fr.Add(in acc, in prod, out acc);
                }
                next[i] = acc;
            }
            next.CopyTo(state);
        }
        return state[0];
    }

    /// <summary>Poseidon(a, b) (t = 3): a LeanIMT node from its two children.</summary>
    public static Fr Hash2(in Fr a, in Fr b)
    {
        var p = Width3.P;
        // Constants read by reference without bounds checks: the loop bounds come from the same
        // parameters that sized the arrays (Rounds × 3 constants, 3 × 3 matrix).
        ref Fr c = ref MemoryMarshal.GetArrayDataReference(p.C);
        ref Fr m = ref MemoryMarshal.GetArrayDataReference(p.M);
        Fr m00 = m, m01 = Unsafe.Add(ref m, 1), m02 = Unsafe.Add(ref m, 2);
        Fr m10 = Unsafe.Add(ref m, 3), m11 = Unsafe.Add(ref m, 4), m12 = Unsafe.Add(ref m, 5);
        Fr m20 = Unsafe.Add(ref m, 6), m21 = Unsafe.Add(ref m, 7), m22 = Unsafe.Add(ref m, 8);

        Fr s0 = Fr.Zero, s1 = a, s2 = b;
        int half = PoseidonParameters.FullRounds / 2, rounds = p.Rounds;
        for (int r = 0; r < rounds; r++)
        {
            ref Fr rc = ref Unsafe.Add(ref c, r * 3);
            Fr.Add(in s0, in rc, out s0);
            Fr.Add(in s1, in Unsafe.Add(ref rc, 1), out s1);
            Fr.Add(in s2, in Unsafe.Add(ref rc, 2), out s2);
            Pow5(ref s0);
            if (r < half || r >= rounds - half)
            {
                Pow5(ref s1);
                Pow5(ref s2);
            }
            Mix(in m00, in m01, in m02, in s0, in s1, in s2, out var n0);
            Mix(in m10, in m11, in m12, in s0, in s1, in s2, out var n1);
            Mix(in m20, in m21, in m22, in s0, in s1, in s2, out var n2);
            s0 = n0; s1 = n1; s2 = n2;
        }
        return s0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Mix(in Fr a, in Fr b, in Fr c, in Fr x, in Fr y, in Fr z, out Fr r)
    {
        Fr.Mul(in a, in x, out var u);
        Fr.Mul(in b, in y, out var v);
        Fr.Mul(in c, in z, out var w);
        Fr.Add(in u, in v, out u);
        Fr.Add(in u, in w, out r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pow5(ref Fr x)
    {
        Fr.Square(in x, out var x2);
        Fr.Square(in x2, out var x4);
        Fr.Mul(in x4, in x, out x);
    }

    /// <summary>Holds the t = 3 parameters in a static readonly field, which the JIT reads as a constant once the class is initialised.</summary>
    private static class Width3
    {
        public static readonly PoseidonParameters P = PoseidonParameters.For(3);
    }
}
