using System.Diagnostics;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using TVS.Merkle;
using TVS.Pkcs11;

namespace TVS.Bench.Pkcs11;

/// <summary>
/// Ed25519 signatures of a checkpoint-sized note text: the in-memory key (NSec, the key-file
/// default) against a key inside a SoftHSM2 token (CKM_EDDSA through Pkcs11Interop, plus the
/// host-side check of each token signature that <see cref="Pkcs11Ed25519Signer"/> does). Needs
/// Debian's softhsm2; the token is made in a temporary directory in GlobalSetup.
/// <c>dotnet run -c Release --project bench/TVS.Bench -- --filter '*TokenSign*'</c>
/// </summary>
[MemoryDiagnoser]
public partial class TokenSignBenchmarks
{
    private const string Module = "/usr/lib/softhsm/libsofthsm2.so";
    private string _dir = "";
    private NoteSigner _file = null!;
    private NoteSigner _token = null!;
    private byte[] _text = [];

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("tvs-bench-hsm-").FullName;
        string tokens = Path.Combine(_dir, "tokens");
        Directory.CreateDirectory(tokens);
        string conf = Path.Combine(_dir, "softhsm2.conf");
        File.WriteAllText(conf, $"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n");
        File.WriteAllText(Path.Combine(_dir, "pin"), "1234\n");
        _ = SetEnv("SOFTHSM2_CONF", conf, 1);
        var psi = new ProcessStartInfo("softhsm2-util", "--init-token --free --label bench --so-pin 5678 --pin 1234") { RedirectStandardOutput = true };
        psi.Environment["SOFTHSM2_CONF"] = conf;
        using (var p = Process.Start(psi)!)
        {
            p.WaitForExit();
        }
        var uri = Pkcs11Uri.Create("bench", "checkpoint", Module, "file:" + Path.Combine(_dir, "pin"));
        using (var t = Pkcs11Token.Open(uri))
        {
            t.GenerateEd25519("checkpoint");
        }
        _token = NoteSigner.FromSigner("bench", Pkcs11Ed25519Signer.Open(uri));
        _file = NoteSigner.Generate("bench");
        _text = "tvs.example/6f1c2b9e-8d4a-4e3b-9a7c-2f5e1d0b3a94/p0\n1048576\n9pwSYM2aW+9r9qQBryUklpVlJxneUyhalLkZTxqL/gQ=\n"u8.ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _token.Dispose();
        _file.Dispose();
        Directory.Delete(_dir, true);
    }

    [Benchmark(Baseline = true)]
    public byte[] FileKey() => _file.Sign(_text);

    [Benchmark]
    public byte[] SoftHsm2Token() => _token.Sign(_text);

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
