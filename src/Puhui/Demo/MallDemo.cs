using System.Globalization;
using Puhui.Host.Http;
using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Mall;
using Puhui.Storage.Ledger;
using Puhui.Storage.Mall;

namespace Puhui.Host.Demo;

/// <summary>A provider of the demo's rights alliance and what it offers.</summary>
internal sealed record DemoProvider(string Code, string DisplayName, IReadOnlyList<string> Roles, IReadOnlyList<OfferDefinition> Offers);

/// <summary>What the demo's mall did.</summary>
public sealed class MallDemoSummary
{
    public int Providers { get; set; }
    public int Offers { get; set; }
    public int Redemptions { get; set; }
    public int Cancellations { get; set; }
    public int VouchersUsed { get; set; }
    public int Donations { get; set; }
    public long PointsRedeemed { get; set; }
    public long GramsToProviders { get; set; }
    public long GramsDonated { get; set; }

    /// <summary>Refused redemptions by reason, as a person would have seen them.</summary>
    public SortedDictionary<string, int> Refusals { get; } = new(StringComparer.Ordinal);

    public DateOnly? ExpiryAsOf { get; set; }
    public ExpiryReport? Expiry { get; set; }

    /// <summary>Where the persons' honour, summed from the journal, disagrees with what the demo did; empty when it agrees.</summary>
    public List<string> Disagreements { get; } = [];

    public IReadOnlyList<DemoProviderCredentials> Credentials { get; set; } = [];
}

/// <summary>
/// The points mall of the demo town (JS 35–38, NJ 8–9 and annex 2): the administrator registers four providers of the
/// rights alliance over HTTP; a forest farm receives a batch of carbon-sink reductions (issued directly here: the
/// project registry that will issue such batches is not built yet); the providers publish offers; residents redeem
/// what their points allow, some cancel within the window, providers use most vouchers at the counter, and some
/// residents donate points to the forest sink. Optionally the clock then moves two years on and the expiry job
/// clears every lot left (JS 37). Finally each resident's honour, read back from the journal, is checked against
/// what the demo did.
/// </summary>
internal static class MallDemo
{
    public const string SinkBatchCode = "DEMO-FOREST-2025-P1";
    public const long SinkGramsIssued = 5_000_000;

