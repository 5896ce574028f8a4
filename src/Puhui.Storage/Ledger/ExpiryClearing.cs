using Puhui.Ledger;

namespace Puhui.Storage.Ledger;

/// <summary>What one clearing run did.</summary>
/// <param name="LotsSkipped">Lots that changed while the run read them (a redemption at the same moment); the next run clears them.</param>
public sealed record ExpiryReport(int LotsCleared, long PointsCleared, long GramsCleared, int LotsSkipped);

/// <summary>
/// Clears every lot past its expiry (JS 37): the points go to the expired sink and the grams inside them are
/// retired as voluntary cancellation. Works in bounded groups, one transaction per lot keyed by the lot, so a
/// run can be interrupted and repeated without clearing anything twice.
/// </summary>
public static class ExpiryClearing
{
    public const int GroupSize = 500;

    public static async Task<ExpiryReport> RunAsync(LedgerStore store, DateOnly asOf, string actor, DateTimeOffset at, CancellationToken ct = default)
    {
        var expired = await store.SystemAccountAsync(SystemAccounts.Expired, ct);
        var retired = await store.SystemAccountAsync(SystemAccounts.Retired, ct);
        int lots = 0, skipped = 0;
        long points = 0, grams = 0;
        long after = 0;
        while (true)
        {
            var due = await store.GetLotsDueAsync(asOf, after, GroupSize, ct);
            if (due.Count == 0) break;
            after = due[^1].Lot.Id.Value;
            var group = due
                .Select(l => PointLotOperations.Build(TransactionKind.Expire, $"expire:lot:{l.Lot.Id}:{LedgerStore.Iso(asOf)}", actor, $"lot {l.Lot.Id} expired {LedgerStore.Iso(l.Lot.ExpiresOn)}", at,
                    l.Lot.Account, expired, retired, [new LotDraw(l.Lot, l.Points, l.Grams)]))
                .ToList();
            var results = await store.AppendAsync(group, ct);
            for (var i = 0; i < results.Count; i++)
            {
                if (results[i].Status == AppendStatus.Committed)
                {
                    lots++;
                    foreach (var p in group[i].Postings.Where(p => p.Amount > 0))
                    {
                        if (p.Asset == Asset.Pts) points += p.Amount;
                        else grams += p.Amount;
                    }
                }
                else if (results[i].Status != AppendStatus.Replayed)
                {
                    skipped++;
                }
            }
        }

        return new ExpiryReport(lots, points, grams, skipped);
    }
}
