using Puhui.Ledger;

namespace Puhui.Methodologies;

/// <summary>The three ways a calculation can end.</summary>
public enum CalculationStatus
{
    /// <summary>The record is credited with <see cref="Calculation.Reduction"/> and <see cref="Calculation.Points"/>.</summary>
    Accepted = 1,

    /// <summary>A business outcome: the record is not credited, for <see cref="Calculation.Reason"/>.</summary>
    Rejected = 2,

    /// <summary>The methodology itself failed on this record (division by zero, overflow): a defect to report to its authors.</summary>
    Faulted = 3,
}

/// <summary>Why a record was rejected or a calculation faulted. <see cref="CalculationReasons.Code"/> gives the stable wire code.</summary>
public enum CalculationReason
{
    None = 0,
    OutOfBounds = 1,
    Implausible = 2,
    DailyCapReached = 3,
    Malformed = 4,
    DivisionByZero = 5,
    Overflow = 6,
}

public static class CalculationReasons
{
    /// <summary>The snake_case code used in API responses and test vectors.</summary>
    public static string Code(this CalculationReason reason) => reason switch
    {
        CalculationReason.None => "none",
        CalculationReason.OutOfBounds => "out_of_bounds",
        CalculationReason.Implausible => "implausible",
        CalculationReason.DailyCapReached => "daily_cap_reached",
        CalculationReason.Malformed => "malformed",
        CalculationReason.DivisionByZero => "division_by_zero",
        CalculationReason.Overflow => "overflow",
        _ => "unknown",
    };

    public static bool TryParse(string code, out CalculationReason reason)
    {
        foreach (var candidate in Enum.GetValues<CalculationReason>())
        {
            if (candidate.Code() != code) continue;
            reason = candidate;
            return true;
        }
        reason = CalculationReason.None;
        return false;
    }
}

/// <summary>
/// The result of evaluating one record: a value, never an exception, because rejections are business outcomes.
/// <see cref="Subject"/> names the input, rule or formula concerned; <see cref="Position"/> is the character
/// position of a fault inside that formula, or -1.
/// </summary>
public readonly record struct Calculation(
    CalculationStatus Status,
    Grams Reduction,
    Points Points,
    CalculationReason Reason,
    string? Subject,
    int Position)
{
    public bool IsAccepted => Status == CalculationStatus.Accepted;

    internal static Calculation Accept(Grams reduction, Points points) => new(CalculationStatus.Accepted, reduction, points, CalculationReason.None, null, -1);

    internal static Calculation Reject(CalculationReason reason, string? subject) => new(CalculationStatus.Rejected, Grams.Zero, Points.Zero, reason, subject, -1);

    internal static Calculation Fault(CalculationReason reason, string? subject, int position) => new(CalculationStatus.Faulted, Grams.Zero, Points.Zero, reason, subject, position);

    public override string ToString() => Status switch
    {
        CalculationStatus.Accepted => $"accepted {Reduction}, {Points}",
        CalculationStatus.Rejected => $"rejected {Reason.Code()} ({Subject})",
        CalculationStatus.Faulted => $"faulted {Reason.Code()} ({Subject}{(Position >= 0 ? "@" + Position : "")})",
        _ => "unknown",
    };
}

/// <summary>One named intermediate value of a calculation, in its declared unit.</summary>
public sealed record IntermediateValue(string Name, decimal Value, Unit Unit);

/// <summary>A calculation together with every formula's value, for people reading it (CLI, review, audit).</summary>
public sealed record CalculationReport(Calculation Result, IReadOnlyList<IntermediateValue> Values);

/// <summary>
/// The same person's earlier accepted records in the same scenario, as daily totals per input. The ingestion code
/// backs this with the store; tests and the CLI use <see cref="DailyTotals"/>.
/// </summary>
public interface IBehaviourHistory
{
    /// <summary>
    /// The total of <paramref name="input"/> (in the input's declared unit) over the accepted records of
    /// <paramref name="day"/>; false when that day has none.
    /// </summary>
    bool TryGetDailyTotal(string input, DateOnly day, out decimal total);
}

/// <summary>An in-memory <see cref="IBehaviourHistory"/>.</summary>
public sealed class DailyTotals : IBehaviourHistory
{
    private readonly Dictionary<(string Input, DateOnly Day), decimal> _totals = [];

    /// <summary>Adds <paramref name="value"/> to the total of <paramref name="input"/> on <paramref name="day"/>.</summary>
    public void Add(string input, DateOnly day, decimal value)
    {
        _totals.TryGetValue((input, day), out var total);
        _totals[(input, day)] = total + value;
    }

    public bool TryGetDailyTotal(string input, DateOnly day, out decimal total) => _totals.TryGetValue((input, day), out total);
}
