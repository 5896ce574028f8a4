using Puhui.Ledger;
using Puhui.Mall;
using Puhui.Storage;
using Puhui.Storage.Ledger;
using Puhui.Storage.Mall;

namespace Puhui.Tests.Mall;

/// <summary>
/// Redemptions, cancellations and voucher uses racing for real: parallel tasks over several stores on one database,
/// each store with its own connections and caches, as separate processes would have. Nothing may be oversold,
/// overspent, done twice or both used and cancelled.
/// </summary>
public class MallConcurrencyTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    [Theory, MemberData(nameof(Stores))]
    public async Task Fifty_persons_racing_for_ten_units_get_exactly_ten(StoreKind kind)
    {
        const int persons = 50, stock = 10;
        await using var w = await MallWorld.CreateAsync(kind);
        var offer = await w.OnSaleAsync(w.Cafe, MallWorld.Coffee(price: 100, stock: stock, perPerson: 1));
        var people = new List<AccountId>();
        for (var i = 0; i < persons; i++)
        {
            var person = (await w.Store.OpenAccountAsync(new NewAccount(AccountKind.Person, $"p:racer{i}", $"Racer {i}"))).Id;
            await w.IssueAsync(person, w.Metro, 150, 150 * (1 + i % 7), MallWorld.Day0);
            people.Add(person);
        }

        var results = await RaceAsync(w, kind, persons, (mall, i) => mall.RedeemAsync(people[i], offer.Id, "race", $"person:{i}"));

        Assert.Equal(stock, results.Count(r => r.Outcome == MallOutcome.Done));
        Assert.All(results.Where(r => r.Outcome != MallOutcome.Done), r => Assert.Equal(MallRefusal.SoldOut, r.Refusal));
        Assert.Equal(0, (await w.Offers.GetAsync(offer.Id))!.StockLeft);
        var done = results.Where(r => r.Outcome == MallOutcome.Done).Select(r => r.Redemption!).ToList();
        Assert.Equal(stock, done.Select(r => r.Person).Distinct().Count());
        Assert.Equal(done.Sum(r => r.Grams), await w.BalanceAsync(w.Cafe, Asset.Co2, w.Metro));
        for (var i = 0; i < persons; i++)
            Assert.Equal(done.Any(r => r.Person == people[i]) ? 50 : 150, await w.BalanceAsync(people[i], Asset.Pts));
        await AuditAsync(w);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task One_person_redeeming_in_parallel_never_overspends(StoreKind kind)
    {
        const int attempts = 30;
        await using var w = await MallWorld.CreateAsync(kind);
        long[] prices = [30, 50, 70];
        var offers = new List<Offer>();
        foreach (var price in prices) offers.Add(await w.OnSaleAsync(w.Cafe, MallWorld.Coffee(price: price, stock: 1_000, perPerson: OfferDefinition.PerPersonLimitMax)));
        // 1,000 points in five lots, some with reductions, against about 1,500 points of demand.
        await w.IssueAsync(w.Alice, w.Metro, 300, 3_000, MallWorld.Day0.AddDays(-5));
        await w.IssueAsync(w.Alice, w.Metro, 150, 450, MallWorld.Day0.AddDays(-3));
        await w.IssueAsync(w.Alice, w.Egov, 250, 0, MallWorld.Day0.AddDays(-4));
        await w.IssueAsync(w.Alice, w.Egov, 200, 0, MallWorld.Day0.AddDays(-1));
        await w.IssueAsync(w.Alice, w.Metro, 100, 7, MallWorld.Day0);
        const long held = 1_000;

        var results = await RaceAsync(w, kind, attempts, (mall, i) => mall.RedeemAsync(w.Alice, offers[i % prices.Length].Id, $"spend-{i}", "person:alice"));

        var spent = results.Where(r => r.Outcome == MallOutcome.Done).Sum(r => r.Redemption!.Points);
        Assert.True(spent <= held, $"spent {spent} of {held}");
        var lots = await w.Store.GetLotsAsync(w.Alice, includeEmpty: true);
        Assert.All(lots, l => Assert.True(l.Points.Value >= 0 && l.Grams.Value >= 0));
        var left = lots.Sum(l => l.Points.Value);
        Assert.Equal(held - spent, left);
        var refused = results.Where(r => r.Outcome != MallOutcome.Done).ToList();
        Assert.NotEmpty(refused);
        Assert.All(refused, r => Assert.Equal(MallRefusal.InsufficientPoints, r.Refusal));
        // Points only fall, so whatever was refused for want of points still costs more than is left.
        for (var i = 0; i < attempts; i++)
        {
            if (results[i].Outcome != MallOutcome.Done) Assert.True(left < prices[i % prices.Length], $"{left} points left, yet {prices[i % prices.Length]} was refused");
        }

        Assert.Equal(results.Where(r => r.Outcome == MallOutcome.Done).Sum(r => r.Redemption!.Grams), await w.BalanceAsync(w.Cafe, Asset.Co2));
        await AuditAsync(w);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_cancellation_racing_the_providers_use_of_the_same_voucher_one_wins(StoreKind kind)
    {
        const int vouchers = 10;
        await using var w = await MallWorld.CreateAsync(kind);
        var offer = await w.OnSaleAsync(w.Cafe, MallWorld.Coffee(price: 20, stock: 100, perPerson: vouchers));
        await w.IssueAsync(w.Alice, w.Metro, 20 * vouchers, 20 * vouchers * 3, MallWorld.Day0);
        var redemptions = new List<Redemption>();
        for (var i = 0; i < vouchers; i++) redemptions.Add((await w.Mall.RedeemAsync(w.Alice, offer.Id, $"v{i}", "person:alice")).Redemption!);

        // Task 2k cancels voucher k while task 2k+1 uses it, each through a different store.
        var results = await RaceAsync(w, kind, 2 * vouchers, (mall, i) => i % 2 == 0
            ? mall.CancelAsync(w.Alice, redemptions[i / 2].Id, "person:alice")
            : mall.UseVoucherAsync(w.Cafe, redemptions[i / 2].VoucherCode, "staff:cafe"));

        var cancelled = 0;
        for (var k = 0; k < vouchers; k++)
        {
            var (cancel, use) = (results[2 * k], results[2 * k + 1]);
            Assert.True((cancel.Outcome == MallOutcome.Done) != (use.Outcome == MallOutcome.Done), $"voucher {k}: cancel {cancel.Outcome} {cancel.Refusal}, use {use.Outcome} {use.Refusal}");
            var stored = (await w.Mall.GetAsync(redemptions[k].Id))!;
            if (cancel.Outcome == MallOutcome.Done)
            {
                cancelled++;
                Assert.Equal(MallRefusal.VoucherCancelled, use.Refusal);
                Assert.Equal(VoucherStatus.Cancelled, stored.Status);
            }
            else
            {
                Assert.Equal(MallRefusal.VoucherUsed, cancel.Refusal);
                Assert.Equal(VoucherStatus.Used, stored.Status);
            }
        }

        Assert.Equal(20 * cancelled, await w.BalanceAsync(w.Alice, Asset.Pts));
        Assert.Equal(redemptions.Sum(r => r.Grams) - 60 * cancelled, await w.BalanceAsync(w.Cafe, Asset.Co2));
        Assert.Equal(100 - vouchers + cancelled, (await w.Offers.GetAsync(offer.Id))!.StockLeft);
        await AuditAsync(w);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Concurrent_retries_of_one_redemption_redeem_once(StoreKind kind)
    {
        const int retries = 16;
        await using var w = await MallWorld.CreateAsync(kind);
        var offer = await w.OnSaleAsync(w.Cafe, MallWorld.Coffee(price: 100, stock: 10, perPerson: 5));
        await w.IssueAsync(w.Alice, w.Metro, 1_000, 4_000, MallWorld.Day0);
        var head = (await w.Store.GetHeadAsync()).Sequence;

        var results = await RaceAsync(w, kind, retries, (mall, _) => mall.RedeemAsync(w.Alice, offer.Id, "tap-twice", "person:alice"));

        Assert.Single(results, r => r.Outcome == MallOutcome.Done);
        Assert.Equal(retries - 1, results.Count(r => r.Outcome == MallOutcome.Replayed));
        Assert.Single(results.Select(r => (r.Redemption!.Id, r.Redemption.VoucherCode, r.Redemption.TransactionId)).Distinct());
        Assert.Single((await w.Mall.ListForPersonAsync(w.Alice, null, PointsMall.PageMax)).Redemptions);
        Assert.Equal(head + 1, (await w.Store.GetHeadAsync()).Sequence);
        Assert.Equal(9, (await w.Offers.GetAsync(offer.Id))!.StockLeft);
        Assert.Equal(900, await w.BalanceAsync(w.Alice, Asset.Pts));
        await AuditAsync(w);
    }

    /// <summary>
    /// Runs <paramref name="count"/> calls at once, released together, spread over several stores on the world's
    /// database (two for SQLite, five for PostgreSQL), each store with its own mall; returns the results in call order.
    /// </summary>
    private static async Task<MallResult[]> RaceAsync(MallWorld w, StoreKind kind, int count, Func<PointsMall, int, Task<MallResult>> call)
    {
        var setting = kind == StoreKind.Postgres ? w.Store.Setting + ";Maximum Pool Size=12" : w.Store.Setting;
        var stores = Enumerable.Range(0, kind == StoreKind.Postgres ? 5 : 2).Select(_ => new LedgerStore(SqlDialect.FromSetting(setting), w.Clock)).ToList();
        try
        {
            var malls = stores.Select(s => new PointsMall(s, w.Clock)).ToList();
            // Look the platform accounts up before the start, so that the race is over the mall's writes alone.
            foreach (var mall in malls) await mall.HonourAccountsAsync();
            // An awaited gate, not a blocking one: fifty blocked pool threads on two cores would start one by one.
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var tasks = Enumerable.Range(0, count).Select(i => Task.Run(async () =>
            {
                await start.Task;
                return await call(malls[i % malls.Count], i);
            })).ToList();
            start.SetResult();
            return await Task.WhenAll(tasks);
        }
        finally
        {
            foreach (var s in stores) await s.DisposeAsync();
        }
    }

    private static async Task AuditAsync(MallWorld w)
    {
        var audit = await w.Store.AuditAsync();
        Assert.True(audit.Passed, string.Join("; ", audit.Problems));
    }
}
