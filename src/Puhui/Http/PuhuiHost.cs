using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics;
using Puhui.Storage.Ledger;

namespace Puhui.Host.Http;

/// <summary>Builds the HTTP host over an open store: the API under <c>/api/v1</c>, <c>/health</c> and the OpenAPI document.</summary>
public static class PuhuiHost
{
    public static WebApplication Build(LedgerStore store, string[] args, string? urls = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (!string.IsNullOrWhiteSpace(urls)) builder.WebHost.UseUrls(urls);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(TimeProvider.System);
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
        app.UseStatusCodePages(async status =>
        {
            if (status.HttpContext.Response.StatusCode == StatusCodes.Status404NotFound && !status.HttpContext.Response.HasStarted)
                await Problems.Of("not-found", status.HttpContext.Request.Path).ExecuteAsync(status.HttpContext);
        });

        app.MapOpenApi();
        app.MapGet("/health", async (LedgerStore s, CancellationToken ct) =>
        {
            var (seq, _) = await s.GetHeadAsync(ct);
            return TypedResults.Ok(new HealthDto("ok", s.Kind.ToString(), seq));
        }).WithTags("Health");
        app.MapGroup("/api/v1").MapLedger();
        return app;
    }
}

public sealed record HealthDto(string Status, string Store, long Transactions);

internal static partial class HostLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Error, Message = "Unhandled error while serving a request")]
    public static partial void UnhandledRequestError(this ILogger logger, Exception error);
}
