namespace Puhui.Client;

/// <summary>The values of <see cref="RecordOutcome.Outcome"/>.</summary>
public static class Outcomes
{
    /// <summary>The record was counted: <see cref="RecordOutcome.Grams"/> and <see cref="RecordOutcome.Points"/> are set.</summary>
    public const string Accepted = "accepted";

    /// <summary>The record was counted before: <see cref="RecordOutcome.Original"/> is the first outcome.</summary>
    public const string Duplicate = "duplicate";

    /// <summary>The record was not counted: <see cref="RecordOutcome.Reason"/> says why.</summary>
    public const string Rejected = "rejected";
}

/// <summary>The values of <see cref="RecordOutcome.Reason"/> when a record is <see cref="Outcomes.Rejected"/>.</summary>
public static class RejectionReasons
{
    /// <summary>The person has no active consent for this operator and scenario.</summary>
    public const string NoConsent = "no_consent";

    /// <summary>The scenario is not running (not yet filed, suspended or terminated).</summary>
    public const string ScenarioNotRunning = "scenario_not_running";

    /// <summary>No person has bound the record's user reference.</summary>
    public const string UnknownUser = "unknown_user";

    /// <summary>An input is outside the bounds its methodology declares.</summary>
    public const string OutOfBounds = "out_of_bounds";

    /// <summary>The inputs fail a plausibility rule of the methodology (for example a cycling speed bound).</summary>
    public const string Implausible = "implausible";

    /// <summary>The person already reached the day's cap for the scenario.</summary>
    public const string DailyCapReached = "daily_cap_reached";

    /// <summary>Another operator already reported the same behaviour.</summary>
    public const string DuplicateElsewhere = "duplicate_elsewhere";

    /// <summary>The behaviour happened too long ago to be counted.</summary>
    public const string TooOld = "too_old";

    /// <summary>The behaviour is dated in the future.</summary>
    public const string InFuture = "in_future";

    /// <summary>The record is malformed (an empty or too long id, a missing input, a bad evidence hash...).</summary>
    public const string Malformed = "malformed";

    /// <summary>Every reason, for validation and for tables.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        NoConsent, ScenarioNotRunning, UnknownUser, OutOfBounds, Implausible,
        DailyCapReached, DuplicateElsewhere, TooOld, InFuture, Malformed,
    ];
}