    public static async Task<MallDemoSummary> RunAsync(LedgerStore store, DemoApi api, string adminToken, IReadOnlyList<DemoPerson> people, SimulatedClock clock,
        int seed, bool expiryRun, CancellationToken ct)
    {
        var summary = new MallDemoSummary();
        var offers = new OfferStore(store, clock);
        var mall = new PointsMall(store, clock);
        var now = clock.GetUtcNow();
        var random = new Random(seed ^ 0x6d616c6c);

        var providers = new List<(DemoProvider Spec, OrganisationCreatedDto Created, List<Offer> Offers)>();
        foreach (var spec in Providers(now))
        {
            var created = await api.PostAsync<OrganisationCreatedDto>("/api/v1/organisations", adminToken, new OrganisationRequest(spec.Code, spec.DisplayName, spec.Roles), ct);
            var account = new AccountId(created.Account);
            if (spec.Offers.Any(o => o.IsSink)) await IssueSinkAsync(store, account, now, ct);
            var published = new List<Offer>();
            foreach (var definition in spec.Offers)
            {
                var draft = await offers.CreateAsync(account, definition, $"staff:{spec.Code}", ct);
                var onSale = await offers.ActAsync(draft.Offer?.Id ?? throw new InvalidOperationException(draft.Problem), account, OfferAction.Publish, $"staff:{spec.Code}", "上架 / on sale", ct);
                published.Add(onSale.Offer ?? throw new InvalidOperationException(onSale.Problem));
            }

            providers.Add((spec, created, published));
            summary.Providers++;
            summary.Offers += published.Count;
        }

        summary.Credentials = providers.Select(p => new DemoProviderCredentials(p.Spec.Code, p.Spec.DisplayName, p.Created.Account, p.Created.StaffToken)).ToList();
        var all = providers.SelectMany(p => p.Offers.Select(o => (Provider: p.Spec, Offer: o))).ToList();
        var expected = new Dictionary<long, (long Redeemed, long ToProviders, long Donated)>();

        foreach (var person in people)
        {
            var account = new AccountId(person.Account);
            var attempts = random.Next(0, 4);
            for (var i = 0; i < attempts; i++)
            {
                clock.Advance(TimeSpan.FromMilliseconds(50));
                var (provider, offer) = all[random.Next(all.Count)];
                var result = await mall.RedeemAsync(account, offer.Id, string.Create(CultureInfo.InvariantCulture, $"demo-{person.Index}-{i}"), $"person:{person.Account}", ct);
                if (result.Outcome != MallOutcome.Done)
                {
                    var reason = result.Refusal.ToString();
                    summary.Refusals[reason] = summary.Refusals.GetValueOrDefault(reason) + 1;
                    continue;
                }

                var r = result.Redemption!;
                summary.Redemptions++;
                if (r.SinkGrams > 0)
                {
                    summary.Donations++;
                    summary.GramsDonated += r.SinkGrams;
                }

                if (r.CancellableUntil is not null && random.NextDouble() < 0.15)
                {
                    clock.Advance(TimeSpan.FromMilliseconds(50));
                    var cancelled = await mall.CancelAsync(account, r.Id, $"person:{person.Account}", ct);
                    if (cancelled.Outcome != MallOutcome.Done) throw new InvalidOperationException($"The demo's cancellation of redemption {r.Id} failed: {cancelled.Detail}");
                    summary.Cancellations++;
                    continue;
                }

                Add(expected, person.Account, r.Points, r.Grams, r.SinkGrams);
                summary.PointsRedeemed += r.Points;
                summary.GramsToProviders += r.Grams;
                if (r.SinkGrams == 0 && random.NextDouble() < 0.7)
                {
                    var used = await mall.UseVoucherAsync(new AccountId(providers.Single(p => p.Spec.Code == provider.Code).Created.Account), r.VoucherCode, $"staff:{provider.Code}", ct);
                    if (used.Outcome != MallOutcome.Done) throw new InvalidOperationException($"The demo's use of voucher {r.VoucherCode} failed: {used.Detail}");
                    summary.VouchersUsed++;
                }
            }
        }

        var views = new AccountViews(store, mall, offers, clock);
        if (expiryRun)
        {
            // Two years on, every lot the demo's month issued has expired: the job clears what was not spent (JS 37).
            var asOf = IngestionPolicy.Default.LocalDay(clock.GetUtcNow()).AddYears(IngestionPolicy.Default.PointsValidityYears).AddDays(1);
            clock.AdvanceTo(new DateTimeOffset(asOf.ToDateTime(new TimeOnly(0, 10)), IngestionPolicy.Default.LocalOffset));
            summary.ExpiryAsOf = asOf;
            summary.Expiry = await RunExpiryAsync(store, asOf, clock, ct);
        }

        foreach (var person in people)
        {
            var honour = await views.HonourAsync(new AccountId(person.Account), ct);
            var want = expected.GetValueOrDefault(person.Account);
            if (honour.PointsRedeemed != want.Redeemed || honour.GramsToProviders != want.ToProviders || honour.GramsDonated != want.Donated)
                summary.Disagreements.Add(string.Create(CultureInfo.InvariantCulture,
                    $"person {person.Account}: honour says {honour.PointsRedeemed} points redeemed, {honour.GramsToProviders} g to providers, {honour.GramsDonated} g donated; the demo did {want.Redeemed}, {want.ToProviders}, {want.Donated}"));
            if (expiryRun && (await store.GetLotsAsync(new AccountId(person.Account), includeEmpty: false, ct)).Count > 0)
                summary.Disagreements.Add($"person {person.Account} still holds lots after the expiry run");
        }

        return summary;
    }

