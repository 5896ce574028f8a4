using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Puhui.Client;
using Puhui.Host.Http;
using Puhui.Ledger;
using Puhui.Storage;
using static Puhui.Tests.Http.IngestionHttpWorld;

namespace Puhui.Tests.Http;

/// <summary>
/// The points mall over real HTTP on each store: a provider's offers, a person's redemptions, vouchers used at the
/// counter and by a signed API key, who may do what, every refusal as its documented problem with nothing
/// changed, and pages that walk every item once.
/// </summary>
public class MallApiTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    private static readonly HttpMethod Get = HttpMethod.Get, Post = HttpMethod.Post, Put = HttpMethod.Put;

    [Theory, MemberData(nameof(Stores))]
    public async Task A_provider_publishes_a_person_redeems_the_counter_uses_the_voucher_and_another_person_cancels_in_time(StoreKind kind)
    {
        await using var w = await MallHttpWorld.CreateAsync(kind);
        await w.IssueAsync(w.Alice, 300, 3_000);
        await w.IssueAsync(w.Bob, 150, 1_500);
        var now = w.Clock.GetUtcNow();

        // A draft is its provider's alone until published.
        var draft = await w.SendAsync(Post, "/api/v1/provider/offers", w.Cafe.Token, w.Coffee(price: 100, stock: 5));
        var id = draft.GetProperty("id").GetInt64();
        Assert.Equal(("draft", "goods", 5), (draft.GetProperty("status").GetString(), draft.GetProperty("kind").GetString(), draft.GetProperty("stockLeft").GetInt32()));
        Assert.Equal(0, (await w.SendAsync(Get, "/api/v1/offers", null)).GetProperty("offers").GetArrayLength());
        await w.RefusedAsync(Get, $"/api/v1/offers/{id}", null, null, HttpStatusCode.NotFound, "offer-not-found", id);
        Assert.Equal("draft", (await w.SendAsync(Get, $"/api/v1/offers/{id}", w.Cafe.Token)).GetProperty("status").GetString());
        var edited = await w.SendAsync(Put, $"/api/v1/provider/offers/{id}", w.Cafe.Token, w.Coffee(price: 120, stock: 5));
        Assert.Equal(120, edited.GetProperty("price").GetInt64());
        await w.ActAsync(w.Cafe, id, "publish", "开业 / opening");

        var listed = await w.SendAsync(Get, "/api/v1/offers?kind=goods&region=440300", null);
        var offer = Assert.Single(listed.GetProperty("offers").EnumerateArray());
        Assert.Equal((id, "on-sale", 5, w.Cafe.Account), (offer.GetProperty("id").GetInt64(), offer.GetProperty("status").GetString(), offer.GetProperty("stockLeft").GetInt32(),
            offer.GetProperty("provider").GetInt64()));
        Assert.Equal("绿叶咖啡 / Green Leaf Café", offer.GetProperty("providerName").GetString());
        Assert.Equal(JsonValueKind.Null, listed.GetProperty("next").ValueKind);

        // Alice redeems with the Idempotency-Key header; a retry gets the same redemption with 200.
        string first, again;
        using (var response = await RedeemWithHeaderAsync(w, w.Alice.Token, id, "alice-coffee-1"))
        {
            first = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Created, first);
            Assert.StartsWith("/api/v1/me/redemptions/", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }

        using (var response = await RedeemWithHeaderAsync(w, w.Alice.Token, id, "alice-coffee-1"))
        {
            again = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, again);
        }

        Assert.Equal(first, again);
        var redemption = JsonDocument.Parse(first).RootElement;
        var voucher = redemption.GetProperty("voucher");
        var code = voucher.GetProperty("code").GetString()!;
        Assert.Matches("^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$", code);
        Assert.Equal("puhui:voucher:" + code, voucher.GetProperty("qrPayload").GetString());
        Assert.Equal(now.AddDays(14), voucher.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.Equal(now.AddHours(24), voucher.GetProperty("cancellableUntil").GetDateTimeOffset());
        Assert.Equal(("issued", 120L, "一杯咖啡"), (redemption.GetProperty("status").GetString(), redemption.GetProperty("points").GetInt64(),
            redemption.GetProperty("offerTitleZh").GetString()));
        Assert.Equal(180, await w.PointsAsync(w.Alice));
        Assert.Equal(redemption.GetProperty("grams").GetInt64(), await w.GramsAsync(w.Cafe.Account));
        Assert.True(redemption.GetProperty("grams").GetInt64() > 0);

        // The counter looks the voucher up, then uses it (typed in lower case, as a person might read it out).
        Assert.Equal("issued", (await w.SendAsync(Get, $"/api/v1/provider/vouchers/{code}", w.Cafe.Token)).GetProperty("status").GetString());
        var used = await w.SendAsync(Post, $"/api/v1/provider/vouchers/{code.ToLowerInvariant()}/use", w.Cafe.Token);
        Assert.Equal("used", used.GetProperty("status").GetString());
        Assert.Equal(w.Clock.GetUtcNow(), used.GetProperty("usedAt").GetDateTimeOffset());

        // Bob redeems and thinks better of it two hours later: everything goes back.
        var bobs = await w.RedeemedAsync(w.Bob, id, "bob-1");
        Assert.Equal(30, await w.PointsAsync(w.Bob));
        w.Clock.Advance(TimeSpan.FromHours(2));
        var cancelled = await w.SendAsync(Post, $"/api/v1/me/redemptions/{bobs.GetProperty("id").GetInt64()}/cancel", w.Bob.Token);
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(cancelled.GetProperty("cancelTransactionId").GetString()));
        Assert.Equal(150, await w.PointsAsync(w.Bob));
        Assert.Equal(4, (await w.SendAsync(Get, $"/api/v1/offers/{id}", null)).GetProperty("stockLeft").GetInt32());

        // The provider's list, by status; each person's own.
        var all = await w.SendAsync(Get, "/api/v1/provider/redemptions", w.Cafe.Token);
        Assert.Equal(2, all.GetProperty("redemptions").GetArrayLength());
        Assert.Equal(code, Assert.Single((await w.SendAsync(Get, "/api/v1/provider/redemptions?status=used", w.Cafe.Token)).GetProperty("redemptions").EnumerateArray())
            .GetProperty("voucher").GetProperty("code").GetString());
        Assert.Equal(bobs.GetProperty("id").GetInt64(), Assert.Single((await w.SendAsync(Get, "/api/v1/provider/redemptions?status=cancelled", w.Cafe.Token))
            .GetProperty("redemptions").EnumerateArray()).GetProperty("id").GetInt64());
        Assert.Equal(0, (await w.SendAsync(Get, "/api/v1/provider/redemptions?status=issued", w.Cafe.Token)).GetProperty("redemptions").GetArrayLength());
        Assert.Equal(0, (await w.SendAsync(Get, "/api/v1/provider/redemptions", w.Bakery.Token)).GetProperty("redemptions").GetArrayLength());
        var mine = Assert.Single((await w.SendAsync(Get, "/api/v1/me/redemptions", w.Alice.Token)).GetProperty("redemptions").EnumerateArray());
        Assert.Equal("used", mine.GetProperty("status").GetString());
        Assert.Equal("used", (await w.SendAsync(Get, $"/api/v1/me/redemptions/{mine.GetProperty("id").GetInt64()}", w.Alice.Token)).GetProperty("status").GetString());

        var events = (await w.SendAsync(Get, $"/api/v1/provider/offers/{id}/events", w.Cafe.Token)).GetProperty("events");
        Assert.Equal(["draft>draft", "draft>on-sale"], events.EnumerateArray().Select(e => $"{e.GetProperty("from").GetString()}>{e.GetProperty("to").GetString()}"));
        Assert.Equal("开业 / opening", events[1].GetProperty("comment").GetString());
        Assert.Equal($"staff:{w.Cafe.Account}", events[1].GetProperty("actor").GetString());
        await w.World.AssertAuditsPassAsync();
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Only_a_providers_staff_manage_offers_only_their_own_and_only_the_administrator_delists(StoreKind kind)
    {
        await using var w = await MallHttpWorld.CreateAsync(kind);
        await w.IssueAsync(w.Alice, 500, 0);
        var id = await w.OnSaleAsync(w.Cafe, w.Coffee());
        var draft = await w.DraftAsync(w.Cafe, w.Coffee());
        var code = (await w.RedeemedAsync(w.Alice, id, "r1")).GetProperty("voucher").GetProperty("code").GetString()!;

        // Who is not a provider's staff does not manage offers.
        await w.RefusedAsync(Post, "/api/v1/provider/offers", null, w.Coffee(), HttpStatusCode.Unauthorized, "unauthenticated");
        await w.RefusedAsync(Post, "/api/v1/provider/offers", w.Alice.Token, w.Coffee(), HttpStatusCode.Forbidden, "forbidden");
        await w.RefusedAsync(Post, "/api/v1/provider/offers", w.World.OperatorToken, w.Coffee(), HttpStatusCode.Forbidden, "forbidden");
        await w.RefusedAsync(Post, "/api/v1/provider/offers", AdminToken, w.Coffee(), HttpStatusCode.Forbidden, "forbidden");
        await w.RefusedAsync(Post, $"/api/v1/provider/offers/{id}/actions", w.Alice.Token, new { action = "pause" }, HttpStatusCode.Forbidden, "forbidden", id);
        await w.RefusedAsync(Get, "/api/v1/provider/redemptions", w.Alice.Token, null, HttpStatusCode.Forbidden, "forbidden");
        await w.RefusedAsync(Post, $"/api/v1/provider/vouchers/{code}/use", w.Alice.Token, null, HttpStatusCode.Forbidden, "forbidden", id);
        await w.RefusedAsync(Post, "/api/v1/me/redemptions", w.Cafe.Token, new { offerId = id, requestKey = "k" }, HttpStatusCode.Forbidden, "forbidden", id);

        // The bakery touches nothing of the café's.
        await w.RefusedAsync(Post, $"/api/v1/provider/offers/{id}/actions", w.Bakery.Token, new { action = "pause" }, HttpStatusCode.Forbidden, "not-yours", id);
        await w.RefusedAsync(Post, $"/api/v1/provider/offers/{id}/restock", w.Bakery.Token, new { units = 5 }, HttpStatusCode.Forbidden, "not-yours", id);
        await w.RefusedAsync(Put, $"/api/v1/provider/offers/{draft}", w.Bakery.Token, w.Coffee(price: 1), HttpStatusCode.Forbidden, "not-yours", draft);
        await w.RefusedAsync(Get, $"/api/v1/provider/offers/{id}", w.Bakery.Token, null, HttpStatusCode.Forbidden, "not-yours", id);
        await w.RefusedAsync(Get, $"/api/v1/provider/offers/{id}/events", w.Bakery.Token, null, HttpStatusCode.Forbidden, "not-yours", id);
        await w.RefusedAsync(Get, $"/api/v1/provider/vouchers/{code}", w.Bakery.Token, null, HttpStatusCode.Forbidden, "not-yours", id);
        await w.RefusedAsync(Post, $"/api/v1/provider/vouchers/{code}/use", w.Bakery.Token, null, HttpStatusCode.Forbidden, "not-yours", id);
        Assert.Equal(0, (await w.SendAsync(Get, "/api/v1/provider/offers", w.Bakery.Token)).GetProperty("offers").GetArrayLength());
        Assert.Equal(2, (await w.SendAsync(Get, "/api/v1/provider/offers", w.Cafe.Token)).GetProperty("offers").GetArrayLength());

        // Only the administrator delists.
        await w.RefusedAsync(Post, $"/api/v1/provider/offers/{id}/actions", w.Cafe.Token, new { action = "delist" }, HttpStatusCode.Forbidden, "forbidden", id);
        await w.RefusedAsync(Post, $"/api/v1/admin/offers/{id}/delist", w.Cafe.Token, new { comment = "no" }, HttpStatusCode.Forbidden, "forbidden", id);
        await w.RefusedAsync(Post, $"/api/v1/admin/offers/{id}/delist", w.Alice.Token, new { comment = "no" }, HttpStatusCode.Forbidden, "forbidden", id);
        await w.RefusedAsync(Get, "/api/v1/admin/offers", w.Cafe.Token, null, HttpStatusCode.Forbidden, "forbidden");
        var delisted = await w.SendAsync(Post, $"/api/v1/admin/offers/{id}/delist", AdminToken, new { comment = "虚假宣传 / misleading" });
        Assert.Equal("delisted", delisted.GetProperty("status").GetString());
        Assert.Equal("admin:", (await w.SendAsync(Get, $"/api/v1/provider/offers/{id}/events", w.Cafe.Token)).GetProperty("events")[2].GetProperty("actor").GetString()![..6]);

        // The public sees neither the draft nor the delisted offer; their provider and the administrator do.
        Assert.Equal(0, (await w.SendAsync(Get, "/api/v1/offers", null)).GetProperty("offers").GetArrayLength());
        foreach (var hidden in new[] { id, draft })
        {
            foreach (var token in new[] { null, w.Alice.Token, w.Bakery.Token })
                await w.RefusedAsync(Get, $"/api/v1/offers/{hidden}", token, null, HttpStatusCode.NotFound, "offer-not-found", hidden);
            Assert.Equal(hidden, (await w.SendAsync(Get, $"/api/v1/offers/{hidden}", w.Cafe.Token)).GetProperty("id").GetInt64());
            Assert.Equal(hidden, (await w.SendAsync(Get, $"/api/v1/offers/{hidden}", AdminToken)).GetProperty("id").GetInt64());
            // A person cannot redeem what they cannot see, nor learn that it exists.
            await w.RefusedAsync(Post, "/api/v1/me/redemptions", w.Alice.Token, new { offerId = hidden, requestKey = $"hidden-{hidden}" }, HttpStatusCode.NotFound, "offer-not-found", hidden);
        }

        Assert.Equal(id, Assert.Single((await w.SendAsync(Get, "/api/v1/admin/offers?status=delisted", AdminToken)).GetProperty("offers").EnumerateArray()).GetProperty("id").GetInt64());
        Assert.Equal(draft, Assert.Single((await w.SendAsync(Get, "/api/v1/admin/offers?status=draft", AdminToken)).GetProperty("offers").EnumerateArray()).GetProperty("id").GetInt64());
        Assert.Equal(2, (await w.SendAsync(Get, "/api/v1/admin/offers", AdminToken)).GetProperty("offers").GetArrayLength());
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Every_redemption_refusal_is_its_problem_and_changes_nothing(StoreKind kind)
    {
        await using var w = await MallHttpWorld.CreateAsync(kind);
        await w.IssueAsync(w.Alice, 1_000, 5_000);
        await w.IssueAsync(w.Carol, 30, 300);
        var now = w.Clock.GetUtcNow();
        var coffee = await w.OnSaleAsync(w.Cafe, w.Coffee(price: 100, perPerson: 1));
        var last = await w.OnSaleAsync(w.Cafe, w.Coffee(price: 100, stock: 1));
        var later = w.Coffee();
        later["validFrom"] = now.AddDays(2);
        var notYet = await w.OnSaleAsync(w.Cafe, later);
        var paused = await w.OnSaleAsync(w.Cafe, w.Coffee());
        await w.ActAsync(w.Cafe, paused, "pause");
        var ended = await w.OnSaleAsync(w.Cafe, w.Coffee());
        await w.ActAsync(w.Cafe, ended, "end");
        await w.RedeemedAsync(w.Alice, coffee, "first");
        await w.RedeemedAsync(w.Alice, last, "last");

        var poor = await w.RefusedAsync(Post, "/api/v1/me/redemptions", w.Carol.Token, new { offerId = coffee, requestKey = "c1" }, HttpStatusCode.Conflict, "insufficient-points", coffee);
        Assert.Contains("30 are spendable", poor.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("可用积分不足 / Not enough spendable points", poor.GetProperty("title").GetString());
        await w.RefusedAsync(Post, "/api/v1/me/redemptions", w.Carol.Token, new { offerId = last, requestKey = "c2" }, HttpStatusCode.Conflict, "sold-out", last);
        await w.RefusedAsync(Post, "/api/v1/me/redemptions", w.Alice.Token, new { offerId = notYet, requestKey = "a2" }, HttpStatusCode.Conflict, "outside-window", notYet);
        await w.RefusedAsync(Post, "/api/v1/me/redemptions", w.Alice.Token, new { offerId = coffee, requestKey = "a3" }, HttpStatusCode.Conflict, "per-person-limit", coffee);
        await w.RefusedAsync(Post, "/api/v1/me/redemptions", w.Alice.Token, new { offerId = paused, requestKey = "a4" }, HttpStatusCode.Conflict, "not-on-sale", paused);
        await w.RefusedAsync(Post, "/api/v1/me/redemptions", w.Alice.Token, new { offerId = ended, requestKey = "a5" }, HttpStatusCode.Conflict, "not-on-sale", ended);
        await w.RefusedAsync(Post, "/api/v1/me/redemptions", w.Alice.Token, new { offerId = paused, requestKey = "first" }, HttpStatusCode.Conflict, "request-key-reused", paused);
        await w.RefusedAsync(Post, "/api/v1/me/redemptions", w.Alice.Token, new { offerId = 999_999, requestKey = "a6" }, HttpStatusCode.NotFound, "offer-not-found");
        // The request itself is wrong.
        await w.RefusedAsync(Post, "/api/v1/me/redemptions", w.Alice.Token, new { offerId = coffee }, HttpStatusCode.BadRequest, "invalid-argument", coffee);
        await w.RefusedAsync(Post, "/api/v1/me/redemptions", w.Alice.Token, new { requestKey = "a7" }, HttpStatusCode.BadRequest, "invalid-argument", coffee);
        await w.RefusedAsync(Post, "/api/v1/me/redemptions", w.Alice.Token, new { offerId = coffee, requestKey = new string('k', 65) }, HttpStatusCode.BadRequest, "invalid-argument", coffee);
        var before = await w.SnapshotAsync(coffee);
        using (var differs = await RedeemWithHeaderAsync(w, w.Alice.Token, coffee, "header-key", bodyKey: "body-key"))
            await MallHttpWorld.ProblemAsync(differs, HttpStatusCode.BadRequest, "invalid-argument", "two different request keys");
        using (var malformed = await SendTextAsync(w, Post, "/api/v1/me/redemptions", w.Alice.Token, "{\"offerId\": "))
            await MallHttpWorld.ProblemAsync(malformed, HttpStatusCode.BadRequest, "invalid-argument", "malformed JSON");
        Assert.Equal(before, await w.SnapshotAsync(coffee));

        // Resumed, the paused offer sells; the refusals above left no trace that would stop it.
        await w.ActAsync(w.Cafe, paused, "resume");
        await w.RedeemedAsync(w.Alice, paused, "a4");
        Assert.Equal(1_000 - 300, await w.PointsAsync(w.Alice));
        Assert.Equal(30, await w.PointsAsync(w.Carol));
        await w.World.AssertAuditsPassAsync();
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Voucher_and_cancellation_refusals_are_their_problems_and_change_nothing(StoreKind kind)
    {
        await using var w = await MallHttpWorld.CreateAsync(kind);
        await w.IssueAsync(w.Alice, 1_000, 10_000);
        var coffee = await w.OnSaleAsync(w.Cafe, w.Coffee(price: 100, perPerson: 5, cancellationHours: 24));
        var a1 = await w.RedeemedAsync(w.Alice, coffee, "a1");
        var a2 = await w.RedeemedAsync(w.Alice, coffee, "a2");
        var a3 = await w.RedeemedAsync(w.Alice, coffee, "a3");
        string Code(JsonElement r) => r.GetProperty("voucher").GetProperty("code").GetString()!;
        long Id(JsonElement r) => r.GetProperty("id").GetInt64();

        await w.SendAsync(Post, $"/api/v1/provider/vouchers/{Code(a1)}/use", w.Cafe.Token);
        await w.RefusedAsync(Post, $"/api/v1/provider/vouchers/{Code(a1)}/use", w.Cafe.Token, null, HttpStatusCode.Conflict, "voucher-used", coffee);
        await w.RefusedAsync(Post, $"/api/v1/me/redemptions/{Id(a1)}/cancel", w.Alice.Token, null, HttpStatusCode.Conflict, "voucher-used", coffee);
        await w.RefusedAsync(Post, $"/api/v1/provider/vouchers/{Code(a2)}/use", w.Bakery.Token, null, HttpStatusCode.Forbidden, "not-yours", coffee);
        await w.RefusedAsync(Post, "/api/v1/provider/vouchers/0000-0000-0000-0000/use", w.Cafe.Token, null, HttpStatusCode.NotFound, "voucher-not-found", coffee);
        await w.RefusedAsync(Post, "/api/v1/provider/vouchers/not-a-code/use", w.Cafe.Token, null, HttpStatusCode.NotFound, "voucher-not-found", coffee);
        await w.RefusedAsync(Get, "/api/v1/provider/vouchers/0000-0000-0000-0000", w.Cafe.Token, null, HttpStatusCode.NotFound, "voucher-not-found", coffee);

        // Bob learns nothing of Alice's redemptions.
        await w.RefusedAsync(Post, $"/api/v1/me/redemptions/{Id(a2)}/cancel", w.Bob.Token, null, HttpStatusCode.NotFound, "redemption-not-found", coffee);
        await w.RefusedAsync(Get, $"/api/v1/me/redemptions/{Id(a2)}", w.Bob.Token, null, HttpStatusCode.NotFound, "redemption-not-found", coffee);
        await w.RefusedAsync(Get, "/api/v1/me/redemptions/999999", w.Alice.Token, null, HttpStatusCode.NotFound, "redemption-not-found", coffee);

        await w.SendAsync(Post, $"/api/v1/me/redemptions/{Id(a2)}/cancel", w.Alice.Token);
        await w.RefusedAsync(Post, $"/api/v1/me/redemptions/{Id(a2)}/cancel", w.Alice.Token, null, HttpStatusCode.Conflict, "voucher-cancelled", coffee);
        await w.RefusedAsync(Post, $"/api/v1/provider/vouchers/{Code(a2)}/use", w.Cafe.Token, null, HttpStatusCode.Conflict, "voucher-cancelled", coffee);

        w.Clock.Advance(TimeSpan.FromHours(25));
        var late = await w.RefusedAsync(Post, $"/api/v1/me/redemptions/{Id(a3)}/cancel", w.Alice.Token, null, HttpStatusCode.Conflict, "cancellation-closed", coffee);
        Assert.Contains("could be cancelled until", late.GetProperty("detail").GetString(), StringComparison.Ordinal);
        w.Clock.Advance(TimeSpan.FromDays(14));
        await w.RefusedAsync(Post, $"/api/v1/provider/vouchers/{Code(a3)}/use", w.Cafe.Token, null, HttpStatusCode.Conflict, "voucher-expired", coffee);

        Assert.Equal(["issued", "cancelled", "used"], (await w.SendAsync(Get, "/api/v1/me/redemptions", w.Alice.Token)).GetProperty("redemptions").EnumerateArray()
            .Select(r => r.GetProperty("status").GetString()));
        Assert.Equal(1_000 - 200, await w.PointsAsync(w.Alice));
        await w.World.AssertAuditsPassAsync();
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Offer_management_refusals_name_the_field_or_the_status_and_change_nothing(StoreKind kind)
    {
        await using var w = await MallHttpWorld.CreateAsync(kind);
        var id = await w.OnSaleAsync(w.Cafe, w.Coffee(stock: 3));

        var noPrice = w.Coffee();
        noPrice.Remove("price");
        Assert.Contains("price", (await w.RefusedAsync(Post, "/api/v1/provider/offers", w.Cafe.Token, noPrice, HttpStatusCode.BadRequest, "offer-invalid"))
            .GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("stock", (await w.RefusedAsync(Post, "/api/v1/provider/offers", w.Cafe.Token, w.Coffee(stock: 0), HttpStatusCode.BadRequest, "offer-invalid"))
            .GetProperty("detail").GetString(), StringComparison.Ordinal);
        var food = w.Coffee();
        food["kind"] = "food";
        Assert.Contains("kind", (await w.RefusedAsync(Post, "/api/v1/provider/offers", w.Cafe.Token, food, HttpStatusCode.BadRequest, "offer-invalid"))
            .GetProperty("detail").GetString(), StringComparison.Ordinal);
        var backwards = w.Coffee();
        backwards["validUntil"] = w.Clock.GetUtcNow().AddDays(-2);
        Assert.Contains("validUntil", (await w.RefusedAsync(Post, "/api/v1/provider/offers", w.Cafe.Token, backwards, HttpStatusCode.BadRequest, "offer-invalid"))
            .GetProperty("detail").GetString(), StringComparison.Ordinal);
        using (var malformed = await SendTextAsync(w, Post, "/api/v1/provider/offers", w.Cafe.Token, "{\"kind\": \"goods\", \"price\": \"lots\"}"))
            await MallHttpWorld.ProblemAsync(malformed, HttpStatusCode.BadRequest, "invalid-argument", "a price that is not a number");
        Assert.Equal(1, (await w.SendAsync(Get, "/api/v1/provider/offers", w.Cafe.Token)).GetProperty("offers").GetArrayLength());

        var twice = await w.RefusedAsync(Post, $"/api/v1/provider/offers/{id}/actions", w.Cafe.Token, new { action = "publish" }, HttpStatusCode.Conflict, "offer-action-not-allowed", id);
        Assert.Contains("on-sale", twice.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("on-sale", twice.GetProperty("offerStatus").GetString());
        Assert.Equal(["pause", "end"], twice.GetProperty("allowedActions").EnumerateArray().Select(a => a.GetString()));
        await w.RefusedAsync(Put, $"/api/v1/provider/offers/{id}", w.Cafe.Token, w.Coffee(price: 1), HttpStatusCode.Conflict, "offer-action-not-allowed", id);
        await w.RefusedAsync(Post, $"/api/v1/provider/offers/{id}/actions", w.Cafe.Token, new { action = "sell" }, HttpStatusCode.BadRequest, "invalid-argument", id);
        await w.RefusedAsync(Post, $"/api/v1/provider/offers/{id}/restock", w.Cafe.Token, new { units = 0 }, HttpStatusCode.BadRequest, "offer-invalid", id);
        await w.RefusedAsync(Post, $"/api/v1/provider/offers/{id}/restock", w.Cafe.Token, new { }, HttpStatusCode.BadRequest, "offer-invalid", id);
        await w.RefusedAsync(Post, "/api/v1/provider/offers/999999/actions", w.Cafe.Token, new { action = "pause" }, HttpStatusCode.NotFound, "offer-not-found");
        await w.RefusedAsync(Post, "/api/v1/admin/offers/999999/delist", AdminToken, new { comment = "" }, HttpStatusCode.NotFound, "offer-not-found");

        var restocked = await w.SendAsync(Post, $"/api/v1/provider/offers/{id}/restock", w.Cafe.Token, new { units = 5 });
        Assert.Equal((8, 8), (restocked.GetProperty("stockTotal").GetInt32(), restocked.GetProperty("stockLeft").GetInt32()));
        await w.ActAsync(w.Cafe, id, "end");
        var final = await w.RefusedAsync(Post, $"/api/v1/provider/offers/{id}/restock", w.Cafe.Token, new { units = 1 }, HttpStatusCode.Conflict, "offer-action-not-allowed", id);
        Assert.Equal(0, final.GetProperty("allowedActions").GetArrayLength());
        await w.SendAsync(Post, $"/api/v1/admin/offers/{id}/delist", AdminToken, new { comment = "done" });
        await w.RefusedAsync(Post, $"/api/v1/admin/offers/{id}/delist", AdminToken, new { comment = "again" }, HttpStatusCode.Conflict, "offer-action-not-allowed", id);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_providers_system_uses_vouchers_with_a_signed_key_and_keys_act_only_within_their_organisations_roles(StoreKind kind)
    {
        await using var w = await MallHttpWorld.CreateAsync(kind);
        await w.IssueAsync(w.Alice, 500, 0);
        var coffee = await w.OnSaleAsync(w.Cafe, w.Coffee(perPerson: 5));
        var code = (await w.RedeemedAsync(w.Alice, coffee, "k1")).GetProperty("voucher").GetProperty("code").GetString()!;

        async Task RefusedByKeyAsync(OperatorCredentials key, string voucher, HttpStatusCode status, string problem)
        {
            var before = await w.SnapshotAsync(coffee);
            using (var response = await w.UseByKeyAsync(key, voucher))
                await MallHttpWorld.ProblemAsync(response, status, problem, $"{key.KeyId} uses {voucher}");
            Assert.Equal(before, await w.SnapshotAsync(coffee));
        }

        // An operator's key does not use vouchers, and another provider's key not this one.
        await RefusedByKeyAsync(w.World.Key, code, HttpStatusCode.Forbidden, "forbidden");
        await RefusedByKeyAsync(w.Bakery.Key, code, HttpStatusCode.Forbidden, "not-yours");
        await RefusedByKeyAsync(w.Cafe.Key, "0000-0000-0000-0000", HttpStatusCode.NotFound, "voucher-not-found");
        await RefusedByKeyAsync(w.Cafe.Key, "", HttpStatusCode.BadRequest, "invalid-argument");
        await RefusedByKeyAsync(new OperatorCredentials(w.Cafe.Key.KeyId, "sk_wrong"), code, HttpStatusCode.Unauthorized, "signature-invalid");
        await w.RefusedAsync(Post, MallEndpoints.VoucherUsePath, w.Cafe.Token, new { code }, HttpStatusCode.Unauthorized, "signature-missing", coffee);

        using (var response = await w.UseByKeyAsync(w.Cafe.Key, code))
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            Assert.Equal("used", JsonDocument.Parse(text).RootElement.GetProperty("status").GetString());
        }

        await RefusedByKeyAsync(w.Cafe.Key, code, HttpStatusCode.Conflict, "voucher-used");

        // A provider's key does not ingest behaviour.
        await w.World.RefusedBatchAsync(Body(Metro("m-1", "alice", w.Clock.GetUtcNow().AddMinutes(-5))), null, HttpStatusCode.Forbidden, "forbidden", "a provider's key", w.Cafe.Key);

        // The provider's staff list, rotate and revoke its keys; the older path answers the same.
        var keys = (await w.SendAsync(Get, "/api/v1/organisation/api-keys", w.Cafe.Token)).GetProperty("keys");
        Assert.Equal(w.Cafe.Key.KeyId, Assert.Single(keys.EnumerateArray()).GetProperty("keyId").GetString());
        Assert.Equal(1, (await w.SendAsync(Get, "/api/v1/operator/api-keys", w.Cafe.Token)).GetProperty("keys").GetArrayLength());
        var rotated = await w.SendAsync(Post, $"/api/v1/organisation/api-keys/{w.Cafe.Key.KeyId}/rotate", w.Cafe.Token, new { overlapMinutes = 0 });
        var fresh = new OperatorCredentials(rotated.GetProperty("keyId").GetString()!, rotated.GetProperty("secret").GetString()!);
        var second = (await w.RedeemedAsync(w.Alice, coffee, "k2")).GetProperty("voucher").GetProperty("code").GetString()!;
        await RefusedByKeyAsync(w.Cafe.Key, second, HttpStatusCode.Unauthorized, "key-unknown");
        using (var response = await w.UseByKeyAsync(fresh, second))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await w.SendAsync(HttpMethod.Delete, $"/api/v1/organisation/api-keys/{fresh.KeyId}", w.Cafe.Token);
        var third = (await w.RedeemedAsync(w.Alice, coffee, "k3")).GetProperty("voucher").GetProperty("code").GetString()!;
        await RefusedByKeyAsync(fresh, third, HttpStatusCode.Unauthorized, "key-unknown");
        Assert.Equal(["issued", "used", "used"], (await w.SendAsync(Get, "/api/v1/provider/redemptions", w.Cafe.Token)).GetProperty("redemptions").EnumerateArray()
            .Select(r => r.GetProperty("status").GetString()));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Following_next_walks_every_offer_and_redemption_once(StoreKind kind)
    {
        await using var w = await MallHttpWorld.CreateAsync(kind);
        await w.IssueAsync(w.Alice, 10_000, 0);
        var cafe = new List<long>();
        for (var i = 0; i < 7; i++) cafe.Add(await w.OnSaleAsync(w.Cafe, w.Coffee(price: 10 + i)));
        var bakery = new List<long> { await w.OnSaleAsync(w.Bakery, w.Coffee()), await w.OnSaleAsync(w.Bakery, w.Coffee()) };
        var draft = await w.DraftAsync(w.Cafe, w.Coffee());
        foreach (var (offer, i) in cafe.Select((o, i) => (o, i)).Take(5)) await w.RedeemedAsync(w.Alice, offer, $"page-{i}");

        Assert.Equal(cafe.Concat(bakery).OrderDescending(), await WalkAsync(w, "/api/v1/offers?limit=3", null, "offers", 3));
        Assert.Equal(cafe.OrderDescending(), await WalkAsync(w, $"/api/v1/offers?provider={w.Cafe.Account}&limit=2", null, "offers", 4));
        Assert.Equal(cafe.Append(draft).OrderDescending(), await WalkAsync(w, "/api/v1/provider/offers?limit=3", w.Cafe.Token, "offers", 3));
        Assert.Equal([draft], await WalkAsync(w, "/api/v1/provider/offers?status=draft&limit=3", w.Cafe.Token, "offers", 1));
        var redemptions = await WalkAsync(w, "/api/v1/me/redemptions?limit=2", w.Alice.Token, "redemptions", 3);
        Assert.Equal(5, redemptions.Count);
        Assert.Equal(redemptions, await WalkAsync(w, "/api/v1/provider/redemptions?status=issued&limit=2", w.Cafe.Token, "redemptions", 3));

        foreach (var query in new[] { "limit=0", "limit=201", "before=0", "kind=food", "region=east", "provider=0" })
            await w.RefusedAsync(Get, $"/api/v1/offers?{query}", null, null, HttpStatusCode.BadRequest, "invalid-argument");
        await w.RefusedAsync(Get, "/api/v1/provider/redemptions?status=spent", w.Cafe.Token, null, HttpStatusCode.BadRequest, "invalid-argument");
        await w.RefusedAsync(Get, "/api/v1/me/redemptions?limit=201", w.Alice.Token, null, HttpStatusCode.BadRequest, "invalid-argument");
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_sink_offer_names_its_batch_retires_grams_until_the_provider_holds_too_few_and_is_never_cancelled(StoreKind kind)
    {
        await using var w = await MallHttpWorld.CreateAsync(kind);
        var farm = await w.AddProviderAsync("org:zijin-forest", "紫金山林场 / Zijin Forest Farm");
        var forest = (await w.Store.CreateBatchAsync(new NewBatch("FOREST-2025-P1", BatchOrigin.ProjectPeriod, "zijin-forest", "forestry", "1.0.0", MethodologyClass.I, 2025, "440300"))).Id;
        var source = await w.Store.SystemAccountAsync(SystemAccounts.ReductionIssuance);
        var issued = await w.Store.AppendAsync(new TransactionBuilder(TransactionKind.Issue, "test:forest", w.Clock.GetUtcNow(), "test")
            .MoveGrams(source, new AccountId(farm.Account), forest, new Grams(1_000)).Build());
        Assert.Equal(AppendStatus.Committed, issued.Status);
        await w.IssueAsync(w.Alice, 100, 0);
        await w.IssueAsync(w.Bob, 100, 0);
        var terms = w.Coffee(price: 50, cancellationHours: 0);
        terms["kind"] = "sink";
        terms["sinkBatch"] = "FOREST-2025-P1";
        terms["sinkGrams"] = 600;
        var sink = await w.OnSaleAsync(farm, terms);

        var offer = await w.SendAsync(Get, $"/api/v1/offers/{sink}", null);
        Assert.Equal(("sink", "FOREST-2025-P1", 600L), (offer.GetProperty("kind").GetString(), offer.GetProperty("sinkBatch").GetString(), offer.GetProperty("sinkGrams").GetInt64()));
        var donation = await w.RedeemedAsync(w.Alice, sink, "tree-1");
        Assert.Equal(600, donation.GetProperty("sinkGrams").GetInt64());
        Assert.Equal(JsonValueKind.Null, donation.GetProperty("voucher").GetProperty("cancellableUntil").ValueKind);
        var exhausted = await w.RefusedAsync(Post, "/api/v1/me/redemptions", w.Bob.Token, new { offerId = sink, requestKey = "tree-2" }, HttpStatusCode.Conflict, "sink-exhausted", sink);
        Assert.Contains("400 g", exhausted.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await w.RefusedAsync(Post, $"/api/v1/me/redemptions/{donation.GetProperty("id").GetInt64()}/cancel", w.Alice.Token, null, HttpStatusCode.Conflict, "cancellation-closed", sink);
        await w.World.AssertAuditsPassAsync();
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task The_openapi_document_lists_the_mall(StoreKind kind)
    {
        await using var w = await MallHttpWorld.CreateAsync(kind);
        using var response = await w.World.Http.GetAsync("/openapi/v1.json");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        foreach (var path in new[] { "/api/v1/offers", "/api/v1/provider/offers/{id}/actions", "/api/v1/me/redemptions", "/api/v1/vouchers:use", "/api/v1/admin/offers/{id}/delist", "/api/v1/organisation/api-keys" })
            Assert.Contains($"\"{path}\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\"/api/v1/operator/api-keys\"", text, StringComparison.Ordinal);
    }

    /// <summary>Follows <c>next</c> from <paramref name="path"/>; checks the page count and that no id repeats, and returns the ids in order.</summary>
    private static async Task<List<long>> WalkAsync(MallHttpWorld w, string path, string? token, string items, int pages)
    {
        var ids = new List<long>();
        var walked = 0;
        for (string? next = path; next is not null; walked++)
        {
            var page = await w.SendAsync(Get, next, token);
            ids.AddRange(page.GetProperty(items).EnumerateArray().Select(i => i.GetProperty("id").GetInt64()));
            next = page.GetProperty("next").GetString();
            Assert.Equal(next is null, page.GetProperty("nextBefore").ValueKind == JsonValueKind.Null);
            Assert.True(walked < 100, "the walk does not end");
        }

        Assert.Equal(pages, walked);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        return ids;
    }

    private static async Task<HttpResponseMessage> RedeemWithHeaderAsync(MallHttpWorld w, string token, long offer, string key, string? bodyKey = null)
    {
        using var request = new HttpRequestMessage(Post, "/api/v1/me/redemptions") { Content = JsonContent.Create(new { offerId = offer, requestKey = bodyKey }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("Idempotency-Key", key);
        return await w.World.Http.SendAsync(request);
    }

    private static async Task<HttpResponseMessage> SendTextAsync(MallHttpWorld w, HttpMethod method, string path, string token, string json)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await w.World.Http.SendAsync(request);
    }
}
