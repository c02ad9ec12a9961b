using System.Security.Cryptography;
using TVS.Crypto.Ristretto;
using TVS.Crypto.Threshold;

namespace TVS.Cli;

/// <summary>
/// How a trustee's secrets are sealed at rest: under a passphrase (the default) or by an AES key
/// in a PKCS#11 token (<c>--key-uri</c>). With a token the ceremony writes only the wrapped form,
/// and reading opens either form (a passphrase file still needs the passphrase).
/// </summary>
public sealed class TrusteeKeys(byte[] passphrase, ISecretSealer? sealer)
{
    /// <summary>The passphrase as UTF-8 (empty when only a token key is given).</summary>
    public byte[] Passphrase { get; } = passphrase;

    /// <summary>The token key sealing new files, or null.</summary>
    public ISecretSealer? Sealer { get; } = sealer;

    public static implicit operator TrusteeKeys(byte[] passphrase) => new(passphrase, null);

    public byte[] SealIdentity(TrusteeIdentity id) => Sealer is null ? KeyFile.SealIdentity(id, Passphrase) : KeyFile.SealIdentity(id, Sealer);

    public byte[] SealPolynomial(DealerSecret s, Guid electionId) => Sealer is null ? KeyFile.SealPolynomial(s, electionId, Passphrase) : KeyFile.SealPolynomial(s, electionId, Sealer);

    public byte[] SealShare(int index, in RistrettoScalar share, Guid electionId) => Sealer is null ? KeyFile.SealShare(index, share, electionId, Passphrase) : KeyFile.SealShare(index, share, electionId, Sealer);

    public TrusteeIdentity OpenIdentity(byte[] file, Guid electionId) => KeyFile.OpenIdentity(file, electionId, Passphrase, Sealer);

    public DealerSecret OpenPolynomial(byte[] file, Guid electionId) => KeyFile.OpenPolynomial(file, electionId, Passphrase, Sealer);

    public (int Index, RistrettoScalar Share) OpenShare(byte[] file, Guid electionId) => KeyFile.OpenShare(file, electionId, Passphrase, Sealer);

    /// <summary>Zeroes the passphrase.</summary>
    public void Clear() => CryptographicOperations.ZeroMemory(Passphrase);
}
