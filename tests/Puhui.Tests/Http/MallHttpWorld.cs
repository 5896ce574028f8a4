using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Puhui.Client;
using Puhui.Host.Http;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Ledger;

namespace Puhui.Tests.Http;

/// <summary>A provider organisation set up through the API: its account, a staff token and an API key for its counter system.</summary>
public sealed record ProviderSetup(string Code, long Account, string Token, OperatorCredentials Key);

/// <summary>
/// What a refused mall request must leave alone: the ledger (journal head and every registered person's
/// balances), the offer's stock and status, and every redemption's status.
/// </summary>
public sealed record MallSnapshot(LedgerSnapshot Ledger, string Offer, string Redemptions);

/// <summary>
/// The host of <see cref="IngestionHttpWorld"/> with a points mall: two providers in the rights alliance (a café
/// and a bakery, each with staff and an API key), Alice (from the ingestion world), Bob and Carol, and a metro
/// batch to issue points into. Points go to persons directly with <see cref="PointLotOperations.IssueAsync"/>,
/// as <c>MallWorld</c> does; everything else goes through the API.
/// </summary>
public sealed class MallHttpWorld : IAsyncDisposable
{
    private MallHttpWorld(IngestionHttpWorld world) => World = world;

    public IngestionHttpWorld World { get; }
    public LedgerStore Store => World.Store;
    public ManualClock Clock => World.Clock;
    public ProviderSetup Cafe { get; private set; } = new("", 0, "", new("pk_x", "sk_x"));
    public ProviderSetup Bakery { get; private set; } = new("", 0, "", new("pk_x", "sk_x"));
    public PersonSetup Alice => World.Alice;
    public PersonSetup Bob { get; private set; } = new(0, "");
    public PersonSetup Carol { get; private set; } = new(0, "");
    public BatchId Metro { get; private set; }

    public static async Task<MallHttpWorld> CreateAsync(StoreKind kind)
    {
        var w = new MallHttpWorld(await IngestionHttpWorld.CreateAsync(kind));
        w.Cafe = await w.AddProviderAsync("org:green-cafe", "绿叶咖啡 / Green Leaf Café");
        w.Bakery = await w.AddProviderAsync("org:bakery", "麦香面包 / Wheat Bakery");
        w.Bob = await w.World.AddPersonAsync("Bob");
        w.Carol = await w.World.AddPersonAsync("Carol");
        w.Metro = (await w.Store.CreateBatchAsync(new NewBatch("TEST-MALL-METRO", BatchOrigin.Scenario, "mall-test", "metro", "1.0.0", MethodologyClass.II, 2026, "440300"))).Id;
        return w;
    }

    /// <summary>The administrator registers a provider; its staff issue an API key for its counter system.</summary>
    public async Task<ProviderSetup> AddProviderAsync(string code, string displayName)
    {
        var org = await SendAsync(HttpMethod.Post, "/api/v1/organisations", IngestionHttpWorld.AdminToken, new { code, displayName, roles = new[] { "Provider" } });
        var token = org.GetProperty("staffToken").GetString()!;
        var key = await SendAsync(HttpMethod.Post, "/api/v1/organisation/api-keys", token, new { label = "counter" });
        return new ProviderSetup(code, org.GetProperty("account").GetInt64(), token,
            new OperatorCredentials(key.GetProperty("keyId").GetString()!, key.GetProperty("secret").GetString()!));
    }

    /// <summary>Issues points (and the grams behind them) into the person's lot of today, expiring in two years.</summary>
    public async Task IssueAsync(PersonSetup person, long points, long grams)
    {
        var day = DateOnly.FromDateTime(Clock.GetUtcNow().ToOffset(TimeSpan.FromHours(8)).DateTime);
        var result = await PointLotOperations.IssueAsync(Store, new AccountId(person.Account), Metro, day, day.AddYears(2), new Points(points), new Grams(grams),
            $"test:issue:{person.Account}:{Guid.NewGuid():N}", "test", "", Clock.GetUtcNow());
        Assert.Equal(LotOutcome.Committed, result.Outcome);
    }

    /// <summary>A coffee offer's terms as JSON members, which a test may change or remove: on sale from a day ago for thirty days.</summary>
    public Dictionary<string, object?> Coffee(long price = 100, int stock = 10, int perPerson = 2, int cancellationHours = 24)
    {
        var now = Clock.GetUtcNow();
        return new Dictionary<string, object?>
        {
            ["kind"] = "goods", ["titleZh"] = "一杯咖啡", ["titleEn"] = "A cup of coffee", ["descriptionZh"] = "到店出示券码兑换", ["descriptionEn"] = "Show the code at the counter",
            ["imageUrl"] = "https://cafe.example/coffee.png", ["price"] = price, ["stock"] = stock, ["perPersonLimit"] = perPerson,
            ["validFrom"] = now.AddDays(-1), ["validUntil"] = now.AddDays(30), ["voucherValidDays"] = 14, ["cancellationHours"] = cancellationHours, ["region"] = "440300",
        };
    }

