using Puhui.Ingestion;
using Puhui.Storage.Ledger;

namespace Puhui.Host.Http;

/// <summary>
/// The daily expiry clearing inside <c>puhui serve</c> (JS 37): once at start, to catch up, then every local day shortly
/// after midnight (<see cref="RunAfterMidnight"/>), on the host's clock. A failed run is logged and tried again at the
/// next tick; it never stops the host.
/// </summary>
/// <remarks>
/// The job wakes at the next run time or after <c>poll</c>, whichever is sooner, and compares the local day of the
/// clock with the day it last cleared, so a clock that jumps (or a test's clock that is moved) is noticed at the next tick.
/// </remarks>
internal sealed class ExpiryJob(LedgerStore store, TimeProvider time, IngestionPolicy policy, TimeSpan poll, ILogger<ExpiryJob> logger) : BackgroundService
{
    public const string Actor = "job:expiry";

    /// <summary>How long after local midnight the day's run starts, so that the day has begun on every clock around.</summary>
    public static readonly TimeSpan RunAfterMidnight = TimeSpan.FromMinutes(5);

    /// <summary>The longest the job sleeps between looks at the clock, unless the host says otherwise.</summary>
    public static readonly TimeSpan PollDefault = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        DateOnly? cleared = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            // The day whose run is due: before 00:05 local time it is still yesterday's.
            var day = policy.LocalDay(time.GetUtcNow() - RunAfterMidnight);
            if (cleared is null || day > cleared)
            {
                var asOf = cleared is null ? policy.LocalDay(time.GetUtcNow()) : day;
                try
                {
                    var report = await ExpiryClearing.RunAsync(store, asOf, Actor, time, ct: stoppingToken);
                    logger.ExpiryRunFinished(report.Id, report.AsOf, report.LotsCleared, report.PointsCleared, report.GramsCleared, report.LotsSkipped);
                    cleared = day;
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception error) when (error is not OutOfMemoryException)
                {
                    logger.ExpiryRunFailed(error, asOf);
                }
            }

            var now = time.GetUtcNow();
            var local = now.ToOffset(policy.LocalOffset);
            var next = new DateTimeOffset(local.Date.AddDays(1), policy.LocalOffset) + RunAfterMidnight;
            var wait = next - now;
            if (wait > poll) wait = poll;
            if (wait < TimeSpan.FromMilliseconds(1)) wait = TimeSpan.FromMilliseconds(1);
            try
            {
                await Task.Delay(wait, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

internal static partial class ExpiryJobLog
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Information,
        Message = "Expiry run {RunId} as of {AsOf}: {Lots} lots cleared, {Points} points expired, {Grams} g retired, {Skipped} lots skipped for the next run")]
    public static partial void ExpiryRunFinished(this ILogger logger, long runId, DateOnly asOf, long lots, long points, long grams, long skipped);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Error, Message = "Expiry run as of {AsOf} failed; it is tried again at the next tick")]
    public static partial void ExpiryRunFailed(this ILogger logger, Exception error, DateOnly asOf);
}
