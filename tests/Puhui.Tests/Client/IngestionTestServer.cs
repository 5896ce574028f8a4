using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Puhui.Client;

namespace Puhui.Tests.Client;

/// <summary>One request as the test server received it.</summary>
internal sealed record CapturedRequest(
    string Method, string RawTarget, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string Nonce => Headers[SignatureHeaders.Nonce];

    public string Timestamp => Headers[SignatureHeaders.Timestamp];

    public string Signature => Headers[SignatureHeaders.Signature];

    public BehaviourBatch Batch => JsonSerializer.Deserialize(Body, PuhuiJsonContext.Default.BehaviourBatch)!;
}

/// <summary>
/// A stand-in for the platform's ingestion API on a real Kestrel socket: it verifies every signature with
/// <see cref="RequestSigner"/> the way the server must, answers batches and bindings, and can be scripted to
/// fail the next requests, to hold batches, or to tamper with its answers.
/// </summary>
internal sealed class IngestionTestServer : IAsyncDisposable
{
    public const string KeyId = "pk_test_metro";
    public const string Secret = "sk_test_7Yc2kQ9vR4mN8xW1";
    public const string GoodBindingCode = "BIND-7Q2K";

    private readonly WebApplication app;
    private readonly ConcurrentQueue<Func<HttpContext, Task>> script = new();
    private readonly ConcurrentDictionary<string, byte> nonces = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string, string), RecordOutcome> counted = new();

    private IngestionTestServer(WebApplication app, TimeProvider time)
    {
        this.app = app;
        Time = time;
    }

    public TimeProvider Time { get; }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Every request received, signed or not, in arrival order.</summary>
    public ConcurrentQueue<CapturedRequest> Requests { get; } = new();

    /// <summary>Runs for each verified batch before it is answered (to hold it, or to count requests in flight).</summary>
    public Func<CapturedRequest, Task>? OnBatch { get; set; }

    /// <summary>Rewrites each batch response before it is sent.</summary>
    public Func<BatchResponse, BatchResponse>? Tamper { get; set; }

    public static async Task<IngestionTestServer> StartAsync(TimeProvider? time = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new IngestionTestServer(app, time ?? TimeProvider.System);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        server.BaseAddress = new Uri(address);
        return server;
    }

    /// <summary>Answers the next verified request with <paramref name="step"/> instead of normally.</summary>
    public void Enqueue(Func<HttpContext, Task> step) => script.Enqueue(step);

    public void EnqueueStatus(HttpStatusCode status, int times = 1)
    {
        for (var i = 0; i < times; i++)
            Enqueue(ctx => WriteProblemAsync(ctx, status, "unavailable", "scripted failure"));
    }

    public HttpClient CreateHttpClient() => new() { BaseAddress = BaseAddress };

    public PuhuiClient CreateClient(HttpClient http, PuhuiClientOptions? options = null) =>
        new(http, new OperatorCredentials(KeyId, Secret), options ?? Fast());

    /// <summary>Options whose waits are too short to slow a test down.</summary>
    public PuhuiClientOptions Fast(int batchSize = 1000, int maxAttempts = 6, int maxConcurrentBatches = 1) => new()
    {
        BatchSize = batchSize,
        MaxAttempts = maxAttempts,
        MaxConcurrentBatches = maxConcurrentBatches,
        InitialBackoff = TimeSpan.FromMilliseconds(1),
        MaxBackoff = TimeSpan.FromMilliseconds(20),
        Time = Time,
    };

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        using var buffer = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(buffer, ctx.RequestAborted);
        var headers = SignatureHeaders.All
            .Where(h => ctx.Request.Headers.ContainsKey(h))
            .ToDictionary(h => h, h => ctx.Request.Headers[h].ToString(), StringComparer.OrdinalIgnoreCase);
        var rawTarget = ctx.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        var request = new CapturedRequest(ctx.Request.Method, rawTarget, headers, buffer.ToArray());
        Requests.Enqueue(request);

        if (Refusal(request) is { } refusal)
        {
            await WriteProblemAsync(ctx, refusal.Status, refusal.Code, "refused by the test server");
            return;
        }
        if (script.TryDequeue(out var step))
        {
            await step(ctx);
            return;
        }
        switch (rawTarget)
        {
            case PuhuiClient.BatchPath when HttpMethods.IsPost(ctx.Request.Method):
                await AnswerBatchAsync(ctx, request);
                break;
            case PuhuiClient.BindingsPath when HttpMethods.IsPost(ctx.Request.Method):
                await AnswerBindingAsync(ctx, request);
                break;
            default:
                await WriteProblemAsync(ctx, HttpStatusCode.NotFound, "not-found", rawTarget);
                break;
        }
    }

    /// <summary>The checks the platform makes before it reads a body, in the order it must make them.</summary>
    private (HttpStatusCode Status, string Code)? Refusal(CapturedRequest request)
    {
        if (SignatureHeaders.All.Any(h => !request.Headers.ContainsKey(h)))
            return (HttpStatusCode.Unauthorized, ProblemCodes.SignatureMissing);
        var h = request.Headers;
        if (h[SignatureHeaders.KeyId] != KeyId)
            return (HttpStatusCode.Unauthorized, ProblemCodes.KeyUnknown);
        if (!RequestSigner.TryParseTimestamp(h[SignatureHeaders.Timestamp], out var timestamp)
            || !RequestSigner.IsWithinReplayWindow(timestamp, Time.GetUtcNow()))
            return (HttpStatusCode.Unauthorized, ProblemCodes.TimestampStale);
        if (!RequestSigner.Verify(Secret, request.Method, request.RawTarget, h[SignatureHeaders.Timestamp],
                h[SignatureHeaders.Nonce], h[SignatureHeaders.ContentSha256], h[SignatureHeaders.Signature]))
            return (HttpStatusCode.Unauthorized, ProblemCodes.SignatureInvalid);
        // Only a verified request may use up a nonce, or a forger could burn an operator's nonces.
        if (!RequestSigner.IsValidNonce(h[SignatureHeaders.Nonce]) || !nonces.TryAdd(h[SignatureHeaders.Nonce], 0))
            return (HttpStatusCode.Unauthorized, ProblemCodes.NonceReused);
        if (!RequestSigner.VerifyBodyHash(request.Body, h[SignatureHeaders.ContentSha256]))
            return (HttpStatusCode.BadRequest, ProblemCodes.BodyHashMismatch);
        return null;
    }

    private async Task AnswerBatchAsync(HttpContext ctx, CapturedRequest request)
    {
        BehaviourBatch batch;
        try
        {
            batch = request.Batch;
        }
        catch (JsonException e)
        {
            await WriteProblemAsync(ctx, HttpStatusCode.BadRequest, ProblemCodes.BatchMalformed, e.Message);
            return;
        }
        if (OnBatch is { } hold)
            await hold(request);

        var results = new List<RecordOutcome>(batch.Records.Count);
        foreach (var record in batch.Records)
        {
            var key = (record.Scenario, record.ExternalId);
            if (counted.TryGetValue(key, out var original))
            {
                results.Add(new RecordOutcome
                {
                    Scenario = record.Scenario, ExternalId = record.ExternalId, Outcome = Outcomes.Duplicate, Original = original,
                });
            }
            else if (record.UserRef.StartsWith("unbound", StringComparison.Ordinal))
            {
                results.Add(new RecordOutcome
                {
                    Scenario = record.Scenario, ExternalId = record.ExternalId, Outcome = Outcomes.Rejected,
                    Reason = RejectionReasons.UnknownUser, Detail = $"no person bound '{record.UserRef}'",
                });
            }
            else
            {
                var grams = (long)(record.Inputs.GetValueOrDefault("distance_km") * 50m);
                var accepted = new RecordOutcome
                {
                    Scenario = record.Scenario, ExternalId = record.ExternalId, Outcome = Outcomes.Accepted,
                    Grams = grams, Points = grams / 10, AcceptedAt = Time.GetUtcNow(),
                };
                results.Add(counted.GetOrAdd(key, accepted));
            }
        }
        var response = new BatchResponse
        {
            Results = results,
            Accepted = results.Count(r => r.Outcome == Outcomes.Accepted),
            Duplicates = results.Count(r => r.Outcome == Outcomes.Duplicate),
            Rejected = results.Count(r => r.Outcome == Outcomes.Rejected),
        };
        if (Tamper is { } tamper)
            response = tamper(response);
        await Results.Json(response, PuhuiJsonContext.Default.BatchResponse).ExecuteAsync(ctx);
    }

    private async Task AnswerBindingAsync(HttpContext ctx, CapturedRequest request)
    {
        var binding = JsonSerializer.Deserialize(request.Body, PuhuiJsonContext.Default.BindingRequest)!;
        if (binding.Code != GoodBindingCode)
        {
            await WriteProblemAsync(ctx, HttpStatusCode.BadRequest, ProblemCodes.BindingCodeInvalid, "the code is unknown or used");
            return;
        }
        var response = new BindingResponse { UserRef = binding.UserRef, BoundAt = Time.GetUtcNow() };
        await Results.Json(response, PuhuiJsonContext.Default.BindingResponse).ExecuteAsync(ctx);
    }

    public static Task WriteProblemAsync(HttpContext ctx, HttpStatusCode status, string code, string detail)
    {
        var problem = new Problem
        {
            Type = "urn:puhui:problem:" + code, Title = code, Status = (int)status, Code = code, Detail = detail,
        };
        return Results.Json(problem, PuhuiJsonContext.Default.Problem, PuhuiClient.ProblemMediaType, (int)status).ExecuteAsync(ctx);
    }
}

/// <summary>A clock that stands still, far from the real time, so that a test shows which clock signed a request.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
