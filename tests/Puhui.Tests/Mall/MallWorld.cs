using Puhui.Ledger;
using Puhui.Mall;
using Puhui.Storage;
using Puhui.Storage.Ledger;
using Puhui.Storage.Mall;

namespace Puhui.Tests.Mall;

/// <summary>
/// A store with two residents, a café and a forest farm in the rights alliance, a metro batch (points with
/// reductions), an e-government batch (points only, JS 33) and a forestry sink batch held by the farm.
/// </summary>
public sealed class MallWorld : IAsyncDisposable
{
    /// <summary>2026-03-01 09:00 in Nanjing.</summary>
    public static readonly DateTimeOffset T0 = new(2026, 3, 1, 9, 0, 0, TimeSpan.FromHours(8));
    public static readonly DateOnly Day0 = new(2026, 3, 1);

    public const long SinkGramsHeld = 50_000;

    private MallWorld(LedgerStore store, ManualClock clock)
    {
        Store = store;
        Clock = clock;
        Offers = new OfferStore(store, clock);
        Mall = new PointsMall(store, clock);
    }

    public LedgerStore Store { get; }
    public ManualClock Clock { get; }
    public OfferStore Offers { get; }
    public PointsMall Mall { get; }
    public AccountId Alice { get; private set; }
    public AccountId Bob { get; private set; }
    public AccountId Cafe { get; private set; }
    public AccountId Farm { get; private set; }
    public AccountId Operator { get; private set; }
    public BatchId Metro { get; private set; }
    public BatchId Egov { get; private set; }
    public BatchId Forest { get; private set; }

    public static async Task<MallWorld> CreateAsync(StoreKind kind)
    {
        var clock = new ManualClock(T0);
        var store = await TestStores.CreateAsync(kind, clock);
        var w = new MallWorld(store, clock);
        w.Alice = (await store.OpenAccountAsync(new NewAccount(AccountKind.Person, "p:alice", "Alice"))).Id;
        w.Bob = (await store.OpenAccountAsync(new NewAccount(AccountKind.Person, "p:bob", "Bob"))).Id;
        w.Cafe = (await store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "o:cafe", "绿叶咖啡 / Green Leaf Café", OrganisationRoles.Provider))).Id;
        w.Farm = (await store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "o:farm", "紫金山林场 / Zijin Forest Farm", OrganisationRoles.Provider | OrganisationRoles.ProjectDeveloper))).Id;
        w.Operator = (await store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "o:metro", "Metro", OrganisationRoles.Operator))).Id;
        w.Metro = (await store.CreateBatchAsync(new NewBatch("SCN-METRO-202603", BatchOrigin.Scenario, "metro", "metro", "1.0.0", MethodologyClass.II, 2026, "320100"))).Id;
        w.Egov = (await store.CreateBatchAsync(new NewBatch("SCN-EGOV-202603", BatchOrigin.Scenario, "egov"))).Id;
        w.Forest = (await store.CreateBatchAsync(new NewBatch("FOREST-2025-P1", BatchOrigin.ProjectPeriod, "zijin-forest", "forestry", "1.0.0", MethodologyClass.I, 2025, "320100"))).Id;
        var gramsSource = await store.SystemAccountAsync(SystemAccounts.ReductionIssuance);
        var issued = await store.AppendAsync(new TransactionBuilder(TransactionKind.Issue, "test:forest", T0, "test").MoveGrams(gramsSource, w.Farm, w.Forest, new Grams(SinkGramsHeld)).Build());
        Assert.Equal(AppendStatus.Committed, issued.Status);
        return w;
    }

    /// <summary>Issues points (and grams) into the person's lot of the batch and day, expiring two years later.</summary>
    public async Task IssueAsync(AccountId person, BatchId batch, long points, long grams, DateOnly day, string? key = null)
    {
        var result = await PointLotOperations.IssueAsync(Store, person, batch, day, day.AddYears(2), new Points(points), new Grams(grams),
            key ?? $"test:issue:{person}:{batch}:{day}:{Guid.NewGuid():N}", "test", "", Clock.GetUtcNow());
        Assert.Equal(LotOutcome.Committed, result.Outcome);
    }

    public static OfferDefinition Coffee(long price = 100, int stock = 10, int perPerson = 2, int cancellationHours = 24) => new(
        OfferKind.Goods, "一杯咖啡", "A cup of coffee", "到店出示券码兑换", "Show the code at the counter", "https://cafe.example/coffee.png",
        price, stock, perPerson, T0.AddDays(-1), T0.AddDays(30), VoucherValidDays: 14, CancellationHours: cancellationHours, Region: "320100");

    public static OfferDefinition Sapling(long price = 50, long grams = 1_000, int stock = 100) => new(
        OfferKind.Sink, "认购一公斤林业碳汇", "Adopt 1 kg of forest carbon sink", "以您的名义注销紫金山林场碳汇", "Retired in your name", null,
        price, stock, 5, T0.AddDays(-1), T0.AddDays(365), VoucherValidDays: 1, CancellationHours: 0, Region: "320100", SinkBatch: "FOREST-2025-P1", SinkGrams: grams);

    /// <summary>Creates and publishes an offer of <paramref name="provider"/>.</summary>
    public async Task<Offer> OnSaleAsync(AccountId provider, OfferDefinition definition)
    {
        var created = await Offers.CreateAsync(provider, definition, "test");
        Assert.Equal(OfferWriteStatus.Done, created.Status);
        var published = await Offers.ActAsync(created.Offer!.Id, provider, OfferAction.Publish, "test", null);
        Assert.Equal(OfferWriteStatus.Done, published.Status);
        return published.Offer!;
    }

    /// <summary>What a refused request must leave as it was: the journal, the offer's stock, the person's lots and redemptions.</summary>
    public async Task<string> SnapshotAsync(AccountId person, long offerId)
    {
        var head = await Store.GetHeadAsync();
        var offer = await Offers.GetAsync(offerId);
        var lots = await Store.GetLotsAsync(person, includeEmpty: true);
        var redemptions = await Mall.ListForPersonAsync(person, null, PointsMall.PageMax);
        return $"{head.Sequence} {offer?.StockLeft} {offer?.Status} "
            + string.Join(",", lots.Select(l => $"{l.Lot.Id}:{l.Points.Value}:{l.Grams.Value}"))
            + " | " + string.Join(",", redemptions.Redemptions.Select(r => $"{r.Id}:{r.Status}"));
    }

    public async Task<long> BalanceAsync(AccountId account, Asset asset, BatchId? batch = null)
        => (await Store.GetBalancesAsync(account)).Where(b => b.Asset == asset && (batch is null || b.Batch == batch)).Sum(b => b.Amount);

    public ValueTask DisposeAsync() => Store.DisposeAsync();
}
