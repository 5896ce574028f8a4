using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Puhui.Ledger;
using Puhui.Mall;
using Puhui.Storage.Access;
using Puhui.Storage.Ledger;
using Puhui.Storage.Mall;

namespace Puhui.Host.Http;

/// <param name="StockLeft">Units still for sale: the total less redemptions that are not cancelled.</param>
/// <param name="SinkBatch">For a sink offer, the code of the carbon-sink batch whose grams each redemption retires.</param>
public sealed record OfferDto(long Id, long Provider, string ProviderName, string Kind, string Status, string TitleZh, string TitleEn, string DescriptionZh, string DescriptionEn,
    string? ImageUrl, long Price, int StockTotal, int StockLeft, int PerPersonLimit, DateTimeOffset ValidFrom, DateTimeOffset ValidUntil, int VoucherValidDays,
    int CancellationHours, string Region, string? SinkBatch, long SinkGrams, int Revision, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static OfferDto From(Offer o, string providerName)
    {
        var d = o.Definition;
        return new(o.Id, o.Provider.Value, providerName, d.Kind.Code(), o.Status.Code(), d.TitleZh, d.TitleEn, d.DescriptionZh, d.DescriptionEn, d.ImageUrl, d.Price,
            o.StockTotal, o.StockLeft, d.PerPersonLimit, d.ValidFrom, d.ValidUntil, d.VoucherValidDays, d.CancellationHours, d.Region, d.SinkBatch, d.SinkGrams,
            o.Revision, o.CreatedAt, o.UpdatedAt);
    }
}

/// <param name="NextBefore">The cursor of the next page (pass it as <c>before</c>); null on the last page.</param>
/// <param name="Next">The next page's path and query, ready to follow; null on the last page.</param>
public sealed record OfferPageDto(IReadOnlyList<OfferDto> Offers, long? NextBefore, string? Next);

public sealed record OfferEventDto(int Revision, string From, string To, string Actor, string Comment, DateTimeOffset At);
public sealed record OfferEventListDto(long Offer, IReadOnlyList<OfferEventDto> Events);

/// <summary>
/// An offer's terms as a provider sends them. Every member is nullable so a missing one is named in the answer
/// rather than read as zero. <c>descriptionZh</c>, <c>descriptionEn</c> and <c>region</c> default to empty
/// (empty region: everywhere); <c>imageUrl</c>, <c>sinkBatch</c> and <c>sinkGrams</c> are optional.
/// </summary>
/// <param name="Kind"><c>goods</c>, <c>service</c> or <c>sink</c>.</param>
public sealed record OfferRequest(string? Kind, string? TitleZh, string? TitleEn, string? DescriptionZh, string? DescriptionEn, string? ImageUrl, long? Price, int? Stock,
    int? PerPersonLimit, DateTimeOffset? ValidFrom, DateTimeOffset? ValidUntil, int? VoucherValidDays, int? CancellationHours, string? Region, string? SinkBatch, long? SinkGrams);

/// <param name="Action"><c>publish</c>, <c>pause</c>, <c>resume</c> or <c>end</c>.</param>
public sealed record OfferActionRequest(string? Action, string? Comment);
public sealed record RestockRequest(int? Units);
public sealed record DelistRequest(string? Comment);

/// <param name="RequestKey">Makes the redemption idempotent for this person; the <c>Idempotency-Key</c> header may carry it instead.</param>
public sealed record RedeemRequest(long? OfferId, string? RequestKey);
public sealed record UseVoucherRequest(string? Code);

/// <param name="Code">What the person shows at the counter, e.g. <c>7K2M-9QXD-4HTR-B1WE</c>.</param>
/// <param name="QrPayload">What the voucher's QR code carries.</param>
/// <param name="CancellableUntil">The last instant the person may cancel; null when the offer allows no cancellation.</param>
public sealed record VoucherDto(string Code, string QrPayload, DateTimeOffset ExpiresAt, DateTimeOffset? CancellableUntil);

