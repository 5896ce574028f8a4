using Puhui.Ledger;

namespace Puhui.Tests.Ledger;

public class PointLotsTests
{
    private static readonly AccountId Owner = new(5);
    private static readonly DateOnly Today = new(2026, 6, 1);

    private static LotBalance Lot(long id, long points, long grams, DateOnly expires, DateOnly? day = null)
        => new(new PointLot(new LotId(id), Owner, new BatchId(1), day ?? new DateOnly(2025, 1, 1), expires), new Points(points), new Grams(grams));

    [Fact]
    public void Reduction_bearing_lots_are_drawn_first_then_earliest_expiry()
    {
        var lots = new[]
        {
            Lot(1, 50, 0, new DateOnly(2026, 7, 1)),
            Lot(2, 30, 300, new DateOnly(2027, 1, 1)),
            Lot(3, 30, 600, new DateOnly(2026, 12, 1)),
        };
        var draws = PointLots.PlanDraws(lots, new Points(70), LotOrder.ReductionBearingFirst, Today)!;
        Assert.Equal([3L, 2L, 1L], draws.Select(d => d.Lot.Id.Value));
        Assert.Equal([30L, 30L, 10L], draws.Select(d => d.Points.Value));
        Assert.Equal([600L, 300L, 0L], draws.Select(d => d.Grams.Value));
    }

    [Fact]
    public void Earliest_expiry_order_ignores_reductions()
    {
        var lots = new[] { Lot(1, 10, 100, new DateOnly(2027, 1, 1)), Lot(2, 10, 0, new DateOnly(2026, 7, 1)) };
        var draws = PointLots.PlanDraws(lots, new Points(5), LotOrder.EarliestExpiryFirst, Today)!;
        Assert.Equal(2, draws.Single().Lot.Id.Value);
    }

    [Fact]
    public void Grams_leave_in_proportion_rounded_down_and_a_drained_lot_gives_up_all()
    {
        var lot = Lot(1, 3, 100, new DateOnly(2027, 1, 1));
        Assert.Equal(33, PointLots.PlanDraws([lot], new Points(1), LotOrder.ReductionBearingFirst, Today)!.Single().Grams.Value);
        Assert.Equal(66, PointLots.PlanDraws([lot], new Points(2), LotOrder.ReductionBearingFirst, Today)!.Single().Grams.Value);
        Assert.Equal(100, PointLots.PlanDraws([lot], new Points(3), LotOrder.ReductionBearingFirst, Today)!.Single().Grams.Value);
    }

    [Fact]
    public void Expired_lots_are_not_spendable_and_shortfall_returns_null()
    {
        var lots = new[] { Lot(1, 100, 0, Today), Lot(2, 10, 0, Today.AddDays(1)) };
        Assert.Null(PointLots.PlanDraws(lots, new Points(11), LotOrder.ReductionBearingFirst, Today));
        Assert.Equal(2, PointLots.PlanDraws(lots, new Points(10), LotOrder.ReductionBearingFirst, Today)!.Single().Lot.Id.Value);
    }
}
