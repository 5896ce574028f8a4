using Puhui.Ledger;

namespace Puhui.Methodologies;

/// <summary>Whether a methodology quantifies a person's behaviour records or a project's monitoring data.</summary>
public enum MethodologyKind
{
    Behaviour = 1,
    Project = 2,
}

/// <summary>How the reduction is brought to whole grams before caps apply.</summary>
public enum GramRounding
{
    /// <summary>Towards zero: the conservative default, never credits a fraction that was not earned.</summary>
    Floor = 1,

    /// <summary>Half away from zero (四舍五入).</summary>
    HalfUp = 2,

    /// <summary>Half to even (banker's rounding).</summary>
    HalfEven = 3,
}

/// <summary>A title or note in Simplified Chinese and English.</summary>
public sealed record LocalizedText(string Zh, string En);

/// <summary>
/// A value the operator or project developer supplies per record, in <paramref name="Unit"/>. Values outside
/// [<paramref name="Min"/>, <paramref name="Max"/>] are rejected as <c>out_of_bounds</c>.
/// </summary>
public sealed record InputDeclaration(string Name, Unit Unit, decimal Min, decimal Max, decimal? Default, string Description);

/// <summary>
/// A constant of the methodology with its source. <paramref name="Version"/> and <paramref name="Effective"/> date
/// parameters that are republished (grid emission factors); <paramref name="Assumption"/> marks values that are
/// the methodology author's own judgement rather than a published figure.
/// </summary>
public sealed record Factor(string Name, decimal Value, Unit Unit, string Source, string? Version, DateOnly? Effective, bool Assumption);

/// <summary>A named formula; its value is stored in <paramref name="Unit"/>, which the unit checker verified.</summary>
public sealed record FormulaDefinition(string Name, string Expression, Unit Unit, string? Description);

/// <summary>A condition every record must meet; a record failing it is rejected as <c>implausible</c>.</summary>
public sealed record PlausibilityRule(string Name, string Expression, string? Description);

/// <summary>Upper limits on credited grams; null means no limit.</summary>
public sealed record ReductionCaps(Grams? PerRecord, Grams? PerPersonDay);

/// <summary>What a test vector expects: grams (and optionally points), or a rejection or fault code.</summary>
public sealed record TestExpectation(Grams? Grams, Points? Points, string? Code);

/// <summary>
/// One worked example shipped with the methodology. History lists daily totals per input, index 0 being the day
/// before the record's day (null for a day without records).
/// </summary>
public sealed record TestVector(
    string Name,
    IReadOnlyDictionary<string, decimal> Inputs,
    IReadOnlyDictionary<string, IReadOnlyList<decimal?>> History,
    Grams AcceptedToday,
    TestExpectation Expect)
{
    /// <summary>The record day used for every test vector, so history offsets are reproducible.</summary>
    public static readonly DateOnly Day = new(2025, 1, 15);
}

/// <summary>The outcome of running one test vector.</summary>
public sealed record TestVectorResult(TestVector Vector, bool Passed, string Actual, string? Problem);
