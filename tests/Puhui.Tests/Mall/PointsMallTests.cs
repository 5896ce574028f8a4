using Puhui.Ledger;
using Puhui.Mall;
using Puhui.Storage;
using Puhui.Storage.Mall;

namespace Puhui.Tests.Mall;

public sealed class PointsMallTests
{
    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task A_redemption_spends_reduction_bearing_lots_first_and_gives_their_grams_to_the_provider(StoreKind kind)
    {
        await using var w = await MallWorld.CreateAsync(kind);
        // An older points-only lot expires first, but JS 37 spends the reduction-bearing lots before it.
        await w.IssueAsync(w.Alice, w.Egov, 80, 0, MallWorld.Day0.AddDays(-10));
        await w.IssueAsync(w.Alice, w.Metro, 60, 600, MallWorld.Day0.AddDays(-2));
        await w.IssueAsync(w.Alice, w.Metro, 30, 300, MallWorld.Day0.AddDays(-1));
        var offer = await w.OnSaleAsync(w.Cafe, MallWorld.Coffee(price: 100));

        var result = await w.Mall.RedeemAsync(w.Alice, offer.Id, "req-1", "person:alice");

        Assert.Equal(MallOutcome.Done, result.Outcome);
        var r = result.Redemption!;
        Assert.Equal(100, r.Points);
        Assert.Equal(900, r.Grams);
        Assert.Equal(VoucherStatus.Issued, r.Status);
        Assert.Matches("^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$", r.VoucherCode);
        Assert.Equal($"puhui:voucher:{r.VoucherCode}", r.QrPayload);
        Assert.Equal(MallWorld.T0.AddHours(24), r.CancellableUntil);
        var lots = await w.Store.GetLotsAsync(w.Alice);
        var left = Assert.Single(lots);
        Assert.Equal(w.Egov, left.Lot.Batch);
        Assert.Equal(70, left.Points.Value);
        Assert.Equal(900, await w.BalanceAsync(w.Cafe, Asset.Co2, w.Metro));
        Assert.Equal(9, (await w.Offers.GetAsync(offer.Id))!.StockLeft);
        var tx = await w.Store.GetTransactionByKeyAsync($"redeem:{w.Alice}:req-1");
        Assert.Equal(TransactionKind.Redeem, tx!.Transaction.Kind);
        Assert.True((await w.Store.AuditAsync()).Passed);
    }

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task A_retried_request_returns_the_first_redemption_and_a_reused_key_for_another_offer_is_refused(StoreKind kind)
    {
        await using var w = await MallWorld.CreateAsync(kind);
        await w.IssueAsync(w.Alice, w.Metro, 1_000, 5_000, MallWorld.Day0);
        var coffee = await w.OnSaleAsync(w.Cafe, MallWorld.Coffee());
        var tea = await w.OnSaleAsync(w.Cafe, MallWorld.Coffee() with { TitleZh = "一杯茶", TitleEn = "A cup of tea" });

        var first = await w.Mall.RedeemAsync(w.Alice, coffee.Id, "same-key", "person:alice");
        var again = await w.Mall.RedeemAsync(w.Alice, coffee.Id, "same-key", "person:alice");
        var snapshot = await w.SnapshotAsync(w.Alice, tea.Id);
        var other = await w.Mall.RedeemAsync(w.Alice, tea.Id, "same-key", "person:alice");

        Assert.Equal(MallOutcome.Done, first.Outcome);
        Assert.Equal(MallOutcome.Replayed, again.Outcome);
        Assert.Equal(first.Redemption!.VoucherCode, again.Redemption!.VoucherCode);
        Assert.Equal(MallRefusal.RequestKeyReused, other.Refusal);
        Assert.Equal(snapshot, await w.SnapshotAsync(w.Alice, tea.Id));
        Assert.Equal(900, await w.BalanceAsync(w.Alice, Asset.Pts));
    }

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task A_cancellation_within_the_window_reverses_the_redemption_exactly(StoreKind kind)
    {
        await using var w = await MallWorld.CreateAsync(kind);
        await w.IssueAsync(w.Alice, w.Metro, 70, 700, MallWorld.Day0.AddDays(-3));
        await w.IssueAsync(w.Alice, w.Egov, 50, 0, MallWorld.Day0.AddDays(-1));
        var offer = await w.OnSaleAsync(w.Cafe, MallWorld.Coffee(price: 100, perPerson: 1));
        var before = await w.Store.GetLotsAsync(w.Alice, includeEmpty: true);
        var redeemed = await w.Mall.RedeemAsync(w.Alice, offer.Id, "r1", "person:alice");
        w.Clock.Advance(TimeSpan.FromHours(23));

        var cancelled = await w.Mall.CancelAsync(w.Alice, redeemed.Redemption!.Id, "person:alice");

        Assert.Equal(MallOutcome.Done, cancelled.Outcome);
        Assert.Equal(VoucherStatus.Cancelled, cancelled.Redemption!.Status);
        Assert.NotNull(cancelled.Redemption.CancelTransactionId);
        var after = await w.Store.GetLotsAsync(w.Alice, includeEmpty: true);
        Assert.Equal(before.Select(l => (l.Lot, l.Points, l.Grams)), after.Select(l => (l.Lot, l.Points, l.Grams)));
        Assert.Equal(0, await w.BalanceAsync(w.Cafe, Asset.Co2));
        Assert.Equal(10, (await w.Offers.GetAsync(offer.Id))!.StockLeft);
        // The per-person limit counts only redemptions that stand.
        Assert.Equal(MallOutcome.Done, (await w.Mall.RedeemAsync(w.Alice, offer.Id, "r2", "person:alice")).Outcome);
        Assert.True((await w.Store.AuditAsync()).Passed);
    }

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task The_provider_uses_a_voucher_once_and_no_one_else_can(StoreKind kind)
    {
        await using var w = await MallWorld.CreateAsync(kind);
        await w.IssueAsync(w.Alice, w.Metro, 500, 0, MallWorld.Day0);
        var offer = await w.OnSaleAsync(w.Cafe, MallWorld.Coffee());
        var r = (await w.Mall.RedeemAsync(w.Alice, offer.Id, "r1", "person:alice")).Redemption!;

        var wrongProvider = await w.Mall.UseVoucherAsync(w.Farm, r.VoucherCode, "staff:farm");
        var typedLoosely = await w.Mall.UseVoucherAsync(w.Cafe, r.VoucherCode.Replace("-", " ", StringComparison.Ordinal).ToLowerInvariant(), "staff:cafe");
        var twice = await w.Mall.UseVoucherAsync(w.Cafe, r.VoucherCode, "staff:cafe");
        var cancelAfterUse = await w.Mall.CancelAsync(w.Alice, r.Id, "person:alice");
        var someoneElse = await w.Mall.CancelAsync(w.Bob, r.Id, "person:bob");

        Assert.Equal(MallOutcome.NotYours, wrongProvider.Outcome);
        Assert.Equal(MallOutcome.Done, typedLoosely.Outcome);
        Assert.Equal(VoucherStatus.Used, typedLoosely.Redemption!.Status);
        Assert.Equal("staff:cafe", typedLoosely.Redemption.UsedBy);
        Assert.Equal(MallRefusal.VoucherUsed, twice.Refusal);
        Assert.Equal(MallRefusal.VoucherUsed, cancelAfterUse.Refusal);
        Assert.Equal(MallOutcome.NotFound, someoneElse.Outcome);
        Assert.Equal(400, await w.BalanceAsync(w.Alice, Asset.Pts));
    }

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task Every_refusal_changes_nothing(StoreKind kind)
    {
        await using var w = await MallWorld.CreateAsync(kind);
        await w.IssueAsync(w.Alice, w.Metro, 250, 2_500, MallWorld.Day0);
        var dear = await w.OnSaleAsync(w.Cafe, MallWorld.Coffee(price: 1_000));
        var scarce = await w.OnSaleAsync(w.Cafe, MallWorld.Coffee(price: 10, stock: 1, perPerson: 5));
        var limited = await w.OnSaleAsync(w.Cafe, MallWorld.Coffee(price: 10, perPerson: 1));
        var later = await w.OnSaleAsync(w.Cafe, MallWorld.Coffee(price: 10) with { ValidFrom = MallWorld.T0.AddDays(2) });
        var paused = await w.OnSaleAsync(w.Cafe, MallWorld.Coffee(price: 10));
        Assert.Equal(OfferWriteStatus.Done, (await w.Offers.ActAsync(paused.Id, w.Cafe, OfferAction.Pause, "test", null)).Status);
        await w.IssueAsync(w.Bob, w.Metro, 100, 0, MallWorld.Day0);
        Assert.Equal(MallOutcome.Done, (await w.Mall.RedeemAsync(w.Bob, scarce.Id, "bob", "person:bob")).Outcome);
        Assert.Equal(MallOutcome.Done, (await w.Mall.RedeemAsync(w.Alice, limited.Id, "first", "person:alice")).Outcome);

        await Refused(dear.Id, MallRefusal.InsufficientPoints);
        await Refused(scarce.Id, MallRefusal.SoldOut);
        await Refused(limited.Id, MallRefusal.PerPersonLimit);
        await Refused(later.Id, MallRefusal.OutsideWindow);
        await Refused(paused.Id, MallRefusal.NotOnSale);

        async Task Refused(long offerId, MallRefusal expected)
        {
            var before = await w.SnapshotAsync(w.Alice, offerId);
            var result = await w.Mall.RedeemAsync(w.Alice, offerId, $"try-{offerId}", "person:alice");
            Assert.Equal(MallOutcome.Refused, result.Outcome);
            Assert.Equal(expected, result.Refusal);
            Assert.False(string.IsNullOrEmpty(result.Detail));
            Assert.Equal(before, await w.SnapshotAsync(w.Alice, offerId));
        }
    }

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task A_cancellation_too_late_or_of_an_uncancellable_offer_is_refused_and_changes_nothing(StoreKind kind)
    {
        await using var w = await MallWorld.CreateAsync(kind);
        await w.IssueAsync(w.Alice, w.Metro, 500, 5_000, MallWorld.Day0);
        var flexible = await w.OnSaleAsync(w.Cafe, MallWorld.Coffee(cancellationHours: 24));
        var final = await w.OnSaleAsync(w.Cafe, MallWorld.Coffee(cancellationHours: 0));
        var r1 = (await w.Mall.RedeemAsync(w.Alice, flexible.Id, "r1", "person:alice")).Redemption!;
        var r2 = (await w.Mall.RedeemAsync(w.Alice, final.Id, "r2", "person:alice")).Redemption!;
        w.Clock.Advance(TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1));