    /// <summary>The provider's staff create a draft; returns its id.</summary>
    public async Task<long> DraftAsync(ProviderSetup provider, Dictionary<string, object?> terms)
    {
        var offer = await SendAsync(HttpMethod.Post, "/api/v1/provider/offers", provider.Token, terms);
        Assert.Equal("draft", offer.GetProperty("status").GetString());
        return offer.GetProperty("id").GetInt64();
    }

    /// <summary>The provider's staff create and publish an offer; returns its id.</summary>
    public async Task<long> OnSaleAsync(ProviderSetup provider, Dictionary<string, object?> terms)
    {
        var id = await DraftAsync(provider, terms);
        var published = await ActAsync(provider, id, "publish");
        Assert.Equal("on-sale", published.GetProperty("status").GetString());
        return id;
    }

    public Task<JsonElement> ActAsync(ProviderSetup provider, long offer, string action, string? comment = null) =>
        SendAsync(HttpMethod.Post, $"/api/v1/provider/offers/{offer}/actions", provider.Token, new { action, comment });

    /// <summary>The person redeems one unit; the request key is sent in the body.</summary>
    public Task<HttpResponseMessage> RedeemAsync(PersonSetup person, long offer, string requestKey) =>
        RawAsync(HttpMethod.Post, "/api/v1/me/redemptions", person.Token, new { offerId = offer, requestKey });

    /// <summary>A redemption that must succeed with 201; returns its body.</summary>
    public async Task<JsonElement> RedeemedAsync(PersonSetup person, long offer, string requestKey)
    {
        using var response = await RedeemAsync(person, offer, requestKey);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"redeem offer {offer}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Signs and posts <c>{"code": …}</c> to the providers' voucher endpoint with <paramref name="key"/>.</summary>
    public async Task<HttpResponseMessage> UseByKeyAsync(OperatorCredentials key, string code) =>
        await World.Client(key).SendSignedAsync(HttpMethod.Post, MallEndpoints.VoucherUsePath, JsonSerializer.SerializeToUtf8Bytes(new { code }));

    public Task<JsonElement> SendAsync(HttpMethod method, string path, string? token, object? body = null) => World.SendAsync(method, path, token, body);

    public Task<HttpResponseMessage> RawAsync(HttpMethod method, string path, string? token, object? body = null) => World.RawAsync(method, path, token, body);

    /// <summary>Sends a request that must be refused with <paramref name="status"/> and <paramref name="code"/>, and checks that nothing changed.</summary>
    public async Task<JsonElement> RefusedAsync(HttpMethod method, string path, string? token, object? body, HttpStatusCode status, string code, long offer = 0)
    {
        var before = await SnapshotAsync(offer);
        using var response = await RawAsync(method, path, token, body);
        var problem = await ProblemAsync(response, status, code, $"{method} {path}");
        Assert.Equal(before, await SnapshotAsync(offer));
        return problem;
    }

    /// <summary>Checks an RFC 9457 answer and returns its body.</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code, string because)
    {
        // The client buffered the body, so it reads again here.
        await IngestionHttpWorld.AssertProblemAsync(response, status, code, because);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>The ledger, one offer's stock and status (0: none) and every redemption's status, read from the store.</summary>
    public async Task<MallSnapshot> SnapshotAsync(long offer)
    {
        var ledger = await World.LedgerAsync();
        string offerState = "", redemptions;
        await using var connection = await Store.Dialect.OpenAsync(default);
        if (offer != 0)
        {
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = $"SELECT stock_total, stock_left, status, revision FROM offers WHERE id = {offer.ToString(CultureInfo.InvariantCulture)}";
            await using var r = await cmd.ExecuteReaderAsync();
            Assert.True(await r.ReadAsync());
            offerState = $"{r.GetInt64(0)}/{r.GetInt64(1)}/{r.GetInt64(2)}/{r.GetInt64(3)}";
        }

        await using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "SELECT id, status FROM redemptions ORDER BY id";
            await using var r = await cmd.ExecuteReaderAsync();
            var list = new StringBuilder();
            while (await r.ReadAsync()) list.Append(CultureInfo.InvariantCulture, $"{r.GetInt64(0)}:{r.GetInt64(1)};");
            redemptions = list.ToString();
        }

        return new MallSnapshot(ledger, offerState, redemptions);
    }

    /// <summary>The person's points, summed over lots.</summary>
    public Task<long> PointsAsync(PersonSetup person) => World.BalanceAsync(person, Asset.Pts);

    /// <summary>An organisation's grams of the test's metro batch.</summary>
    public async Task<long> GramsAsync(long account) =>
        (await Store.GetBalancesAsync(new AccountId(account))).Where(b => b.Asset == Asset.Co2 && b.Batch == Metro).Sum(b => b.Amount);

    public ValueTask DisposeAsync() => World.DisposeAsync();
}
