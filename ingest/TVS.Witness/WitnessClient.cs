using System.Globalization;
using System.Net;
using System.Text;
using TVS.Engine.Ports;
using TVS.Merkle;

namespace TVS.Witness;

/// <summary>
/// HTTP client of one witness (C2SP tlog-witness add-checkpoint), the adapter of the engine's
/// <see cref="ICheckpointWitness"/>. Returns only cosignature lines that verify with the witness's
/// key; every failure is a <see cref="WitnessResult"/>, never an exception (but cancellation).
/// </summary>
public sealed class WitnessClient : ICheckpointWitness
{
    /// <summary>Largest response read.</summary>
    public const int MaxResponseBytes = 64 * 1024;

    private readonly HttpClient _http;
    private readonly Uri _addCheckpoint;

    /// <param name="http">Shared, keep-alive (the caller sets its timeout).</param>
    /// <param name="submissionPrefix">The witness's submission prefix, e.g. http://127.0.0.1:7380/ (add-checkpoint is appended).</param>
    /// <param name="key">The witness's cosignature key from election.json.</param>
    public WitnessClient(HttpClient http, Uri submissionPrefix, CosignatureVerifier key)
    {
        ArgumentNullException.ThrowIfNull(submissionPrefix);
        _http = http;
        Key = key;
        string p = submissionPrefix.ToString();
        _addCheckpoint = new Uri(p.EndsWith('/') ? p + "add-checkpoint" : p + "/add-checkpoint");
    }

    public CosignatureVerifier Key { get; }

    /// <summary>The request body: <c>old N\n</c>, proof lines, an empty line, the note.</summary>
    public static string RequestBody(long oldSize, IReadOnlyList<Hash256> proof, string signedNote)
    {
        ArgumentNullException.ThrowIfNull(proof);
        var sb = new StringBuilder().Append(CultureInfo.InvariantCulture, $"old {oldSize}\n");
        foreach (Hash256 h in proof)
        {
            sb.Append(h.ToBase64()).Append('\n');
        }
        return sb.Append('\n').Append(signedNote).ToString();
    }

    public async Task<WitnessResult> AddCheckpointAsync(long oldSize, IReadOnlyList<Hash256> proof, string signedNote, CancellationToken cancel = default)
    {
        string text;
        try
        {
            text = SignedNote.Parse(signedNote).Text;
        }
        catch (NoteException e)
        {
            return new WitnessResult(WitnessFailure.BadRequest, null, null, null, "not a signed note: " + e.Message);
        }
        int status;
        string body;
        try
        {
            using var content = new StringContent(RequestBody(oldSize, proof, signedNote), Encoding.UTF8, "text/plain");
            using HttpResponseMessage resp = await _http.PostAsync(_addCheckpoint, content, cancel).ConfigureAwait(false);
            status = (int)resp.StatusCode;
            body = await ReadBoundedAsync(resp.Content, cancel).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException or InvalidDataException)
        {
            return new WitnessResult(WitnessFailure.Unavailable, null, null, null, e.Message);
        }
        switch ((HttpStatusCode)status)
        {
            case HttpStatusCode.OK:
                return Cosignatures(text, body, status);
            case HttpStatusCode.Conflict:
                return body.EndsWith('\n') && Checkpoint.TryParseCanonicalDecimal(body.AsSpan(0, body.Length - 1), out long latest)
                    ? new WitnessResult(WitnessFailure.Conflict, null, latest, status, $"the witness's latest cosigned size is {latest}")
                    : new WitnessResult(WitnessFailure.BadResponse, null, null, status, "409 without a size");
            case HttpStatusCode.UnprocessableEntity:
                return new WitnessResult(WitnessFailure.Inconsistent, null, null, status, body);
            case HttpStatusCode.Forbidden or HttpStatusCode.NotFound:
                return new WitnessResult(WitnessFailure.Refused, null, null, status, body);
            default:
                return new WitnessResult(status >= 500 || status == 429 ? WitnessFailure.Unavailable : WitnessFailure.BadRequest, null, null, status, body);
        }
    }

    private WitnessResult Cosignatures(string text, string body, int status)
    {
        ParsedNote lines;
        try
        {
            lines = SignedNote.Parse(text + "\n" + body);
        }
        catch (NoteException e)
        {
            return new WitnessResult(WitnessFailure.BadResponse, null, null, status, "malformed cosignature lines: " + e.Message);
        }
        var sb = new StringBuilder();
        foreach (NoteSignature s in lines.Signatures)
        {
            if (Key.Matches(s))
            {
                if (!Key.TryVerify(text, s, out _))
                {
                    return new WitnessResult(WitnessFailure.BadResponse, null, null, status, "a cosignature by the witness's key does not verify");
                }
                sb.Append(s.ToLine());
            }
        }
        return sb.Length == 0
            ? new WitnessResult(WitnessFailure.BadResponse, null, null, status, "no cosignature by the witness's key " + Key.VerifierKey)
            : WitnessResult.Cosigned(sb.ToString());
    }

    private static async Task<string> ReadBoundedAsync(HttpContent content, CancellationToken cancel)
    {
        await using Stream s = await content.ReadAsStreamAsync(cancel).ConfigureAwait(false);
        byte[] buf = new byte[MaxResponseBytes + 1];
        int n = 0;
        while (n < buf.Length)
        {
            int r = await s.ReadAsync(buf.AsMemory(n), cancel).ConfigureAwait(false);
            if (r == 0)
            {
                break;
            }
            n += r;
        }
        if (n > MaxResponseBytes)
        {
            throw new InvalidDataException("response larger than " + MaxResponseBytes + " bytes");
        }
        return Encoding.UTF8.GetString(buf, 0, n);
    }
}
