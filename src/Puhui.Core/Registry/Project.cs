using System.Globalization;
using System.Text.RegularExpressions;
using Puhui.Methodologies;

namespace Puhui.Registry;

/// <summary>What a project (碳普惠项目) does to reduce or remove emissions (NJ 7, SH 5).</summary>
public enum ProjectType : byte
{
    DistributedPv = 1,
    EvCharging = 2,
    EnergyRetrofit = 3,
    ForestrySink = 4,
    FarmlandSink = 5,
    Recycling = 6,
}

public static class ProjectTypes
{
    public static string Code(this ProjectType type) => type switch
    {
        ProjectType.DistributedPv => "distributed-pv",
        ProjectType.EvCharging => "ev-charging",
        ProjectType.EnergyRetrofit => "energy-retrofit",
        ProjectType.ForestrySink => "forestry-sink",
        ProjectType.FarmlandSink => "farmland-sink",
        ProjectType.Recycling => "recycling",
        _ => "unknown",
    };

    public static ProjectType? Parse(string? code) => Enum.GetValues<ProjectType>().Cast<ProjectType?>().FirstOrDefault(t => t!.Value.Code() == code);

    /// <summary>Carbon sinks can be lost (fire, pests, harvest): their issuances set a share aside in the buffer pool.</summary>
    public static bool IsSink(this ProjectType type) => type is ProjectType.ForestrySink or ProjectType.FarmlandSink;

    /// <summary>
    /// The share of each issuance set aside in the platform's buffer pool, in basis points, for projects whose
    /// methodology does not compute its own buffer: 20 % for forestry and 10 % for farmland sinks (a platform
    /// policy, the figures common in Chinese forestry carbon practice), nothing for reductions that cannot reverse.
    /// </summary>
    public static int BufferShareBasisPoints(this ProjectType type) => type switch
    {
        ProjectType.ForestrySink => 2_000,
        ProjectType.FarmlandSink => 1_000,
        _ => 0,
    };
}

/// <summary>
/// The schemes a project declares it is not in (JS 23, SZ 22): the same reduction must never be issued twice, here
/// and as a CCER, as green-power trading or as a green certificate.
/// </summary>
public sealed record ProjectDeclarations(bool RegisteredWithCcer, bool InGreenPowerTrading, bool IssuedGreenCertificates);

/// <summary>An identifier the project carries in another system: its grid account, a green-certificate registry id, a land title.</summary>
public sealed record ExternalId(string Scheme, string Id);

/// <summary>What a project developer registers. Immutable once submitted; monitoring periods report against it.</summary>
public sealed partial record ProjectDefinition
{
    public const int NameLengthMax = 200;
    public const int ExternalIdsMax = 10;
    public const int RelatedPartiesMax = 20;
    public const int CreditingYearsMax = 10;
    public const long CapacityMax = 10_000_000_000;

    public required string NameZh { get; init; }
    public required string NameEn { get; init; }
    public required ProjectType Type { get; init; }

    /// <summary>The administrative region code (行政区划代码), six digits, e.g. <c>320115</c>.</summary>
    public required string Region { get; init; }

    /// <summary>WGS-84 degrees; stored as whole microdegrees.</summary>
    public required decimal Latitude { get; init; }

    public required decimal Longitude { get; init; }

    /// <summary>Installed capacity or extent in <see cref="CapacityUnit"/>: kW for PV and charging, ha for sinks, t a year for recycling.</summary>
    public required long Capacity { get; init; }

    public required string CapacityUnit { get; init; }
    public required string MethodologyId { get; init; }
    public required string MethodologyVersion { get; init; }
    public required DateOnly CreditingFrom { get; init; }
    public required DateOnly CreditingTo { get; init; }
    public required ProjectDeclarations Declarations { get; init; }
    public IReadOnlyList<ExternalId> ExternalIds { get; init; } = [];

    /// <summary>Organisations (accounts) tied to the developer — owners, consultants — which may not validate or verify it.</summary>
    public IReadOnlyList<long> RelatedParties { get; init; } = [];

    /// <summary>A project of a data aggregation platform (SZ 21): validated by the body the authority commissions.</summary>
    public bool Aggregator { get; init; }

    public static readonly IReadOnlyList<string> CapacityUnits = ["kW", "ha", "t/a", "m2"];

    public long LatitudeMicro => (long)decimal.Round(Latitude * 1_000_000m, MidpointRounding.ToZero);
    public long LongitudeMicro => (long)decimal.Round(Longitude * 1_000_000m, MidpointRounding.ToZero);