    private static Task<ExpiryReport> RunExpiryAsync(LedgerStore store, DateOnly asOf, SimulatedClock clock, CancellationToken ct)
        => ExpiryClearing.RunAsync(store, asOf, "job:expiry", clock.GetUtcNow(), ct);

    private static void Add(Dictionary<long, (long, long, long)> expected, long person, long points, long grams, long donated)
    {
        var (p, g, d) = expected.GetValueOrDefault(person);
        expected[person] = (p + points, g + grams, d + donated);
    }

    /// <summary>
    /// The forest farm's carbon-sink batch: five tonnes of a forestry project's first monitoring period. The project
    /// registry is not built yet, so the demo issues the batch to the farm directly, as the registry will.
    /// </summary>
    private static async Task IssueSinkAsync(LedgerStore store, AccountId farm, DateTimeOffset at, CancellationToken ct)
    {
        var batch = await store.CreateBatchAsync(new NewBatch(SinkBatchCode, BatchOrigin.ProjectPeriod, "demo:zijin-forest:P1", "forestry-sink", "demo", MethodologyClass.I, 2025, "320100"), ct);
        var source = await store.SystemAccountAsync(SystemAccounts.ReductionIssuance, ct);
        var issued = await store.AppendAsync(new TransactionBuilder(TransactionKind.Issue, $"demo:issue:{SinkBatchCode}", at, "demo:registry") { Reference = "demo forestry sink issuance" }
            .MoveGrams(source, farm, batch.Id, new Grams(SinkGramsIssued)).Build(), ct);
        if (!issued.Succeeded) throw new InvalidOperationException($"The demo's sink batch was not issued: {issued.Detail}");
    }

    private static IReadOnlyList<DemoProvider> Providers(DateTimeOffset now)
    {
        var from = now.AddDays(-1);
        var until = now.AddDays(90);
        return
        [
            new("org:green-leaf-cafe", "绿叶咖啡 / Green Leaf Café", ["Provider"],
            [
                new(OfferKind.Goods, "美式咖啡一杯", "An Americano", "到店出示券码即可兑换，自带杯再减一元。", "Show the code at the counter; bring your own cup for a further discount.",
                    null, 120, 400, 2, from, until, VoucherValidDays: 30, CancellationHours: 24, Region: "320100"),
                new(OfferKind.Goods, "可降解餐具套装", "A compostable cutlery set", "门店自取。", "Pick up at any shop.", null, 300, 100, 1, from, until, 30, 24, "320100"),
            ]),
            new("org:city-bookshop", "城市书房 / City Bookshop", ["Provider"],
            [
                new(OfferKind.Goods, "二十元购书券", "A 20-yuan book voucher", "满五十元可用。", "Valid on purchases of 50 yuan or more.", null, 500, 200, 1, from, until, 60, 72, "320100"),
            ]),
            new("org:metro-rewards", "地铁出行权益 / Metro Rewards", ["Provider"],
            [
                new(OfferKind.Service, "地铁一日票", "A metro day pass", "兑换后在地铁App中领取。", "Claim it in the metro app after redeeming.", null, 200, 1_000, 4, from, until, 7, 2, "320100"),
            ]),
            new("org:zijin-forest-farm", "紫金山林场 / Zijin Forest Farm", ["Provider", "ProjectDeveloper"],
            [
                new(OfferKind.Sink, "认购一公斤林业碳汇", "Adopt 1 kg of forest carbon sink", "以您的名义注销紫金山林场一公斤林业碳汇，计入您的荣誉。",
                    "One kilogram of the farm's forest carbon sink is retired in your name and counted in your honour.", null, 50, 5_000, 5, from, until, 1, 0, "320100",
                    SinkBatchCode, 1_000),
            ]),
        ];
    }
}
