using System.Buffers.Binary;
using System.Numerics;

namespace TVS.Storage.Local;

/// <summary>CRC-32C (Castagnoli) of local record frames: detects a torn or corrupted tail (not an adversary).</summary>
internal static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data, uint crc = 0)
    {
        crc = ~crc;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (byte b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }
        return ~crc;
    }
}
