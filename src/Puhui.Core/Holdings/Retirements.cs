using System.Globalization;

namespace Puhui.Holdings;

/// <summary>Why reductions are retired (DESIGN §8). The numeric values are stored and never change.</summary>
public enum RetirementPurpose : byte
{
    /// <summary>Offsetting the retiring party's own emissions voluntarily.</summary>
    VoluntaryOffset = 1,

    /// <summary>Retired without offsetting anything, so nobody can use the reductions again.</summary>
    VoluntaryCancellation = 2,

    /// <summary>Retired as a gift in a beneficiary's name.</summary>
    Donation = 3,

    /// <summary>Neutralising a meeting, a match or another event (JS 28–29, SZ 26).</summary>
    EventNeutrality = 4,

    /// <summary>Compensating ecological damage, as a court or an agency ordered.</summary>
    EcoDamageCompensation = 5,

    /// <summary>Offsetting a covered entity's compliance obligation, within the administrator's annual cap (SZ 25).</summary>
    ComplianceOffset = 6,
}

public static class RetirementPurposes
{
    public static IReadOnlyList<RetirementPurpose> All { get; } = Enum.GetValues<RetirementPurpose>();

    /// <summary>The stable kebab-case code used in storage, APIs and exports.</summary>
    public static string Code(this RetirementPurpose purpose) => purpose switch
    {
        RetirementPurpose.VoluntaryOffset => "voluntary-offset",
        RetirementPurpose.VoluntaryCancellation => "voluntary-cancellation",
        RetirementPurpose.Donation => "donation",
        RetirementPurpose.EventNeutrality => "event-neutrality",
        RetirementPurpose.EcoDamageCompensation => "eco-damage-compensation",
        RetirementPurpose.ComplianceOffset => "compliance-offset",
        _ => throw new ArgumentOutOfRangeException(nameof(purpose), purpose, "Unknown retirement purpose."),
    };

    /// <summary>Chinese first, then English.</summary>
    public static string Title(this RetirementPurpose purpose) => purpose switch
    {
        RetirementPurpose.VoluntaryOffset => "自愿抵消 / Voluntary offset",
        RetirementPurpose.VoluntaryCancellation => "自愿注销 / Voluntary cancellation",
        RetirementPurpose.Donation => "捐赠 / Donation",
        RetirementPurpose.EventNeutrality => "活动碳中和 / Event neutrality",
        RetirementPurpose.EcoDamageCompensation => "生态损害赔偿 / Ecological damage compensation",
        RetirementPurpose.ComplianceOffset => "履约抵消 / Compliance offset",
        _ => throw new ArgumentOutOfRangeException(nameof(purpose), purpose, "Unknown retirement purpose."),
    };

    public static bool TryParse(string? code, out RetirementPurpose purpose)
    {
        foreach (var p in All)
        {
            if (string.Equals(p.Code(), code, StringComparison.Ordinal))
            {
                purpose = p;
                return true;
            }
        }

        purpose = default;
        return false;
    }
}

/// <summary>
/// A range of retired kilograms' public serials, both ends included: <c>{region}-{batch}-{from}-{to}</c> (DESIGN §4).
/// Each retired kilogram of a batch has one serial, numbered from 1 by the batch's cursor; ranges never overlap.
/// </summary>
public sealed record SerialRange
{
    /// <summary>The region written for batches without one (behaviour-derived batches).</summary>
    public const string NoRegion = "CN";

    public const int RegionLengthMax = 32;

    public SerialRange(string region, long batchId, long fromKg, long toKg)
    {
        if (RegionProblem(region) is { } problem) throw new ArgumentException(problem, nameof(region));
        if (batchId <= 0) throw new ArgumentOutOfRangeException(nameof(batchId), batchId, "A batch id is positive.");
        if (fromKg <= 0 || toKg < fromKg) throw new ArgumentOutOfRangeException(nameof(toKg), toKg, "A serial range runs from a positive kilogram to one not before it.");
        Region = region;
        BatchId = batchId;
        FromKg = fromKg;
        ToKg = toKg;
    }

    /// <summary>The batch's region code; <see cref="NoRegion"/> when the batch has none. ASCII letters and digits, never '-'.</summary>
    public string Region { get; }
    public long BatchId { get; }
    public long FromKg { get; }
    public long ToKg { get; }

    /// <summary>How many kilograms (serials) the range holds.</summary>
    public long Kilograms => checked(ToKg - FromKg + 1);

    /// <summary>The region a batch's serials carry: its own, or <see cref="NoRegion"/>.</summary>
    public static string RegionOf(string? batchRegion) => string.IsNullOrEmpty(batchRegion) ? NoRegion : batchRegion;

