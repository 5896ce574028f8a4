using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics;
using Puhui.Ingestion;
using Puhui.Storage.Access;
using Puhui.Storage.Governance;
using Puhui.Storage.Holdings;
using Puhui.Storage.Ingestion;
using Puhui.Storage.Ledger;
using Puhui.Storage.Mall;
using Puhui.Storage.Registry;

namespace Puhui.Host.Http;

/// <summary>What the host needs besides the store; each has a production default.</summary>
/// <param name="Time">The platform's clock; the demo runs the platform on a simulated one.</param>
/// <param name="MasterKey">Seals operators' API key secrets at rest; by default loaded as <see cref="Storage.Access.MasterKey.Load"/> describes.</param>
/// <param name="AdministratorToken">A bearer token registered for the administrator at start (from <c>PUHUI_ADMIN_TOKEN</c>).</param>
/// <param name="RegistrationsPerMinute">Self-registrations one client address may make per minute; the demo, which registers its whole town from loopback, raises it.</param>
/// <param name="ExpiryJob">Runs the daily expiry clearing (<see cref="Http.ExpiryJob"/>) at start and after every local midnight.</param>
/// <param name="ExpiryJobPoll">The longest the expiry job sleeps between looks at <paramref name="Time"/>; by default a minute.</param>
/// <param name="CertificateSigner">Signs carbon-neutral certificates; by default loaded, when the first is signed, as <see cref="Storage.Holdings.CertificateSigner.Load(string)"/> describes.</param>
/// <param name="PublicBaseUrl">Where the public reaches this platform, for the verification link and QR code on certificates: by default
/// <c>PUHUI_PUBLIC_URL</c>, else the first listening URL, else <c>http://localhost:5000</c>.</param>
/// <param name="PlatformName">The issuer named on certificates: by default <c>PUHUI_PLATFORM_NAME</c>, else the project's own name.</param>
public sealed record PuhuiHostOptions(TimeProvider? Time = null, MasterKey? MasterKey = null, string? AdministratorToken = null, IngestionPolicy? Policy = null,
    int RegistrationsPerMinute = RateLimits.RegistrationsPerMinuteDefault, bool ExpiryJob = true, TimeSpan? ExpiryJobPoll = null,
    CertificateSigner? CertificateSigner = null, string? PublicBaseUrl = null, string? PlatformName = null)
{
    public const string PublicUrlVariable = "PUHUI_PUBLIC_URL";
    public const string PlatformNameVariable = "PUHUI_PLATFORM_NAME";
    public const string PublicUrlDefault = "http://localhost:5000";
    public const string PlatformNameDefault = "普惠碳普惠平台 / Puhui carbon-inclusion platform";
}

