using System.Text;

namespace TVS.Pkcs11;

/// <summary>A PKCS#11 URI that does not follow RFC 7512, or that TVS cannot use.</summary>
public sealed class Pkcs11UriException(string message) : FormatException(message);

/// <summary>
/// An RFC 7512 PKCS#11 URI naming a token object, e.g.
/// <c>pkcs11:token=tvs;object=checkpoint?module-path=/usr/lib/softhsm/libsofthsm2.so&amp;pin-source=file:/run/tvs/pin</c>.
/// Parsed strictly: the RFC's attribute names only (plus vendor <c>x-</c> ones, kept but unused),
/// each at most once, values in the RFC's character set with valid percent-encoding, textual
/// values valid UTF-8. TVS also requires <c>token</c>, <c>module-path</c> and <c>pin-source</c>
/// (it does not guess a module or take a PIN on the command line) and refuses <c>pin-value</c>
/// so no PIN sits in a config file or a process listing. <see cref="ToString"/> never shows a PIN.
/// </summary>
public sealed class Pkcs11Uri
{
    private static readonly string[] PathNames =
    [
        "token", "manufacturer", "serial", "model", "library-manufacturer", "library-version",
        "library-description", "object", "type", "id", "slot-description", "slot-manufacturer", "slot-id",
    ];

    private static readonly string[] QueryNames = ["pin-source", "pin-value", "module-name", "module-path"];

    private static readonly string[] Types = ["cert", "data", "private", "public", "secret-key"];

    private readonly string _text;

    private Pkcs11Uri(string text, Dictionary<string, byte[]> path, Dictionary<string, byte[]> query)
    {
        _text = text;
        PathAttributes = path;
        QueryAttributes = query;
        Token = Text(path, "token")!;
        Object = Text(path, "object");
        Type = Text(path, "type");
        Id = path.TryGetValue("id", out byte[]? id) ? id : null;
        Serial = Text(path, "serial");
        ModulePath = Text(query, "module-path")!;
        PinSource = Text(query, "pin-source")!;
    }

    /// <summary>CKA_LABEL of the token (path attribute <c>token</c>).</summary>
    public string Token { get; }

    /// <summary>CKA_LABEL of the object (path attribute <c>object</c>), or null.</summary>
    public string? Object { get; }

    /// <summary>The object class (<c>private</c>, <c>public</c>, <c>secret-key</c>, …), or null.</summary>
    public string? Type { get; }

    /// <summary>CKA_ID of the object (path attribute <c>id</c>, raw bytes), or null.</summary>
    public byte[]? Id { get; }

    /// <summary>The token's serial number, or null.</summary>
    public string? Serial { get; }

    /// <summary>The PKCS#11 module (shared library) to load.</summary>
    public string ModulePath { get; }

    /// <summary>Where the user PIN is: <c>file:PATH</c> or a plain path.</summary>
    public string PinSource { get; }

    /// <summary>Every path attribute, percent-decoded.</summary>
    public IReadOnlyDictionary<string, byte[]> PathAttributes { get; }

    /// <summary>Every query attribute, percent-decoded.</summary>
    public IReadOnlyDictionary<string, byte[]> QueryAttributes { get; }

