using System.Runtime.CompilerServices;

namespace TVS.Crypto.Ristretto;

/// <summary>32 bytes held inline, so points and scalars are plain values: no allocation per operation.</summary>
[InlineArray(32)]
internal struct Bytes32
{
    private byte _e0;
}