/// <summary>Builds the HTTP host over an open store: the API under <c>/api/v1</c>, <c>/health</c> and the OpenAPI document.</summary>
public static class PuhuiHost
{
    public static WebApplication Build(LedgerStore store, string[] args, string? urls = null, PuhuiHostOptions? options = null)
    {
        options ??= new PuhuiHostOptions();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (!string.IsNullOrWhiteSpace(urls)) builder.WebHost.UseUrls(urls);
        var time = options.Time ?? TimeProvider.System;
        var policy = options.Policy ?? IngestionPolicy.Default;
        var scenarios = new ScenarioStore(store, time);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(time);
        builder.Services.AddSingleton(scenarios);
        builder.Services.AddSingleton(new BehaviourIngestion(store, scenarios, policy, time));
        builder.Services.AddSingleton(new IngestionQueries(store, scenarios, policy));
        builder.Services.AddSingleton(new AccessTokens(store, time));
        builder.Services.AddSingleton(new ApiKeys(store, options.MasterKey ?? MasterKey.Load(store.Setting), time));
        builder.Services.AddSingleton(new Bindings(store, time));
        builder.Services.AddSingleton(new Consents(store, time));
        var offers = new OfferStore(store, time);
        // The mall counts lots' expiry days in the same local calendar as ingestion issues them.
        var mall = new PointsMall(store, time, new MallPolicy { Days = policy });
        builder.Services.AddSingleton(offers);
        builder.Services.AddSingleton(mall);
        builder.Services.AddSingleton(new AccountViews(store, mall, offers, time));
        builder.Services.AddSingleton(new ExpertStore(store, time));
        var calendar = new CalendarStore(store, time);
        var workflows = GovernanceSetup.Create(store, scenarios, calendar.GetAsync, time);
        builder.Services.AddSingleton(workflows);
        // Its constructor registers the project and monitoring-period effects on the workflows: built once, before the host serves.
        var registry = new ProjectRegistry(workflows);
        builder.Services.AddSingleton(registry);
        builder.Services.AddSingleton(new RegistryQueries(store, registry, workflows));
        var holdings = new ReductionHoldings(store, time);
        builder.Services.AddSingleton(holdings);
        // Its constructor registers the neutrality-claim effects on the workflows, as the registry's does.
        var publicUrl = options.PublicBaseUrl
            ?? (Environment.GetEnvironmentVariable(PuhuiHostOptions.PublicUrlVariable) is { Length: > 0 } configured ? configured : null)
            ?? urls?.Split(';', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()
            ?? PuhuiHostOptions.PublicUrlDefault;
        var platform = options.PlatformName ?? (Environment.GetEnvironmentVariable(PuhuiHostOptions.PlatformNameVariable) is { Length: > 0 } named ? named : PuhuiHostOptions.PlatformNameDefault);
        var signer = options.CertificateSigner is { } given ? new Lazy<CertificateSigner>(given) : new Lazy<CertificateSigner>(() => CertificateSigner.Load(store.Setting));
        builder.Services.AddSingleton(new NeutralityClaims(workflows, holdings, signer,
            new CertificateIssuer(platform, publicUrl)));
        builder.Services.AddSingleton(new MethodologyApplications(workflows));
        builder.Services.AddSingleton(new ScenarioApplications(workflows, scenarios));
        builder.Services.AddSingleton(new DocumentStore(store.Dialect, time));
        builder.Services.AddSingleton(new VerificationBodies(workflows, time));
        builder.Services.AddSingleton(new PanelDraws(store, time));
        builder.Services.AddSingleton(calendar);
        builder.Services.AddRateLimiter(limiter => RateLimits.Configure(limiter, options.RegistrationsPerMinute));
        if (options.AdministratorToken is { Length: > 0 } adminToken)
            builder.Services.AddHostedService(services => new AdministratorTokenRegistration(services.GetRequiredService<AccessTokens>(), adminToken));
        if (options.ExpiryJob)
        {
            builder.Services.AddHostedService(services => new ExpiryJob(store, time, policy, options.ExpiryJobPoll ?? ExpiryJob.PollDefault,
                services.GetRequiredService<ILogger<ExpiryJob>>()));
        }

        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));

        var app = builder.Build();
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // Whatever went wrong stays in the log; the caller learns only that it was not their fault.
            ExceptionHandler = async context =>
            {
                var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
                if (error is not null) context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Puhui").UnhandledRequestError(error);
                await Problems.Of("internal").ExecuteAsync(context);
            },
        });
        // Answers the framework gives without a body (no route, a body that does not bind) become problem details too.
        app.UseStatusCodePages(async status =>
        {
            var http = status.HttpContext;
            if (http.Response.HasStarted) return;
            var problem = http.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => Problems.Of("not-found", http.Request.Path),
                StatusCodes.Status400BadRequest => Problems.Of("invalid-argument", "the request body or its parameters could not be read; send JSON as the API documents"),
                StatusCodes.Status405MethodNotAllowed => Problems.Of("method-not-allowed", $"{http.Request.Method} {http.Request.Path}"),
                StatusCodes.Status415UnsupportedMediaType => Problems.Of("unsupported-media-type", "send application/json"),
                _ => null,
            };
            if (problem is not null) await problem.ExecuteAsync(http);
        });

        app.UseRateLimiter();
        app.MapOpenApi();
        app.MapGet("/health", async (LedgerStore s, CancellationToken ct) =>
        {
            var (seq, _) = await s.GetHeadAsync(ct);
            return TypedResults.Ok(new HealthDto("ok", s.Kind.ToString(), seq));
        }).WithTags("Health");
        var api = app.MapGroup("/api/v1");
        api.MapLedger();
        api.MapIngestion();
        api.MapScenarios();
        api.MapAccess();
        api.MapMall();
        api.MapAccountViews();
        api.MapExperts();
        api.MapGovernance();
        api.MapDisclosure();
        api.MapVerificationBodies();
        api.MapCalendar();
        api.MapRegistry();
        api.MapRegistryPublic();
        api.MapHoldings();
        api.MapCertificates();
        return app;
    }
}

/// <summary>Registers the configured administrator token before the host starts listening.</summary>
internal sealed class AdministratorTokenRegistration(AccessTokens tokens, string token) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => tokens.EnsureAdministratorTokenAsync(token, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

public sealed record HealthDto(string Status, string Store, long Transactions);

internal static partial class HostLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Error, Message = "Unhandled error while serving a request")]
    public static partial void UnhandledRequestError(this ILogger logger, Exception error);
}
