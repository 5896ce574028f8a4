using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Ledger;
using Puhui.Testing;
using Puhui.Tests.Ledger;

namespace Puhui.Tests.Storage;

public class ExpiryClearingTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    private static readonly IngestionPolicy Policy = IngestionPolicy.Default;

    [Theory, MemberData(nameof(Stores))]
    public async Task Two_years_later_exactly_the_due_lots_are_cleared_once_and_totals_are_conserved(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        var clock = new ManualClock(LedgerWorld.T0);
        var issued = new List<(PointLot Lot, long Points, long Grams)>();
        for (var d = 0; d < 10; d++)
        {
            var day = Policy.LocalDay(clock.GetUtcNow());
            foreach (var (person, n) in new[] { (w.Alice, 1), (w.Bob, 2) })
            {
                var r = await PointLotOperations.IssueAsync(w.Store, person, d % 2 == 0 ? w.Metro : w.Egov, day, Policy.ExpiryOf(day),
                    new Points(10 * n + d), new Grams(d % 2 == 0 ? 100 * n + d : 0), $"issue:{d}:{n}", "test", "", clock.GetUtcNow());
                Assert.Equal(LotOutcome.Committed, r.Outcome);
                issued.Add((r.Draws[0].Lot, 10 * n + d, d % 2 == 0 ? 100 * n + d : 0));
            }

            clock.Advance(TimeSpan.FromDays(1));
        }

        // Two years after the first day, plus four: the lots of the first five days are due, the other five are not.
        clock.Set(LedgerWorld.T0.AddYears(2).AddDays(4));
        var asOf = Policy.LocalDay(clock.GetUtcNow());
        var due = issued.Where(l => l.Lot.ExpiresOn <= asOf).ToList();
        Assert.Equal(10, due.Count);

        var first = await ExpiryClearing.RunAsync(w.Store, asOf, "job:test", clock);
        Assert.True(first.Finished);
        Assert.Null(first.ScannedAfter);
        Assert.Equal((10L, due.Sum(l => l.Points), due.Sum(l => l.Grams), 0L), (first.LotsCleared, first.PointsCleared, first.GramsCleared, first.LotsSkipped));

        foreach (var person in new[] { w.Alice, w.Bob })
        {
            var left = await w.Store.GetLotsAsync(person);
            Assert.Equal(issued.Where(l => l.Lot.Account == person && l.Lot.ExpiresOn > asOf).Select(l => (l.Lot.Id.Value, l.Points, l.Grams)).Order(),
                left.Select(l => (l.Lot.Id.Value, l.Points.Value, l.Grams.Value)).Order());
        }

        foreach (var lot in due)
            Assert.NotNull(await w.Store.GetTransactionByKeyAsync(ExpiryClearing.KeyOf(lot.Lot.Id, asOf)));

        var audit = await w.Store.AuditAsync();
        Assert.True(audit.Passed, string.Join("\n", audit.Problems));
        var pts = audit.Totals.Where(t => t.Asset == Asset.Pts).ToList();
        Assert.Equal(issued.Sum(l => l.Points), pts.Sum(t => t.Issued));
        Assert.Equal(pts.Sum(t => t.Issued), pts.Sum(t => t.Held) + pts.Sum(t => t.Expired));
        Assert.Equal(due.Sum(l => l.Points), pts.Sum(t => t.Expired));
        Assert.Equal(due.Sum(l => l.Grams), audit.Totals.Where(t => t.Asset == Asset.Co2).Sum(t => t.Retired));

        var head = await w.Store.GetHeadAsync();
        var again = await ExpiryClearing.RunAsync(w.Store, asOf, "job:test", clock);
        Assert.Equal((0L, 0L, 0L), (again.LotsCleared, again.PointsCleared, again.LotsSkipped));
        Assert.Equal(asOf.AddDays(-ExpiryClearing.RefillWindowDays), again.ScannedAfter);
        Assert.Equal(head.Sequence, (await w.Store.GetHeadAsync()).Sequence);

        var runs = await ExpiryClearing.ListRunsAsync(w.Store);
        Assert.Equal([again.Id, first.Id], runs.Select(r => r.Id));
        Assert.Equal(first, runs[1]);
        Assert.Equal(again, runs[0]);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_lot_refilled_after_a_run_cleared_it_is_cleared_by_the_next_run(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        var clock = new ManualClock(LedgerWorld.T0);
        var lot = (await w.IssueAsync(w.Alice, w.Metro, 100, 1_000, "issue:a", LedgerWorld.Day0, Policy.ExpiryOf(LedgerWorld.Day0))).Draws[0].Lot;
        // A lot that expired long before, refilled the same way: outside the window a daily run reads, so left alone.
        var old = (await w.IssueAsync(w.Alice, w.Egov, 7, 0, "issue:old", LedgerWorld.Day0.AddDays(-60), LedgerWorld.Day0.AddDays(-60).AddYears(2))).Draws[0].Lot;

        // Nine days before the lot expires, Alice redeems 40 of its points.
        var redeemDay = lot.ExpiresOn.AddDays(-9);
        var redeem = await PointLotOperations.DrawAsync(w.Store, new LotDrawRequest(w.Alice, new Points(40), LotOrder.ReductionBearingFirst, redeemDay,
            w.Redeemed, w.Provider, TransactionKind.Redeem, "redeem:1", "test", "offer", clock.GetUtcNow()));
        Assert.Equal(LotOutcome.Committed, redeem.Outcome);
        Assert.Equal([lot.Id], redeem.Draws.Select(d => d.Lot.Id));

        var first = await ExpiryClearing.RunAsync(w.Store, lot.ExpiresOn, "job:test", clock);
        Assert.Equal((2L, 67L, 600L), (first.LotsCleared, first.PointsCleared, first.GramsCleared));

        // The redemption is cancelled 20 days after it was made: the points and grams go back into the expired lots.
        foreach (var (l, key) in new[] { (lot, "cancel:1"), (old, "cancel:old") })
        {
            var refill = new TransactionBuilder(TransactionKind.Correct, key, clock.GetUtcNow(), "test") { Reference = "redemption cancelled" }
                .MovePoints(l == lot ? w.Redeemed : await w.Store.SystemAccountAsync(SystemAccounts.PointsIssuance), w.Alice, new Points(l == lot ? 40 : 3), l.Batch, toLot: l.Id);
            if (l == lot) refill.MoveGrams(w.Provider, w.Alice, l.Batch, new Grams(400), toLot: l.Id);
            Assert.Equal(AppendStatus.Committed, (await w.Store.AppendAsync(refill.Build())).Status);
        }

        var next = await ExpiryClearing.RunAsync(w.Store, redeemDay.AddDays(21), "job:test", clock);
        Assert.Equal(lot.ExpiresOn.AddDays(-ExpiryClearing.RefillWindowDays), next.ScannedAfter);
        Assert.Equal((1L, 40L, 400L), (next.LotsCleared, next.PointsCleared, next.GramsCleared));
        Assert.Equal([old.Id], (await w.Store.GetLotsAsync(w.Alice)).Select(l => l.Lot.Id));
        var audit = await w.Store.AuditAsync();
        Assert.True(audit.Passed, string.Join("\n", audit.Problems));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task An_interrupted_run_leaves_an_exact_record_and_running_again_clears_the_rest_once(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        var clock = new ManualClock(LedgerWorld.T0);
        const int lots = ExpiryClearing.GroupSize * 2 + 17;
        var persons = await ExpirySeeding.OpenPersonsAsync(w.Store, "p:", lots);
        var seeded = new List<PointLot>();
        Assert.Equal(lots, await ExpirySeeding.IssueAsync(w.Store, persons.Select(p => new SeedLot(p, w.Metro, LedgerWorld.Day0, LedgerWorld.Day0.AddDays(10), 5, 50)),
            "seed", LedgerWorld.T0, seeded.Add));
        Assert.Equal(lots, seeded.Count);

        var asOf = LedgerWorld.Day0.AddDays(10);
        using var stop = new CancellationTokenSource();
        var heard = new List<ExpiryReport>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ExpiryClearing.RunAsync(w.Store, asOf, "job:test", clock,
            new Synchronous<ExpiryReport>(r => { heard.Add(r); stop.Cancel(); }), stop.Token));
        var interrupted = Assert.Single(await ExpiryClearing.ListRunsAsync(w.Store));
        Assert.False(interrupted.Finished);
        Assert.Equal((ExpiryClearing.GroupSize * 1L, ExpiryClearing.GroupSize * 5L), (interrupted.LotsCleared, interrupted.PointsCleared));
        Assert.Equal(heard.Single(), interrupted);

        var rest = await ExpiryClearing.RunAsync(w.Store, asOf, "job:test", clock);
        Assert.True(rest.Finished);
        Assert.Null(rest.ScannedAfter);
        Assert.Equal(lots - ExpiryClearing.GroupSize, rest.LotsCleared);
        Assert.Contains(new Balance(Asset.Pts, w.Metro, lots * 5L), await w.Store.GetBalancesAsync(w.Expired));
        foreach (var lot in seeded) Assert.NotNull(await w.Store.GetTransactionByKeyAsync(ExpiryClearing.KeyOf(lot.Id, asOf)));
        var audit = await w.Store.AuditAsync();
        Assert.True(audit.Passed, string.Join("\n", audit.Problems));
        Assert.Equal((lots + ExpirySeeding.LotsPerTransaction - 1) / ExpirySeeding.LotsPerTransaction + lots, audit.Transactions);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_skipped_lot_moves_the_next_runs_floor_back_to_it(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        var clock = new ManualClock(LedgerWorld.T0);
        await w.IssueAsync(w.Alice, w.Metro, 10, 0, "issue:a", LedgerWorld.Day0, LedgerWorld.Day0.AddDays(10));
        var run = await ExpiryClearing.RunAsync(w.Store, LedgerWorld.Day0.AddDays(100), "job:test", clock);
        Assert.Equal(LedgerWorld.Day0.AddDays(100 - ExpiryClearing.RefillWindowDays), await ExpiryClearing.ScanFloorAsync(w.Store));

        // As if a redemption had raced the run for a lot that expired long before its as-of day.
        await using (var connection = await w.Store.Dialect.OpenAsync(default))
        await using (var cmd = Sql.Command(connection, null, "UPDATE expiry_runs SET lots_skipped = 1, skipped_from = @d WHERE id = @id")
            .With("@d", "2026-03-05").With("@id", run.Id))
            await cmd.ExecuteNonQueryAsync();
        Assert.Equal(new DateOnly(2026, 3, 4), await ExpiryClearing.ScanFloorAsync(w.Store));
    }

    private sealed class Synchronous<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