    /// <summary>True when <paramref name="s"/> starts like a PKCS#11 URI (so a CLI option can hold a file path or a URI).</summary>
    public static bool LooksLikeUri(string? s) => s is not null && s.StartsWith("pkcs11:", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses <paramref name="uri"/>; <see cref="Pkcs11UriException"/> says what is wrong.</summary>
    public static Pkcs11Uri Parse(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!LooksLikeUri(uri))
        {
            throw new Pkcs11UriException("a PKCS#11 URI starts with \"pkcs11:\"");
        }
        string rest = uri["pkcs11:".Length..];
        int q = rest.IndexOf('?');
        string pathPart = q < 0 ? rest : rest[..q];
        string? queryPart = q < 0 ? null : rest[(q + 1)..];
        if (queryPart is not null && queryPart.Contains('#'))
        {
            throw new Pkcs11UriException("PKCS#11 URI: a fragment ('#') is not allowed");
        }
        var path = Attributes(pathPart, ';', PathNames, isQuery: false);
        var query = queryPart is null ? new Dictionary<string, byte[]>(StringComparer.Ordinal) : Attributes(queryPart, '&', QueryNames, isQuery: true);
        if (path.TryGetValue("type", out byte[]? type) && !Types.Contains(Encoding.UTF8.GetString(type)))
        {
            throw new Pkcs11UriException($"PKCS#11 URI: unknown type \"{Encoding.UTF8.GetString(type)}\" (cert, data, private, public, secret-key)");
        }
        if (query.ContainsKey("pin-value"))
        {
            throw new Pkcs11UriException("PKCS#11 URI: pin-value is not accepted (a PIN must not sit in a URI); put the PIN in a file readable only by the service and use pin-source=file:PATH");
        }
        if (!path.TryGetValue("token", out byte[]? token) || token.Length == 0)
        {
            throw new Pkcs11UriException("PKCS#11 URI: no token=LABEL (the token to use)");
        }
        if (!query.TryGetValue("module-path", out byte[]? module) || module.Length == 0)
        {
            throw new Pkcs11UriException("PKCS#11 URI: no module-path=… (the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so)");
        }
        if (!query.TryGetValue("pin-source", out byte[]? pin) || pin.Length == 0)
        {
            throw new Pkcs11UriException("PKCS#11 URI: no pin-source=file:PATH (the file holding the user PIN)");
        }
        if (path.TryGetValue("object", out byte[]? obj) && obj.Length == 0)
        {
            throw new Pkcs11UriException("PKCS#11 URI: empty object=");
        }
        return new Pkcs11Uri(uri, path, query);
    }

    /// <summary>The same token with another object label (and no id or type).</summary>
    public Pkcs11Uri WithObject(string label)
    {
        var sb = new StringBuilder("pkcs11:token=").Append(Encode(Token, false));
        if (Serial is not null)
        {
            sb.Append(";serial=").Append(Encode(Serial, false));
        }
        sb.Append(";object=").Append(Encode(label, false));
        sb.Append("?module-path=").Append(Encode(ModulePath, true)).Append("&pin-source=").Append(Encode(PinSource, true));
        return Parse(sb.ToString());
    }

    /// <summary>A URI from its parts, percent-encoded as RFC 7512 requires.</summary>
    public static Pkcs11Uri Create(string token, string? obj, string modulePath, string pinSource)
    {
        var sb = new StringBuilder("pkcs11:token=").Append(Encode(token, false));
        if (obj is not null)
        {
            sb.Append(";object=").Append(Encode(obj, false));
        }
        sb.Append("?module-path=").Append(Encode(modulePath, true)).Append("&pin-source=").Append(Encode(pinSource, true));
        return Parse(sb.ToString());
    }