    /// <summary>Why the definition is not valid against its project methodology (null when not found), or null.</summary>
    public string? Problem(Methodology? methodology)
    {
        if (string.IsNullOrWhiteSpace(NameZh) || NameZh.Length > NameLengthMax) return $"nameZh must be 1–{NameLengthMax} characters";
        if (string.IsNullOrWhiteSpace(NameEn) || NameEn.Length > NameLengthMax) return $"nameEn must be 1–{NameLengthMax} characters";
        if (!Enum.IsDefined(Type)) return "type is one of " + string.Join(", ", Enum.GetValues<ProjectType>().Select(t => t.Code()));
        if (Region is null || !RegionPattern().IsMatch(Region)) return "region is a six-digit administrative region code, e.g. 320115";
        if (Latitude is < -90 or > 90 || Longitude is < -180 or > 180) return "latitude is −90–90 and longitude −180–180 degrees";
        if (Capacity is <= 0 or > CapacityMax) return string.Create(CultureInfo.InvariantCulture, $"capacity must be 1–{CapacityMax}");
        if (!CapacityUnits.Contains(CapacityUnit, StringComparer.Ordinal)) return "capacityUnit is one of " + string.Join(", ", CapacityUnits);
        if (methodology is null) return $"methodology {MethodologyId} {MethodologyVersion} is not a filed methodology";
        if (methodology.Kind != MethodologyKind.Project) return $"methodology {methodology.Id} is a behaviour methodology; projects use project methodologies";
        if (CreditingTo < CreditingFrom) return "creditingTo is before creditingFrom";
        if (CreditingFrom.AddYears(CreditingYearsMax) <= CreditingTo) return $"a crediting period is at most {CreditingYearsMax} years";
        if (Declarations is null) return "declarations are required (JS 23, SZ 22)";
        if (Declarations.RegisteredWithCcer) return "the project is registered as a CCER project: it is not issued here again (SZ 22)";
        if (Declarations.InGreenPowerTrading) return "the project sells its power in green-power trading: it is not issued here again (JS 23)";
        if (Declarations.IssuedGreenCertificates) return "the project holds green certificates: it is not issued here again (JS 23, SZ 22)";
        if (ExternalIds is null || ExternalIds.Count > ExternalIdsMax) return $"at most {ExternalIdsMax} externalIds";
        foreach (var e in ExternalIds)
        {
            if (e is null || !SchemePattern().IsMatch(e.Scheme ?? "") || string.IsNullOrWhiteSpace(e.Id) || e.Id.Length > 100)
                return "each external id is {scheme, id}: a scheme of a-z, 0-9 and '-', and an id of 1–100 characters";
        }

        if (ExternalIds.Select(e => (e.Scheme, e.Id.Trim())).Distinct().Count() != ExternalIds.Count) return "an external id is listed twice";
        if (RelatedParties is null || RelatedParties.Count > RelatedPartiesMax || RelatedParties.Any(p => p <= 0)) return $"relatedParties are at most {RelatedPartiesMax} account ids";
        return null;
    }

    [GeneratedRegex("^[0-9]{6}$", RegexOptions.CultureInvariant)]
    private static partial Regex RegionPattern();

    [GeneratedRegex("^[a-z][a-z0-9-]{1,31}$", RegexOptions.CultureInvariant)]
    private static partial Regex SchemePattern();
}

/// <summary>The registry's rules: what counts as the same project, and how an issuance is split with the buffer pool.</summary>
public static class ProjectRules
{
    /// <summary>Two sites closer than this in both latitude and longitude (about 100 m) with the same type and capacity are one project.</summary>
    public const long SiteToleranceMicrodegrees = 1_000;

    public static bool SameSite(ProjectDefinition a, ProjectDefinition b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.Type == b.Type && a.Capacity == b.Capacity && a.CapacityUnit == b.CapacityUnit
            && Math.Abs(a.LatitudeMicro - b.LatitudeMicro) <= SiteToleranceMicrodegrees && Math.Abs(a.LongitudeMicro - b.LongitudeMicro) <= SiteToleranceMicrodegrees;
    }

    /// <summary>
    /// Splits a period's verified grams between the developer and the buffer pool. The buffer takes the
    /// methodology's own buffer figure when it computes one, else the type's share; then, while the project owes the
    /// pool for a reversal, as much of the developer's part as repays the debt.
    /// </summary>
    public static IssuanceSplit Split(ProjectType type, long verifiedGrams, long? methodologyBufferGrams, long bufferDebt)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(verifiedGrams);
        ArgumentOutOfRangeException.ThrowIfNegative(bufferDebt);
        long buffer;
        long net;
        if (methodologyBufferGrams is { } own)
        {
            // The methodology's reduction is already net of its buffer: the batch issues both.
            ArgumentOutOfRangeException.ThrowIfNegative(own);
            buffer = own;
            net = verifiedGrams;
        }
        else
        {
            buffer = checked(verifiedGrams * type.BufferShareBasisPoints()) / 10_000;
            net = verifiedGrams - buffer;
        }

        var repaid = Math.Min(bufferDebt, net);
        return new IssuanceSplit(checked(net + buffer), net - repaid, buffer, repaid);
    }
}

/// <summary>How one issuance is split: every gram issued goes to the developer or the buffer pool.</summary>
/// <param name="Total">Grams the batch issues.</param>
/// <param name="Developer">Grams to the developer's account.</param>
/// <param name="Buffer">Grams set aside in the buffer pool as the project's share.</param>
/// <param name="Repaid">Grams withheld from the developer to restore buffer grams cancelled for an earlier reversal.</param>
public sealed record IssuanceSplit(long Total, long Developer, long Buffer, long Repaid)
{
    public long ToBuffer => Buffer + Repaid;
}

/// <summary>A monitoring report: the period and the methodology's inputs as measured in it.</summary>
public sealed record MonitoringReport(DateOnly From, DateOnly To, IReadOnlyDictionary<string, decimal> Inputs)
{
    public const int InputsMax = 32;
}