        foreach (var r in new[] { r1, r2 })
        {
            var before = await w.SnapshotAsync(w.Alice, r.OfferId);
            var result = await w.Mall.CancelAsync(w.Alice, r.Id, "person:alice");
            Assert.Equal(MallRefusal.CancellationClosed, result.Refusal);
            Assert.Equal(before, await w.SnapshotAsync(w.Alice, r.OfferId));
        }
    }

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task A_redemption_whose_grams_the_provider_moved_on_cannot_be_reversed_and_nothing_changes(StoreKind kind)
    {
        await using var w = await MallWorld.CreateAsync(kind);
        await w.IssueAsync(w.Alice, w.Metro, 100, 1_000, MallWorld.Day0);
        var offer = await w.OnSaleAsync(w.Cafe, MallWorld.Coffee(price: 100));
        var r = (await w.Mall.RedeemAsync(w.Alice, offer.Id, "r1", "person:alice")).Redemption!;
        // The café passes the reductions it received on (a transfer, as the holdings issue will allow).
        var moved = await w.Store.AppendAsync(new TransactionBuilder(TransactionKind.Transfer, "test:transfer", MallWorld.T0, "staff:cafe")
            .MoveGrams(w.Cafe, w.Farm, w.Metro, new Grams(600)).Build());
        Assert.Equal(AppendStatus.Committed, moved.Status);
        var before = await w.SnapshotAsync(w.Alice, offer.Id);

        var result = await w.Mall.CancelAsync(w.Alice, r.Id, "person:alice");

        Assert.Equal(MallRefusal.ReversalImpossible, result.Refusal);
        Assert.Equal(before, await w.SnapshotAsync(w.Alice, offer.Id));
        Assert.Equal(VoucherStatus.Issued, (await w.Mall.GetAsync(r.Id))!.Status);
    }

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task A_voucher_past_its_validity_cannot_be_used(StoreKind kind)
    {
        await using var w = await MallWorld.CreateAsync(kind);
        await w.IssueAsync(w.Alice, w.Metro, 500, 0, MallWorld.Day0);
        var offer = await w.OnSaleAsync(w.Cafe, MallWorld.Coffee());
        var r = (await w.Mall.RedeemAsync(w.Alice, offer.Id, "r1", "person:alice")).Redemption!;
        w.Clock.Advance(TimeSpan.FromDays(14));

        var result = await w.Mall.UseVoucherAsync(w.Cafe, r.VoucherCode, "staff:cafe");

        Assert.Equal(MallRefusal.VoucherExpired, result.Refusal);
        Assert.Equal(VoucherStatus.Issued, (await w.Mall.GetAsync(r.Id))!.Status);
    }

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task A_sink_donation_retires_the_farms_grams_in_the_persons_name_and_cannot_be_cancelled(StoreKind kind)
    {
        await using var w = await MallWorld.CreateAsync(kind);
        await w.IssueAsync(w.Alice, w.Metro, 100, 1_000, MallWorld.Day0);
        var sapling = await w.OnSaleAsync(w.Farm, MallWorld.Sapling(price: 50, grams: 1_000));
        var retired = await w.Store.SystemAccountAsync(SystemAccounts.Retired);

        var result = await w.Mall.RedeemAsync(w.Alice, sapling.Id, "tree-1", "person:alice");

        Assert.Equal(MallOutcome.Done, result.Outcome);
        Assert.Equal(1_000, result.Redemption!.SinkGrams);
        Assert.Null(result.Redemption.CancellableUntil);
        Assert.Equal(MallWorld.SinkGramsHeld - 1_000, await w.BalanceAsync(w.Farm, Asset.Co2, w.Forest));
        Assert.Equal(1_000, await w.BalanceAsync(retired, Asset.Co2, w.Forest));
        Assert.Equal(500, await w.BalanceAsync(w.Farm, Asset.Co2, w.Metro));
        Assert.Equal(MallRefusal.CancellationClosed, (await w.Mall.CancelAsync(w.Alice, result.Redemption.Id, "person:alice")).Refusal);
        var tx = await w.Store.GetTransactionByKeyAsync($"redeem:{w.Alice}:tree-1");
        Assert.Equal($"offer:{sapling.Id} retirement:Donation beneficiary:{w.Alice}", tx!.Transaction.Reference);
        Assert.True((await w.Store.AuditAsync()).Passed);
    }

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task A_sink_offer_stops_when_the_farm_runs_out_of_grams(StoreKind kind)
    {
        await using var w = await MallWorld.CreateAsync(kind);
        await w.IssueAsync(w.Alice, w.Egov, 1_000, 0, MallWorld.Day0);
        var sapling = await w.OnSaleAsync(w.Farm, MallWorld.Sapling(price: 10, grams: MallWorld.SinkGramsHeld / 2 + 1));
        Assert.Equal(MallOutcome.Done, (await w.Mall.RedeemAsync(w.Alice, sapling.Id, "t1", "person:alice")).Outcome);
        var before = await w.SnapshotAsync(w.Alice, sapling.Id);

        var result = await w.Mall.RedeemAsync(w.Alice, sapling.Id, "t2", "person:alice");

        Assert.Equal(MallRefusal.SinkExhausted, result.Refusal);
        Assert.Equal(before, await w.SnapshotAsync(w.Alice, sapling.Id));
    }

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task Expired_lots_are_not_spent(StoreKind kind)
    {
        await using var w = await MallWorld.CreateAsync(kind);
        await w.IssueAsync(w.Alice, w.Metro, 100, 100, MallWorld.Day0.AddYears(-2));
        await w.IssueAsync(w.Alice, w.Egov, 60, 0, MallWorld.Day0);
        var offer = await w.OnSaleAsync(w.Cafe, MallWorld.Coffee(price: 100));

        var result = await w.Mall.RedeemAsync(w.Alice, offer.Id, "r", "person:alice");

        Assert.Equal(MallRefusal.InsufficientPoints, result.Refusal);
        Assert.Contains("60 are spendable", result.Detail, StringComparison.Ordinal);
    }
}
