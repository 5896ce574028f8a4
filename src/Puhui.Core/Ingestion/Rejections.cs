using Puhui.Methodologies;

namespace Puhui.Ingestion;

/// <summary>Why a behaviour record was not credited (DESIGN §6). <see cref="RejectionReasons.Code"/> gives the wire code.</summary>
public enum RejectionReason : byte
{
    NoConsent = 1,
    ScenarioNotRunning = 2,
    UnknownUser = 3,
    OutOfBounds = 4,
    Implausible = 5,
    DailyCapReached = 6,

    /// <summary>The same act was already credited through another record of the same de-duplication group.</summary>
    DuplicateElsewhere = 7,
    TooOld = 8,
    InFuture = 9,
    Malformed = 10,
}

public static class RejectionReasons
{
    public static string Code(this RejectionReason reason) => reason switch
    {
        RejectionReason.NoConsent => "no_consent",
        RejectionReason.ScenarioNotRunning => "scenario_not_running",
        RejectionReason.UnknownUser => "unknown_user",
        RejectionReason.OutOfBounds => "out_of_bounds",
        RejectionReason.Implausible => "implausible",
        RejectionReason.DailyCapReached => "daily_cap_reached",
        RejectionReason.DuplicateElsewhere => "duplicate_elsewhere",
        RejectionReason.TooOld => "too_old",
        RejectionReason.InFuture => "in_future",
        RejectionReason.Malformed => "malformed",
        _ => "unknown",
    };

    /// <summary>
    /// The rejection for a methodology's verdict. A faulted calculation (division by zero, overflow) is a defect of
    /// the methodology, not of the record, but the record cannot be credited: it is refused as malformed, with the
    /// fault in the detail for the methodology's authors.
    /// </summary>
    public static RejectionReason FromCalculation(CalculationReason reason) => reason switch
    {
        CalculationReason.OutOfBounds => RejectionReason.OutOfBounds,
        CalculationReason.Implausible => RejectionReason.Implausible,
        CalculationReason.DailyCapReached => RejectionReason.DailyCapReached,
        _ => RejectionReason.Malformed,
    };
}
