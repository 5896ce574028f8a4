using Puhui.Holdings;
using Puhui.Storage;
using Puhui.Storage.Holdings;
using Puhui.Storage.Ledger;

namespace Puhui.Tests.Holdings;

/// <summary>
/// Transfers, retirements, pledges and bridges of one holding racing for real: parallel tasks over several stores on one
/// database, as separate processes would have. The holding is never overspent and serial ranges never overlap.
/// </summary>
public class HoldingsConcurrencyTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    private const long Kg = HoldingRules.GramsPerKilogram;

    [Theory, MemberData(nameof(Stores))]
    public async Task Racing_writes_on_one_holding_never_overspend_and_serials_stay_disjoint(StoreKind kind)
    {
        const int attempts = 40;
        await using var w = await HoldingsWorld.CreateAsync(kind);
        // Leave the developer 100 kg of the plain batch, against 40 × 7 kg of demand.
        Assert.Equal(HoldingStatus.Done, (await w.Holdings.BridgeOutAsync(w.Developer, w.Plain, HoldingsWorld.PlainGrams - 100 * Kg, "CCER", "X", "setup", "setup")).Status);
        const long held = 100 * Kg;

        var setting = kind == StoreKind.Postgres ? w.Store.Setting + ";Maximum Pool Size=12" : w.Store.Setting;
        var stores = Enumerable.Range(0, kind == StoreKind.Postgres ? 5 : 2).Select(_ => new LedgerStore(SqlDialect.FromSetting(setting), w.Clock)).ToList();
        object[] results;
        try
        {
            var all = stores.Select(s => new ReductionHoldings(s, w.Clock)).ToList();
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var tasks = Enumerable.Range(0, attempts).Select(i => Task.Run<object>(async () =>
            {
                await start.Task;
                var h = all[i % all.Count];
                var key = "race-" + i;
                return (i % 4) switch
                {
                    0 => await h.TransferAsync(w.Developer, w.Buyer, w.Plain, 7 * Kg, key, "race"),
                    1 => await h.RetireAsync(w.Developer, w.Plain, 7 * Kg, RetirementPurpose.VoluntaryOffset, "b", "u", "", "", key, "race"),
                    2 => await h.PledgeAsync(w.Developer, w.Bank, w.Plain, 7 * Kg, key, "race"),
                    _ => await h.RetireAsync(w.Developer, w.Plain, 7 * Kg, RetirementPurpose.Donation, "b", "u", "", "", key, "race"),
                };
            })).ToList();
            start.SetResult();
            results = await Task.WhenAll(tasks);
        }
        finally
        {
            foreach (var s in stores) await s.DisposeAsync();
        }

        var statuses = results.Select(r => r switch
        {
            HoldingResult<HoldingTransfer> t => t.Status,
            HoldingResult<Retirement> t => t.Status,
            HoldingResult<Pledge> t => t.Status,
            _ => throw new InvalidOperationException(),
        }).ToList();
        Assert.All(statuses, s => Assert.True(s is HoldingStatus.Done or HoldingStatus.InsufficientHolding, s.ToString()));
        var done = statuses.Count(s => s == HoldingStatus.Done);
        Assert.Equal(held / (7 * Kg), done);
        Assert.Equal(held - done * 7 * Kg, await w.BalanceAsync(w.Developer, w.Plain));

        var retirements = (await w.Holdings.RetirementsAsync(batch: w.Plain, limit: ReductionHoldings.RetirementPageMax)).Retirements;
        var ranges = retirements.SelectMany(r => r.Serials).OrderBy(s => s.FromKg).ToList();
        for (var i = 1; i < ranges.Count; i++) Assert.False(ranges[i - 1].Overlaps(ranges[i]), $"{ranges[i - 1]} overlaps {ranges[i]}");
        Assert.Equal(retirements.Sum(r => r.Grams) / Kg, ranges.Sum(r => r.Kilograms));
        Assert.Equal(retirements.Sum(r => r.Grams) / Kg, ranges.Count == 0 ? 0 : ranges[^1].ToKg);
        var audit = await w.Store.AuditAsync();
        Assert.True(audit.Passed, string.Join("; ", audit.Problems));
    }
}
