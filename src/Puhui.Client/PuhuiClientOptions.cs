namespace Puhui.Client;

/// <summary>
/// How a <see cref="PuhuiClient"/> batches and retries. Every value is checked when set; an out-of-range value
/// throws <see cref="ArgumentOutOfRangeException"/>.
/// </summary>
public sealed class PuhuiClientOptions
{
    /// <summary>The most attempts one request may be given, including the first.</summary>
    public const int MaxAttemptsMax = 100;

    /// <summary>The most batches <see cref="PuhuiClient.SubmitAsync"/> may have in flight at once.</summary>
    public const int MaxConcurrentBatchesMax = 64;

    /// <summary>The longest <see cref="InitialBackoff"/> or <see cref="MaxBackoff"/>.</summary>
    public static readonly TimeSpan BackoffMax = TimeSpan.FromMinutes(10);

    /// <summary>Records per batch, 1 to <see cref="WireLimits.BatchRecordsMax"/>; 1,000 by default.</summary>
    public int BatchSize
    {
        get;
        init => field = InRange(value, 1, WireLimits.BatchRecordsMax, nameof(BatchSize));
    } = 1000;

    /// <summary>Attempts per request including the first, 1 to <see cref="MaxAttemptsMax"/>; 6 by default.</summary>
    public int MaxAttempts
    {
        get;
        init => field = InRange(value, 1, MaxAttemptsMax, nameof(MaxAttempts));
    } = 6;

    /// <summary>
    /// The cap of the first retry's delay, 0 to <see cref="BackoffMax"/>; 200 ms by default. The cap doubles with
    /// each retry up to <see cref="MaxBackoff"/>, and the delay is drawn uniformly below it ("full jitter").
    /// </summary>
    public TimeSpan InitialBackoff
    {
        get;
        init => field = InRange(value, nameof(InitialBackoff));
    } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The longest wait between two attempts, 0 to <see cref="BackoffMax"/>; 10 s by default. It also bounds a
    /// server's <c>Retry-After</c>.
    /// </summary>
    public TimeSpan MaxBackoff
    {
        get;
        init => field = InRange(value, nameof(MaxBackoff));
    } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The clock whose time signs requests; <see cref="TimeProvider.System"/> by default. The server refuses a
    /// timestamp more than <see cref="WireLimits.ReplayWindow"/> from its own clock, so a platform running on a
    /// simulated clock needs a client on the same clock. Waits between attempts are in real time regardless.
    /// </summary>
    public TimeProvider Time
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(Time));
    } = TimeProvider.System;

    /// <summary>
    /// How many batches <see cref="PuhuiClient.SubmitAsync"/> sends at once, 1 to
    /// <see cref="MaxConcurrentBatchesMax"/>; 1 by default.
    /// </summary>
    public int MaxConcurrentBatches
    {
        get;
        init => field = InRange(value, 1, MaxConcurrentBatchesMax, nameof(MaxConcurrentBatches));
    } = 1;

    private static int InRange(int value, int min, int max, string name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, min, name);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value, max, name);
        return value;
    }

    private static TimeSpan InRange(TimeSpan value, string name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero, name);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value, BackoffMax, name);
        return value;
    }
}