    /// <summary>Reads the user PIN from <see cref="PinSource"/> (file:PATH or PATH; one trailing newline dropped). The caller zeroes it.</summary>
    public byte[] ReadPin()
    {
        string file = PinSource.StartsWith("file:", StringComparison.Ordinal) ? PinSource["file:".Length..] : PinSource;
        if (file.StartsWith("//", StringComparison.Ordinal))
        {
            // file:///abs or file://localhost/abs
            file = file[2..];
            int slash = file.IndexOf('/');
            string host = slash < 0 ? file : file[..slash];
            if (host.Length != 0 && host != "localhost")
            {
                throw new TokenException($"pin-source {PinSource}: only local files");
            }
            file = slash < 0 ? "" : file[slash..];
        }
        byte[] pin;
        try
        {
            pin = File.ReadAllBytes(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TokenException($"cannot read the PIN file named by pin-source ({file}): {e.GetType().Name}");
        }
        int n = pin.Length;
        if (n > 0 && pin[n - 1] == '\n')
        {
            n--;
        }
        if (n > 0 && pin[n - 1] == '\r')
        {
            n--;
        }
        if (n == 0)
        {
            throw new TokenException($"the PIN file {file} is empty");
        }
        byte[] result = pin[..n];
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(pin);
        return result;
    }

    /// <summary>The URI as given (it never holds a PIN: pin-value is refused).</summary>
    public override string ToString() => _text;

    private static string? Text(Dictionary<string, byte[]> d, string name) => d.TryGetValue(name, out byte[]? v) ? Encoding.UTF8.GetString(v) : null;

    private static Dictionary<string, byte[]> Attributes(string part, char separator, string[] names, bool isQuery)
    {
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (part.Length == 0)
        {
            return result;
        }
        string where = isQuery ? "query" : "path";
        foreach (string attr in part.Split(separator))
        {
            int eq = attr.IndexOf('=');
            if (eq <= 0)
            {
                throw new Pkcs11UriException($"PKCS#11 URI: a {where} attribute is not name=value (value not shown)");
            }
            string name = attr[..eq];
            if (!names.Contains(name) && !IsVendorName(name))
            {
                throw new Pkcs11UriException($"PKCS#11 URI: unknown {where} attribute \"{Shown(name)}\"");
            }
            if (result.ContainsKey(name))
            {
                throw new Pkcs11UriException($"PKCS#11 URI: {where} attribute \"{name}\" given twice");
            }
            byte[] value = Decode(attr[(eq + 1)..], isQuery, name);
            if (name != "id" && !IsUtf8(value))
            {
                throw new Pkcs11UriException($"PKCS#11 URI: the value of \"{name}\" is not valid UTF-8");
            }
            result[name] = value;
        }
        return result;
    }

    private static bool IsVendorName(string name)
        => name.Length > 2 && name.StartsWith("x-", StringComparison.Ordinal) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    private static bool IsUnreserved(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~';

    private static bool IsAllowed(char c, bool isQuery)
        => IsUnreserved(c) || c is ':' or '[' or ']' or '@' or '!' or '$' or '\'' or '(' or ')' or '*' or '+' or ',' or '='
            || (isQuery ? c is '/' or '?' or '|' : c == '&');

    private static byte[] Decode(string value, bool isQuery, string name)
    {
        var bytes = new List<byte>(value.Length);
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (c == '%')
            {
                if (i + 2 >= value.Length || !Uri.IsHexDigit(value[i + 1]) || !Uri.IsHexDigit(value[i + 2]))
                {
                    throw new Pkcs11UriException($"PKCS#11 URI: bad percent-encoding in \"{name}\" (% must be followed by two hex digits)");
                }
                bytes.Add(Convert.ToByte(value.Substring(i + 1, 2), 16));
                i += 2;
            }
            else if (IsAllowed(c, isQuery))
            {
                bytes.Add((byte)c);
            }
            else
            {
                string shown = c is > ' ' and < (char)0x7f ? $"'{c}'" : $"U+{(int)c:X4}";
                throw new Pkcs11UriException($"PKCS#11 URI: character {shown} in \"{name}\" must be percent-encoded");
            }
        }
        return [.. bytes];
    }

    private static string Encode(string value, bool isQuery)
    {
        var sb = new StringBuilder();
        foreach (byte b in Encoding.UTF8.GetBytes(value))
        {
            char c = (char)b;
            if (b < 0x80 && IsAllowed(c, isQuery) && c != '&' && c != '=')
            {
                sb.Append(c);
            }
            else
            {
                sb.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return sb.ToString();
    }

    private static bool IsUtf8(byte[] b)
    {
        try
        {
            _ = new UTF8Encoding(false, true).GetString(b);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static string Shown(string s) => s.Length > 40 ? s[..40] + "…" : s;
}
