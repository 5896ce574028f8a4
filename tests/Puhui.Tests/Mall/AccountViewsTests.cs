using Puhui.Mall;
using Puhui.Storage;
using Puhui.Storage.Ledger;
using Puhui.Storage.Mall;

namespace Puhui.Tests.Mall;

public sealed class AccountViewsTests
{
    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task Honour_history_and_the_providers_view_follow_the_journal(StoreKind kind)
    {
        await using var w = await MallWorld.CreateAsync(kind);
        var views = new AccountViews(w.Store, w.Mall, w.Offers, w.Clock);
        // One lot about to expire, one reduction-bearing lot, one points-only lot.
        await w.IssueAsync(w.Alice, w.Egov, 40, 0, MallWorld.Day0.AddYears(-2).AddDays(10));
        await w.IssueAsync(w.Alice, w.Metro, 200, 2_000, MallWorld.Day0);
        await w.IssueAsync(w.Alice, w.Egov, 100, 0, MallWorld.Day0);
        var coffee = await w.OnSaleAsync(w.Cafe, MallWorld.Coffee(price: 100));
        var sapling = await w.OnSaleAsync(w.Farm, MallWorld.Sapling(price: 50, grams: 1_000));

        var summary = await views.SummaryAsync(w.Alice);
        Assert.Equal(340, summary.Spendable);
        Assert.Equal(40, summary.ExpiringSoon);
        Assert.Equal(MallWorld.Day0.AddDays(10), summary.NextExpiry);
        var expiring = Assert.Single(await views.LotsAsync(w.Alice, expiringOnly: true));
        Assert.Equal(40, expiring.Points);

        var kept = await w.Mall.RedeemAsync(w.Alice, coffee.Id, "c1", "person:alice");
        var undone = await w.Mall.RedeemAsync(w.Alice, coffee.Id, "c2", "person:alice");
        Assert.Equal(MallOutcome.Done, (await w.Mall.CancelAsync(w.Alice, undone.Redemption!.Id, "person:alice")).Outcome);
        Assert.Equal(MallOutcome.Done, (await w.Mall.UseVoucherAsync(w.Cafe, kept.Redemption!.VoucherCode, "staff:cafe")).Outcome);
        Assert.Equal(MallOutcome.Done, (await w.Mall.RedeemAsync(w.Alice, sapling.Id, "s1", "person:alice")).Outcome);
        w.Clock.Advance(TimeSpan.FromDays(11));
        var cleared = await ExpiryClearing.RunAsync(w.Store, MallWorld.Day0.AddDays(11), "job:expiry", w.Clock.GetUtcNow());
        Assert.Equal(1, cleared.LotsCleared);

        var honour = await views.HonourAsync(w.Alice);
        // Coffee 100 points from the metro lot (1,000 g to the café); the sapling's 50 from the metro lot too (500 g to the farm).
        Assert.Equal(new Honour(PointsEarned: 340, PointsRedeemed: 150, PointsCleared: 40, GramsToProviders: 1_500, GramsCleared: 0, GramsDonated: 1_000), honour);
        Assert.Equal(1_000, honour.GramsRetired);

        var history = await views.HistoryAsync(w.Alice, null, 50);
        Assert.Equal(["Expire", "Redeem", "Correct", "Redeem", "Redeem", "Issue", "Issue", "Issue"], history.Entries.Select(e => e.Kind.ToString()));
        Assert.Contains("积分到期清零：40 积分", history.Entries[0].DescriptionZh, StringComparison.Ordinal);
        Assert.Contains("认购一公斤林业碳汇", history.Entries[1].DescriptionZh, StringComparison.Ordinal);
        Assert.Contains("1000 g of carbon sink retired in your name", history.Entries[1].DescriptionEn, StringComparison.Ordinal);
        Assert.Equal(1_000, history.Entries[1].DonatedGrams);
        Assert.Contains("取消兑换「一杯咖啡」：退回 100 积分", history.Entries[2].DescriptionZh, StringComparison.Ordinal);
        Assert.Equal(undone.Redemption.Id, history.Entries[2].RedemptionId);
        Assert.Contains("1000 g CO2e of reductions in them now belong to the provider", history.Entries[4].DescriptionEn, StringComparison.Ordinal);
        Assert.Equal(-100, history.Entries[4].Points);

        var cafe = await views.ProviderAsync(w.Cafe);
        Assert.Equal((2L, 0L, 1L, 1L, 100L), (cafe.Redemptions, cafe.Issued, cafe.Used, cafe.Cancelled, cafe.PointsRedeemed));
        var received = Assert.Single(cafe.Batches);
        Assert.Equal(("SCN-METRO-202603", 1_000L, 1_000L), (received.BatchCode, received.ReceivedGrams, received.HeldGrams));
        var farm = await views.ProviderAsync(w.Farm);
        Assert.Equal(1_000, farm.SinkGramsRetired);
        Assert.Equal(MallWorld.SinkGramsHeld - 1_000, farm.Batches.Single(b => b.Batch == w.Forest).HeldGrams);
    }
}
