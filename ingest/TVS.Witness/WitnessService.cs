using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using TVS.Merkle;

namespace TVS.Witness;

/// <summary>One log a witness follows: its origin and the log keys it trusts for it.</summary>
public sealed record WitnessLog(string Origin, IReadOnlyList<NoteVerifier> Keys)
{
    /// <summary>
    /// Parses <c>--log</c> values <c>VKEY[,ORIGIN]</c> (a signed-note Ed25519 verifier key; the
    /// origin defaults to the key's name) and groups the keys by origin.
    /// </summary>
    public static IReadOnlyList<WitnessLog> ParseAll(IEnumerable<string> specs)
    {
        ArgumentNullException.ThrowIfNull(specs);
        var byOrigin = new Dictionary<string, List<NoteVerifier>>(StringComparer.Ordinal);
        foreach (string spec in specs)
        {
            int comma = spec.IndexOf(',', StringComparison.Ordinal);
            string vkey = comma < 0 ? spec : spec[..comma];
            if (!NoteVerifier.TryParse(vkey, out NoteVerifier? v, out string? why))
            {
                throw new FormatException($"--log {spec}: {why}");
            }
            string origin = comma < 0 ? v!.Name : spec[(comma + 1)..];
            if (origin.Length == 0 || origin.Any(char.IsControl))
            {
                throw new FormatException($"--log {spec}: empty or invalid origin");
            }
            if (!byOrigin.TryGetValue(origin, out List<NoteVerifier>? keys))
            {
                byOrigin[origin] = keys = [];
            }
            if (!keys.Any(k => k.VerifierKey == v!.VerifierKey))
            {
                keys.Add(v!);
            }
        }
        return byOrigin.Select(kv => new WitnessLog(kv.Key, kv.Value)).ToList();
    }
}

/// <summary>An add-checkpoint answer: HTTP status, content type and body.</summary>
public sealed record WitnessResponse(int Status, string ContentType, string Body, string? Code = null)
{
    public const string SizeContentType = "text/x.tlog.size";

    internal static WitnessResponse Error(int status, string code, string detail)
        => new(status, "application/json", new JsonObject { ["error"] = code, ["detail"] = detail }.ToJsonString(), code);
}

/// <summary>
/// The witness itself, without HTTP (C2SP tlog-witness add-checkpoint; docs/formats.md "Witness
/// API"): checks a request, and cosigns only a checkpoint consistent with the latest it cosigned
/// for the log, after making the new state durable. Check and update are atomic per log.
/// </summary>
public sealed class WitnessService
{
    /// <summary>At most 63 consistency proof lines (tlog-witness).</summary>
    public const int MaxProofLines = 63;

    private readonly CosignatureSigner _signer;
    private readonly Dictionary<string, WitnessLog> _logs;
    private readonly Dictionary<string, SemaphoreSlim> _locks;
    private readonly Func<DateTimeOffset> _clock;
    private readonly Action<string> _log;
    private long _cosigned;
    private long _refused;

    public WitnessService(CosignatureSigner signer, IReadOnlyList<WitnessLog> logs, WitnessState state, Func<DateTimeOffset>? clock = null, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(logs);
        _signer = signer;
        _logs = logs.ToDictionary(l => l.Origin, StringComparer.Ordinal);
        _locks = logs.ToDictionary(l => l.Origin, _ => new SemaphoreSlim(1, 1), StringComparer.Ordinal);
        State = state;
        _clock = clock ?? (() => DateTimeOffset.UtcNow);
        _log = log ?? (_ => { });
    }

    public WitnessState State { get; }

    public CosignatureVerifier Key => _signer.Verifier;

    public IReadOnlyCollection<WitnessLog> Logs => _logs.Values;

    /// <summary>Checkpoints cosigned since start.</summary>
    public long Cosigned => Interlocked.Read(ref _cosigned);

    /// <summary>Requests refused (any 4xx) since start.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Handles one add-checkpoint request body (UTF-8 bytes, already bounded by the caller).</summary>
    public async Task<WitnessResponse> AddCheckpointAsync(ReadOnlyMemory<byte> body, CancellationToken cancel = default)
    {
        WitnessResponse r = await AddCoreAsync(body, cancel).ConfigureAwait(false);
        if (r.Status == 200)
        {
            Interlocked.Increment(ref _cosigned);
        }
        else if (r.Status is >= 400 and < 500)
        {
            Interlocked.Increment(ref _refused);
        }
        return r;
    }

