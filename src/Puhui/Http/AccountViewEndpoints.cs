using Microsoft.AspNetCore.Http.HttpResults;
using Puhui.Ledger;
using Puhui.Mall;
using Puhui.Storage.Access;
using Puhui.Storage.Ledger;
using Puhui.Storage.Mall;

namespace Puhui.Host.Http;

public sealed record HonourDto(long PointsEarned, long PointsRedeemed, long PointsCleared, long GramsToProviders, long GramsCleared, long GramsDonated, long GramsRetired)
{
    public static HonourDto From(Honour h) => new(h.PointsEarned, h.PointsRedeemed, h.PointsCleared, h.GramsToProviders, h.GramsCleared, h.GramsDonated, h.GramsRetired);
}

public sealed record PointsSummaryDto(long Spendable, long Grams, long ExpiringWithin30Days, DateOnly? NextExpiry, HonourDto Honour);
public sealed record LotViewDto(long Id, string Batch, string SourceZh, string SourceEn, DateOnly Day, DateOnly ExpiresOn, long Points, long Grams, bool Expired, bool ExpiringSoon);
public sealed record HistoryEntryDto(long Sequence, string TransactionId, string Kind, DateTimeOffset At, long Points, long Grams, long DonatedGrams, string DescriptionZh, string DescriptionEn, long? RedemptionId);
public sealed record HistoryEntriesDto(IReadOnlyList<HistoryEntryDto> Entries, long? NextBefore);
public sealed record ProviderBatchDto(long Batch, string Code, long ReceivedGrams, long HeldGrams);
public sealed record ProviderSummaryDto(long Redemptions, long Issued, long Used, long Cancelled, long PointsRedeemed, long SinkGramsRetired, IReadOnlyList<ProviderBatchDto> Batches);

/// <summary>
/// A person's own view of their points (balance, lots and their expiry, history in plain words, honour: JS 38) and a
/// provider's view of what its offers brought in (redemptions, vouchers used, reductions received per batch: JS 37).
/// </summary>
public static class AccountViewEndpoints
{
    public const int HistoryPageDefault = 50;

    public static RouteGroupBuilder MapAccountViews(this RouteGroupBuilder api)
    {
        var person = api.MapGroup("").WithTags("My account");
        person.MapGet("/me/points", Summary).WithName("GetMyPoints");
        person.MapGet("/me/lots", Lots).WithName("GetMyLots");
        person.MapGet("/me/history", History).WithName("GetMyHistory");
        person.MapGet("/me/honour", GetHonour).WithName("GetMyHonour");
        api.MapGroup("").WithTags("Provider").MapGet("/provider/summary", Provider).WithName("GetProviderSummary");
        return api;
    }

    private static async Task<Results<Ok<PointsSummaryDto>, ProblemHttpResult>> Summary(HttpContext http, AccessTokens tokens, AccountViews views, CancellationToken ct)
    {
        var (me, problem) = await Callers.PersonAsync(http, tokens, ct);
        if (problem is not null) return problem;
        var s = await views.SummaryAsync(me, ct);
        return TypedResults.Ok(new PointsSummaryDto(s.Spendable, s.Grams, s.ExpiringSoon, s.NextExpiry, HonourDto.From(s.Honour)));
    }

    /// <summary>The person's lots with their expiry; <c>expiring=true</c> keeps only those expiring within 30 days.</summary>
    private static async Task<Results<Ok<IReadOnlyList<LotViewDto>>, ProblemHttpResult>> Lots(HttpContext http, AccessTokens tokens, AccountViews views, CancellationToken ct, bool expiring = false)
    {
        var (me, problem) = await Callers.PersonAsync(http, tokens, ct);
        if (problem is not null) return problem;
        var lots = await views.LotsAsync(me, expiring, ct);
        return TypedResults.Ok<IReadOnlyList<LotViewDto>>(lots.Select(l => new LotViewDto(l.LotId, l.BatchCode, l.SourceZh, l.SourceEn, l.Day, l.ExpiresOn, l.Points, l.Grams, l.Expired, l.ExpiringSoon)).ToList());
    }

    /// <summary>The person's transactions, newest first; pass <c>nextBefore</c> back as <c>before</c> for the next page.</summary>
    private static async Task<Results<Ok<HistoryEntriesDto>, ProblemHttpResult>> History(HttpContext http, AccessTokens tokens, AccountViews views, CancellationToken ct,
        long? before = null, int limit = HistoryPageDefault)
    {
        var (me, problem) = await Callers.PersonAsync(http, tokens, ct);
        if (problem is not null) return problem;
        if (limit is < 1 or > LedgerStore.HistoryPageMax) return Problems.Of("invalid-argument", $"limit must be 1–{LedgerStore.HistoryPageMax}");
        if (before is <= 0) return Problems.Of("invalid-argument", "before is a positive sequence number");
        var page = await views.HistoryAsync(me, before, limit, ct);
        return TypedResults.Ok(new HistoryEntriesDto(
            page.Entries.Select(e => new HistoryEntryDto(e.Sequence, e.TransactionId, e.Kind.ToString(), e.At, e.Points, e.Grams, e.DonatedGrams, e.DescriptionZh, e.DescriptionEn, e.RedemptionId)).ToList(),
            page.NextBefore));
    }

    private static async Task<Results<Ok<HonourDto>, ProblemHttpResult>> GetHonour(HttpContext http, AccessTokens tokens, AccountViews views, CancellationToken ct)
    {
        var (me, problem) = await Callers.PersonAsync(http, tokens, ct);
        if (problem is not null) return problem;
        return TypedResults.Ok(HonourDto.From(await views.HonourAsync(me, ct)));
    }

    private static async Task<Results<Ok<ProviderSummaryDto>, ProblemHttpResult>> Provider(HttpContext http, AccessTokens tokens, LedgerStore store, AccountViews views, CancellationToken ct)
    {
        var (provider, problem) = await Callers.StaffAsync(http, tokens, store, OrganisationRoles.Provider, ct);
        if (problem is not null) return problem;
        var s = await views.ProviderAsync(provider, ct);
        return TypedResults.Ok(new ProviderSummaryDto(s.Redemptions, s.Issued, s.Used, s.Cancelled, s.PointsRedeemed, s.SinkGramsRetired,
            s.Batches.Select(b => new ProviderBatchDto(b.Batch.Value, b.BatchCode, b.ReceivedGrams, b.HeldGrams)).ToList()));
    }
}
