namespace TVS.Crypto.Bn254;

/// <summary>BN254 base-field modulus p.</summary>
public readonly struct FpModulus : IModulus4
{
    public static ulong Q0 => 0x3c208c16d87cfd47UL;
    public static ulong Q1 => 0x97816a916871ca8dUL;
    public static ulong Q2 => 0xb85045b68181585dUL;
    public static ulong Q3 => 0x30644e72e131a029UL;
    public static ulong QInvNeg => 0x87d20782e4866389UL;
    public static Limbs4 RModQ => new(0xd35d438dc58f0d9dUL, 0x0a78eb28f5c70b3dUL, 0x666ea36f7879462cUL, 0x0e0a77c19a07df2fUL);
    public static Limbs4 R2ModQ => new(0xf32cfc5b538afa89UL, 0xb5e71911d44501fbUL, 0x47ab1eff0a417ff6UL, 0x06d89f71cab8351fUL);
}

/// <summary>BN254 scalar-field modulus r (the group order).</summary>
public readonly struct FrModulus : IModulus4
{
    public static ulong Q0 => 0x43e1f593f0000001UL;
    public static ulong Q1 => 0x2833e84879b97091UL;
    public static ulong Q2 => 0xb85045b68181585dUL;
    public static ulong Q3 => 0x30644e72e131a029UL;
    public static ulong QInvNeg => 0xc2e1f593efffffffUL;
    public static Limbs4 RModQ => new(0xac96341c4ffffffbUL, 0x36fc76959f60cd29UL, 0x666ea36f7879462eUL, 0x0e0a77c19a07df2fUL);
    public static Limbs4 R2ModQ => new(0x1bb8e645ae216da7UL, 0x53fe3ab1e35c59e3UL, 0x8c49833d53bb8085UL, 0x0216d0b17f4e44a5UL);
}