/// <param name="Status"><c>issued</c>, <c>used</c> or <c>cancelled</c>.</param>
/// <param name="Grams">Reduction grams that passed from the person's lots to the provider (JS 37).</param>
/// <param name="SinkGrams">Carbon-sink grams retired in the person's name (sink offers).</param>
public sealed record RedemptionDto(long Id, long OfferId, string OfferTitleZh, string OfferTitleEn, string OfferKind, long Provider, string Status, long Points, long Grams,
    long SinkGrams, DateTimeOffset RedeemedAt, VoucherDto Voucher, DateTimeOffset? UsedAt, DateTimeOffset? CancelledAt, string TransactionId, string? CancelTransactionId);

public sealed record RedemptionPageDto(IReadOnlyList<RedemptionDto> Redemptions, long? NextBefore, string? Next);

/// <summary>
/// The points mall (DESIGN §7): anyone browses the offers on sale; a provider's staff draft, publish, pause,
/// resume, end and restock their own offers, list their redemptions and mark vouchers used at the counter, and
/// the provider's systems do the last with a signed API key; the administrator delists; a person redeems,
/// lists and cancels. Every refusal is a problem from <see cref="Problems"/>.
/// </summary>
public static partial class MallEndpoints
{
    public const int PageDefault = 50;
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const string VoucherUsePath = "/api/v1/vouchers:use";

    public static RouteGroupBuilder MapMall(this RouteGroupBuilder api)
    {
        var mall = api.MapGroup("").WithTags("Mall");
        mall.MapGet("/offers", ListOnSale).WithName("ListOffers");
        mall.MapGet("/offers/{id:long}", GetOffer).WithName("GetOffer");

        mall.MapPost("/provider/offers", CreateOffer).WithName("CreateOffer");
        mall.MapGet("/provider/offers", ListProviderOffers).WithName("ListProviderOffers");
        mall.MapGet("/provider/offers/{id:long}", GetProviderOffer).WithName("GetProviderOffer");
        mall.MapPut("/provider/offers/{id:long}", UpdateDraft).WithName("UpdateDraftOffer");
        mall.MapPost("/provider/offers/{id:long}/actions", Act).WithName("ActOnOffer");
        mall.MapPost("/provider/offers/{id:long}/restock", Restock).WithName("RestockOffer");
        mall.MapGet("/provider/offers/{id:long}/events", ListEvents).WithName("ListOfferEvents");
        mall.MapGet("/provider/redemptions", ListProviderRedemptions).WithName("ListProviderRedemptions");
        mall.MapGet("/provider/vouchers/{code}", GetVoucher).WithName("GetVoucher");
        mall.MapPost("/provider/vouchers/{code}/use", UseVoucherAtCounter).WithName("UseVoucher");
        mall.MapPost("/vouchers:use", UseVoucherByKey).WithName("UseVoucherByKey").RequireRateLimiting(RateLimits.Operators)
            .Accepts<UseVoucherRequest>("application/json").Produces<RedemptionDto>();

        mall.MapPost("/admin/offers/{id:long}/delist", Delist).WithName("DelistOffer");
        mall.MapGet("/admin/offers", ListAllOffers).WithName("ListAllOffers");

        mall.MapPost("/me/redemptions", Redeem).WithName("Redeem");
        mall.MapGet("/me/redemptions", ListMyRedemptions).WithName("ListMyRedemptions");
        mall.MapGet("/me/redemptions/{id:long}", GetMyRedemption).WithName("GetMyRedemption");
        mall.MapPost("/me/redemptions/{id:long}/cancel", Cancel).WithName("CancelRedemption");
        return mall;
    }

    // ---- public ---------------------------------------------------------------------------------------------

    private static async Task<Results<Ok<OfferPageDto>, ProblemHttpResult>> ListOnSale(HttpContext http, OfferStore offers, LedgerStore store, CancellationToken ct,
        string? kind = null, string? region = null, long? provider = null, long? before = null, int limit = PageDefault)
        => await ListAsync(http, offers, store, OfferStatus.OnSale.Code(), kind, region, provider, before, limit, ct);

