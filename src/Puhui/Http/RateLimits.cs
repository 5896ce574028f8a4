using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace Puhui.Host.Http;

/// <summary>
/// Rate limits (DESIGN §13): an operator's signed API per key, so one misbehaving system cannot starve the others,
/// and self-registration per client address. Refusals are problem details with <c>Retry-After</c>; the SDK waits and retries.
/// </summary>
public static class RateLimits
{
    public const string Operators = "operators";
    public const string Registration = "registration";

    /// <summary>Requests per second one API key may sustain; with 1,000-record batches that is 200,000 records a second.</summary>
    public const int OperatorRequestsPerSecond = 200;
    public const int OperatorBurst = 400;
    public const int RegistrationsPerMinuteDefault = 30;

    public static void Configure(RateLimiterOptions options, int registrationsPerMinute)
    {
        options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        // The key id is claimed before the signature is checked, so the bucket is the claimed key from one address:
        // someone who knows an operator's key id (it is not secret) cannot use up the operator's own share.
        options.AddPolicy(Operators, http => RateLimitPartition.GetTokenBucketLimiter(
            "key:" + http.Request.Headers[Client.SignatureHeaders.KeyId].ToString() + "@" + http.Connection.RemoteIpAddress,
            _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = OperatorBurst,
                TokensPerPeriod = OperatorRequestsPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
        options.AddPolicy(Registration, http => RateLimitPartition.GetFixedWindowLimiter(
            "ip:" + http.Connection.RemoteIpAddress,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = registrationsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        options.OnRejected = async (context, ct) =>
        {
            var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
            context.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await Problems.Of("rate-limited", "slow down and retry after the time in Retry-After").ExecuteAsync(context.HttpContext);
        };
    }
}
