namespace TVS.Crypto.Bn254;

/// <summary>
/// The arithmetic the curve formulas need from a coordinate field (<see cref="Fp"/> for G1,
/// <see cref="Fp2"/> for G2). Generic code takes the field as a struct type parameter, so the JIT
/// compiles one specialised copy per field and calls these members directly, without interface
/// dispatch. The fields implement them explicitly, apart from their public operators: there the
/// multiplications are not inlined (each is a call to fully inlined code) and the cheap operations
/// are, which keeps a whole point formula within the JIT's inlining budget (docs/bn254.md, "Curves").
/// </summary>
internal interface IField<F> : IEquatable<F> where F : struct, IField<F>
{
    static abstract F Zero { get; }
    static abstract F One { get; }
    bool IsZero { get; }

    static abstract F operator +(in F a, in F b);
    static abstract F operator -(in F a, in F b);
    static abstract F operator -(in F a);
    static abstract F operator *(in F a, in F b);

    F Squared();
    F Doubled();
    /// <summary>The inverse; zero maps to zero.</summary>
    F Inverse();
}
