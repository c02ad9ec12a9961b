using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using TVS.Crypto.Hpke;
using Xunit.Abstractions;

namespace TVS.Tests.Hpke;

/// <summary>
/// Interop with @hpke/core (npm, an independent HPKE): it sealed tests/fixtures/hpke/jsvectors.json
/// (tools/hpke/make-fixtures.mjs) and opens what C# seals (tools/hpke/open.mjs). The node half
/// needs node and tools/hpke/node_modules (tests/run.sh runs npm ci there): without them it fails
/// under CI=true and passes with a note otherwise.
/// </summary>
public class JsInteropTests(ITestOutputHelper output)
{
    private static string RepoRoot() => ExternalTools.RepoRoot();

    private static JsonNode Fixtures() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(RepoRoot(), "tests", "fixtures", "hpke", "jsvectors.json")))!;

    private static byte[] H(JsonNode? n) => Convert.FromHexString((string)n!);

    [Fact]
    public void Fixture_recipient_key_is_our_DeriveKeyPair()
    {
        var f = Fixtures();
        using var key = HpkePrivateKey.Derive(H(f["ikmR"]));
        Assert.Equal(H(f["pkR"]), key.PublicKey.ToArray());
        var sk = new byte[32];
        key.ExportPrivateKey(sk);
        Assert.Equal(H(f["skR"]), sk);
        Assert.Equal(HpkeEnvelope.Info(Guid.Parse((string)f["electionId"]!)), H(f["info"]));
    }

    [Fact]
    public void Opens_every_message_sealed_by_hpke_core()
    {
        var f = Fixtures();
        using var key = HpkePrivateKey.Import(H(f["skR"]));
        var recipient = HpkeEnvelope.CreateRecipient(key, Guid.Parse((string)f["electionId"]!));
        var aad = H(f["aad"]);
        var sizes = new List<int>();
        foreach (var m in f["messages"]!.AsArray())
        {
            var enc = H(m!["enc"]);
            var ct = H(m["ciphertext"]);
            var pt = new byte[ct.Length];
            Assert.Equal(HpkeError.None, recipient.Open(enc, aad, ct, pt, out int n));
            Assert.Equal(H(m["plaintext"]), pt[..n]);
            sizes.Add(n);

            ct[^1] ^= 1;
            Assert.Equal(HpkeError.AuthenticationFailed, recipient.Open(enc, aad, ct, pt, out _));
        }
        Assert.Equal([0, 1, 100, 4096], sizes);
    }

    private bool NodeAvailable(out string toolDir) => ExternalTools.NodePackage("hpke", Path.Combine("@hpke", "core"), output, out toolDir);

    private static JsonNode RunOpen(string toolDir, object request)
    {
        var psi = new ProcessStartInfo("node", "open.mjs")
        {
            WorkingDirectory = toolDir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(JsonSerializer.Serialize(request));
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000), "node open.mjs timed out");
        Assert.True(p.ExitCode == 0, "node open.mjs failed: " + stderr.Result);
        return JsonNode.Parse(stdout.Result)!;
    }

    private static string Hex(ReadOnlySpan<byte> b) => Convert.ToHexStringLower(b);

    [Fact]
    public void Hpke_core_opens_what_we_seal()
    {
        if (!NodeAvailable(out var toolDir))
        {
            return;
        }
        using var key = HpkePrivateKey.Generate();
        var sk = new byte[32];
        key.ExportPrivateKey(sk);
        var election = Guid.NewGuid();
        var info = HpkeEnvelope.Info(election);
        var aad = "record key: nullifier"u8.ToArray();

        foreach (int size in new[] { 0, 1, 100, 4096 })
        {
            var msg = new byte[size];
            Random.Shared.NextBytes(msg);
            var env = HpkeEnvelope.Seal(key.PublicKey, election, aad, msg);
            var res = RunOpen(toolDir, new
            {
                aead = "aes-256-gcm",
                skR = Hex(sk),
                info = Hex(info),
                aad = Hex(aad),
                enc = Hex(env.AsSpan(0, 32)),
                ciphertext = Hex(env.AsSpan(32)),
            });
            Assert.True((bool)res["ok"]!, res.ToJsonString());
            Assert.Equal(Hex(msg), (string)res["plaintext"]!);
            Assert.Equal(Hex(key.PublicKey), (string)res["pkR"]!);
        }

        // A tampered envelope is rejected over there too.
        var bad = HpkeEnvelope.Seal(key.PublicKey, election, aad, "x"u8);
        bad[^1] ^= 1;
        var rej = RunOpen(toolDir, new { aead = "aes-256-gcm", skR = Hex(sk), info = Hex(info), aad = Hex(aad), enc = Hex(bad.AsSpan(0, 32)), ciphertext = Hex(bad.AsSpan(32)) });
        Assert.False((bool)rej["ok"]!);
    }

    [Fact]
    public void Hpke_core_agrees_on_a_context_export_and_on_AES_128_GCM()
    {
        if (!NodeAvailable(out var toolDir))
        {
            return;
        }
        using var key = HpkePrivateKey.Generate();
        var sk = new byte[32];
        key.ExportPrivateKey(sk);
        var info = "some info"u8.ToArray();
        var enc = new byte[32];
        using var sender = HpkeBaseMode.SetupSender(HpkeAead.Aes128Gcm, key.PublicKey, info, enc);
        var ct = new byte[16 + 5];
        sender.Seal("aad"u8, "hello"u8, ct);
        var exported = new byte[32];
        sender.Export("ctx"u8, exported);
        var res = RunOpen(toolDir, new
        {
            aead = "aes-128-gcm",
            skR = Hex(sk),
            info = Hex(info),
            aad = Hex("aad"u8),
            enc = Hex(enc),
            ciphertext = Hex(ct),
            exporterContext = Hex("ctx"u8),
            exportLength = 32,
        });
        Assert.True((bool)res["ok"]!, res.ToJsonString());
        Assert.Equal(Hex("hello"u8), (string)res["plaintext"]!);
        Assert.Equal(Hex(exported), (string)res["exported"]!);
    }
}
