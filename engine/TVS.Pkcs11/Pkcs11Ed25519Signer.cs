using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using NSec.Cryptography;
using TVS.Merkle;

namespace TVS.Pkcs11;

/// <summary>
/// An Ed25519 key that lives in a PKCS#11 token and signs there (CKM_EDDSA, pure Ed25519): the
/// URI's <c>object</c> names a CKK_EC_EDWARDS private key on curve Ed25519 and its public key
/// (same label), whose CKA_EC_POINT (DER OCTET STRING of the 32 bytes) gives
/// <see cref="PublicKey"/>. Each signature is checked against that public key before it is
/// returned, so a token answering with the wrong key or garbage is caught at once (one
/// verification per checkpoint or root: batch cadence, not per vote).
/// </summary>
public sealed class Pkcs11Ed25519Signer : IEd25519Signer
{
    private readonly Pkcs11Token _token;
    private readonly IObjectHandle _private;
    private readonly PublicKey _verify;

    private Pkcs11Ed25519Signer(Pkcs11Token token, IObjectHandle priv, byte[] publicKey, string label)
    {
        _token = token;
        _private = priv;
        PublicKey = publicKey;
        Label = label;
        _verify = NSec.Cryptography.PublicKey.Import(SignatureAlgorithm.Ed25519, publicKey, KeyBlobFormat.RawPublicKey);
    }

    /// <inheritdoc/>
    public ReadOnlyMemory<byte> PublicKey { get; }

    /// <summary>The object's label.</summary>
    public string Label { get; }

    /// <summary>Opens the Ed25519 key <paramref name="uri"/> names (it must have <c>object=</c>).</summary>
    public static Pkcs11Ed25519Signer Open(Pkcs11Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (uri.Object is null)
        {
            throw new TokenException($"PKCS#11 URI for token '{uri.Token}' names no object (add object=LABEL)");
        }
        if (uri.Type is not null and not "private")
        {
            throw new TokenException($"PKCS#11 URI for '{uri.Object}' says type={uri.Type}; a signing key is type=private");
        }
        Pkcs11Token token = Pkcs11Token.Open(uri);
        try
        {
            string label = uri.Object;
            IObjectHandle priv = token.FindOne(label, CKO.CKO_PRIVATE_KEY, uri.Id, "an Ed25519 private key");
            IObjectHandle pub = token.FindOne(label, CKO.CKO_PUBLIC_KEY, uri.Id, "an Ed25519 public key");
            CheckEd25519(token, priv, label, "private");
            byte[] point = token.Run($"reading the public key '{label}'", s => s.GetAttributeValue(pub, [CKA.CKA_EC_POINT])[0].GetValueAsByteArray());
            byte[] raw = point.Length switch
            {
                34 when point[0] == 0x04 && point[1] == 0x20 => point[2..],
                32 => point,
                _ => throw new TokenException($"token '{token.Label}': the public key '{label}' has a CKA_EC_POINT of {point.Length} bytes, not an Ed25519 point"),
            };
            return new Pkcs11Ed25519Signer(token, priv, raw, label);
        }
        catch
        {
            token.Dispose();
            throw;
        }
    }

    private static void CheckEd25519(Pkcs11Token token, IObjectHandle h, string label, string which)
    {
        var (keyType, ecParams) = token.Run($"reading the key type of '{label}'", s =>
        {
            var a = s.GetAttributeValue(h, [CKA.CKA_KEY_TYPE]);
            ulong kt = a[0].GetValueAsUlong();
            byte[]? p = kt == Pkcs11Token.CKK_EC_EDWARDS ? s.GetAttributeValue(h, [CKA.CKA_EC_PARAMS])[0].GetValueAsByteArray() : null;
            return (kt, p);
        });
        if (keyType != Pkcs11Token.CKK_EC_EDWARDS)
        {
            string name = Pkcs11Token.KeyTypeName(keyType);
            throw new TokenException($"token '{token.Label}': the {which} key '{label}' is a {name} key, not Ed25519 (CKK_EC_EDWARDS)");
        }
        if (ecParams is null || !(ecParams.AsSpan().SequenceEqual(Pkcs11Token.Ed25519Oid) || ecParams.AsSpan().SequenceEqual(Pkcs11Token.Ed25519Name)))
        {
            throw new TokenException($"token '{token.Label}': the {which} key '{label}' is an Edwards key on another curve than Ed25519 (Ed448?)");
        }
    }

    /// <inheritdoc/>
    public byte[] Sign(ReadOnlySpan<byte> message)
    {
        byte[] data = message.ToArray();
        byte[] sig = _token.Run($"signing with '{Label}'", s => s.Sign(Pkcs11Token.Factories.MechanismFactory.Create(Pkcs11Token.CKM_EDDSA), _private, data));
        if (sig.Length != 64 || !SignatureAlgorithm.Ed25519.Verify(_verify, message, sig))
        {
            throw new TokenException($"token '{_token.Label}': the signature made with '{Label}' does not verify under its public key");
        }
        return sig;
    }

    /// <inheritdoc/>
    public void Dispose() => _token.Dispose();
}
