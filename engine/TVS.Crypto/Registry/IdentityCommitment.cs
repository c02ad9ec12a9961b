using System.Numerics;
using TVS.Crypto.Bn254;

namespace TVS.Crypto.Registry;

/// <summary>
/// Reading identity commitments (registry leaves) from their decimal form, the form
/// @semaphore-protocol/identity prints and @semaphore-protocol/group takes. Only the canonical
/// spelling is accepted — ASCII digits, no sign, no leading zero, value below r — so that one
/// commitment has one text and a registry file cannot smuggle in a value the circuit would reduce
/// mod r (BigInt would take "0x…", " 12", and r + 5).
/// </summary>
public static class IdentityCommitment
{
    /// <summary>r has 77 decimal digits.</summary>
    private const int MaxDigits = 77;

    /// <summary>Parses a canonical decimal field element; on failure <paramref name="error"/> says why.</summary>
    public static bool TryParseDecimal(ReadOnlySpan<char> text, out Fr value, out string? error)
    {
        value = default;
        if (text.IsEmpty) { error = "empty string, not a decimal number"; return false; }
        foreach (char ch in text)
        {
            if (ch is < '0' or > '9') { error = "not a decimal number (only the digits 0-9)"; return false; }
        }
        if (text.Length > 1 && text[0] == '0') { error = "not canonical: leading zero"; return false; }
        if (text.Length > MaxDigits) { error = "not below the BN254 scalar field order r"; return false; }
        var v = BigInteger.Parse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture);
        if (v >= Fr.Modulus) { error = "not below the BN254 scalar field order r"; return false; }
        Fr.TryFromCanonical(Limbs4.FromBigInteger(v), out value);
        error = null;
        return true;
    }
}
