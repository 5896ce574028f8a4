using Puhui.Ledger;

namespace Puhui.Storage.Ledger;

/// <summary>The outcome of issuing into or drawing from point lots.</summary>
public enum LotOutcome
{
    Committed,
    Replayed,

    /// <summary>The account's unexpired lots hold fewer points than asked.</summary>
    InsufficientPoints,

    /// <summary>The ledger refused the transaction for another reason; see the detail.</summary>
    Refused,
}

public sealed record LotResult(LotOutcome Outcome, StoredTransaction? Transaction, IReadOnlyList<LotDraw> Draws, string? Detail)
{
    public bool Succeeded => Outcome is LotOutcome.Committed or LotOutcome.Replayed;
}

/// <summary>What a draw from lots pays: points go to one account, the grams inside them to another.</summary>
/// <param name="GramsTo">Where the grams go; for a redemption the provider (JS 37), for expiry the retired account.</param>
public sealed record LotDrawRequest(
    AccountId Account,
    Points Points,
    LotOrder Order,
    DateOnly AsOf,
    AccountId PointsTo,
    AccountId GramsTo,
    TransactionKind Kind,
    string IdempotencyKey,
    string Actor,
    string Reference,
    DateTimeOffset At);

/// <summary>Issuing points into lots and drawing them out in the policy's order, over any store.</summary>
public static class PointLotOperations
{
    /// <summary>
    /// Attempts before a draw gives up when other writers keep changing the same lots. Each lost attempt means
    /// another writer's draw committed, so this bounds starvation, not progress; it is far above the number of
    /// concurrent spenders one account ever has.
    /// </summary>
    public const int DrawAttemptsMax = 64;

    /// <summary>
    /// Issues points, and the grams they carry, from the platform into the account's lot for the batch and day.
    /// </summary>
    public static async Task<LotResult> IssueAsync(LedgerStore store, AccountId account, BatchId batch, DateOnly day, DateOnly expiresOn,
        Points points, Grams grams, string idempotencyKey, string actor, string reference, DateTimeOffset at, CancellationToken ct = default)
    {
        if (points.Value <= 0) throw new ArgumentOutOfRangeException(nameof(points), points, "Issued points are positive.");
        if (grams.Value < 0) throw new ArgumentOutOfRangeException(nameof(grams), grams, "Issued grams are not negative.");
        var lot = await store.OpenLotAsync(account, batch, day, expiresOn, ct);
        var builder = new TransactionBuilder(TransactionKind.Issue, idempotencyKey, at, actor) { Reference = reference }
            .MovePoints(await store.SystemAccountAsync(SystemAccounts.PointsIssuance, ct), account, points, batch, toLot: lot.Id);
        if (grams.Value > 0) builder.MoveGrams(await store.SystemAccountAsync(SystemAccounts.ReductionIssuance, ct), account, batch, grams, toLot: lot.Id);
        var result = await store.AppendAsync(builder.Build(), ct);
        return ToLotResult(result, [new LotDraw(lot, points, grams)]);
    }

    /// <summary>
    /// Draws points from an account's unexpired lots in the given order and moves them, with the grams inside
    /// them, in one transaction. A retried request with the same key returns the original transaction.
    /// </summary>
    public static async Task<LotResult> DrawAsync(LedgerStore store, LotDrawRequest request, CancellationToken ct = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (await store.GetTransactionByKeyAsync(request.IdempotencyKey, ct) is { } original)
                return new LotResult(LotOutcome.Replayed, original, [], null);

            var lots = await store.GetLotsAsync(request.Account, includeEmpty: false, ct);
            var draws = PointLots.PlanDraws(lots, request.Points, request.Order, request.AsOf);
            if (draws is null)
                return new LotResult(LotOutcome.InsufficientPoints, null, [], $"account {request.Account} holds fewer than {request.Points.Value} spendable points");

            var tx = Build(request.Kind, request.IdempotencyKey, request.Actor, request.Reference, request.At, request.Account, request.PointsTo, request.GramsTo, draws);
            var result = await store.AppendAsync(tx, ct);
            // Another writer spent from the same lots between our read and our append: plan again on fresh balances.
            if (result.Status == AppendStatus.InsufficientBalance && attempt < DrawAttemptsMax) continue;
            if (result.Status == AppendStatus.InsufficientBalance)
                return new LotResult(LotOutcome.InsufficientPoints, null, [], result.Detail);
            return ToLotResult(result, draws);
        }
    }

    /// <summary>Builds the transaction that moves the given draws out of the account's lots.</summary>
    public static Transaction Build(TransactionKind kind, string idempotencyKey, string actor, string reference, DateTimeOffset at,
        AccountId account, AccountId pointsTo, AccountId gramsTo, IReadOnlyList<LotDraw> draws)
    {
        var builder = new TransactionBuilder(kind, idempotencyKey, at, actor) { Reference = reference };
        foreach (var d in draws)
        {
            if (d.Points.Value > 0) builder.MovePoints(account, pointsTo, d.Points, d.Lot.Batch, fromLot: d.Lot.Id);
            if (d.Grams.Value > 0) builder.MoveGrams(account, gramsTo, d.Lot.Batch, d.Grams, fromLot: d.Lot.Id);
        }

        return builder.Build();
    }

    private static LotResult ToLotResult(AppendResult result, IReadOnlyList<LotDraw> draws) => result.Status switch
    {
        AppendStatus.Committed => new LotResult(LotOutcome.Committed, result.Transaction, draws, null),
        AppendStatus.Replayed => new LotResult(LotOutcome.Replayed, result.Transaction, draws, null),
        AppendStatus.InsufficientBalance => new LotResult(LotOutcome.InsufficientPoints, null, [], result.Detail),
        AppendStatus.IdempotencyConflict or AppendStatus.UnknownReference or AppendStatus.RuleViolation => new LotResult(LotOutcome.Refused, null, [], result.Detail),
    };
}
