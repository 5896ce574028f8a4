namespace Puhui.Ingestion;

/// <summary>
/// The rules of ingestion that a policy profile sets (DESIGN §12): the local day that caps and lots are counted
/// in, how long issued points stay spendable, and how far ahead of the platform's clock a record may claim to be.
/// </summary>
public sealed record IngestionPolicy
{
    /// <summary>China Standard Time: every seed's jurisdiction counts days in UTC+8, which has no daylight saving.</summary>
    public static IngestionPolicy Default { get; } = new();

    public TimeSpan LocalOffset { get; init; } = TimeSpan.FromHours(8);

    /// <summary>JS 37: points are valid for two years from the day they were earned.</summary>
    public int PointsValidityYears { get; init; } = 2;

    /// <summary>Clock skew allowed between an operator's systems and the platform before a record is <c>in_future</c>.</summary>
    public TimeSpan FutureTolerance { get; init; } = TimeSpan.FromMinutes(5);

    public DateOnly LocalDay(DateTimeOffset at) => DateOnly.FromDateTime(at.ToOffset(LocalOffset).DateTime);

    /// <summary>The first day on which points earned on <paramref name="day"/> can no longer be spent.</summary>
    public DateOnly ExpiryOf(DateOnly day) => day.AddYears(PointsValidityYears);
}
