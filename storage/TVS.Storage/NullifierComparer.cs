using FASTER.core;
using TVS.Engine;

namespace TVS.Storage;

/// <summary>FASTER's hash and equality for <see cref="Nullifier"/> (<see cref="Nullifier.GetHashCode64"/>).</summary>
internal sealed class NullifierComparer : IFasterEqualityComparer<Nullifier>
{
    public static readonly NullifierComparer Instance = new();

    public long GetHashCode64(ref Nullifier k) => k.GetHashCode64();

    public bool Equals(ref Nullifier k1, ref Nullifier k2) => k1.Equals(k2);
}
