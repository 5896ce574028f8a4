using System.Text.RegularExpressions;
using Puhui.Ledger;

namespace Puhui.Mall;

/// <summary>What an offer gives for points.</summary>
public enum OfferKind : byte
{
    /// <summary>Goods handed over at the provider's counter or shipped.</summary>
    Goods = 1,

    /// <summary>A service: a ride, a ticket, a discount.</summary>
    Service = 2,

    /// <summary>
    /// 积分认购碳汇 (NJ annex 2): the person's points buy reductions of a carbon-sink batch the provider holds, and
    /// those grams are retired in the person's name with purpose Donation. Final: never cancelled.
    /// </summary>
    Sink = 3,
}

/// <summary>Where an offer stands. Only <see cref="OnSale"/> offers can be redeemed.</summary>
public enum OfferStatus : byte
{
    /// <summary>Being prepared by its provider; invisible to persons and still editable.</summary>
    Draft = 1,

    OnSale = 2,

    /// <summary>Taken off sale for a while by its provider; vouchers already issued stay valid.</summary>
    Paused = 3,

    /// <summary>Ended by its provider; final.</summary>
    Ended = 4,

    /// <summary>Taken down by the administrator (主管部门); final.</summary>
    Delisted = 5,
}

/// <summary>A change of an offer's status.</summary>
public enum OfferAction : byte
{
    /// <summary>Draft → on sale.</summary>
    Publish = 1,

    /// <summary>On sale → paused.</summary>
    Pause = 2,

    /// <summary>Paused → on sale.</summary>
    Resume = 3,

    /// <summary>Draft, on sale or paused → ended.</summary>
    End = 4,

    /// <summary>Any status but delisted → delisted; the administrator's alone.</summary>
    Delist = 5,
}

/// <summary>The allowed moves of an offer and who may take them, as one table.</summary>
public static class OfferLifecycle
{
    /// <summary>The status <paramref name="action"/> leads to from <paramref name="from"/>, or null when it is not allowed there.</summary>
    public static OfferStatus? Apply(OfferStatus from, OfferAction action) => (from, action) switch
    {
        (OfferStatus.Draft, OfferAction.Publish) => OfferStatus.OnSale,
        (OfferStatus.OnSale, OfferAction.Pause) => OfferStatus.Paused,
        (OfferStatus.Paused, OfferAction.Resume) => OfferStatus.OnSale,
        (OfferStatus.Draft or OfferStatus.OnSale or OfferStatus.Paused, OfferAction.End) => OfferStatus.Ended,
        (OfferStatus.Draft or OfferStatus.OnSale or OfferStatus.Paused or OfferStatus.Ended, OfferAction.Delist) => OfferStatus.Delisted,
        _ => null,
    };

    /// <summary>True for the actions only the administrator takes; the provider takes the others on its own offers.</summary>
    public static bool IsAdministrators(this OfferAction action) => action == OfferAction.Delist;

    /// <summary>The actions allowed from a status, for error messages and clients.</summary>
    public static IReadOnlyList<OfferAction> AllowedFrom(OfferStatus from)
        => Enum.GetValues<OfferAction>().Where(a => Apply(from, a) is not null).ToList();

    public static string Code(this OfferStatus status) => status switch
    {
        OfferStatus.Draft => "draft",
        OfferStatus.OnSale => "on-sale",
        OfferStatus.Paused => "paused",
        OfferStatus.Ended => "ended",
        OfferStatus.Delisted => "delisted",
        _ => "unknown",
    };

    public static string Code(this OfferAction action) => action switch
    {
        OfferAction.Publish => "publish",
        OfferAction.Pause => "pause",
        OfferAction.Resume => "resume",
        OfferAction.End => "end",
        OfferAction.Delist => "delist",
        _ => "unknown",
    };

    public static string Code(this OfferKind kind) => kind switch
    {
        OfferKind.Goods => "goods",
        OfferKind.Service => "service",
        OfferKind.Sink => "sink",
        _ => "unknown",
    };

    public static OfferStatus? ParseStatus(string? code) => Enum.GetValues<OfferStatus>().Cast<OfferStatus?>().FirstOrDefault(s => s!.Value.Code() == code);

    public static OfferAction? ParseAction(string? code) => Enum.GetValues<OfferAction>().Cast<OfferAction?>().FirstOrDefault(a => a!.Value.Code() == code);

    public static OfferKind? ParseKind(string? code) => Enum.GetValues<OfferKind>().Cast<OfferKind?>().FirstOrDefault(k => k!.Value.Code() == code);
}

