using System.Security.Cryptography;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Net.Pkcs11Interop.HighLevelAPI.MechanismParams;

namespace TVS.Pkcs11;

/// <summary>
/// A PKCS#11 module, token or object could not be used. The message names what is missing or
/// failed (module path, token label, object label, CKR code) and never a PIN or key bytes. An
/// <see cref="IOException"/>: a token is a device, and callers that report I/O failures report it.
/// </summary>
public sealed class TokenException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>
/// One logged-in session on one token, shared by every key object of that token in this process
/// (a PKCS#11 login is per application, and a module may be initialised once per process).
/// Operations are serialised on the session. Obtain with <see cref="Open"/>; dispose each handle.
/// </summary>
public sealed class Pkcs11Token : IDisposable
{
    // PKCS#11 v3.0 values Pkcs11Interop 5 (v2.40) has no names for.
    internal const ulong CKK_EC_EDWARDS = 0x40;
    internal const ulong CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
    internal const ulong CKM_EDDSA = 0x1057;

    /// <summary>DER of the Ed25519 curve OID 1.3.101.112 (RFC 8410), CKA_EC_PARAMS.</summary>
    internal static readonly byte[] Ed25519Oid = [0x06, 0x03, 0x2B, 0x65, 0x70];

    /// <summary>DER PrintableString "edwards25519", the other CKA_EC_PARAMS form PKCS#11 3.0 allows.</summary>
    internal static readonly byte[] Ed25519Name = [0x13, 0x0C, .. "edwards25519"u8];

    private static readonly Lock Registry = new();
    private static readonly Dictionary<string, (IPkcs11Library Library, int Users)> Libraries = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, Shared> Sessions = new(StringComparer.Ordinal);

    private readonly Shared _shared;
    private bool _disposed;

