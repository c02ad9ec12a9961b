using System.Diagnostics;
using System.Runtime.InteropServices;
using TVS.Pkcs11;
using Xunit.Abstractions;

namespace TVS.Tests.Pkcs11;

/// <summary>
/// Tests that load the SoftHSM2 module run one after another: SoftHSM2 reads SOFTHSM2_CONF (its
/// token directory) at C_Initialize, once per process while any key is open, so each test gets
/// its own directory only when the previous test closed everything.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SoftHsmCollection
{
    public const string Name = "SoftHSM2 token";
}

/// <summary>
/// A throwaway SoftHSM2 token directory (Debian softhsm2; OpenSC's pkcs11-tool as the independent
/// reader). Missing tools fail under CI=true (tests/run.sh installs them) and skip elsewhere.
/// </summary>
internal sealed partial class SoftHsm : IDisposable
{
    public const string Module = "/usr/lib/softhsm/libsofthsm2.so";
    public const string UserPin = "871234";
    private const string SoPin = "55443322";

    private SoftHsm(string dir)
    {
        Dir = dir;
        TokenDir = Path.Combine(dir, "tokens");
        Directory.CreateDirectory(TokenDir);
        Conf = Path.Combine(dir, "softhsm2.conf");
        File.WriteAllText(Conf, $"directories.tokendir = {TokenDir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");
        PinFile = Path.Combine(dir, "pin");
        File.WriteAllText(PinFile, UserPin + "\n");
        PointProcessAt(Conf);
    }

    public string Dir { get; }
    public string TokenDir { get; }
    public string Conf { get; }
    public string PinFile { get; }

    /// <summary>A fresh token directory, or null (after saying why) when SoftHSM2/OpenSC are missing outside CI.</summary>
    public static SoftHsm? Create(ITestOutputHelper output)
    {
        string? why = !File.Exists(Module) ? $"{Module} is missing (apt-get install softhsm2)"
            : ExternalTools.Run("softhsm2-util", "--version", "/", TimeSpan.FromSeconds(20)).ExitCode != 0 ? "softhsm2-util is missing (apt-get install softhsm2)"
            : ExternalTools.Run("pkcs11-tool", "--help", "/", TimeSpan.FromSeconds(20)).ExitCode < 0 ? "pkcs11-tool is missing (apt-get install opensc)"
            : null;
        if (why is not null)
        {
            Assert.False(ExternalTools.IsCi, why + "; CI requires the PKCS#11 tests (tests/run.sh installs it)");
            output.WriteLine("SKIPPED (not CI): " + why);
            return null;
        }
        return new SoftHsm(Directory.CreateTempSubdirectory("tvs-softhsm-").FullName);
    }

    /// <summary>Initialises a token labelled <paramref name="label"/> with the user PIN in <see cref="PinFile"/>.</summary>
    public void InitToken(string label)
    {
        var (code, so, se) = Tool("softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", SoPin, "--pin", UserPin);
        Assert.True(code == 0, $"softhsm2-util failed: {so} {se}");
    }

    public Pkcs11Uri Uri(string token, string? obj, string? pinFile = null)
        => Pkcs11Uri.Create(token, obj, Module, "file:" + (pinFile ?? PinFile));

    /// <summary>Runs a SoftHSM/OpenSC tool against this token directory.</summary>
    public (int Code, string Stdout, string Stderr) Tool(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["SOFTHSM2_CONF"] = Conf;
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(1)), file + " timed out");
        return (p.ExitCode, o.Result, e.Result);
    }

    /// <summary>pkcs11-tool -O (list objects) of token <paramref name="label"/>, logged in.</summary>
    public string ListObjects(string label)
    {
        var (code, so, se) = Tool("pkcs11-tool", "--module", Module, "--token-label", label, "--login", "--pin", UserPin, "-O");
        Assert.True(code == 0, $"pkcs11-tool -O failed: {so} {se}");
        return so;
    }

    /// <summary>Sets SOFTHSM2_CONF in the native environment (what the module's getenv sees; .NET's own copy is not enough).</summary>
    public static void PointProcessAt(string conf)
    {
        Environment.SetEnvironmentVariable("SOFTHSM2_CONF", conf);
        Assert.Equal(0, SetEnv("SOFTHSM2_CONF", conf, 1));
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, true);
        }
        catch (IOException)
        {
        }
    }
}