    /// <summary>On-sale, paused and ended offers are public; a draft or a delisted offer only to its provider's staff and the administrator.</summary>
    private static async Task<Results<Ok<OfferDto>, ProblemHttpResult>> GetOffer(long id, HttpContext http, AccessTokens tokens, OfferStore offers, LedgerStore store, CancellationToken ct)
    {
        var offer = await offers.GetAsync(id, ct);
        if (offer is null) return Problems.Of("offer-not-found", $"offer {id}");
        if (offer.Status is OfferStatus.Draft or OfferStatus.Delisted)
        {
            if (http.Request.Headers.Authorization.Count == 0) return Problems.Of("offer-not-found", $"offer {id}");
            var (principal, problem) = await Callers.AuthenticateAsync(http, tokens, ct);
            if (problem is not null) return problem;
            var sees = principal!.Role == PrincipalRole.Administrator || (principal.Role == PrincipalRole.OrganisationStaff && principal.Account == offer.Provider);
            if (!sees) return Problems.Of("offer-not-found", $"offer {id}");
        }

        return TypedResults.Ok(await new Names(store).OfferAsync(offer, ct));
    }

    // ---- provider's staff -----------------------------------------------------------------------------------

    private static async Task<Results<Created<OfferDto>, ProblemHttpResult>> CreateOffer(OfferRequest request, HttpContext http, AccessTokens tokens, LedgerStore store,
        OfferStore offers, CancellationToken ct)
    {
        var (provider, problem) = await Callers.StaffAsync(http, tokens, store, OrganisationRoles.Provider, ct);
        if (problem is not null) return problem;
        var (definition, invalid) = ToDefinition(request);
        if (invalid is not null) return Problems.Of("offer-invalid", invalid);
        var write = await offers.CreateAsync(provider, definition!, StaffActor(provider), ct);
        if (write.Status != OfferWriteStatus.Done) return WriteProblem(write, administrator: false);
        return TypedResults.Created($"/api/v1/provider/offers/{write.Offer!.Id}", await new Names(store).OfferAsync(write.Offer, ct));
    }

    private static async Task<Results<Ok<OfferDto>, ProblemHttpResult>> UpdateDraft(long id, OfferRequest request, HttpContext http, AccessTokens tokens, LedgerStore store,
        OfferStore offers, CancellationToken ct)
    {
        var (provider, problem) = await Callers.StaffAsync(http, tokens, store, OrganisationRoles.Provider, ct);
        if (problem is not null) return problem;
        var (definition, invalid) = ToDefinition(request);
        if (invalid is not null) return Problems.Of("offer-invalid", invalid);
        return await WrittenAsync(await offers.UpdateDraftAsync(id, provider, definition!, ct), store, administrator: false, ct);
    }

    private static async Task<Results<Ok<OfferDto>, ProblemHttpResult>> Act(long id, OfferActionRequest request, HttpContext http, AccessTokens tokens, LedgerStore store,
        OfferStore offers, CancellationToken ct)
    {
        var (provider, problem) = await Callers.StaffAsync(http, tokens, store, OrganisationRoles.Provider, ct);
        if (problem is not null) return problem;
        var action = OfferLifecycle.ParseAction(request.Action);
        if (action is null) return Problems.Of("invalid-argument", "action is one of publish, pause, resume, end");
        if (action.Value.IsAdministrators()) return Problems.Of("forbidden", "only the administrator delists an offer");
        if (request.Comment is { Length: > OfferStore.CommentLengthMax }) return Problems.Of("invalid-argument", $"a comment is at most {OfferStore.CommentLengthMax} characters");
        return await WrittenAsync(await offers.ActAsync(id, provider, action.Value, StaffActor(provider), request.Comment, ct), store, administrator: false, ct);
    }

    private static async Task<Results<Ok<OfferDto>, ProblemHttpResult>> Restock(long id, RestockRequest request, HttpContext http, AccessTokens tokens, LedgerStore store,
        OfferStore offers, CancellationToken ct)
    {
        var (provider, problem) = await Callers.StaffAsync(http, tokens, store, OrganisationRoles.Provider, ct);
        if (problem is not null) return problem;
        if (request.Units is not { } units) return Problems.Of("offer-invalid", "units is required");
        return await WrittenAsync(await offers.RestockAsync(id, provider, units, ct), store, administrator: false, ct);
    }

