using System.Globalization;
using System.Text.RegularExpressions;
using Puhui.Methodologies;

namespace Puhui.Ingestion;

/// <summary>
/// Where a scenario stands: the state of its application in the governance workflow
/// (<c>Puhui.Governance.Workflows.Scenario</c>), mirrored on the scenario so that ingestion reads it with the
/// scenario. Only <see cref="Running"/> scenarios ingest (JS 19–22).
/// </summary>
public enum ScenarioStatus : byte
{
    /// <summary>Applied for by its operator; waiting to be accepted for review.</summary>
    Applied = 1,

    Running = 2,

    /// <summary>Stopped for rectification by a deadline; it may run again (JS 22).</summary>
    Suspended = 3,

    /// <summary>Ended for good (JS 22).</summary>
    Terminated = 4,

    /// <summary>Not approved in review; final.</summary>
    Refused = 5,

    /// <summary>Under review by the operating body, within 10 working days of receipt (JS 19).</summary>
    Review = 6,

    /// <summary>Passed review and reported to the administrator for filing (JS 20).</summary>
    Filing = 7,

    /// <summary>Filed; waiting to be connected and started.</summary>
    Filed = 8,

    /// <summary>The operator retracted its application; final.</summary>
    Retracted = 9,
}

public static class ScenarioStatuses
{
    /// <summary>The workflow state's code, which the API shows.</summary>
    public static string Code(this ScenarioStatus status) => status switch
    {
        ScenarioStatus.Applied => "applied",
        ScenarioStatus.Running => "running",
        ScenarioStatus.Suspended => "suspended",
        ScenarioStatus.Terminated => "terminated",
        ScenarioStatus.Refused => "refused",
        ScenarioStatus.Review => "review",
        ScenarioStatus.Filing => "filing",
        ScenarioStatus.Filed => "filed",
        ScenarioStatus.Retracted => "retracted",
        _ => "unknown",
    };

    /// <summary>The status for a workflow state's code, or null for a code that is no scenario status.</summary>
    public static ScenarioStatus? Parse(string code) => Enum.GetValues<ScenarioStatus>().Cast<ScenarioStatus?>().FirstOrDefault(s => s!.Value.Code() == code);

    /// <summary>Whether the scenario is closed for good: no consent or record can ever be taken for it.</summary>
    public static bool IsClosed(this ScenarioStatus status) => status is ScenarioStatus.Terminated or ScenarioStatus.Refused or ScenarioStatus.Retracted;
}

/// <summary>A bound tighter than the methodology's, which the scenario's operator declares for its own data.</summary>
public sealed record InputBounds(decimal? Min, decimal? Max);

/// <summary>
/// A cross-operator de-duplication rule: records of every scenario in <paramref name="Group"/> whose named
/// attributes are equal, for the same person, within <paramref name="WindowSeconds"/> of each other, are the
/// same real-world act (a bus ride paid by card and also by QR code); only the first earns.
/// </summary>
public sealed record DedupRule(string Group, IReadOnlyList<string> Attributes, int WindowSeconds);

/// <summary>
/// What an operator registers for a scenario (减排场景): the methodology version it is computed by (none for a
/// points-only scenario, JS 33), its points rule, per-person daily caps, plausibility bounds and the data it
/// sends. Immutable once registered: a change is a new scenario.
/// </summary>
public sealed record ScenarioDefinition
{
    public const int CodeLengthMax = 48;
    public const int TitleLengthMax = 200;
    public const int AttributesMax = 16;
    public const int MaxAgeDaysMax = 366;
    public const int DedupWindowSecondsMax = 86_400;
    public const int DefaultMaxAgeDays = 30;

    private static readonly Regex CodePattern = new("^[a-z0-9][a-z0-9-]{2,47}$", RegexOptions.CultureInvariant);
    private static readonly Regex NamePattern = new("^[a-z][a-z0-9_]{0,47}$", RegexOptions.CultureInvariant);

    /// <summary>Platform-wide unique handle, e.g. <c>sz-metro</c>; records name their scenario by it.</summary>
    public required string Code { get; init; }
    public required string TitleZh { get; init; }
    public required string TitleEn { get; init; }
    public string? MethodologyId { get; init; }
    public string? MethodologyVersion { get; init; }

    /// <summary>A points formula over the methodology (e.g. <c>floor(accepted / 10[g])</c>); null uses the methodology's own.</summary>
    public string? PointsRule { get; init; }

    /// <summary>A fixed number of points per accepted record, for scenarios without a methodology.</summary>
    public long? PointsPerAction { get; init; }

    /// <summary>Most points one person earns in this scenario per day.</summary>
    public long? DailyPointsCap { get; init; }

