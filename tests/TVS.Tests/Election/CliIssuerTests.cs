using TVS.Crypto.Bn254;
using TVS.Crypto.Registry;
using TVS.Issuer;
using TVS.LoadGen;

namespace TVS.Tests.Election;

/// <summary>tvs issuer sign-root / collect / roots: the operator path from a registry file to an accepted root.</summary>
[Collection(InProcessCliCollection.Name)]
public sealed class CliIssuerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tvs-cli-issuer-" + Guid.NewGuid().ToString("N")[..12]);

    private static int Tvs(params string[] args) => TVS.Cli.Program.BuildRoot().Parse(args).Invoke();

    [Fact]
    public void Five_issuers_sign_the_recomputed_root_and_collect_makes_it_accepted_four_do_not()
    {
        string election = Path.Combine(_dir, "election");
        Guid id;
        using (var e = ElectionSetup.CreateSimulated(election, rootCount: 1))
        {
            id = e.Id;
        }
        string registry = Path.Combine(_dir, "registry.bin");
        var leaves = Enumerable.Range(1, 11).Select(i => Fr.FromUInt64((ulong)(1000 + i))).ToArray();
        using (var r = RegistryFile.Open(registry, id))
        {
            for (int i = 0; i < leaves.Length; i++)
            {
                var voter = new byte[32];
                voter[0] = (byte)i;
                Assert.Equal(RegisterResult.Registered, r.Register(voter, leaves[i], out _));
            }
        }
        var endorsements = new List<string>();
        for (int i = 1; i <= 5; i++)
        {
            string file = Path.Combine(_dir, $"e{i}.json");
            Assert.Equal(0, Tvs("issuer", "sign-root", "--registry", registry, "--key", Path.Combine(election, "secrets", ElectionSetup.IssuerKeyFile(i)), "--out", file));
            endorsements.Add(file);
        }
        string four = Path.Combine(_dir, "four.json");
        Assert.Equal(TVS.Cli.ExitCodes.Refused, Tvs(["issuer", "collect", "--election", election, "--out", four, .. endorsements.Take(4)]));
        Assert.False(File.Exists(four));
        Assert.Equal(0, Tvs(["issuer", "collect", "--election", election, .. endorsements, endorsements[0]]));
        Assert.True(File.Exists(Path.Combine(election, "roots", "root-11.json")));
        using var loaded = ElectionSetup.Load(election, allowInsecure: true);
        Assert.Contains(new LeanImt(leaves).Root, loaded.Roots);
        Assert.Equal(0, Tvs("issuer", "roots", "--election", election));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
