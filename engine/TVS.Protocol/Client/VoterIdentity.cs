using System.Numerics;
using System.Security.Cryptography;
using TVS.Crypto.Bn254;
using TVS.Crypto.Hashing;
using TVS.Engine.Votes;

namespace TVS.Engine.Client;

/// <summary>
/// A voter's Semaphore v4 identity (docs/design.md, Actors): a secret scalar s on Baby Jubjub, the
/// public key A = s·Base8, the identity commitment Poseidon(A.x, A.y) that the issuers put in the
/// registry, and the nullifier Poseidon(hash(scope), s) that the circuit outputs for an election.
/// The same values as @semaphore-protocol/identity 4.x and semaphore.circom for the same secret
/// scalar (checked against the JS client's fixture). Not built: deriving s from a Semaphore
/// private key (BLAKE-512 of the key, pruned); identities here are made from a fresh secret scalar.
/// </summary>
public sealed class VoterIdentity
{
    private readonly Fr _secret;

    private VoterIdentity(in Fr secret)
    {
        _secret = secret;
        var (x, y) = BabyJubjub.MultiplyBase8(secret.ToBigInteger());
        Commitment = Poseidon.Hash2(x, y);
    }

    /// <summary>The identity commitment, Poseidon(A.x, A.y): the registry leaf.</summary>
    public Fr Commitment { get; }

    /// <summary>The secret scalar as the prover's "secret" input (decimal). Keep it on the voter's device.</summary>
    public string SecretText => _secret.ToString();

    /// <summary>A fresh identity: s uniform in [1, l) from the CSPRNG (the circuit requires s &lt; l).</summary>
    public static VoterIdentity Create()
    {
        Span<byte> b = stackalloc byte[32];
        while (true)
        {
            RandomNumberGenerator.Fill(b);
            b[0] &= 0x07; // l < 2^251: keep 251 bits and reject above l (about half the draws)
            var s = new BigInteger(b, isUnsigned: true, isBigEndian: true);
            if (!s.IsZero && s < BabyJubjub.SubgroupOrder)
            {
                b.Clear();
                return new VoterIdentity(Fr.FromBigInteger(s));
            }
        }
    }

    /// <summary>The identity of a known secret scalar (1 ≤ s &lt; l).</summary>
    public static VoterIdentity FromSecret(BigInteger secret)
    {
        if (secret.Sign <= 0 || secret >= BabyJubjub.SubgroupOrder)
        {
            throw new ArgumentOutOfRangeException(nameof(secret), "the secret scalar must be in [1, l)");
        }
        return new VoterIdentity(Fr.FromBigInteger(secret));
    }

    /// <summary>The nullifier of this identity in election <paramref name="electionId"/>: Poseidon(hash(scope), s).</summary>
    public Fr Nullifier(Guid electionId) => Poseidon.Hash2(SemaphoreSignals.ScopeHash(electionId), _secret);
}

/// <summary>
/// Baby Jubjub (EIP-2494): the twisted Edwards curve a·x² + y² = 1 + d·x²·y² over the BN254 scalar
/// field with a = 168700, d = 168696; the complete addition law in projective coordinates
/// (add-2008-bbjlp), which also doubles, so scalar multiplication needs no special cases.
/// </summary>
internal static class BabyJubjub
{
    public static readonly BigInteger SubgroupOrder = BigInteger.Parse("2736030358979909402780800718157159386076813972158567259200215660948447373041", System.Globalization.CultureInfo.InvariantCulture);

    private static readonly Fr A = Fr.FromUInt64(168700);
    private static readonly Fr D = Fr.FromUInt64(168696);
    private static readonly Fr Base8X = Fr.FromBigInteger(BigInteger.Parse("5299619240641551281634865583518297030282874472190772894086521144482721001553", System.Globalization.CultureInfo.InvariantCulture));
    private static readonly Fr Base8Y = Fr.FromBigInteger(BigInteger.Parse("16950150798460657717958625567821834550301663161624707787222815936182638968203", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>k·Base8 in affine coordinates (variable time: the secret never leaves the voter's device, and the demo mints many).</summary>
    public static (Fr X, Fr Y) MultiplyBase8(BigInteger k)
    {
        var (rx, ry, rz) = (Fr.Zero, Fr.One, Fr.One);
        var le = k.ToByteArray(isUnsigned: true, isBigEndian: false);
        for (int bit = le.Length * 8 - 1; bit >= 0; bit--)
        {
            (rx, ry, rz) = Add(rx, ry, rz, rx, ry, rz);
            if ((le[bit >> 3] >> (bit & 7) & 1) != 0)
            {
                (rx, ry, rz) = Add(rx, ry, rz, Base8X, Base8Y, Fr.One);
            }
        }
        var inv = rz.Inverse();
        return (rx * inv, ry * inv);
    }

    private static (Fr X, Fr Y, Fr Z) Add(in Fr x1, in Fr y1, in Fr z1, in Fr x2, in Fr y2, in Fr z2)
    {
        var a = z1 * z2;
        var b = a.Squared();
        var c = x1 * x2;
        var d = y1 * y2;
        var e = D * c * d;
        var f = b - e;
        var g = b + e;
        var x3 = a * f * ((x1 + y1) * (x2 + y2) - c - d);
        var y3 = a * g * (d - A * c);
        return (x3, y3, f * g);
    }
}
