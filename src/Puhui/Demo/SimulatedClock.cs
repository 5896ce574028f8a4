namespace Puhui.Host.Demo;

/// <summary>
/// The demo's clock: it stands still until the demo moves it, and only ever forwards, so the platform, the
/// operators' SDK (which signs with it) and the records agree on what "now" is while a month passes in seconds.
/// Thread-safe: the host reads it on request threads while the demo advances it.
/// </summary>
public sealed class SimulatedClock(DateTimeOffset start) : TimeProvider
{
    private long _utcTicks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _utcTicks), TimeSpan.Zero);

    /// <summary>Moves the clock to <paramref name="at"/>; a time before the current one is a programming error.</summary>
    public void AdvanceTo(DateTimeOffset at)
    {
        var current = Interlocked.Read(ref _utcTicks);
        if (at.UtcTicks < current)
            throw new InvalidOperationException($"The simulated clock only moves forwards: it is {new DateTimeOffset(current, TimeSpan.Zero):O}, not {at.ToUniversalTime():O}.");
        Interlocked.Exchange(ref _utcTicks, at.UtcTicks);
    }

    public void Advance(TimeSpan by) => AdvanceTo(GetUtcNow() + by);
}