    static Pkcs11Token()
    {
        // Pkcs11Interop 5 P/Invokes dlopen from "libdl"; glibc ≥ 2.34 ships only libdl.so.2 (no
        // unversioned libdl.so without the -dev package), so point it at the versioned name.
        System.Runtime.InteropServices.NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, (name, assembly, path) =>
        {
            if (name == "libdl" && OperatingSystem.IsLinux())
            {
                foreach (string candidate in new[] { "libdl.so.2", "libc.so.6" })
                {
                    if (System.Runtime.InteropServices.NativeLibrary.TryLoad(candidate, out IntPtr handle))
                    {
                        return handle;
                    }
                }
            }
            return IntPtr.Zero;
        });
    }

    private Pkcs11Token(Shared shared)
    {
        _shared = shared;
    }

    internal static Pkcs11InteropFactories Factories { get; } = new();

    /// <summary>The token's label.</summary>
    public string Label => _shared.Label;

    /// <summary>The module's path.</summary>
    public string ModulePath => _shared.ModulePath;

    /// <summary>Opens (or shares) a logged-in session on the token <paramref name="uri"/> names.</summary>
    public static Pkcs11Token Open(Pkcs11Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        string key = uri.ModulePath + "\n" + uri.Token + "\n" + uri.Serial;
        lock (Registry)
        {
            if (Sessions.TryGetValue(key, out Shared? s) && !s.Broken)
            {
                s.Users++;
                return new Pkcs11Token(s);
            }
            IPkcs11Library lib = Library(uri.ModulePath);
            try
            {
                s = Login(lib, uri, key);
            }
            catch
            {
                Release(uri.ModulePath);
                throw;
            }
            Sessions[key] = s;
            return new Pkcs11Token(s);
        }
    }

    private static IPkcs11Library Library(string path)
    {
        if (Libraries.TryGetValue(path, out var entry))
        {
            Libraries[path] = (entry.Library, entry.Users + 1);
            return entry.Library;
        }
        if (!File.Exists(path))
        {
            throw new TokenException($"PKCS#11 module {path} does not exist (install the vendor's library, or for SoftHSM2: apt-get install softhsm2)");
        }
        IPkcs11Library lib;
        try
        {
            lib = Factories.Pkcs11LibraryFactory.LoadPkcs11Library(Factories, path, AppType.MultiThreaded);
        }
        catch (Exception e)
        {
            throw new TokenException($"cannot load PKCS#11 module {path}: {e.Message.Split('\n')[0].Trim()}", e);
        }
        Libraries[path] = (lib, 1);
        return lib;
    }

    private static void Release(string path)
    {
        if (!Libraries.TryGetValue(path, out var entry))
        {
            return;
        }
        if (entry.Users > 1)
        {
            Libraries[path] = (entry.Library, entry.Users - 1);
            return;
        }
        Libraries.Remove(path);
        try
        {
            entry.Library.Dispose();
        }
        catch (Net.Pkcs11Interop.Common.Pkcs11Exception)
        {
            // C_Finalize of a broken module: nothing more to release.
        }
    }

    private static Shared Login(IPkcs11Library lib, Pkcs11Uri uri, string key)
    {
        List<ISlot> slots;
        try
        {
            slots = lib.GetSlotList(SlotsType.WithTokenPresent);
        }
        catch (Net.Pkcs11Interop.Common.Pkcs11Exception e)
        {
            throw new TokenException($"PKCS#11 module {uri.ModulePath}: listing the tokens failed ({e.RV})", e);
        }
        var labels = new List<string>();
        ISlot? slot = null;
        foreach (ISlot candidate in slots)
        {
            ITokenInfo info = candidate.GetTokenInfo();
            string label = info.Label.TrimEnd();
            labels.Add(label);
            if (label == uri.Token && (uri.Serial is null || info.SerialNumber.TrimEnd() == uri.Serial))
            {
                if (slot is not null)
                {
                    throw new TokenException($"PKCS#11 module {uri.ModulePath}: several tokens are labelled '{uri.Token}'; add serial=… to the URI");
                }
                slot = candidate;
            }
        }
        if (slot is null)
        {
            string present = labels.Count == 0 ? "none" : string.Join(", ", labels.Select(l => $"'{l}'"));
            throw new TokenException($"PKCS#11 module {uri.ModulePath} has no token labelled '{uri.Token}' (tokens present: {present})");
        }
        ISession session = slot.OpenSession(SessionType.ReadWrite);
        byte[] pin = uri.ReadPin();
        try
        {
            session.Login(CKU.CKU_USER, pin);
        }
        catch (Net.Pkcs11Interop.Common.Pkcs11Exception e) when (e.RV != CKR.CKR_USER_ALREADY_LOGGED_IN)
        {
            session.Dispose();
            string why = e.RV switch
            {
                CKR.CKR_PIN_INCORRECT => "wrong PIN",
                CKR.CKR_PIN_LOCKED => "the user PIN is locked",
                CKR.CKR_PIN_EXPIRED => "the user PIN has expired",
                CKR.CKR_USER_PIN_NOT_INITIALIZED => "the token has no user PIN yet",
                _ => $"login failed ({e.RV})",
            };
            throw new TokenException($"token '{uri.Token}' (module {uri.ModulePath}): {why} (PIN read from {uri.PinSource})", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pin);
        }
        return new Shared(uri.ModulePath, uri.Token, key, session);
    }

    /// <summary>Runs <paramref name="op"/> on the session; a PKCS#11 failure becomes a <see cref="TokenException"/> naming <paramref name="what"/>.</summary>
    internal T Run<T>(string what, Func<ISession, T> op)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_shared.Gate)
        {
            if (_shared.Broken)
            {
                throw new TokenException($"token '{Label}' (module {ModulePath}): {what}: the session was lost earlier; restart with the token present");
            }
            try
            {
                return op(_shared.Session);
            }
            catch (Net.Pkcs11Interop.Common.Pkcs11Exception e)
            {
                if (e.RV is CKR.CKR_TOKEN_NOT_PRESENT or CKR.CKR_DEVICE_REMOVED or CKR.CKR_SESSION_HANDLE_INVALID
                    or CKR.CKR_SESSION_CLOSED or CKR.CKR_DEVICE_ERROR or CKR.CKR_USER_NOT_LOGGED_IN
                    or CKR.CKR_CRYPTOKI_NOT_INITIALIZED)
                {
                    _shared.Broken = true;
                    throw new TokenException($"token '{Label}' (module {ModulePath}): {what} failed: the token is gone or no longer answers ({e.RV})", e);
                }
                if (e.RV is CKR.CKR_OBJECT_HANDLE_INVALID or CKR.CKR_KEY_HANDLE_INVALID)
                {
                    throw new TokenException($"token '{Label}' (module {ModulePath}): {what} failed: the key is gone from the token (token removed or object deleted) ({e.RV})", e);
                }
                throw new TokenException($"token '{Label}' (module {ModulePath}): {what} failed ({e.RV})", e);
            }
        }
    }

    /// <summary>The object handles labelled <paramref name="label"/> of class <paramref name="cls"/> (and CKA_ID <paramref name="id"/> when given).</summary>
    internal List<IObjectHandle> Find(string label, CKO cls, byte[]? id)
        => Run($"looking for '{label}'", s =>
        {
            var template = new List<IObjectAttribute>
            {
                Factories.ObjectAttributeFactory.Create(CKA.CKA_LABEL, label),
                Factories.ObjectAttributeFactory.Create(CKA.CKA_CLASS, cls),
            };
            if (id is not null)
            {
                template.Add(Factories.ObjectAttributeFactory.Create(CKA.CKA_ID, id));
            }
            return s.FindAllObjects(template);
        });

    /// <summary>The classes of all objects labelled <paramref name="label"/> (for "wrong type" messages).</summary>
    internal List<CKO> ClassesOf(string label)
        => Run($"looking for '{label}'", s =>
        {
            var found = s.FindAllObjects([Factories.ObjectAttributeFactory.Create(CKA.CKA_LABEL, label)]);
            return found.Select(h => (CKO)s.GetAttributeValue(h, [CKA.CKA_CLASS])[0].GetValueAsUlong()).ToList();
        });

    /// <summary>Exactly one object <paramref name="label"/> of class <paramref name="cls"/>, or a clear error.</summary>
    internal IObjectHandle FindOne(string label, CKO cls, byte[]? id, string expected)
    {
        List<IObjectHandle> found = Find(label, cls, id);
        if (found.Count == 1)
        {
            return found[0];
        }
        if (found.Count > 1)
        {
            throw new TokenException($"token '{Label}': several {expected} objects are labelled '{label}'; add id=… to the URI");
        }
        List<CKO> others = ClassesOf(label);
        if (others.Count > 0)
        {
            throw new TokenException($"token '{Label}': object '{label}' is {string.Join(", ", others.Distinct().Select(Describe))}, not {expected}");
        }
        throw new TokenException($"token '{Label}' (module {ModulePath}) has no object labelled '{label}' (expected {expected})");
    }

    internal static string KeyTypeName(ulong keyType)
        => keyType == CKK_EC_EDWARDS ? "CKK_EC_EDWARDS"
            : keyType <= uint.MaxValue && Enum.IsDefined(typeof(CKK), (uint)keyType) ? ((CKK)(uint)keyType).ToString() : $"0x{keyType:x}";

    private static string Describe(CKO c) => c switch
    {
        CKO.CKO_PRIVATE_KEY => "a private key",
        CKO.CKO_PUBLIC_KEY => "a public key",
        CKO.CKO_SECRET_KEY => "a secret key",
        CKO.CKO_CERTIFICATE => "a certificate",
        CKO.CKO_DATA => "a data object",
        _ => c.ToString(),
    };

    /// <summary>
    /// What the token says about the key <paramref name="label"/> of class <paramref name="cls"/>:
    /// CKA_SENSITIVE, CKA_EXTRACTABLE, CKA_TOKEN, and whether it refuses to reveal CKA_VALUE.
    /// </summary>
    public (bool Sensitive, bool Extractable, bool OnToken, bool ValueRefused) Protection(string label, CKO cls)
    {
        IObjectHandle h = FindOne(label, cls, null, cls.ToString());
        return Run($"reading the attributes of '{label}'", s =>
        {
            var a = s.GetAttributeValue(h, [CKA.CKA_SENSITIVE, CKA.CKA_EXTRACTABLE, CKA.CKA_TOKEN]);
            var v = s.GetAttributeValue(h, [CKA.CKA_VALUE])[0];
            return (a[0].GetValueAsBool(), a[1].GetValueAsBool(), a[2].GetValueAsBool(), v.CannotBeRead);
        });
    }

    /// <summary>True when an object labelled <paramref name="label"/> exists.</summary>
    public bool Exists(string label) => ClassesOf(label).Count > 0;

    /// <summary>
    /// Generates an Ed25519 key pair inside the token (CKM_EC_EDWARDS_KEY_PAIR_GEN): the private
    /// key is a token object, private, sensitive and not extractable, usable only to sign. Refuses
    /// a label already in use.
    /// </summary>
    public void GenerateEd25519(string label)
    {
        if (Exists(label))
        {
            throw new TokenException($"token '{Label}' already holds an object labelled '{label}'");
        }
        byte[] id = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(label))[..8];
        Run($"generating Ed25519 key '{label}'", s =>
        {
            var f = Factories.ObjectAttributeFactory;
            var pub = new List<IObjectAttribute>
            {
                f.Create(CKA.CKA_TOKEN, true), f.Create(CKA.CKA_PRIVATE, false), f.Create(CKA.CKA_LABEL, label),
                f.Create(CKA.CKA_ID, id), f.Create(CKA.CKA_VERIFY, true), f.Create(CKA.CKA_EC_PARAMS, Ed25519Oid),
            };
            var priv = new List<IObjectAttribute>
            {
                f.Create(CKA.CKA_TOKEN, true), f.Create(CKA.CKA_PRIVATE, true), f.Create(CKA.CKA_LABEL, label),
                f.Create(CKA.CKA_ID, id), f.Create(CKA.CKA_SIGN, true), f.Create(CKA.CKA_SENSITIVE, true),
                f.Create(CKA.CKA_EXTRACTABLE, false),
            };
            s.GenerateKeyPair(Factories.MechanismFactory.Create(CKM_EC_EDWARDS_KEY_PAIR_GEN), pub, priv, out _, out _);
            return 0;
        });
    }

    /// <summary>
    /// Generates an AES-256 key inside the token (a token object, private, sensitive, not
    /// extractable, for encrypt/decrypt only): the wrapping key of trustee secrets.
    /// </summary>
    public void GenerateAes256(string label)
    {
        if (Exists(label))
        {
            throw new TokenException($"token '{Label}' already holds an object labelled '{label}'");
        }
        Run($"generating AES key '{label}'", s =>
        {
            var f = Factories.ObjectAttributeFactory;
            var t = new List<IObjectAttribute>
            {
                f.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY), f.Create(CKA.CKA_KEY_TYPE, CKK.CKK_AES), f.Create(CKA.CKA_VALUE_LEN, 32UL),
                f.Create(CKA.CKA_TOKEN, true), f.Create(CKA.CKA_PRIVATE, true), f.Create(CKA.CKA_LABEL, label),
                f.Create(CKA.CKA_SENSITIVE, true), f.Create(CKA.CKA_EXTRACTABLE, false),
                f.Create(CKA.CKA_ENCRYPT, true), f.Create(CKA.CKA_DECRYPT, true),
                f.Create(CKA.CKA_WRAP, false), f.Create(CKA.CKA_UNWRAP, false),
            };
            s.GenerateKey(Factories.MechanismFactory.Create(CKM.CKM_AES_KEY_GEN), t);
            return 0;
        });
    }

    internal static ICkGcmParams GcmParams(byte[] iv, byte[] aad) => Factories.MechanismParamsFactory.CreateCkGcmParams(iv, (ulong)iv.Length * 8, aad, 128);

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        lock (Registry)
        {
            if (--_shared.Users > 0)
            {
                return;
            }
            if (Sessions.TryGetValue(_shared.Key, out Shared? s) && ReferenceEquals(s, _shared))
            {
                Sessions.Remove(_shared.Key);
            }
            try
            {
                _shared.Session.Logout();
            }
            catch (Net.Pkcs11Interop.Common.Pkcs11Exception)
            {
                // already logged out or the token is gone
            }
            try
            {
                _shared.Session.Dispose();
            }
            catch (Net.Pkcs11Interop.Common.Pkcs11Exception)
            {
                // the token is gone
            }
            Release(_shared.ModulePath);
        }
    }

    private sealed class Shared(string modulePath, string label, string key, ISession session)
    {
        public string ModulePath { get; } = modulePath;
        public string Label { get; } = label;
        public string Key { get; } = key;
        public ISession Session { get; } = session;
        public Lock Gate { get; } = new();
        public int Users { get; set; } = 1;
        public bool Broken { get; set; }
    }
}
