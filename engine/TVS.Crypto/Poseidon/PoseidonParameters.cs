using System.Numerics;
using TVS.Crypto.Bn254;

namespace TVS.Crypto.Hashing;

/// <summary>
/// The round constants and MDS matrix of circomlib's Poseidon for one width t = inputs + 1.
/// They are not copied from circomlib: they are derived here the way circomlib derived them, with
/// the Poseidon authors' reference script (generate_parameters_grain.sage, called as
/// <c>1 0 254 t 8 R_P r</c>): a Grain LFSR seeded with the parameters, its self-shrunk output read
/// 254 bits at a time (big-endian), constants below r by rejection, and a Cauchy matrix
/// 1/(x_i + y_j) from the next 2t draws. The script also re-draws the matrix when it fails three
/// algebraic security checks (algorithms 1–3 of the script); those need Sage and are not repeated
/// here: for every t = 2..17 the first matrix drawn is the one circomlib ships, which the test
/// PoseidonTests.DerivedConstantsEqualCircomlibjs proves against circomlibjs 0.1.7's constants.
/// </summary>
internal sealed class PoseidonParameters
{
    public const int FullRounds = 8;

    /// <summary>Partial rounds for t = 2..17 (circomlib: the paper's numbers rounded up).</summary>
    private static readonly int[] PartialRoundsByT = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];

    public readonly int T;
    public readonly int PartialRounds;
    /// <summary>(FullRounds + PartialRounds) × T round constants, round-major, Montgomery form.</summary>
    public readonly Fr[] C;
    /// <summary>T × T MDS matrix, row-major: new state[i] = Σ_j M[i, j]·state[j].</summary>
    public readonly Fr[] M;

    private PoseidonParameters(int t, int partialRounds, Fr[] c, Fr[] m)
    {
        T = t;
        PartialRounds = partialRounds;
        C = c;
        M = m;
    }

    public int Rounds => FullRounds + PartialRounds;

    private static readonly PoseidonParameters?[] Cache = new PoseidonParameters?[18];

    /// <summary>The parameters for width t (2..17), derived on first use and kept.</summary>
    public static PoseidonParameters For(int t)
    {
        if (t < 2 || t > 17) throw new ArgumentOutOfRangeException(nameof(t), "Poseidon width must be 2..17 (1..16 inputs)");
        var p = Volatile.Read(ref Cache[t]);
        if (p is not null) return p;
        // Derivation is deterministic, so a race only wastes work; the first result published wins.
        p = Derive(t);
        return Interlocked.CompareExchange(ref Cache[t], p, null) ?? p;
    }

    internal static PoseidonParameters Derive(int t)
    {
        int rp = PartialRoundsByT[t - 2];
        var grain = new Grain(field: 1, sbox: 0, n: 254, t: t, rf: FullRounds, rp: rp);
        var r = Fr.Modulus;

        var c = new Fr[(FullRounds + rp) * t];
        for (int i = 0; i < c.Length; i++)
        {
            BigInteger v;
            do v = grain.NextInteger(254); while (v >= r);
            c[i] = Fr.FromBigInteger(v);
        }

        // create_mds_p: 2t field elements (reduced mod r, not rejected), all distinct, and no
        // x_i + y_j = 0; otherwise draw again.
        while (true)
        {
            var xy = new BigInteger[2 * t];
            bool distinct;
            do
            {
                for (int i = 0; i < xy.Length; i++) xy[i] = grain.NextInteger(254) % r;
                distinct = new HashSet<BigInteger>(xy).Count == xy.Length;
            } while (!distinct);
            var m = new Fr[t * t];
            bool ok = true;
            for (int i = 0; i < t && ok; i++)
            {
                for (int j = 0; j < t; j++)
                {
                    var sum = (xy[i] + xy[t + j]) % r;
                    if (sum.IsZero) { ok = false; break; }
                    m[i * t + j] = Fr.FromBigInteger(sum).Inverse();
                }
            }
            if (ok) return new PoseidonParameters(t, rp, c, m);
        }
    }

    /// <summary>
    /// The reference script's Grain LFSR (80 bits, taps 62, 51, 38, 23, 13, 0), warmed up by 160
    /// clocks, with self-shrinking output: of each pair of bits the second is output when the
    /// first is 1, and the pair is dropped otherwise.
    /// </summary>
    private sealed class Grain
    {
        private readonly bool[] _s = new bool[80];
        private int _head; // _s[_head] is bit_sequence[0] of the script: a ring instead of pop(0)/append

        public Grain(int field, int sbox, int n, int t, int rf, int rp)
        {
            int k = 0;
            void Put(int value, int bits)
            {
                for (int b = bits - 1; b >= 0; b--) _s[k++] = ((value >> b) & 1) != 0;
            }
            Put(field, 2);
            Put(sbox, 4);
            Put(n, 12);
            Put(t, 12);
            Put(rf, 10);
            Put(rp, 10);
            while (k < 80) _s[k++] = true;
            for (int i = 0; i < 160; i++) Clock();
        }

        private bool Clock()
        {
            bool bit = _s[(_head + 62) % 80] ^ _s[(_head + 51) % 80] ^ _s[(_head + 38) % 80]
                     ^ _s[(_head + 23) % 80] ^ _s[(_head + 13) % 80] ^ _s[_head];
            _s[_head] = bit; // the oldest bit leaves, the new one enters at the end
            _head = (_head + 1) % 80;
            return bit;
        }

        private bool NextBit()
        {
            while (!Clock()) Clock();
            return Clock();
        }

        /// <summary>grain_random_bits(n): the next n output bits, most significant first.</summary>
        public BigInteger NextInteger(int bits)
        {
            BigInteger v = BigInteger.Zero;
            for (int i = 0; i < bits; i++) v = (v << 1) | (NextBit() ? BigInteger.One : BigInteger.Zero);
            return v;
        }
    }
}
