using System.Runtime.InteropServices;

namespace TVS.Crypto.Native;

/// <summary>
/// P/Invoke into the native libsodium that the NSec.Cryptography package ships (its dependency,
/// the <c>libsodium</c> NuGet package, puts <c>runtimes/{rid}/native/libsodium.so</c> into the
/// app's deps.json, so <c>DllImport("libsodium")</c> resolves the very same file NSec loads).
/// Every entry point that needs an initialised library goes through <see cref="EnsureInitialized"/>
/// (or through a caller that did), so <c>sodium_init</c> runs once per process before first use.
/// </summary>
internal static unsafe partial class Sodium
{
    internal const string Library = "libsodium";

    private static readonly bool s_initialized = Initialize();

    /// <summary>True once <c>sodium_init</c> succeeded. Touching it runs the one-time initialisation.</summary>
    internal static bool EnsureInitialized() => s_initialized;

    private static bool Initialize()
    {
        // 0: initialised now; 1: already initialised (e.g. by NSec); -1: failure.
        int rc = sodium_init();
        if (rc < 0)
        {
            throw new InvalidOperationException("libsodium: sodium_init failed");
        }
        return true;
    }

    [LibraryImport(Library)]
    private static partial int sodium_init();
}
