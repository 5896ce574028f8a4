using System.Globalization;
using System.Text.Json;
using Puhui.Client;
using Puhui.Host.Http;
using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Mall;
using Puhui.Storage.Ledger;

namespace Puhui.Host.Demo;

/// <summary>A provider of the demo's rights alliance and what it offers.</summary>
internal sealed record DemoProvider(string Code, string DisplayName, IReadOnlyList<string> Roles, IReadOnlyList<OfferDefinition> Offers, bool SignsVoucherUse = false);

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
/// rights alliance; a forest farm receives a batch of carbon-sink reductions (issued directly here: the project
/// registry that will issue such batches is not built yet); the providers' staff publish offers; residents redeem
/// what their points allow, some cancel within the window, providers mark most vouchers used (at the counter with a
/// staff token, or from metro rewards' own system with a signed API-key request), and some residents donate points
/// to the forest sink — all through the HTTP API. Optionally the clock then moves two years on and the expiry job
/// clears every lot left (JS 37). Finally each resident's honour, read back over HTTP from the journal, is checked
/// against what the demo did.
/// </summary>
internal static class MallDemo
{
    public const string SinkBatchCode = "DEMO-FOREST-2025-P1";
    public const long SinkGramsIssued = 5_000_000;

    public static async Task<MallDemoSummary> RunAsync(LedgerStore store, DemoApi api, string adminToken, IReadOnlyList<DemoPerson> people, SimulatedClock clock,
        int seed, bool expiryRun, CancellationToken ct)
    {
        var summary = new MallDemoSummary();
        var now = clock.GetUtcNow();
        var random = new Random(seed ^ 0x6d616c6c);

        var providers = new List<LiveProvider>();
        foreach (var spec in Providers(now))
        {
            var created = await api.PostAsync<OrganisationCreatedDto>("/api/v1/organisations", adminToken, new OrganisationRequest(spec.Code, spec.DisplayName, spec.Roles), ct);
            if (spec.Offers.Any(o => o.IsSink)) await IssueSinkAsync(store, new AccountId(created.Account), now, ct);
            var published = new List<OfferDto>();
            foreach (var d in spec.Offers)
            {
                var draft = await api.PostAsync<OfferDto>("/api/v1/provider/offers", created.StaffToken, new OfferRequest(d.Kind.Code(), d.TitleZh, d.TitleEn, d.DescriptionZh,
                    d.DescriptionEn, d.ImageUrl, d.Price, d.Stock, d.PerPersonLimit, d.ValidFrom, d.ValidUntil, d.VoucherValidDays, d.CancellationHours, d.Region, d.SinkBatch,
                    d.IsSink ? d.SinkGrams : null), ct);
                published.Add(await api.PostAsync<OfferDto>($"/api/v1/provider/offers/{draft.Id}/actions", created.StaffToken, new OfferActionRequest("publish", "上架 / on sale"), ct));
            }

            // Metro rewards marks vouchers used from its own system, with its API key; the others at the counter.
            PuhuiClient? system = null;
            if (spec.SignsVoucherUse)
            {
                var key = await api.PostAsync<ApiKeyCreatedDto>("/api/v1/organisation/api-keys", created.StaffToken, new ApiKeyRequest("票务系统 / ticketing system"), ct);
                system = new PuhuiClient(api.Http, new OperatorCredentials(key.KeyId, key.Secret), new PuhuiClientOptions { Time = clock });
            }

            providers.Add(new LiveProvider(spec, created, published, system));
            summary.Providers++;
            summary.Offers += published.Count;
        }

        summary.Credentials = providers.Select(p => new DemoProviderCredentials(p.Spec.Code, p.Spec.DisplayName, p.Created.Account, p.Created.StaffToken)).ToList();
        var all = providers.SelectMany(p => p.Offers.Select(o => (Provider: p, Offer: o))).ToList();
        var expected = new Dictionary<long, (long Redeemed, long ToProviders, long Donated)>();

        foreach (var person in people)
        {
            var attempts = random.Next(0, 4);
            for (var i = 0; i < attempts; i++)
            {
                clock.Advance(TimeSpan.FromMilliseconds(50));
                var (provider, offer) = all[random.Next(all.Count)];
                var (r, refusal) = await api.TryPostAsync<RedemptionDto>("/api/v1/me/redemptions", person.Token,
                    new RedeemRequest(offer.Id, string.Create(CultureInfo.InvariantCulture, $"demo-{person.Index}-{i}")), ct);
                if (r is null)
                {
                    summary.Refusals[refusal!] = summary.Refusals.GetValueOrDefault(refusal!) + 1;
                    continue;
                }

                summary.Redemptions++;
                if (r.SinkGrams > 0)
                {
                    summary.Donations++;
                    summary.GramsDonated += r.SinkGrams;
                }

                if (r.Voucher.CancellableUntil is not null && random.NextDouble() < 0.15)
                {
                    clock.Advance(TimeSpan.FromMilliseconds(50));
                    await api.PostAsync<RedemptionDto>($"/api/v1/me/redemptions/{r.Id}/cancel", person.Token, new { }, ct);
                    summary.Cancellations++;
                    continue;
                }

                Add(expected, person.Account, r.Points, r.Grams, r.SinkGrams);
                summary.PointsRedeemed += r.Points;
                summary.GramsToProviders += r.Grams;
                if (r.SinkGrams == 0 && random.NextDouble() < 0.7)
                {
                    await UseAsync(api, provider, r.Voucher.Code, ct);
                    summary.VouchersUsed++;
                }
            }
        }

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
            var honour = await api.GetAsync<HonourDto>("/api/v1/me/honour", person.Token, ct);
            var want = expected.GetValueOrDefault(person.Account);
            if (honour.PointsRedeemed != want.Redeemed || honour.GramsToProviders != want.ToProviders || honour.GramsDonated != want.Donated)
                summary.Disagreements.Add(string.Create(CultureInfo.InvariantCulture,
                    $"person {person.Account}: honour says {honour.PointsRedeemed} points redeemed, {honour.GramsToProviders} g to providers, {honour.GramsDonated} g donated; the demo did {want.Redeemed}, {want.ToProviders}, {want.Donated}"));
            if (expiryRun && (await api.GetAsync<PointsSummaryDto>("/api/v1/me/points", person.Token, ct)).Spendable != 0)
                summary.Disagreements.Add($"person {person.Account} still holds spendable points after the expiry run");
        }

