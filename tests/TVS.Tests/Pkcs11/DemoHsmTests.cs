using System.Diagnostics;
using System.Text.Json.Nodes;
using TVS.Crypto.Threshold;
using Xunit.Abstractions;

namespace TVS.Tests.Pkcs11;

/// <summary>
/// <c>tvs demo --hsm</c> (its own process, so its SoftHSM2 configuration is its own): the whole
/// election with the checkpoint/close signer, the issuers and the trustees' wrapped shares in a
/// token passes every check the file-key demo passes; the election directory names the keys by
/// URI and holds no private key of them.
/// </summary>
[Collection(SoftHsmCollection.Name)]
public sealed class DemoHsmTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tvs-demo-hsm-").FullName;

    public void Dispose() => Directory.Delete(_root, true);

    [Fact]
    public void DemoWithHsmPassesTheSameChecksAsWithKeyFiles()
    {
        using SoftHsm? probe = SoftHsm.Create(output);
        if (probe is null)
        {
            return;
        }
        JsonNode Demo(string dir, bool hsm)
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in new[] { Path.Combine(AppContext.BaseDirectory, "tvs.dll"), "demo", "--voters", "150", "--dir", dir, "--json", "--no-baseline", "--verify-threads", "1" })
            {
                psi.ArgumentList.Add(a);
            }
            if (hsm)
            {
                psi.ArgumentList.Add("--hsm");
            }
            psi.Environment.Remove("SOFTHSM2_CONF");
            using var p = Process.Start(psi)!;
            var so = p.StandardOutput.ReadToEndAsync();
            var se = p.StandardError.ReadToEndAsync();
            Assert.True(p.WaitForExit(TimeSpan.FromMinutes(10)), "demo timed out");
            Assert.True(p.ExitCode == 0, se.Result + so.Result);
            return JsonNode.Parse(so.Result)!;
        }

        string plainDir = Path.Combine(_root, "plain"), hsmDir = Path.Combine(_root, "hsm");
        var plain = Demo(plainDir, false);
        var withHsm = Demo(hsmDir, true);
        foreach (var run in new[] { plain, withHsm })
        {
            Assert.True((bool)run["ok"]!);
            Assert.True((bool)run["countsMatch"]!);
            Assert.True((bool)run["rootMatches"]!);
            Assert.True((bool)run["checkpointValid"]!);
            var life = run["lifecycle"]!;
            Assert.True((bool)life["Closed"]! && (bool)life["Tallied"]! && (bool)life["ResultMatchesChoices"]! && (bool)life["RecordVerified"]!);
        }
        // Same shape of outcome: the same load mix gives the same verdict counts.
        Assert.Equal(plain["expected"]!.ToJsonString(), withHsm["expected"]!.ToJsonString());
        Assert.Equal(plain["summary"]!["RejectedByReason"]!.ToJsonString(), withHsm["summary"]!["RejectedByReason"]!.ToJsonString());

        // The HSM run's election names its keys by URI; the trustees' shares are wrapped.
        string secrets = Path.Combine(hsmDir, "election", "secrets");
        Assert.StartsWith("pkcs11:token=tvs-demo;object=checkpoint?", File.ReadAllText(Path.Combine(secrets, "checkpoint.key")), StringComparison.Ordinal);
        Assert.StartsWith("pkcs11:", File.ReadAllText(Path.Combine(secrets, "issuer-01.key")), StringComparison.Ordinal);
        Assert.True(KeyFile.IsWrapped(File.ReadAllBytes(Path.Combine(hsmDir, "trustees", "trustee-01", "share.key"))));
        Assert.False(File.Exists(Path.Combine(hsmDir, "trustees", "trustee-01", "passphrase")));
        Assert.True(File.Exists(Path.Combine(hsmDir, "hsm", "pin")));
        Assert.DoesNotContain(File.ReadAllText(Path.Combine(hsmDir, "hsm", "pin")).Trim(), withHsm.ToJsonString(), StringComparison.Ordinal);
    }
}