    private static async Task<Results<Ok<OfferPageDto>, ProblemHttpResult>> ListProviderOffers(HttpContext http, AccessTokens tokens, LedgerStore store, OfferStore offers,
        CancellationToken ct, string? status = null, string? kind = null, long? before = null, int limit = PageDefault)
    {
        var (provider, problem) = await Callers.StaffAsync(http, tokens, store, OrganisationRoles.Provider, ct);
        if (problem is not null) return problem;
        return await ListAsync(http, offers, store, status, kind, null, provider.Value, before, limit, ct);
    }

    private static async Task<Results<Ok<OfferDto>, ProblemHttpResult>> GetProviderOffer(long id, HttpContext http, AccessTokens tokens, LedgerStore store, OfferStore offers,
        CancellationToken ct)
    {
        var (offer, problem) = await OwnOfferAsync(id, http, tokens, store, offers, ct);
        if (problem is not null) return problem;
        return TypedResults.Ok(await new Names(store).OfferAsync(offer!, ct));
    }

    /// <summary>The offer <paramref name="id"/>, when the caller is staff of the provider that owns it; else the problem to answer with.</summary>
    private static async Task<(Offer? Offer, ProblemHttpResult? Problem)> OwnOfferAsync(long id, HttpContext http, AccessTokens tokens, LedgerStore store, OfferStore offers,
        CancellationToken ct)
    {
        var (provider, problem) = await Callers.StaffAsync(http, tokens, store, OrganisationRoles.Provider, ct);
        if (problem is not null) return (null, problem);
        var offer = await offers.GetAsync(id, ct);
        if (offer is null) return (null, Problems.Of("offer-not-found", $"offer {id}"));
        return offer.Provider == provider ? (offer, null) : (null, Problems.Of("not-yours", $"offer {id} belongs to another provider"));
    }

    private static async Task<Results<Ok<OfferEventListDto>, ProblemHttpResult>> ListEvents(long id, HttpContext http, AccessTokens tokens, LedgerStore store, OfferStore offers,
        CancellationToken ct)
    {
        var (_, problem) = await OwnOfferAsync(id, http, tokens, store, offers, ct);
        if (problem is not null) return problem;
        var events = await offers.GetEventsAsync(id, ct);
        return TypedResults.Ok(new OfferEventListDto(id, events.Select(e => new OfferEventDto(e.Revision, e.From.Code(), e.To.Code(), e.Actor, e.Comment, e.At)).ToList()));
    }

    private static async Task<Results<Ok<RedemptionPageDto>, ProblemHttpResult>> ListProviderRedemptions(HttpContext http, AccessTokens tokens, LedgerStore store,
        OfferStore offers, PointsMall mall, CancellationToken ct, string? status = null, long? before = null, int limit = PageDefault)
    {
        var (provider, problem) = await Callers.StaffAsync(http, tokens, store, OrganisationRoles.Provider, ct);
        if (problem is not null) return problem;
        VoucherStatus? wanted = null;
        if (status is not null)
        {
            wanted = Enum.GetValues<VoucherStatus>().Cast<VoucherStatus?>().FirstOrDefault(s => Code(s!.Value) == status);
            if (wanted is null) return Problems.Of("invalid-argument", "status is one of issued, used, cancelled");
        }

        if (PageProblem(before, limit, PointsMall.PageMax) is { } invalid) return invalid;
        var page = await mall.ListForProviderAsync(provider, wanted, before, limit, ct);
        return TypedResults.Ok(await RedemptionPageAsync(http, offers, page, ct));
    }

    /// <summary>The counter looks a voucher up before handing anything over.</summary>
    private static async Task<Results<Ok<RedemptionDto>, ProblemHttpResult>> GetVoucher(string code, HttpContext http, AccessTokens tokens, LedgerStore store, OfferStore offers,
        PointsMall mall, CancellationToken ct)
    {
        var (provider, problem) = await Callers.StaffAsync(http, tokens, store, OrganisationRoles.Provider, ct);
        if (problem is not null) return problem;
        var redemption = await mall.FindByVoucherAsync(code, ct);
        if (redemption is null) return Problems.Of("voucher-not-found", $"voucher {code}");
        if (redemption.Provider != provider) return Problems.Of("not-yours", $"voucher {code} was issued for another provider's offer");
        return TypedResults.Ok(await new OfferTitles(offers).RedemptionAsync(redemption, ct));
    }

