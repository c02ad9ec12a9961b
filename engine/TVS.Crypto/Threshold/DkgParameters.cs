namespace TVS.Crypto.Threshold;

/// <summary>Ceremony parameters: any <see cref="Threshold"/> of <see cref="Trustees"/> can decrypt; fewer learn nothing.</summary>
public sealed record DkgParameters(Guid ElectionId, int Threshold = 5, int Trustees = 9)
{
    /// <summary>Indices go on the wire as u16; far more trustees than any ceremony will have.</summary>
    public const int MaxTrustees = 1000;

    public void Validate()
    {
        if (Trustees < 1 || Trustees > MaxTrustees) throw new ArgumentException($"trustees must be 1..{MaxTrustees}");
        if (Threshold < 1 || Threshold > Trustees) throw new ArgumentException("threshold must be 1..trustees");
    }

    internal static void CheckIndex(int index)
    {
        if (index < 1 || index > MaxTrustees) throw new ArgumentOutOfRangeException(nameof(index), "trustee indices are 1..1000");
    }

    public void CheckIndexInRange(int index)
    {
        if (index < 1 || index > Trustees) throw new ArgumentOutOfRangeException(nameof(index), $"trustee indices are 1..{Trustees}");
    }
}
