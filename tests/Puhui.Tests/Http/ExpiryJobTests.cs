using Puhui.Host.Http;
using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Access;
using Puhui.Storage.Ledger;
using Puhui.Tests.Ledger;

namespace Puhui.Tests.Http;

public class ExpiryJobTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Theory, MemberData(nameof(Stores))]
    public async Task The_daily_job_catches_up_at_start_and_clears_a_lot_once_the_clock_passes_its_expiry(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        var policy = IngestionPolicy.Default;
        var clock = new ManualClock(LedgerWorld.T0);
        await w.IssueAsync(w.Alice, w.Metro, 10, 100, "issue:old", LedgerWorld.Day0.AddYears(-2), LedgerWorld.Day0);
        var lot = (await w.IssueAsync(w.Alice, w.Metro, 25, 250, "issue:a", LedgerWorld.Day0, policy.ExpiryOf(LedgerWorld.Day0))).Draws[0].Lot;

        var app = PuhuiHost.Build(w.Store, ["--Logging:LogLevel:Default=Warning"], "http://127.0.0.1:0",
            new PuhuiHostOptions(clock, MasterKey.FromBytes(new byte[32]), ExpiryJobPoll: TimeSpan.FromMilliseconds(20)));
        await app.StartAsync();
        try
        {
            // At start the job catches up: the lot that expired today (local time) is cleared, the new one is not.
            var first = await WaitForRunsAsync(w.Store, 1);
            Assert.Equal((policy.LocalDay(LedgerWorld.T0), 1L, 10L, ExpiryJob.Actor), (first.AsOf, first.LotsCleared, first.PointsCleared, first.Actor));
            Assert.Equal([lot.Id], (await w.Store.GetLotsAsync(w.Alice)).Select(l => l.Lot.Id));

            // The clock passes midnight of the day the lot expires, plus the job's few minutes.
            clock.Set(new DateTimeOffset(lot.ExpiresOn.ToDateTime(TimeOnly.MinValue), policy.LocalOffset) + ExpiryJob.RunAfterMidnight + TimeSpan.FromSeconds(1));
            var next = await WaitForRunsAsync(w.Store, 2);
            Assert.Equal((lot.ExpiresOn, 1L, 25L, 250L), (next.AsOf, next.LotsCleared, next.PointsCleared, next.GramsCleared));
            Assert.Empty(await w.Store.GetLotsAsync(w.Alice));
            Assert.Contains(new Balance(Asset.Pts, w.Metro, 35), await w.Store.GetBalancesAsync(w.Expired));

            // Later ticks on the same day run nothing more.
            await Task.Delay(200);
            Assert.Equal(2, (await ExpiryClearing.ListRunsAsync(w.Store)).Count);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        var audit = await w.Store.AuditAsync();
        Assert.True(audit.Passed, string.Join("\n", audit.Problems));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task The_job_can_be_turned_off(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        var app = PuhuiHost.Build(w.Store, ["--Logging:LogLevel:Default=Warning"], "http://127.0.0.1:0",
            new PuhuiHostOptions(new ManualClock(LedgerWorld.T0), MasterKey.FromBytes(new byte[32]), ExpiryJob: false, ExpiryJobPoll: TimeSpan.FromMilliseconds(20)));
        await app.StartAsync();
        await Task.Delay(300);
        await app.StopAsync();
        await app.DisposeAsync();
        Assert.Empty(await ExpiryClearing.ListRunsAsync(w.Store));
    }

    private static async Task<ExpiryReport> WaitForRunsAsync(LedgerStore store, int count)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        while (true)
        {
            var runs = await ExpiryClearing.ListRunsAsync(store);
            if (runs.Count >= count && runs[0].Finished) return runs[0];
            await Task.Delay(20, deadline.Token);
        }
    }
}
