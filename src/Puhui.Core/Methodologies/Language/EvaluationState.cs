using System.Diagnostics.CodeAnalysis;

namespace Puhui.Methodologies.Language;

/// <summary>
/// Mutable scratch space for one evaluator: the slot array (inputs, formulas, rules, accepted grams) and the
/// record's context. Reused for every record so that evaluation allocates nothing.
/// </summary>
[SuppressMessage("Design", "CA1051:Do not declare visible instance fields", Justification = "Read by compiled expression trees on the hot path.")]
internal sealed class EvaluationState
{
    public EvaluationState(int slotCount, string[] inputNames)
    {
        Slots = new decimal[slotCount];
        InputNames = inputNames;
    }

    public readonly decimal[] Slots;
    public readonly string[] InputNames;
    public DateOnly Day;
    public IBehaviourHistory? History;

    /// <summary>The first fault site hit during this evaluation, or -1.</summary>
    public int FaultSite = -1;

    public void Clear()
    {
        FaultSite = -1;
        History = null;
    }
}

/// <summary>Runtime helpers called by compiled formulas and by the interpreter, so both share one semantics.</summary>
internal static class Runtime
{
    /// <summary>Division that records a fault instead of throwing; the result of a faulted evaluation is never used.</summary>
    public static decimal Divide(decimal dividend, decimal divisor, EvaluationState state, int site)
    {
        if (divisor == 0m)
        {
            if (state.FaultSite < 0) state.FaultSite = site;
            return 0m;
        }
        return dividend / divisor;
    }

    public static decimal Clamp(decimal value, decimal low, decimal high) => value < low ? low : value > high ? high : value;

    public static decimal Round(decimal value) => decimal.Round(value, 0, MidpointRounding.AwayFromZero);

    public static decimal Floor(decimal value) => decimal.Floor(value);

    /// <summary><c>floor(dividend / divisor)</c> for a whole, non-zero divisor, exact like the decimal form.</summary>
    public static decimal FloorDivide(decimal dividend, long divisor)
    {
        if (dividend.Scale == 0 && dividend is >= -1_000_000_000_000_000_000m and <= 1_000_000_000_000_000_000m)
        {
            var whole = (long)dividend;
            var quotient = whole / divisor;
            if (whole % divisor != 0 && (whole < 0) != (divisor < 0)) quotient--;
            return quotient;
        }
        return decimal.Floor(dividend / divisor);
    }

    public static decimal Ceiling(decimal value) => decimal.Ceiling(value);

    public static decimal Abs(decimal value) => Math.Abs(value);

    public static decimal Min(decimal a, decimal b) => a <= b ? a : b;

    public static decimal Max(decimal a, decimal b) => a >= b ? a : b;

    /// <summary>
    /// Reads the daily totals of <paramref name="input"/> for the <paramref name="days"/> days before the record's
    /// day, after skipping the <paramref name="skip"/> most recent ones: with days 7 and skip 1, the window is the
    /// seven days before yesterday.
    /// </summary>
    public static decimal History(EvaluationState state, HistoryFunction function, int input, int days, int skip)
    {
        var history = state.History;
        var sum = 0m;
        var count = 0;
        if (history is not null)
        {
            var name = state.InputNames[input];
            for (var back = skip + 1; back <= skip + days; back++)
            {
                if (!history.TryGetDailyTotal(name, state.Day.AddDays(-back), out var total)) continue;
                sum += total;
                count++;
            }
        }
        return function switch
        {
            HistoryFunction.Sum => sum,
            HistoryFunction.Average => count == 0 ? 0m : sum / count,
            HistoryFunction.Days => count,
            _ => throw new InvalidOperationException("unknown history function"),
        };
    }
}
