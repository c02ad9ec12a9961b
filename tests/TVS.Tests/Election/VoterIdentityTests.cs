using System.Numerics;
using System.Text.Json.Nodes;
using TVS.Crypto.Bn254;
using TVS.Engine.Client;

namespace TVS.Tests.Election;

/// <summary>VoterIdentity against @semaphore-protocol/identity 4.14.3 (the JS client's committed fixture).</summary>
public sealed class VoterIdentityTests
{
    private static string Fixture(string file)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            string f = Path.Combine(d.FullName, "tests", "fixtures", "voter-js", file);
            if (File.Exists(f))
            {
                return f;
            }
        }
        throw new FileNotFoundException(file);
    }

    [Fact]
    public void Commitment_and_nullifier_equal_semaphores_for_the_same_secret()
    {
        var election = JsonNode.Parse(File.ReadAllText(Fixture("election.json")))!;
        var id = Guid.Parse((string)election["electionId"]!);
        var votes = JsonNode.Parse(File.ReadAllText(Fixture("votes.json")))!.AsArray();
        Assert.NotEmpty(votes);
        foreach (var v in votes)
        {
            var identity = VoterIdentity.FromSecret(BigInteger.Parse((string)v!["circuitInput"]!["secret"]!));
            Assert.Equal((string)v["merkleProof"]!["leaf"]!, identity.Commitment.ToString());
            Assert.Equal((string)v["nullifier"]!, identity.Nullifier(id).ToString());
        }
    }

    [Fact]
    public void Fresh_identities_differ_and_their_nullifiers_depend_on_the_election()
    {
        var a = VoterIdentity.Create();
        var b = VoterIdentity.Create();
        Assert.NotEqual(a.Commitment, b.Commitment);
        Assert.NotEqual(a.Nullifier(Guid.NewGuid()), a.Nullifier(Guid.NewGuid()));
        Assert.NotEqual(Fr.Zero, a.Commitment);
        Assert.Throws<ArgumentOutOfRangeException>(() => VoterIdentity.FromSecret(BigInteger.Zero));
    }
}
