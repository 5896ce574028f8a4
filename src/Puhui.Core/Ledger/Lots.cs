namespace Puhui.Ledger;

/// <summary>
/// A point lot: the points (and the reduction grams inside them) issued to one account from one scenario
/// batch on one day. The lot's remaining points and grams are the account's balances of that lot.
/// </summary>
/// <param name="ExpiresOn">The first day on which the lot can no longer be spent (JS 37: two years by default).</param>
public sealed record PointLot(LotId Id, AccountId Account, BatchId Batch, DateOnly Day, DateOnly ExpiresOn);

/// <summary>A lot with what is left in it.</summary>
public sealed record LotBalance(PointLot Lot, Points Points, Grams Grams)
{
    public bool IsExpiredOn(DateOnly day) => day >= Lot.ExpiresOn;
}

/// <summary>The order in which lots are consumed by a redemption.</summary>
public enum LotOrder : byte
{
    /// <summary>JS 37: lots that carry reductions first, then the earliest expiry, then the oldest.</summary>
    ReductionBearingFirst = 1,

    /// <summary>Earliest expiry first, then the oldest.</summary>
    EarliestExpiryFirst = 2,
}

/// <summary>How much to take out of one lot.</summary>
public readonly record struct LotDraw(PointLot Lot, Points Points, Grams Grams);

public static class PointLots
{
    /// <summary>
    /// Chooses which lots pay <paramref name="points"/> as of <paramref name="asOf"/>, in <paramref name="order"/>.
    /// Grams leave a lot in proportion to its points, rounded down, and a lot drawn to zero points gives up all
    /// its grams, so no lot is ever left holding grams without points. Returns null when the unexpired lots
    /// hold fewer points than asked.
    /// </summary>
    public static IReadOnlyList<LotDraw>? PlanDraws(IEnumerable<LotBalance> lots, Points points, LotOrder order, DateOnly asOf)
    {
        if (points.Value <= 0) throw new LedgerInvariantException("Points to draw are positive.");
        var usable = lots.Where(l => l.Points.Value > 0 && !l.IsExpiredOn(asOf));
        var ordered = order switch
        {
            LotOrder.ReductionBearingFirst => usable.OrderByDescending(l => l.Grams.Value > 0).ThenBy(l => l.Lot.ExpiresOn).ThenBy(l => l.Lot.Day).ThenBy(l => l.Lot.Id.Value),
            LotOrder.EarliestExpiryFirst => usable.OrderBy(l => l.Lot.ExpiresOn).ThenBy(l => l.Lot.Day).ThenBy(l => l.Lot.Id.Value),
        };

        var draws = new List<LotDraw>();
        var left = points.Value;
        foreach (var lot in ordered)
        {
            if (left == 0) break;
            var take = Math.Min(left, lot.Points.Value);
            draws.Add(new LotDraw(lot.Lot, new Points(take), new Grams(GramsFor(lot, take))));
            left -= take;
        }

        return left == 0 ? draws : null;
    }

    /// <summary>The grams that leave a lot when <paramref name="points"/> of its points do.</summary>
    public static long GramsFor(LotBalance lot, long points)
    {
        if (points == lot.Points.Value) return lot.Grams.Value;
        return (long)((Int128)lot.Grams.Value * points / lot.Points.Value);
    }
}
