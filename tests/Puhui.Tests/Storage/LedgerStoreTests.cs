using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Ledger;
using Puhui.Tests.Ledger;

namespace Puhui.Tests.Storage;

/// <summary>The ledger's storage contract, one body run against SQLite and a real PostgreSQL.</summary>
public class LedgerStoreTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    [Theory, MemberData(nameof(Stores))]
    public async Task Issue_into_a_lot_updates_balances_lots_and_history(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        var issued = await w.IssueAsync(w.Alice, w.Metro, 57, 574, "rec:1");
        Assert.Equal(LotOutcome.Committed, issued.Outcome);

        var balances = await w.Store.GetBalancesAsync(w.Alice);
        Assert.Contains(new Balance(Asset.Pts, w.Metro, 57), balances);
        Assert.Contains(new Balance(Asset.Co2, w.Metro, 574), balances);
        var lot = Assert.Single(await w.Store.GetLotsAsync(w.Alice));
        Assert.Equal((57L, 574L, LedgerWorld.Day0.AddYears(2)), (lot.Points.Value, lot.Grams.Value, lot.Lot.ExpiresOn));
        Assert.Contains(new Balance(Asset.Pts, w.Metro, -57), await w.Store.GetBalancesAsync(w.PointsSource));

        var history = await w.Store.GetHistoryAsync(w.Alice, null, 10);
        Assert.Equal(issued.Transaction!.Transaction.Id, Assert.Single(history.Transactions).Transaction.Id);
        Assert.Null(history.NextBefore);
        var byId = await w.Store.GetTransactionAsync(issued.Transaction.Transaction.Id);
        Assert.Equal(CanonicalEncoding.Encode(issued.Transaction.Transaction), CanonicalEncoding.Encode(byId!.Transaction));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_seen_idempotency_key_returns_the_original_transaction(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        var first = await w.IssueAsync(w.Alice, w.Metro, 10, 100, "rec:dup");
        var again = await w.IssueAsync(w.Alice, w.Metro, 10, 100, "rec:dup");
        Assert.Equal(LotOutcome.Replayed, again.Outcome);
        Assert.Equal(first.Transaction!.Transaction.Id, again.Transaction!.Transaction.Id);
        Assert.Equal(first.Transaction.Sequence, again.Transaction.Sequence);
        Assert.Equal(10, (await w.Store.GetLotsAsync(w.Alice)).Single().Points.Value);

        var different = await w.IssueAsync(w.Alice, w.Metro, 11, 100, "rec:dup");
        Assert.Equal(LotOutcome.Refused, different.Outcome);
        Assert.Contains("different request", different.Detail, StringComparison.Ordinal);
        Assert.Equal(1, (await w.Store.GetHeadAsync()).Sequence);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_group_appends_in_order_and_refuses_only_the_overdraft(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        await w.IssueProjectAsync(w.Developer, 1_000, "project:1");
        Transaction Move(string key, long grams) => new TransactionBuilder(TransactionKind.Transfer, key, LedgerWorld.T0, "t")
            .MoveGrams(w.Developer, w.Provider, w.Project, new Grams(grams)).Build();

        var results = await w.Store.AppendAsync([Move("m1", 600), Move("m2", 600), Move("m3", 400), Move("m1", 600)]);
        Assert.Equal([AppendStatus.Committed, AppendStatus.InsufficientBalance, AppendStatus.Committed, AppendStatus.Replayed], results.Select(r => r.Status));
        Assert.Equal(results[0].Transaction!.Sequence, results[3].Transaction!.Sequence);
        Assert.Empty(await w.Store.GetBalancesAsync(w.Developer));
        Assert.Equal(1_000, (await w.Store.GetBalancesAsync(w.Provider)).Single().Amount);
        Assert.True((await w.Store.AuditAsync()).Passed);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task An_overdraft_made_good_later_in_the_same_group_is_still_refused(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        await w.IssueProjectAsync(w.Developer, 1_000, "project:dev");
        await w.IssueProjectAsync(w.Provider, 1_000, "project:prov");
        var overdraw = new TransactionBuilder(TransactionKind.Transfer, "over", LedgerWorld.T0, "t").MoveGrams(w.Developer, w.Provider, w.Project, new Grams(1_500)).Build();
        var refill = new TransactionBuilder(TransactionKind.Transfer, "refill", LedgerWorld.T0, "t").MoveGrams(w.Provider, w.Developer, w.Project, new Grams(500)).Build();

        // Netted over the group the developer would end at zero, but it would pass through -500 first.
        var results = await w.Store.AppendAsync([overdraw, refill]);
        Assert.Equal([AppendStatus.InsufficientBalance, AppendStatus.Committed], results.Select(r => r.Status));
        Assert.Equal(1_500, (await w.Store.GetBalancesAsync(w.Developer)).Single().Amount);
        Assert.True((await w.Store.AuditAsync()).Passed);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_group_mixing_new_and_seen_keys_appends_the_new_and_replays_the_seen(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        var first = await w.IssueProjectAsync(w.Developer, 1_000, "project:1");
        var again = new TransactionBuilder(TransactionKind.Issue, "project:1", LedgerWorld.T0.AddHours(1), "test").MoveGrams(w.GramsSource, w.Developer, w.Project, new Grams(1_000)).Build();
        var next = new TransactionBuilder(TransactionKind.Issue, "project:2", LedgerWorld.T0, "test").MoveGrams(w.GramsSource, w.Developer, w.Project, new Grams(7)).Build();

        var results = await w.Store.AppendAsync([next, again]);
        Assert.Equal([AppendStatus.Committed, AppendStatus.Replayed], results.Select(r => r.Status));
        Assert.Equal(first.Transaction!.Transaction.Id, results[1].Transaction!.Transaction.Id);
        Assert.Equal(1_007, (await w.Store.GetBalancesAsync(w.Developer)).Single().Amount);
        Assert.Equal(2, (await w.Store.GetHeadAsync()).Sequence);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_retry_that_could_no_longer_be_afforded_is_replayed_not_refused(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        await w.IssueProjectAsync(w.Developer, 1_000, "project:1");
        var spend = new TransactionBuilder(TransactionKind.Transfer, "spend-all", LedgerWorld.T0, "t").MoveGrams(w.Developer, w.Provider, w.Project, new Grams(1_000)).Build();
        Assert.Equal(AppendStatus.Committed, (await w.Store.AppendAsync(spend)).Status);

        var retry = await w.Store.AppendAsync(spend);
        Assert.Equal(AppendStatus.Replayed, retry.Status);
        Assert.Equal(spend.Id, retry.Transaction!.Transaction.Id);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Another_writer_between_two_appends_is_seen_by_the_next(StoreKind kind)
    {
        // Two stores over one database, as two processes would be: neither may trust what it remembers.
        await using var w = await LedgerWorld.CreateAsync(kind);
        await using var other = new LedgerStore(SqlDialect.FromSetting(w.Store.Setting));
        await w.IssueProjectAsync(w.Developer, 1_000, "project:1");
        Transaction Spend(string key, long grams) => new TransactionBuilder(TransactionKind.Transfer, key, LedgerWorld.T0, "t").MoveGrams(w.Developer, w.Provider, w.Project, new Grams(grams)).Build();

        Assert.Equal(AppendStatus.Committed, (await w.Store.AppendAsync(Spend("a", 600))).Status);
        Assert.Equal(AppendStatus.Committed, (await other.AppendAsync(Spend("b", 400))).Status);
        Assert.Equal(AppendStatus.InsufficientBalance, (await w.Store.AppendAsync(Spend("c", 1))).Status);
        Assert.True((await w.Store.AuditAsync()).Passed);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Spending_more_than_a_lot_holds_is_refused_and_changes_nothing(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        var lot = (await w.IssueAsync(w.Alice, w.Metro, 10, 100, "rec:1")).Draws[0].Lot;
        var headBefore = await w.Store.GetHeadAsync();
        var tx = new TransactionBuilder(TransactionKind.Redeem, "redeem:1", LedgerWorld.T0, "t")
            .MovePoints(w.Alice, w.Redeemed, new Points(11), w.Metro, fromLot: lot.Id).Build();
        var result = await w.Store.AppendAsync(tx);
        Assert.Equal(AppendStatus.InsufficientBalance, result.Status);
        Assert.Contains($"lot {lot.Id}", result.Detail, StringComparison.Ordinal);
        Assert.Equal(headBefore.Sequence, (await w.Store.GetHeadAsync()).Sequence);
        Assert.Null(await w.Store.GetTransactionByKeyAsync("redeem:1"));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Points_never_move_between_persons(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        var aliceLot = (await w.IssueAsync(w.Alice, w.Metro, 10, 0, "rec:1")).Draws[0].Lot;
        var bobLot = await w.Store.OpenLotAsync(w.Bob, w.Metro, LedgerWorld.Day0, LedgerWorld.Day0.AddYears(2));
        var gift = new TransactionBuilder(TransactionKind.Transfer, "gift", LedgerWorld.T0, "t")
            .MovePoints(w.Alice, w.Bob, new Points(5), w.Metro, aliceLot.Id, bobLot.Id).Build();
        var result = await w.Store.AppendAsync(gift);
        Assert.Equal(AppendStatus.RuleViolation, result.Status);

        var toProvider = new TransactionBuilder(TransactionKind.Transfer, "sell", LedgerWorld.T0, "t")
            .MovePoints(w.Alice, w.Provider, new Points(5), w.Metro, aliceLot.Id).Build();
        Assert.Equal(AppendStatus.RuleViolation, (await w.Store.AppendAsync(toProvider)).Status);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Unknown_accounts_batches_and_lots_are_refused(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        var ghost = new TransactionBuilder(TransactionKind.Transfer, "ghost", LedgerWorld.T0, "t")
            .MoveGrams(w.Developer, new AccountId(999_999), w.Project, new Grams(1)).Build();
        Assert.Equal(AppendStatus.UnknownReference, (await w.Store.AppendAsync(ghost)).Status);
        var ghostBatch = new TransactionBuilder(TransactionKind.Issue, "ghost-batch", LedgerWorld.T0, "t")
            .MoveGrams(w.GramsSource, w.Developer, new BatchId(999_999), new Grams(1)).Build();
        Assert.Equal(AppendStatus.UnknownReference, (await w.Store.AppendAsync(ghostBatch)).Status);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task History_pages_backwards_with_a_keyset_cursor(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        var mine = new List<long>();
        for (var i = 0; i < 7; i++)
        {
            mine.Add((await w.IssueAsync(w.Alice, w.Metro, 1, 0, $"rec:{i}", LedgerWorld.Day0.AddDays(i))).Transaction!.Sequence);
            await w.IssueAsync(w.Bob, w.Metro, 1, 0, $"rec:bob:{i}", LedgerWorld.Day0.AddDays(i));
        }

        var seen = new List<long>();
        long? before = null;
        do
        {
            var page = await w.Store.GetHistoryAsync(w.Alice, before, 3);
            Assert.True(page.Transactions.Count <= 3);
            seen.AddRange(page.Transactions.Select(t => t.Sequence));
            before = page.NextBefore;
        }
        while (before is not null);

        Assert.Equal(mine.OrderByDescending(s => s), seen);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => w.Store.GetHistoryAsync(w.Alice, null, LedgerStore.HistoryPageMax + 1));

        // Any cursor works, not only those the store handed out: the page starts below it.
        var fromMiddle = await w.Store.GetHistoryAsync(w.Alice, mine[4], 10);
        Assert.Equal(mine.Take(4).OrderByDescending(s => s), fromMiddle.Transactions.Select(t => t.Sequence));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_system_accounts_history_is_read_from_the_journal(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        for (var i = 0; i < 5; i++) await w.IssueAsync(w.Alice, w.Metro, 1, 0, $"rec:{i}", LedgerWorld.Day0.AddDays(i));
        await w.IssueProjectAsync(w.Developer, 10, "project");

        var page = await w.Store.GetHistoryAsync(w.PointsSource, null, 3);
        Assert.Equal([5L, 4L, 3L], page.Transactions.Select(t => t.Sequence));
        var rest = await w.Store.GetHistoryAsync(w.PointsSource, page.NextBefore, 3);
        Assert.Equal([2L, 1L], rest.Transactions.Select(t => t.Sequence));
        Assert.Null(rest.NextBefore);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Drawing_consumes_lots_in_the_policy_order_and_moves_their_grams(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        await w.IssueAsync(w.Alice, w.Egov, 40, 0, "egov:1", LedgerWorld.Day0);
        await w.IssueAsync(w.Alice, w.Metro, 30, 300, "metro:1", LedgerWorld.Day0.AddDays(1));
        var request = new LotDrawRequest(w.Alice, new Points(50), LotOrder.ReductionBearingFirst, LedgerWorld.Day0.AddDays(2),
            w.Redeemed, w.Provider, TransactionKind.Redeem, "redeem:1", "t", "offer 1", LedgerWorld.T0);
        var result = await PointLotOperations.DrawAsync(w.Store, request);
        Assert.Equal(LotOutcome.Committed, result.Outcome);
        Assert.Equal([w.Metro, w.Egov], result.Draws.Select(d => d.Lot.Batch));
        Assert.Equal([30L, 20L], result.Draws.Select(d => d.Points.Value));

        Assert.Equal(300, (await w.Store.GetBalancesAsync(w.Provider)).Single(b => b.Asset == Asset.Co2).Amount);
        var left = Assert.Single(await w.Store.GetLotsAsync(w.Alice));
        Assert.Equal((w.Egov, 20L), (left.Lot.Batch, left.Points.Value));

        var replay = await PointLotOperations.DrawAsync(w.Store, request);
        Assert.Equal(LotOutcome.Replayed, replay.Outcome);
        var tooMuch = await PointLotOperations.DrawAsync(w.Store, request with { IdempotencyKey = "redeem:2", Points = new Points(21) });
        Assert.Equal(LotOutcome.InsufficientPoints, tooMuch.Outcome);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Expiry_clears_due_lots_once_and_retires_their_grams(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        await w.IssueAsync(w.Alice, w.Metro, 10, 100, "old", LedgerWorld.Day0, LedgerWorld.Day0.AddDays(30));
        await w.IssueAsync(w.Alice, w.Metro, 5, 50, "new", LedgerWorld.Day0.AddDays(1), LedgerWorld.Day0.AddDays(400));

        var first = await ExpiryClearing.RunAsync(w.Store, LedgerWorld.Day0.AddDays(30), "job", new ManualClock(LedgerWorld.T0));
        Assert.Equal((1L, 10L, 100L, 0L), (first.LotsCleared, first.PointsCleared, first.GramsCleared, first.LotsSkipped));
        var again = await ExpiryClearing.RunAsync(w.Store, LedgerWorld.Day0.AddDays(30), "job", new ManualClock(LedgerWorld.T0));
        Assert.Equal(0, again.LotsCleared);

        Assert.Equal(5, (await w.Store.GetLotsAsync(w.Alice)).Single().Points.Value);
        Assert.Contains(new Balance(Asset.Pts, w.Metro, 10), await w.Store.GetBalancesAsync(w.Expired));
        Assert.Contains(new Balance(Asset.Co2, w.Metro, 100), await w.Store.GetBalancesAsync(w.Retired));
        var audit = await w.Store.AuditAsync();
        Assert.True(audit.Passed, string.Join("\n", audit.Problems));
        var pts = audit.Totals.Single(t => t.Asset == Asset.Pts);
        Assert.Equal((15L, 5L, 10L), (pts.Issued, pts.Held, pts.Expired));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Opening_accounts_and_batches_is_idempotent_by_code(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        var again = await w.Store.OpenAccountAsync(new NewAccount(AccountKind.Person, "p:alice", "Alice"));
        Assert.Equal(w.Alice, again.Id);
        await Assert.ThrowsAsync<ArgumentException>(() => w.Store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "p:alice", "x")));
        var batch = await w.Store.CreateBatchAsync(new NewBatch("METRO-202603", BatchOrigin.Scenario, "metro"));
        Assert.Equal(w.Metro, batch.Id);
        Assert.Equal(MethodologyClass.II, batch.Class);
        Assert.Empty(await w.Store.MigrateAsync());
    }
}
