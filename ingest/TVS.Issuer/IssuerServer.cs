using System.Net;
using System.Text.Json.Nodes;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TVS.Crypto.Bn254;
using TVS.Crypto.Registry;
using TVS.Engine.Client;
using TVS.Engine.Election;

namespace TVS.Issuer;

/// <summary>Settings of one issuer service (one election).</summary>
public sealed record IssuerOptions
{
    public required Guid ElectionId { get; init; }
    public required string RegistryPath { get; init; }
    public required IssuerKey Key { get; init; }
    public required IEligibilityCheck Eligibility { get; init; }

    /// <summary>Kestrel URL, e.g. http://127.0.0.1:8080 (port 0: any free port).</summary>
    public string Listen { get; init; } = "http://127.0.0.1:8080";

    /// <summary>Registration attempts per client IP per window (every attempt counts, refused ones too).</summary>
    public int RegistrationsPerWindow { get; init; } = 20;
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// The credential issuer's HTTP API (docs/formats.md, "Issuer API"):
/// <c>POST /v1/elections/{id}/registrations</c>, <c>GET …/registry/root</c>,
/// <c>GET …/registry/proof?commitment=</c>.
/// </summary>
public sealed class IssuerServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly RegistryFile _registry;
    private readonly IssuerOptions _options;

    private IssuerServer(WebApplication app, RegistryFile registry, IssuerOptions options)
    {
        _app = app;
        _registry = registry;
        _options = options;
    }

    /// <summary>The address Kestrel listens on (after start; resolves port 0).</summary>
    public Uri Address => new(_app.Urls.First());

    public RegistryFile Registry => _registry;

    public static async Task<IssuerServer> StartAsync(IssuerOptions options, CancellationToken cancel = default)
    {
        var registry = RegistryFile.Open(options.RegistryPath, options.ElectionId);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(options.Listen);
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy("per-ip", ctx => RateLimitPartition.GetFixedWindowLimiter(
                ctx.Connection.RemoteIpAddress ?? IPAddress.None,
                _ => new FixedWindowRateLimiterOptions { PermitLimit = options.RegistrationsPerWindow, Window = options.Window, QueueLimit = 0 }));
        });
        var app = builder.Build();
        app.UseRateLimiter();
        var server = new IssuerServer(app, registry, options);
        app.MapPost("/v1/elections/{id}/registrations", server.RegisterAsync).RequireRateLimiting("per-ip");
        app.MapGet("/v1/elections/{id}/registry/root", server.Root);
        app.MapGet("/v1/elections/{id}/registry/proof", server.Proof);
        await app.StartAsync(cancel).ConfigureAwait(false);
        return server;
    }

    private static IResult Error(int status, string code, string detail)
        => Results.Json(new JsonObject { ["error"] = code, ["detail"] = detail }, statusCode: status);

    private bool ThisElection(string id) => Guid.TryParse(id, out var g) && g == _options.ElectionId;

    private async Task<IResult> RegisterAsync(string id, HttpRequest request)
    {
        if (!ThisElection(id)) return Error(404, "unknown_election", "this issuer serves election " + _options.ElectionId.ToString("D"));
        JsonObject? body;
        try
        {
            body = await System.Text.Json.JsonSerializer.DeserializeAsync<JsonNode>(request.Body, cancellationToken: request.HttpContext.RequestAborted).ConfigureAwait(false) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            body = null;
        }
        if (body is null || body["commitment"] is not JsonValue cv || body["voterId"] is not JsonValue vv || body["token"] is not JsonValue tv
            || !cv.TryGetValue(out string? commitmentText) || !vv.TryGetValue(out string? voterId) || !tv.TryGetValue(out string? token))
        {
            return Error(400, "bad_request", "expected {\"commitment\": \"<decimal>\", \"voterId\": \"…\", \"token\": \"<hex>\"}");
        }
        if (!IdentityCommitment.TryParseDecimal(commitmentText, out var commitment, out var why)) return Error(400, "bad_commitment", why!);
        if (commitment.Equals(Fr.Zero)) return Error(400, "bad_commitment", "zero is not an identity commitment (it marks a removed member)");
        var voterKey = _options.Eligibility.Check(_options.ElectionId, voterId, token);
        if (voterKey is null) return Error(403, "not_eligible", "the voter is not on the roll or the token is not the authority's");
        var result = _registry.Register(voterKey, commitment, out int index);
        return result switch
        {
            RegisterResult.Registered => Results.Json(new JsonObject { ["index"] = index, ["commitment"] = commitment.ToString() }, statusCode: 201),
            RegisterResult.VoterAlreadyRegistered => Error(409, "already_registered", "this voter already registered an identity in this election"),
            RegisterResult.CommitmentAlreadyRegistered => Error(409, "commitment_registered", "this identity commitment is already in the registry"),
            _ => Error(503, "registry_full", "the registry is full"),
        };
    }

    private IResult Root(string id)
    {
        if (!ThisElection(id)) return Error(404, "unknown_election", "this issuer serves election " + _options.ElectionId.ToString("D"));
        var (size, depth, root) = _registry.Snapshot();
        var o = new JsonObject { ["electionId"] = _options.ElectionId.ToString("D"), ["size"] = size, ["depth"] = depth, ["root"] = root.ToString() };
        if (size > 0)
        {
            // This issuer's endorsement of the root it serves: the same file tvs issuer sign-root writes.
            var e = _options.Key.Sign(new RootStatement(_options.ElectionId, size, depth, root));
            o["issuer"] = e.Signature.Issuer;
            o["signature"] = Convert.ToHexStringLower(e.Signature.Signature);
            o["endorsement"] = JsonNode.Parse(e.ToJson());
        }
        return Results.Json(o);
    }

    private IResult Proof(string id, string? commitment)
    {
        if (!ThisElection(id)) return Error(404, "unknown_election", "this issuer serves election " + _options.ElectionId.ToString("D"));
        if (commitment is null) return Error(400, "bad_commitment", "commitment= is required");
        if (!IdentityCommitment.TryParseDecimal(commitment, out var c, out var why)) return Error(400, "bad_commitment", why!);
        var p = _registry.Proof(c);
        return p is null ? Error(404, "not_registered", "no such commitment in the registry") : Results.Json(VoterClient.MerkleProofJson(p));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _registry.Dispose();
    }
}