    private async Task<WitnessResponse> AddCoreAsync(ReadOnlyMemory<byte> body, CancellationToken cancel)
    {
        if (!TryParseRequest(body.Span, out long oldSize, out Hash256[] proof, out string note, out string? why))
        {
            return WitnessResponse.Error(400, "malformed_request", why!);
        }
        ParsedNote parsed;
        Checkpoint cp;
        try
        {
            parsed = SignedNote.Parse(note);
            cp = Checkpoint.Parse(parsed.Text);
        }
        catch (NoteException e)
        {
            return WitnessResponse.Error(400, "malformed_checkpoint", e.Message);
        }
        if (!_logs.TryGetValue(cp.Origin, out WitnessLog? log))
        {
            return WitnessResponse.Error(404, "unknown_log", $"this witness does not follow the log '{cp.Origin}'");
        }
        try
        {
            _ = SignedNote.Open(note, log.Keys.ToArray());
        }
        catch (NoteException e)
        {
            return WitnessResponse.Error(403, "bad_log_signature", e.Message);
        }
        if (oldSize > cp.Size)
        {
            return WitnessResponse.Error(400, "old_size_too_large", $"old size {oldSize} is larger than the checkpoint's size {cp.Size}");
        }
        SemaphoreSlim gate = _locks[cp.Origin];
        await gate.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            CosignedHead? latest = State.Get(cp.Origin);
            long latestSize = latest?.Size ?? 0;
            if (oldSize != latestSize)
            {
                return new WitnessResponse(409, WitnessResponse.SizeContentType, latestSize.ToString(CultureInfo.InvariantCulture) + "\n", "conflict");
            }
            if (cp.Size == 0 && cp.Root != Rfc9162.EmptyRoot)
            {
                return WitnessResponse.Error(422, "bad_empty_root", "a checkpoint of size 0 must have the empty tree's root");
            }
            if (oldSize == 0)
            {
                if (proof.Length != 0)
                {
                    return WitnessResponse.Error(422, "bad_proof", "old size 0 takes an empty proof");
                }
            }
            else if (oldSize == cp.Size)
            {
                if (cp.Root != latest!.Root || proof.Length != 0)
                {
                    _log($"FORK {cp.Origin}: size {cp.Size} cosigned with root {latest.Root.ToBase64()}, now offered with root {cp.Root.ToBase64()}; the log signed both:\n{latest.Note}\n{note}");
                    return WitnessResponse.Error(422, "fork", $"size {cp.Size} was cosigned with another root (or a non-empty proof was sent)");
                }
            }
            else if (!Rfc9162.VerifyConsistency(oldSize, cp.Size, latest!.Root, cp.Root, proof))
            {
                _log($"INCONSISTENT {cp.Origin}: no valid proof from size {oldSize} to {cp.Size}; offered:\n{note}");
                return WitnessResponse.Error(422, "bad_proof", $"the consistency proof from size {oldSize} to {cp.Size} does not verify");
            }
            long now = Math.Max(1, _clock().ToUnixTimeSeconds());
            string line = _signer.SignLine(parsed.Text, now);
            string cosigned = Cosignatures.AddSignatureLines(note, line);
            State.Put(cp.Origin, new CosignedHead(cp.Size, cp.Root, cosigned));
            return new WitnessResponse(200, "text/plain; charset=utf-8", line);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// <c>old N\n</c>, up to 63 base64 hash lines, an empty line, then the checkpoint note; strict:
    /// UTF-8, canonical decimal, every line ending in "\n".
    /// </summary>
    internal static bool TryParseRequest(ReadOnlySpan<byte> body, out long oldSize, out Hash256[] proof, out string note, out string? why)
    {
        oldSize = 0;
        proof = [];
        note = "";
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(body);
        }
        catch (DecoderFallbackException)
        {
            why = "the body is not UTF-8";
            return false;
        }
        int nl = text.IndexOf('\n', StringComparison.Ordinal);
        if (nl < 0 || !text.StartsWith("old ", StringComparison.Ordinal) || !Checkpoint.TryParseCanonicalDecimal(text.AsSpan(4, nl - 4), out oldSize))
        {
            why = "the first line must be \"old {size}\" (canonical decimal)";
            return false;
        }
        var hashes = new List<Hash256>();
        int pos = nl + 1;
        while (true)
        {
            int end = text.IndexOf('\n', pos);
            if (end < 0)
            {
                why = "no empty line after the consistency proof";
                return false;
            }
            if (end == pos)
            {
                pos = end + 1;
                break;
            }
            if (hashes.Count == MaxProofLines)
            {
                why = $"more than {MaxProofLines} consistency proof lines";
                return false;
            }
            if (!Hash256.TryFromBase64(text.AsSpan(pos, end - pos), out Hash256 h))
            {
                why = $"proof line {hashes.Count + 1} is not the base64 of a 32-byte hash";
                return false;
            }
            hashes.Add(h);
            pos = end + 1;
        }
        proof = hashes.ToArray();
        note = text[pos..];
        why = null;
        return true;
    }

    /// <summary>The latest cosigned checkpoint of the log whose origin hashes to <paramref name="originHash"/> (monitoring), or null.</summary>
    public string? LatestNote(string originHash)
    {
        foreach (string origin in _logs.Keys)
        {
            if (WitnessState.OriginHash(origin) == originHash)
            {
                return State.Get(origin)?.Note;
            }
        }
        return null;
    }
}
