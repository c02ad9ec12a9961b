using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace TVS.Witness;

/// <summary>Settings of one witness service.</summary>
public sealed record WitnessOptions
{
    /// <summary>Kestrel URL, e.g. http://127.0.0.1:7380 (port 0: any free port).</summary>
    public string Listen { get; init; } = "http://127.0.0.1:7380";

    /// <summary>Largest add-checkpoint body accepted; larger ones are refused (413) before buffering.</summary>
    public int MaxBodyBytes { get; init; } = 64 * 1024;
}

/// <summary>
/// The witness's HTTP API (docs/formats.md, "Witness API"; C2SP tlog-witness):
/// <c>POST /add-checkpoint</c> and <c>GET /{origin hash}/checkpoint</c> (monitoring).
/// </summary>
public sealed class WitnessServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly WitnessOptions _options;

    private WitnessServer(WebApplication app, WitnessService service, WitnessOptions options)
    {
        _app = app;
        Service = service;
        _options = options;
    }

    public WitnessService Service { get; }

    /// <summary>The address Kestrel listens on (after start; resolves port 0).</summary>
    public Uri Address => new(_app.Urls.First());

    public static async Task<WitnessServer> StartAsync(WitnessService service, WitnessOptions options, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(options.Listen);
        // Kestrel's own cap is looser than ours so that a refused body can be drained and the 413
        // delivered on a live connection; the handler never buffers more than MaxBodyBytes + 1.
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxBodyBytes + 64L * 1024);
        var app = builder.Build();
        var server = new WitnessServer(app, service, options);
        app.MapPost("/add-checkpoint", server.AddCheckpointAsync);
        app.MapGet("/{originHash}/checkpoint", server.Checkpoint);
        await app.StartAsync(cancel).ConfigureAwait(false);
        return server;
    }

    private static IResult Error(int status, string code, string detail)
        => Results.Json(new JsonObject { ["error"] = code, ["detail"] = detail }, statusCode: status);

    private async Task<IResult> AddCheckpointAsync(HttpRequest request)
    {
        if (request.ContentLength > _options.MaxBodyBytes)
        {
            return Error(413, "too_large", $"bodies are at most {_options.MaxBodyBytes} bytes");
        }
        // Read at most MaxBodyBytes + 1 whatever the framing (chunked bodies carry no length).
        byte[] buf = new byte[_options.MaxBodyBytes + 1];
        int n = 0;
        try
        {
            while (n < buf.Length)
            {
                int r = await request.Body.ReadAsync(buf.AsMemory(n), request.HttpContext.RequestAborted).ConfigureAwait(false);
                if (r == 0)
                {
                    break;
                }
                n += r;
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Error(413, "too_large", $"bodies are at most {_options.MaxBodyBytes} bytes");
        }
        if (n > _options.MaxBodyBytes)
        {
            return Error(413, "too_large", $"bodies are at most {_options.MaxBodyBytes} bytes");
        }
        WitnessResponse r2 = await Service.AddCheckpointAsync(buf.AsMemory(0, n), request.HttpContext.RequestAborted).ConfigureAwait(false);
        return Results.Text(r2.Body, r2.ContentType, Encoding.UTF8, r2.Status);
    }

    private IResult Checkpoint(string originHash)
    {
        string? note = Service.LatestNote(originHash);
        return note is null
            ? Error(404, "not_cosigned", "this witness has not cosigned a checkpoint of that log")
            : Results.Text(note, "text/plain; charset=utf-8", Encoding.UTF8, 200);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
