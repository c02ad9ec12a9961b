using System.Text;
using TVS.Merkle;
using TVS.Witness;

namespace TVS.Tests.Witness;

/// <summary>A small log for witness tests: leaves "{prefix}-{i}", checkpoints signed by its note key.</summary>
internal sealed class WitnessTestLog : IDisposable
{
    private readonly MerkleMountainRange _mmr = new(new InMemoryMmrNodeStore());

    public WitnessTestLog(string origin = "tvs.test/e1/p0", int leaves = 32, string prefix = "vote", NoteSigner? signer = null)
    {
        Origin = origin;
        Signer = signer ?? NoteSigner.Generate(origin);
        for (int i = 0; i < leaves; i++)
        {
            _mmr.Append(Encoding.UTF8.GetBytes($"{prefix}-{i}"));
        }
    }

    public string Origin { get; }

    public NoteSigner Signer { get; }

    public string LogSpec => Signer.Verifier.VerifierKey + "," + Origin;

    public Hash256 Root(long size) => _mmr.RootAt(size);

    public string Note(long size) => Checkpoint.Of(Origin, _mmr, size).Sign(Signer);

    public Hash256[] Proof(long oldSize, long newSize) => oldSize == 0 || oldSize == newSize ? [] : _mmr.GetConsistencyProof(oldSize, newSize);

    public byte[] Body(long oldSize, long newSize) => Encoding.UTF8.GetBytes(WitnessClient.RequestBody(oldSize, Proof(oldSize, newSize), Note(newSize)));

    public void Dispose() => Signer.Dispose();

    /// <summary>The Ed25519 seed in a <c>PRIVATE+KEY+name+hash+base64</c> key text (the base64 may hold '+').</summary>
    public static byte[] SeedOf(string signerKey) => Convert.FromBase64String(signerKey.Split('+', 5)[4])[1..];
}

/// <summary>A temporary directory deleted at dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tvs-witness-" + Guid.NewGuid().ToString("N")[..10]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
