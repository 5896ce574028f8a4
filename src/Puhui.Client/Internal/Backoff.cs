using System.Net;
using System.Net.Http.Headers;

namespace Puhui.Client.Internal;

/// <summary>Which failures are worth another attempt, and how long to wait before it.</summary>
internal static class Backoff
{
    /// <summary>
    /// Statuses that say "not now" rather than "not this": the request may succeed unchanged later. Every
    /// other non-2xx status would fail the same way again.
    /// </summary>
    public static bool IsRetryable(HttpStatusCode status) => status is HttpStatusCode.RequestTimeout
        or HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
        or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    /// <summary>
    /// Whether an exception from sending or reading is a transport failure. A cancellation counts only when the
    /// caller did not ask for it: then it is <see cref="HttpClient.Timeout"/> expiring.
    /// </summary>
    public static bool IsTransient(Exception exception, CancellationToken callerToken) => exception switch
    {
        HttpRequestException or IOException => true,
        OperationCanceledException => !callerToken.IsCancellationRequested,
        _ => false,
    };

    /// <summary>
    /// The wait after failed attempt number <paramref name="attempt"/> (1-based): the server's
    /// <c>Retry-After</c> when it sent one, else a uniform draw below
    /// min(<paramref name="max"/>, <paramref name="initial"/> × 2^(attempt − 1)) ("full jitter", so that clients
    /// that failed together do not retry together). Never more than <paramref name="max"/>.
    /// </summary>
    public static TimeSpan Delay(int attempt, TimeSpan initial, TimeSpan max, TimeSpan? retryAfter)
    {
        if (retryAfter is { } wanted)
            return wanted < TimeSpan.Zero ? TimeSpan.Zero : wanted > max ? max : wanted;
        var exponent = Math.Min(attempt - 1, 62);
        var capTicks = Math.Min(max.Ticks, initial.Ticks * Math.Pow(2, exponent));
        return TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * capTicks));
    }

    /// <summary>The server's <c>Retry-After</c> as a wait from <paramref name="now"/>, if it sent one.</summary>
    public static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - now,
        _ => null,
    };
}
