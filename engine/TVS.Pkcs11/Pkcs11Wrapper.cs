using System.Security.Cryptography;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using TVS.Crypto.Threshold;

namespace TVS.Pkcs11;

/// <summary>
/// A token AES-256 key that seals secrets no PKCS#11 mechanism can compute with (the trustees'
/// ristretto255 scalars): AES-256-GCM inside the token (CKM_AES_GCM, 96-bit random IV, 128-bit
/// tag, caller's additional data). The plaintext exists in this process only between
/// <see cref="Open"/> and the caller's zeroing. SoftHSM2 2.6.1 offers CKM_AES_KEY_WRAP (RFC 3394,
/// only for key objects) but not CKM_AES_KEY_WRAP_KWP/PAD, so GCM over the secret's bytes is the
/// mechanism used; it is also present in every HSM we know of.
/// </summary>
public sealed class Pkcs11Wrapper : ISecretSealer, IDisposable
{
    private readonly Pkcs11Token _token;
    private readonly IObjectHandle _key;

    private Pkcs11Wrapper(Pkcs11Token token, IObjectHandle key, string label)
    {
        _token = token;
        _key = key;
        Label = label;
    }

    /// <summary>The AES key's label.</summary>
    public string Label { get; }

    /// <inheritdoc/>
    public string Name => Label;

    /// <summary>Opens the AES key <paramref name="uri"/> names.</summary>
    public static Pkcs11Wrapper Open(Pkcs11Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (uri.Object is null)
        {
            throw new TokenException($"PKCS#11 URI for token '{uri.Token}' names no object (add object=LABEL of the AES wrapping key)");
        }
        Pkcs11Token token = Pkcs11Token.Open(uri);
        try
        {
            IObjectHandle key = token.FindOne(uri.Object, CKO.CKO_SECRET_KEY, uri.Id, "an AES secret key");
            ulong kt = token.Run($"reading the key type of '{uri.Object}'", s => s.GetAttributeValue(key, [CKA.CKA_KEY_TYPE])[0].GetValueAsUlong());
            if (kt != (ulong)CKK.CKK_AES)
            {
                string name = Pkcs11Token.KeyTypeName(kt);
                throw new TokenException($"token '{token.Label}': the secret key '{uri.Object}' is a {name} key, not AES");
            }
            return new Pkcs11Wrapper(token, key, uri.Object);
        }
        catch
        {
            token.Dispose();
            throw;
        }
    }

    /// <summary>IV (12) ‖ AES-256-GCM(plaintext) ‖ tag (16), computed in the token.</summary>
    public byte[] Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> aad)
    {
        byte[] iv = RandomNumberGenerator.GetBytes(12);
        byte[] a = aad.ToArray();
        byte[] p = plaintext.ToArray();
        try
        {
            byte[] ct = _token.Run($"sealing with '{Label}'", s =>
            {
                using var mech = Pkcs11Token.Factories.MechanismFactory.Create(CKM.CKM_AES_GCM, Pkcs11Token.GcmParams(iv, a));
                return s.Encrypt(mech, _key, p);
            });
            if (ct.Length != p.Length + 16)
            {
                throw new TokenException($"token '{_token.Label}': AES-GCM with '{Label}' returned {ct.Length} bytes for {p.Length}");
            }
            return [.. iv, .. ct];
        }
        finally
        {
            CryptographicOperations.ZeroMemory(p);
        }
    }

    /// <summary>
    /// The plaintext of <see cref="Seal"/>'s output (the caller zeroes it); a failed tag is a
    /// <see cref="TokenException"/>. (SoftHSM2 answers a failed GCM tag with CKR_GENERAL_ERROR.)
    /// </summary>
    public byte[] Open(ReadOnlySpan<byte> sealedBytes, ReadOnlySpan<byte> aad)
    {
        if (sealedBytes.Length < 12 + 16)
        {
            throw new TokenException("sealed secret too short");
        }
        byte[] iv = sealedBytes[..12].ToArray();
        byte[] ct = sealedBytes[12..].ToArray();
        byte[] a = aad.ToArray();
        try
        {
            return _token.Run($"opening with '{Label}'", s =>
            {
                using var mech = Pkcs11Token.Factories.MechanismFactory.Create(CKM.CKM_AES_GCM, Pkcs11Token.GcmParams(iv, a));
                return s.Decrypt(mech, _key, ct);
            });
        }
        catch (TokenException e) when (e.InnerException is Net.Pkcs11Interop.Common.Pkcs11Exception { RV: CKR.CKR_ENCRYPTED_DATA_INVALID or CKR.CKR_FUNCTION_FAILED or CKR.CKR_ENCRYPTED_DATA_LEN_RANGE or CKR.CKR_GENERAL_ERROR })
        {
            throw new TokenException($"token '{_token.Label}': the sealed secret does not open with '{Label}' (another key, another election or file, or corrupted)", e);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _token.Dispose();
}
