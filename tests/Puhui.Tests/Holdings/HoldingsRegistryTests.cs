using Puhui.Holdings;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Holdings;
using Puhui.Tests.Registry;

namespace Puhui.Tests.Holdings;

/// <summary>A batch issued through the whole registry workflow moves through the holdings, and the public registry's totals follow.</summary>
public class HoldingsRegistryTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    private const long Kg = HoldingRules.GramsPerKilogram;

    [Theory, MemberData(nameof(Stores))]
    public async Task An_issued_batch_is_pledged_transferred_retired_and_bridged_and_the_public_totals_follow(StoreKind kind)
    {
        await using var w = await PublicRegistryWorld.CreateAsync(kind);
        var project = await w.RegisterAsync(w.Solar, w.Pv());
        var period = await w.IssueAsync(project, new DateOnly(2017, 1, 1), new DateOnly(2017, 1, 31), PublicRegistryWorld.Generation(80));
        var batch = period.Batch!.Value;
        Assert.Equal(45_624_000, period.DeveloperGrams);
        var holdings = new ReductionHoldings(w.Store, w.Clock);

        // 45,624 kg issued: 10,000 kg pledged, 20,000 kg transferred, 5,000 kg retired by the buyer, 1,000 kg bridged out.
        Assert.Equal(HoldingStatus.Done, (await holdings.PledgeAsync(w.Solar, w.Forester, batch, 10_000 * Kg, "loan", "staff")).Status);
        Assert.Equal(HoldingStatus.Done, (await holdings.TransferAsync(w.Solar, w.Buyer, batch, 20_000 * Kg, "sale", "staff")).Status);
        var retired = await holdings.RetireAsync(w.Buyer, batch, 5_000 * Kg, RetirementPurpose.EventNeutrality, "2026 紫金山论坛 / Zijinshan Forum 2026", "买方 / buyer",
            "会议碳中和 / meeting neutrality", "CN-JS", "forum", "staff");
        Assert.Equal(HoldingStatus.Done, retired.Status);
        var region = (await w.Store.FindBatchAsync(batch))!.Region;
        Assert.Equal($"{region}-{batch}-1-5000", retired.Value!.Serials.Single().ToString());
        Assert.Equal(HoldingStatus.Done, (await holdings.BridgeOutAsync(w.Solar, batch, 1_000 * Kg, "CCER", "CCER-2026-1", "bridge", "staff")).Status);
        await w.RefusedFractionAsync(holdings, batch);

        var totals = (await w.Queries.BatchesAsync()).Single(b => b.Id == batch.Value).Totals;
        Assert.Equal(10_000 * Kg, totals.Pledged);
        Assert.Equal(5_000 * Kg, totals.Retired);
        Assert.Equal(1_000 * Kg, totals.Cancelled);
        Assert.Equal(45_624_000 - 16_000 * Kg, totals.Held);
        Assert.Equal(totals.Issued, totals.Accounted);
        await w.AssertPublicTotalsMatchLedgerAsync();
    }
}

internal static class RegistryWorldHoldings
{
    /// <summary>Half a kilogram of a real batch is refused, and the public totals do not move.</summary>
    public static async Task RefusedFractionAsync(this PublicRegistryWorld w, ReductionHoldings holdings, BatchId batch)
    {
        var before = (await w.Queries.BatchesAsync()).Single(b => b.Id == batch.Value).Totals;
        var result = await holdings.TransferAsync(w.Solar, w.Buyer, batch, 500, "half", "staff");
        Assert.Equal(HoldingStatus.Invalid, result.Status);
        Assert.Equal(before, (await w.Queries.BatchesAsync()).Single(b => b.Id == batch.Value).Totals);
    }
}