/// <summary>
/// What a provider (权益提供方, a member of the rights alliance) publishes in the points mall (JS 35–36, NJ 9).
/// </summary>
/// <param name="Price">Points one redemption costs.</param>
/// <param name="Stock">Units for sale; each redemption takes one.</param>
/// <param name="PerPersonLimit">Redemptions one person may hold at once; cancelled ones do not count.</param>
/// <param name="ValidFrom">Redemptions are possible from this instant…</param>
/// <param name="ValidUntil">…until, not including, this one.</param>
/// <param name="VoucherValidDays">How long a voucher can be used after it is issued.</param>
/// <param name="CancellationHours">How long after redeeming a person may cancel an unused voucher; 0 = never. Always 0 for sinks.</param>
/// <param name="Region">The administrative region the offer is for (e.g. 320100 for Nanjing); empty = everywhere.</param>
/// <param name="SinkBatch">For a sink offer: the code of the batch whose grams are retired.</param>
/// <param name="SinkGrams">For a sink offer: grams retired per redemption.</param>
public sealed record OfferDefinition(
    OfferKind Kind,
    string TitleZh,
    string TitleEn,
    string DescriptionZh,
    string DescriptionEn,
    string? ImageUrl,
    long Price,
    int Stock,
    int PerPersonLimit,
    DateTimeOffset ValidFrom,
    DateTimeOffset ValidUntil,
    int VoucherValidDays,
    int CancellationHours,
    string Region,
    string? SinkBatch = null,
    long SinkGrams = 0)
{
    public const int TitleLengthMax = 100;
    public const int DescriptionLengthMax = 4_000;
    public const int ImageUrlLengthMax = 500;
    public const long PriceMax = 100_000_000;
    public const int StockMax = 10_000_000;
    public const int PerPersonLimitMax = 1_000;
    public const int VoucherValidDaysMax = 366;

    /// <summary>At most 30 days: the expiry job looks back that far for lots a cancellation refilled.</summary>
    public const int CancellationHoursMax = 720;

    public const long SinkGramsMax = 1_000_000_000;

    private static readonly Regex RegionPattern = new("^[0-9]{0,12}$", RegexOptions.CultureInvariant);

    public bool IsSink => Kind == OfferKind.Sink;

    /// <summary>Returns a reason the definition is invalid, or null when it is valid.</summary>
    public string? Problem()
    {
        if (!Enum.IsDefined(Kind)) return "kind must be goods, service or sink";
        if (string.IsNullOrWhiteSpace(TitleZh) || TitleZh.Length > TitleLengthMax) return $"titleZh must be 1–{TitleLengthMax} characters";
        if (string.IsNullOrWhiteSpace(TitleEn) || TitleEn.Length > TitleLengthMax) return $"titleEn must be 1–{TitleLengthMax} characters";
        if (DescriptionZh is null || DescriptionZh.Length > DescriptionLengthMax) return $"descriptionZh must be at most {DescriptionLengthMax} characters";
        if (DescriptionEn is null || DescriptionEn.Length > DescriptionLengthMax) return $"descriptionEn must be at most {DescriptionLengthMax} characters";
        if (ImageUrl is not null && (ImageUrl.Length > ImageUrlLengthMax || !Uri.TryCreate(ImageUrl, UriKind.Absolute, out var image) || image.Scheme != Uri.UriSchemeHttps))
            return $"imageUrl must be an https URL of at most {ImageUrlLengthMax} characters";
        if (Price is < 1 or > PriceMax) return $"price must be 1–{PriceMax} points";
        if (Stock is < 1 or > StockMax) return $"stock must be 1–{StockMax}";
        if (PerPersonLimit is < 1 or > PerPersonLimitMax) return $"perPersonLimit must be 1–{PerPersonLimitMax}";
        if (ValidUntil <= ValidFrom) return "validUntil must be after validFrom";
        if (VoucherValidDays is < 1 or > VoucherValidDaysMax) return $"voucherValidDays must be 1–{VoucherValidDaysMax}";
        if (CancellationHours is < 0 or > CancellationHoursMax) return $"cancellationHours must be 0–{CancellationHoursMax}";
        if (Region is null || !RegionPattern.IsMatch(Region)) return "region must be an administrative division code of up to 12 digits, or empty";
        if (IsSink)
        {
            if (string.IsNullOrWhiteSpace(SinkBatch) || SinkBatch.Length > NewBatch.CodeLengthMax) return "a sink offer names the batch (sinkBatch) whose reductions it retires";
            if (SinkGrams is < 1 or > SinkGramsMax) return $"sinkGrams must be 1–{SinkGramsMax}";
            if (CancellationHours != 0) return "a sink donation retires reductions and cannot be cancelled: cancellationHours must be 0";
        }
        else if (SinkBatch is not null || SinkGrams != 0)
        {
            return "only sink offers name a sinkBatch and sinkGrams";
        }

        return null;
    }
}