    private static async Task<Results<Ok<RedemptionDto>, ProblemHttpResult>> UseVoucherAtCounter(string code, HttpContext http, AccessTokens tokens, LedgerStore store,
        OfferStore offers, PointsMall mall, CancellationToken ct)
    {
        var (provider, problem) = await Callers.StaffAsync(http, tokens, store, OrganisationRoles.Provider, ct);
        if (problem is not null) return problem;
        return await UsedAsync(await mall.UseVoucherAsync(provider, code, StaffActor(provider), ct), code, offers, ct);
    }

    // ---- provider's systems ---------------------------------------------------------------------------------

    private static async Task<IResult> UseVoucherByKey(HttpContext http, ApiKeys keys, TimeProvider time, OfferStore offers, PointsMall mall, CancellationToken ct)
    {
        var (key, body, problem) = await SignedRequests.VerifyAsync(http, keys, time, OrganisationRoles.Provider, ct);
        if (problem is not null) return problem;
        UseVoucherRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<UseVoucherRequest>(body, JsonSerializerOptions.Web);
        }
        catch (JsonException)
        {
            request = null;
        }

        if (request?.Code is not { Length: > 0 } code) return Problems.Of("invalid-argument", "send {\"code\": \"<voucher code>\"}");
        return await UsedAsync(await mall.UseVoucherAsync(key!.Operator, code, "api-key:" + key.KeyId, ct), code, offers, ct);
    }

    // ---- administrator --------------------------------------------------------------------------------------

    private static async Task<Results<Ok<OfferDto>, ProblemHttpResult>> Delist(long id, DelistRequest request, HttpContext http, AccessTokens tokens, LedgerStore store,
        OfferStore offers, CancellationToken ct)
    {
        var (actor, problem) = await Callers.AdministratorAsync(http, tokens, ct);
        if (problem is not null) return problem;
        if (request.Comment is { Length: > OfferStore.CommentLengthMax }) return Problems.Of("invalid-argument", $"a comment is at most {OfferStore.CommentLengthMax} characters");
        return await WrittenAsync(await offers.ActAsync(id, null, OfferAction.Delist, actor, request.Comment, ct), store, administrator: true, ct);
    }

    private static async Task<Results<Ok<OfferPageDto>, ProblemHttpResult>> ListAllOffers(HttpContext http, AccessTokens tokens, LedgerStore store, OfferStore offers,
        CancellationToken ct, string? status = null, string? kind = null, string? region = null, long? provider = null, long? before = null, int limit = PageDefault)
    {
        var (_, problem) = await Callers.AdministratorAsync(http, tokens, ct);
        if (problem is not null) return problem;
        return await ListAsync(http, offers, store, status, kind, region, provider, before, limit, ct);
    }

    // ---- person ---------------------------------------------------------------------------------------------

    private static async Task<Results<Created<RedemptionDto>, Ok<RedemptionDto>, ProblemHttpResult>> Redeem(RedeemRequest request, HttpContext http, AccessTokens tokens,
        OfferStore offers, PointsMall mall, CancellationToken ct, [FromHeader(Name = IdempotencyKeyHeader)] string? idempotencyKey = null)
    {
        var (person, problem) = await Callers.PersonAsync(http, tokens, ct);
        if (problem is not null) return problem;
        if (request.RequestKey is not null && idempotencyKey is not null && request.RequestKey != idempotencyKey)
            return Problems.Of("invalid-argument", $"requestKey and the {IdempotencyKeyHeader} header differ; send one of them");
        var key = request.RequestKey ?? idempotencyKey;
        if (string.IsNullOrWhiteSpace(key) || key.Length > PointsMall.RequestKeyLengthMax || key.Any(char.IsControl))
            return Problems.Of("invalid-argument", $"requestKey (or the {IdempotencyKeyHeader} header) is required: 1–{PointsMall.RequestKeyLengthMax} printable characters");
        if (request.OfferId is not > 0) return Problems.Of("invalid-argument", "offerId is required: an offer's id");

        var result = await mall.RedeemAsync(person, request.OfferId.Value, key, PersonActor(person), ct);
        switch (result.Outcome)
        {
            case MallOutcome.Done:
                return TypedResults.Created($"/api/v1/me/redemptions/{result.Redemption!.Id}", await new OfferTitles(offers).RedemptionAsync(result.Redemption, ct));
            case MallOutcome.Replayed:
                return TypedResults.Ok(await new OfferTitles(offers).RedemptionAsync(result.Redemption!, ct));
            case MallOutcome.NotFound or MallOutcome.NotYours:
                return Problems.Of("offer-not-found", $"offer {request.OfferId}");
            default:
                // A draft or a delisted offer does not exist as far as a person can tell.
                if (result.Refusal == MallRefusal.NotOnSale && await offers.GetAsync(request.OfferId.Value, ct) is { Status: OfferStatus.Draft or OfferStatus.Delisted })
                    return Problems.Of("offer-not-found", $"offer {request.OfferId}");
                return Refused(result);
        }
    }

    private static async Task<Results<Ok<RedemptionPageDto>, ProblemHttpResult>> ListMyRedemptions(HttpContext http, AccessTokens tokens, OfferStore offers, PointsMall mall,
        CancellationToken ct, long? before = null, int limit = PageDefault)
    {
        var (person, problem) = await Callers.PersonAsync(http, tokens, ct);
        if (problem is not null) return problem;
        if (PageProblem(before, limit, PointsMall.PageMax) is { } invalid) return invalid;
        var page = await mall.ListForPersonAsync(person, before, limit, ct);
        return TypedResults.Ok(await RedemptionPageAsync(http, offers, page, ct));
    }

    /// <summary>Someone else's redemption is answered as missing: a person learns nothing about others' redemptions.</summary>
    private static async Task<Results<Ok<RedemptionDto>, ProblemHttpResult>> GetMyRedemption(long id, HttpContext http, AccessTokens tokens, OfferStore offers, PointsMall mall,
        CancellationToken ct)
    {
        var (person, problem) = await Callers.PersonAsync(http, tokens, ct);
        if (problem is not null) return problem;
        var redemption = await mall.GetAsync(id, ct);
        if (redemption is null || redemption.Person != person) return Problems.Of("redemption-not-found", $"redemption {id}");
        return TypedResults.Ok(await new OfferTitles(offers).RedemptionAsync(redemption, ct));
    }

    private static async Task<Results<Ok<RedemptionDto>, ProblemHttpResult>> Cancel(long id, HttpContext http, AccessTokens tokens, OfferStore offers, PointsMall mall,
        CancellationToken ct)
    {
        var (person, problem) = await Callers.PersonAsync(http, tokens, ct);
        if (problem is not null) return problem;
        var result = await mall.CancelAsync(person, id, PersonActor(person), ct);
        return result.Outcome switch
        {
            MallOutcome.Done or MallOutcome.Replayed => TypedResults.Ok(await new OfferTitles(offers).RedemptionAsync(result.Redemption!, ct)),
            MallOutcome.NotFound or MallOutcome.NotYours => Problems.Of("redemption-not-found", $"redemption {id}"),
            MallOutcome.Refused => Refused(result),
        };
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    /// <summary>The problem code of each refusal; every one is a 409 (a voucher's expiry too: the voucher still exists, its state forbids the use).</summary>
    public static string Code(MallRefusal refusal) => refusal switch
    {
        MallRefusal.NotOnSale => "not-on-sale",
        MallRefusal.OutsideWindow => "outside-window",
        MallRefusal.SoldOut => "sold-out",
        MallRefusal.PerPersonLimit => "per-person-limit",
        MallRefusal.InsufficientPoints => "insufficient-points",
        MallRefusal.SinkExhausted => "sink-exhausted",
        MallRefusal.RequestKeyReused => "request-key-reused",
        MallRefusal.VoucherUsed => "voucher-used",
        MallRefusal.VoucherCancelled => "voucher-cancelled",
        MallRefusal.VoucherExpired => "voucher-expired",
        MallRefusal.CancellationClosed => "cancellation-closed",
        MallRefusal.ReversalImpossible => "reversal-impossible",
        MallRefusal.None => throw new ArgumentOutOfRangeException(nameof(refusal), refusal, "A refusal has a reason."),
    };

    public static string Code(VoucherStatus status) => status switch
    {
        VoucherStatus.Issued => "issued",
        VoucherStatus.Used => "used",
        VoucherStatus.Cancelled => "cancelled",
        _ => "unknown",
    };

    private static ProblemHttpResult Refused(MallResult result) => Problems.Of(Code(result.Refusal), result.Detail);

    private static async Task<Results<Ok<RedemptionDto>, ProblemHttpResult>> UsedAsync(MallResult result, string code, OfferStore offers, CancellationToken ct) => result.Outcome switch
    {
        MallOutcome.Done or MallOutcome.Replayed => TypedResults.Ok(await new OfferTitles(offers).RedemptionAsync(result.Redemption!, ct)),
        MallOutcome.NotFound => Problems.Of("voucher-not-found", $"voucher {code}"),
        MallOutcome.NotYours => Problems.Of("not-yours", result.Detail),
        MallOutcome.Refused => Refused(result),
    };

    private static async Task<Results<Ok<OfferDto>, ProblemHttpResult>> WrittenAsync(OfferWrite write, LedgerStore store, bool administrator, CancellationToken ct)
        => write.Status == OfferWriteStatus.Done ? TypedResults.Ok(await new Names(store).OfferAsync(write.Offer!, ct)) : WriteProblem(write, administrator);

    private static ProblemHttpResult WriteProblem(OfferWrite write, bool administrator) => write.Status switch
    {
        OfferWriteStatus.NotFound => Problems.Of("offer-not-found", write.Problem),
        OfferWriteStatus.NotProvider => Problems.Of("not-provider", write.Problem),
        OfferWriteStatus.NotYours => Problems.Of("not-yours", write.Problem),
        OfferWriteStatus.Invalid => Problems.Of("offer-invalid", write.Problem),
        OfferWriteStatus.NotAllowed => Problems.Of("offer-action-not-allowed", write.Problem, new Dictionary<string, object?>
        {
            ["offerStatus"] = write.Offer?.Status.Code(),
            ["allowedActions"] = write.Offer is { } o
                ? OfferLifecycle.AllowedFrom(o.Status).Where(a => a.IsAdministrators() == administrator).Select(a => a.Code()).ToList()
                : [],
        }),
        OfferWriteStatus.Done => throw new ArgumentOutOfRangeException(nameof(write), write.Status, "A done write is not a problem."),
    };

    private static async Task<Results<Ok<OfferPageDto>, ProblemHttpResult>> ListAsync(HttpContext http, OfferStore offers, LedgerStore store, string? status, string? kind,
        string? region, long? provider, long? before, int limit, CancellationToken ct)
    {
        OfferStatus? wantedStatus = null;
        if (status is not null && (wantedStatus = OfferLifecycle.ParseStatus(status)) is null)
            return Problems.Of("invalid-argument", "status is one of draft, on-sale, paused, ended, delisted");
        OfferKind? wantedKind = null;
        if (kind is not null && (wantedKind = OfferLifecycle.ParseKind(kind)) is null)
            return Problems.Of("invalid-argument", "kind is one of goods, service, sink");
        if (region is not null && !RegionPattern().IsMatch(region)) return Problems.Of("invalid-argument", "region is an administrative division code of 1–12 digits");
        if (provider is <= 0) return Problems.Of("invalid-argument", "provider is an account id");
        if (PageProblem(before, limit, OfferQuery.LimitMax) is { } invalid) return invalid;
        var page = await offers.ListAsync(new OfferQuery(provider is { } p ? new AccountId(p) : null, wantedStatus, wantedKind, region, before, limit), ct);
        var names = new Names(store);
        var list = new List<OfferDto>(page.Offers.Count);
        foreach (var offer in page.Offers) list.Add(await names.OfferAsync(offer, ct));
        return TypedResults.Ok(new OfferPageDto(list, page.NextBefore, NextLink(http.Request, page.NextBefore)));
    }

    private static ProblemHttpResult? PageProblem(long? before, int limit, int limitMax)
    {
        if (limit < 1 || limit > limitMax) return Problems.Of("invalid-argument", $"limit must be 1–{limitMax}");
        if (before is <= 0) return Problems.Of("invalid-argument", "before is the nextBefore of the previous page");
        return null;
    }

    private static async Task<RedemptionPageDto> RedemptionPageAsync(HttpContext http, OfferStore offers, RedemptionPage page, CancellationToken ct)
    {
        var titles = new OfferTitles(offers);
        var list = new List<RedemptionDto>(page.Redemptions.Count);
        foreach (var r in page.Redemptions) list.Add(await titles.RedemptionAsync(r, ct));
        return new RedemptionPageDto(list, page.NextBefore, NextLink(http.Request, page.NextBefore));
    }

    /// <summary>The same request with <c>before</c> set to the next page's cursor.</summary>
    private static string? NextLink(HttpRequest request, long? nextBefore)
    {
        if (nextBefore is not { } next) return null;
        var query = request.Query.Where(q => !string.Equals(q.Key, "before", StringComparison.OrdinalIgnoreCase))
            .SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string?>(q.Key, v)))
            .Append(new("before", next.ToString(CultureInfo.InvariantCulture)));
        return QueryHelpers.AddQueryString((request.PathBase + request.Path).ToString(), query);
    }

    private static (OfferDefinition? Definition, string? Problem) ToDefinition(OfferRequest r)
    {
        if (OfferLifecycle.ParseKind(r.Kind) is not { } kind) return (null, "kind is required: goods, service or sink");
        var missing = r.TitleZh is null ? "titleZh"
            : r.TitleEn is null ? "titleEn"
            : r.Price is null ? "price"
            : r.Stock is null ? "stock"
            : r.PerPersonLimit is null ? "perPersonLimit"
            : r.ValidFrom is null ? "validFrom"
            : r.ValidUntil is null ? "validUntil"
            : r.VoucherValidDays is null ? "voucherValidDays"
            : r.CancellationHours is null ? "cancellationHours"
            : null;
        if (missing is not null) return (null, $"{missing} is required");
        var definition = new OfferDefinition(kind, r.TitleZh!, r.TitleEn!, r.DescriptionZh ?? "", r.DescriptionEn ?? "", r.ImageUrl, r.Price!.Value, r.Stock!.Value,
            r.PerPersonLimit!.Value, r.ValidFrom!.Value, r.ValidUntil!.Value, r.VoucherValidDays!.Value, r.CancellationHours!.Value, r.Region ?? "", r.SinkBatch, r.SinkGrams ?? 0);
        return definition.Problem() is { } problem ? (null, problem) : (definition, null);
    }

    private static string StaffActor(AccountId organisation) => "staff:" + organisation;

    private static string PersonActor(AccountId person) => "person:" + person;

    [GeneratedRegex("^[0-9]{1,12}$", RegexOptions.CultureInvariant)]
    private static partial Regex RegionPattern();

    /// <summary>Providers' display names, each looked up once per request.</summary>
    private sealed class Names(LedgerStore store)
    {
        private readonly Dictionary<AccountId, string> _names = [];

        public async Task<OfferDto> OfferAsync(Offer offer, CancellationToken ct)
        {
            if (!_names.TryGetValue(offer.Provider, out var name))
                _names[offer.Provider] = name = (await store.FindAccountAsync(offer.Provider, ct))?.DisplayName ?? "";
            return OfferDto.From(offer, name);
        }
    }

    /// <summary>Offers' titles for redemptions, each offer read once per request.</summary>
    private sealed class OfferTitles(OfferStore offers)
    {
        private readonly Dictionary<long, Offer?> _offers = [];

        public async Task<RedemptionDto> RedemptionAsync(Redemption r, CancellationToken ct)
        {
            if (!_offers.TryGetValue(r.OfferId, out var offer)) _offers[r.OfferId] = offer = await offers.GetAsync(r.OfferId, ct);
            var d = offer?.Definition;
            return new RedemptionDto(r.Id, r.OfferId, d?.TitleZh ?? "", d?.TitleEn ?? "", d?.Kind.Code() ?? "", r.Provider.Value, Code(r.Status), r.Points, r.Grams, r.SinkGrams,
                r.RedeemedAt, new VoucherDto(r.VoucherCode, r.QrPayload, r.ExpiresAt, r.CancellableUntil), r.UsedAt, r.CancelledAt, r.TransactionId, r.CancelTransactionId);
        }
    }
}