        return summary;
    }

    private sealed record LiveProvider(DemoProvider Spec, OrganisationCreatedDto Created, List<OfferDto> Offers, PuhuiClient? System);

    /// <summary>The provider marks a voucher used: from its own system with a signed request, else at the counter with its staff token.</summary>
    private static async Task UseAsync(DemoApi api, LiveProvider provider, string code, CancellationToken ct)
    {
        if (provider.System is null)
        {
            await api.PostAsync<RedemptionDto>($"/api/v1/provider/vouchers/{code}/use", provider.Created.StaffToken, new { }, ct);
            return;
        }

        using var response = await provider.System.SendSignedAsync(HttpMethod.Post, "/api/v1/vouchers:use", JsonSerializer.SerializeToUtf8Bytes(new UseVoucherRequest(code), DemoApi.Json), ct: ct);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"POST /api/v1/vouchers:use answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
    }

    private static Task<ExpiryReport> RunExpiryAsync(LedgerStore store, DateOnly asOf, SimulatedClock clock, CancellationToken ct)
        => ExpiryClearing.RunAsync(store, asOf, "job:expiry", clock, null, ct);

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
            ], SignsVoucherUse: true),
            new("org:zijin-forest-farm", "紫金山林场 / Zijin Forest Farm", ["Provider", "ProjectDeveloper"],
            [
                new(OfferKind.Sink, "认购一公斤林业碳汇", "Adopt 1 kg of forest carbon sink", "以您的名义注销紫金山林场一公斤林业碳汇，计入您的荣誉。",
                    "One kilogram of the farm's forest carbon sink is retired in your name and counted in your honour.", null, 50, 5_000, 5, from, until, 1, 0, "320100",
                    SinkBatchCode, 1_000),
            ]),
        ];
    }
}
