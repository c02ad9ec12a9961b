using System.Diagnostics;
using TVS.Cli;
using TVS.Crypto.Ristretto;
using TVS.Crypto.Threshold;
using TVS.Pkcs11;
using Xunit.Abstractions;

namespace TVS.Tests.Pkcs11;

/// <summary>
/// The key ceremony through <c>tvs trustee … --key-uri</c> (separate processes, one token per
/// trustee in one SoftHSM2 directory): every key file a token trustee writes is wrapped (no
/// passphrase anywhere), the wrapped share opens to s_j with s_j·G = Y_j, and the same step
/// without the token or with a wrong PIN fails with a clear message and writes nothing.
/// </summary>
[Collection(SoftHsmCollection.Name)]
public sealed class CliTrusteeHsmTests(ITestOutputHelper output)
{
    private static readonly Guid Election = Guid.Parse("7a3e4a10-8c1b-4f6e-a2d7-93b0c4e5f622");

    [Fact]
    public void CeremonyWithTokenWrappedKeys()
    {
        using SoftHsm? hsm = SoftHsm.Create(output);
        if (hsm is null)
        {
            return;
        }
        const int n = 3, t = 2;
        for (int i = 1; i <= n; i++)
        {
            hsm.InitToken($"trustee-{i}");
            using var tok = Pkcs11Token.Open(hsm.Uri($"trustee-{i}", null));
            tok.GenerateAes256("wrap");
        }
        string cer = Path.Combine(hsm.Dir, "ceremony");
        string Priv(int i) => Path.Combine(hsm.Dir, $"private-{i}");
        string Uri(int i) => hsm.Uri($"trustee-{i}", "wrap").ToString();

        (int Code, string Out, string Err) Tvs(params string[] args)
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tvs.dll"));
            foreach (string a in args)
            {
                psi.ArgumentList.Add(a);
            }
            psi.Environment["SOFTHSM2_CONF"] = hsm.Conf;
            psi.Environment.Remove(TrusteeCommands.PassphraseVariable);
            using var p = Process.Start(psi)!;
            var so = p.StandardOutput.ReadToEndAsync();
            var se = p.StandardError.ReadToEndAsync();
            Assert.True(p.WaitForExit(TimeSpan.FromMinutes(2)));
            return (p.ExitCode, so.Result, se.Result);
        }

        Assert.Equal(0, Tvs("trustee", "init", "--ceremony", cer, "--election", Election.ToString(), "-t", $"{t}", "-n", $"{n}").Code);
        for (int i = 1; i <= n; i++)
        {
            var r = Tvs("trustee", "keygen", "--ceremony", cer, "--index", $"{i}", "--out", Priv(i), "--key-uri", Uri(i));
            Assert.True(r.Code == 0, r.Err);
        }
        // Wrong PIN: refused, clear, nothing written, no PIN in the message.
        string badPin = Path.Combine(hsm.Dir, "bad-pin");
        File.WriteAllText(badPin, "000000\n");
        var bad = Tvs("trustee", "deal", "--ceremony", cer, "--key-dir", Priv(1), "--key-uri", hsm.Uri("trustee-1", "wrap", badPin).ToString());
        Assert.Equal(2, bad.Code);
        Assert.Contains("wrong PIN", bad.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("000000", bad.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Priv(1), TrusteeCommands.PolynomialFile)));
        // Without the token: the key file says which token key it needs.
        var none = Tvs("trustee", "deal", "--ceremony", cer, "--key-dir", Priv(1), "--passphrase-file", badPin);
        Assert.NotEqual(0, none.Code);
        Assert.Contains("token key 'wrap'", none.Err, StringComparison.Ordinal);

        foreach (string verb in new[] { "deal", "complain", "answer", "finalize" })
        {
            for (int i = 1; i <= n; i++)
            {
                var r = Tvs("trustee", verb, "--ceremony", cer, "--key-dir", Priv(i), "--key-uri", Uri(i));
                Assert.True(r.Code == 0, verb + ": " + r.Err);
            }
        }
        var result = CeremonyFiles.ReadResult(new CeremonyFiles(cer).ResultPath(1));
        for (int i = 1; i <= n; i++)
        {
            foreach (string f in Directory.GetFiles(Priv(i)))
            {
                Assert.True(KeyFile.IsWrapped(File.ReadAllBytes(f)), f + " is not wrapped");
            }
            using var w = Pkcs11Wrapper.Open(hsm.Uri($"trustee-{i}", "wrap"));
            var (idx, s) = KeyFile.OpenShare(File.ReadAllBytes(Path.Combine(Priv(i), TrusteeCommands.ShareFile)), Election, default, w);
            Assert.Equal(i, idx);
            Assert.Equal(result.VerificationKey(i), RistrettoPoint.MultiplyBase(s));
            s.Clear();
        }
    }
}