    /// <summary>Most records of one person accepted in this scenario per day.</summary>
    public int? DailyRecordsCap { get; init; }

    /// <summary>Bounds on inputs, tighter than the methodology's, for this operator's data.</summary>
    public IReadOnlyDictionary<string, InputBounds>? InputBounds { get; init; }

    /// <summary>The string attributes the operator sends with each record (e.g. <c>vehicle</c>, <c>stop</c>).</summary>
    public IReadOnlyList<string>? Attributes { get; init; }

    /// <summary>Records that occurred longer ago than this are refused <c>too_old</c>.</summary>
    public int MaxAgeDays { get; init; } = DefaultMaxAgeDays;

    public DedupRule? Dedup { get; init; }

    /// <summary>Administrative region of the scenario's batches, e.g. <c>320100</c> or <c>shenzhen</c>.</summary>
    public string Region { get; init; } = "";

    public bool HasMethodology => !string.IsNullOrEmpty(MethodologyId);

    /// <summary>Why the definition is invalid against <paramref name="methodology"/> (null for points-only), or null.</summary>
    public string? Problem(Methodology? methodology)
    {
        if (Code is null || !CodePattern.IsMatch(Code)) return "code must be 3–48 characters of a-z, 0-9 and '-', starting with a letter or digit";
        if (string.IsNullOrWhiteSpace(TitleZh) || TitleZh.Length > TitleLengthMax) return $"titleZh must be 1–{TitleLengthMax} characters";
        if (string.IsNullOrWhiteSpace(TitleEn) || TitleEn.Length > TitleLengthMax) return $"titleEn must be 1–{TitleLengthMax} characters";
        if (Region is null || Region.Length > 32) return "region must be at most 32 characters";
        if (HasMethodology != (methodology is not null)) return "the methodology was not resolved";
        if (methodology is not null && methodology.Kind != MethodologyKind.Behaviour) return $"methodology {methodology.Id} is a {methodology.Kind.ToString().ToLowerInvariant()} methodology; scenarios use behaviour methodologies";
        if (PointsPerAction is { } fixedPoints)
        {
            if (fixedPoints is <= 0 or > 1_000_000) return "pointsPerAction must be 1–1,000,000";
            if (PointsRule is not null) return "give either pointsRule or pointsPerAction, not both";
        }
        else if (methodology is null) return "a scenario without a methodology earns a fixed pointsPerAction";
        else if (PointsRule is null && methodology.Points is null) return $"methodology {methodology.Id} has no points rule, so the scenario needs pointsRule or pointsPerAction";
        if (PointsRule is not null && methodology is null) return "pointsRule needs a methodology";
        if (DailyPointsCap is <= 0) return "dailyPointsCap must be positive";
        if (DailyRecordsCap is <= 0) return "dailyRecordsCap must be positive";
        if (MaxAgeDays is < 1 or > MaxAgeDaysMax) return $"maxAgeDays must be 1–{MaxAgeDaysMax}";
        if (InputBounds is not null)
        {
            if (methodology is null && InputBounds.Count > 0) return "inputBounds need a methodology";
            foreach (var (name, bounds) in InputBounds)
            {
                if (methodology!.InputIndex(name) < 0) return $"inputBounds names {name}, which methodology {methodology.Id} does not declare";
                if (bounds.Min is { } min && bounds.Max is { } max && min > max) return $"inputBounds.{name}: min is above max";
            }
        }
        var attributes = Attributes ?? [];
        if (attributes.Count > AttributesMax) return $"at most {AttributesMax} attributes";
        if (attributes.Any(a => a is null || !NamePattern.IsMatch(a))) return "attribute names are 1–48 characters of a-z, 0-9 and '_', starting with a letter";
        if (attributes.Distinct(StringComparer.Ordinal).Count() != attributes.Count) return "attribute names repeat";
        if (Dedup is { } dedup)
        {
            if (dedup.Group is null || !CodePattern.IsMatch(dedup.Group)) return "dedup.group must be 3–48 characters of a-z, 0-9 and '-'";
            if (dedup.Attributes is null || dedup.Attributes.Count == 0) return "dedup.attributes names at least one attribute";
            foreach (var a in dedup.Attributes)
                if (!attributes.Contains(a, StringComparer.Ordinal)) return $"dedup.attributes names {a}, which is not among the scenario's attributes";
            if (dedup.WindowSeconds is < 0 or > DedupWindowSecondsMax) return string.Create(CultureInfo.InvariantCulture, $"dedup.windowSeconds must be 0–{DedupWindowSecondsMax}");
        }
        return null;
    }
}
