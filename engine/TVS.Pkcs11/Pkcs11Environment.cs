using System.Runtime.InteropServices;

namespace TVS.Pkcs11;

/// <summary>
/// Environment variables a PKCS#11 module reads with getenv when it is initialised (SoftHSM2's
/// SOFTHSM2_CONF). .NET keeps its own copy of the environment on Unix, so
/// <see cref="Environment.SetEnvironmentVariable(string, string)"/> alone does not reach native code.
/// </summary>
public static partial class Pkcs11Environment
{
    /// <summary>Sets <paramref name="name"/> for this process and its native libraries (before the module is loaded).</summary>
    public static void Set(string name, string value)
    {
        Environment.SetEnvironmentVariable(name, value);
        if (!OperatingSystem.IsWindows() && SetEnv(name, value, 1) != 0)
        {
            throw new InvalidOperationException($"setenv {name} failed");
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
