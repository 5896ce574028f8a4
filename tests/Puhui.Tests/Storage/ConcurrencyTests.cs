using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Ledger;
using Puhui.Tests.Ledger;

namespace Puhui.Tests.Storage;

/// <summary>Concurrent writers against one balance: no overdraft, exactly one transaction per key.</summary>
public class ConcurrencyTests
{
    public const int Spenders = 16;

    public static TheoryData<StoreKind> Stores => TestStores.All;

    [Theory, MemberData(nameof(Stores))]
    public async Task Concurrent_spenders_of_one_balance_never_overdraw(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        const long held = 10_000, spend = 700; // room for 14 of 16 spends, each attempted several times
        await w.IssueProjectAsync(w.Developer, held, "project");

        using var start = new ManualResetEventSlim(false);
        var tasks = Enumerable.Range(0, Spenders).Select(i => Task.Run(async () =>
        {
            // Each spender has its own store (its own connections and caches), as separate processes would.
            await using var own = new LedgerStore(SqlDialect.FromSetting(w.Store.Setting));
            start.Wait();
            var outcomes = new List<AppendStatus>();
            for (var attempt = 0; attempt < 3; attempt++)
            {
                var tx = new TransactionBuilder(TransactionKind.Transfer, $"spend:{i}:{attempt}", LedgerWorld.T0, $"spender {i}")
                    .MoveGrams(w.Developer, w.Provider, w.Project, new Grams(spend)).Build();
                outcomes.Add((await own.AppendAsync(tx)).Status);
            }

            return outcomes;
        })).ToList();
        start.Set();
        var all = (await Task.WhenAll(tasks)).SelectMany(o => o).ToList();

        var committed = all.Count(s => s == AppendStatus.Committed);
        Assert.Equal(held / spend, committed);
        Assert.Equal(all.Count - committed, all.Count(s => s == AppendStatus.InsufficientBalance));
        Assert.Equal(held % spend, (await w.Store.GetBalancesAsync(w.Developer)).Sum(b => b.Amount));
        var audit = await w.Store.AuditAsync();
        Assert.True(audit.Passed, string.Join("; ", audit.Problems));
        Assert.Equal(1 + committed, audit.Transactions);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Concurrent_retries_of_one_request_make_exactly_one_transaction(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        await w.IssueProjectAsync(w.Developer, 5_000, "project");
        using var start = new ManualResetEventSlim(false);
        var tasks = Enumerable.Range(0, Spenders).Select(i => Task.Run(async () =>
        {
            await using var own = new LedgerStore(SqlDialect.FromSetting(w.Store.Setting));
            // Every retry is a freshly built transaction (new id, later time) carrying the same request.
            var tx = new TransactionBuilder(TransactionKind.Transfer, "retry-me", LedgerWorld.T0.AddSeconds(i), "client")
                .MoveGrams(w.Developer, w.Provider, w.Project, new Grams(1_000)).Build();
            start.Wait();
            return await own.AppendAsync(tx);
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(tasks);

        Assert.Single(results, r => r.Status == AppendStatus.Committed);
        Assert.Equal(Spenders - 1, results.Count(r => r.Status == AppendStatus.Replayed));
        Assert.Single(results.Select(r => r.Transaction!.Transaction.Id).Distinct());
        Assert.Equal(4_000, (await w.Store.GetBalancesAsync(w.Developer)).Sum(b => b.Amount));
        Assert.Equal(2, (await w.Store.GetHeadAsync()).Sequence);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Concurrent_redemptions_of_the_same_lots_never_overspend(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        for (var d = 0; d < 5; d++) await w.IssueAsync(w.Alice, w.Metro, 20, 200, $"rec:{d}", LedgerWorld.Day0.AddDays(d));
        using var start = new ManualResetEventSlim(false);
        var tasks = Enumerable.Range(0, Spenders).Select(i => Task.Run(async () =>
        {
            await using var own = new LedgerStore(SqlDialect.FromSetting(w.Store.Setting));
            start.Wait();
            return await PointLotOperations.DrawAsync(own, new LotDrawRequest(w.Alice, new Points(15), LotOrder.ReductionBearingFirst,
                LedgerWorld.Day0.AddDays(10), w.Redeemed, w.Provider, TransactionKind.Redeem, $"redeem:{i}", "alice", "", LedgerWorld.T0));
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(tasks);

        // 100 points pay for six redemptions of 15; a seventh would overspend.
        Assert.Equal(6, results.Count(r => r.Outcome == LotOutcome.Committed));
        Assert.Equal(10, (await w.Store.GetLotsAsync(w.Alice)).Sum(l => l.Points.Value));
        Assert.True((await w.Store.AuditAsync()).Passed);
    }
}