    public bool Contains(long kilogram) => kilogram >= FromKg && kilogram <= ToKg;

    public bool Overlaps(SerialRange other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return other.BatchId == BatchId && other.FromKg <= ToKg && other.ToKg >= FromKg;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Region}-{BatchId}-{FromKg}-{ToKg}");

    /// <summary>Reads <c>{region}-{batch}-{from}-{to}</c>, or a single serial <c>{region}-{batch}-{kg}</c> as a range of one.</summary>
    public static bool TryParse(string? text, out SerialRange? range)
    {
        range = null;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 128) return false;
        var parts = text.Trim().Split('-');
        if (parts.Length is not (3 or 4) || RegionProblem(parts[0]) is not null) return false;
        var numbers = new long[parts.Length - 1];
        for (var i = 1; i < parts.Length; i++)
        {
            if (parts[i].Length == 0 || !parts[i].All(char.IsAsciiDigit) || !long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i - 1]))
                return false;
        }

        var (batch, from) = (numbers[0], numbers[1]);
        var to = numbers.Length == 3 ? numbers[2] : from;
        if (batch <= 0 || from <= 0 || to < from) return false;
        range = new SerialRange(parts[0], batch, from, to);
        return true;
    }

    public static SerialRange Parse(string text)
        => TryParse(text, out var range) ? range! : throw new FormatException($"'{text}' is not a serial or serial range ({{region}}-{{batch}}-{{from}}-{{to}}).");

    private static string? RegionProblem(string? region)
    {
        if (string.IsNullOrEmpty(region) || region.Length > RegionLengthMax) return $"a serial's region is 1–{RegionLengthMax} characters";
        return region.All(char.IsAsciiLetterOrDigit) ? null : "a serial's region is ASCII letters and digits";
    }
}

/// <summary>A batch's serial cursor: the next kilogram to number. Serials start at 1.</summary>
public static class SerialCursor
{
    public const long First = 1;

    /// <summary>The serials <paramref name="kilograms"/> retired kilograms take from a cursor at <paramref name="nextKg"/>, and where the cursor moves.</summary>
    public static (long FromKg, long ToKg, long NextKg) Allocate(long nextKg, long kilograms)
    {
        if (nextKg < First) throw new ArgumentOutOfRangeException(nameof(nextKg), nextKg, "A serial cursor starts at 1.");
        if (kilograms <= 0) throw new ArgumentOutOfRangeException(nameof(kilograms), kilograms, "A retirement numbers at least one kilogram.");
        var to = checked(nextKg + kilograms - 1);
        return (nextKg, to, checked(to + 1));
    }
}

/// <summary>The rules every movement of held reductions follows.</summary>
public static class HoldingRules
{
    /// <summary>The minimum unit that moves: 1 kgCO2e (NJ annex 1).</summary>
    public const long GramsPerKilogram = 1_000;

    public const int RequestKeyLengthMax = 64;
    public const int NameLengthMax = 200;
    public const int ReasonLengthMax = 1_000;
    public const int JurisdictionLengthMax = 64;
    public const int ReferenceLengthMax = 200;
    public const int NoteLengthMax = 2_000;

    /// <summary>A compliance cap at most this many kilograms (a million tonnes), so sums stay far from overflow.</summary>
    public const long ComplianceCapKilogramsMax = 1_000_000_000;

    /// <summary>Why <paramref name="grams"/> cannot move, or null: it must be a positive whole number of kilograms.</summary>
    public static string? AmountProblem(long grams)
    {
        if (grams <= 0) return "the amount must be positive / 数量须为正数";
        return grams % GramsPerKilogram == 0 ? null
            : string.Create(CultureInfo.InvariantCulture, $"最小单位为 1 千克，{grams} 克不是整千克 / the minimum unit is 1 kg: {grams} g is not a whole number of kilograms");
    }

    /// <summary>Why a text field is unacceptable, or null.</summary>
    public static string? TextProblem(string name, string? text, int lengthMax, bool required)
    {
        if (text is null) return required ? $"{name} is required" : null;
        if (required && string.IsNullOrWhiteSpace(text)) return $"{name} is required";
        if (text.Length > lengthMax) return string.Create(CultureInfo.InvariantCulture, $"{name} is at most {lengthMax} characters");
        return text.Any(c => char.IsControl(c) && c is not ('\n' or '\t')) ? $"{name} contains control characters" : null;
    }

    public static string? RequestKeyProblem(string? requestKey)
        => string.IsNullOrWhiteSpace(requestKey) || requestKey.Length > RequestKeyLengthMax
            ? string.Create(CultureInfo.InvariantCulture, $"requestKey is 1–{RequestKeyLengthMax} characters")
            : null;
}
