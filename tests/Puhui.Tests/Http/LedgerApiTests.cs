using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Puhui.Host.Http;
using Puhui.Storage;
using Puhui.Storage.Access;
using Puhui.Storage.Ledger;
using Puhui.Tests.Ledger;

namespace Puhui.Tests.Http;

/// <summary>The HTTP host on a real Kestrel socket over each store.</summary>
public class LedgerApiTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    private const string AdminToken = "ledger-api-test-administrator-token-0123456789";

    private static async Task<(WebApplication App, HttpClient Client)> StartAsync(LedgerStore store)
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var app = PuhuiHost.Build(store, [], $"http://127.0.0.1:{port}", new PuhuiHostOptions(MasterKey: MasterKey.FromBytes(new byte[32]), AdministratorToken: AdminToken));
        await app.StartAsync();
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return (app, client);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Health_openapi_and_account_reads_work(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        var issued = await w.IssueAsync(w.Alice, w.Metro, 57, 574, "rec:1");
        var (app, client) = await StartAsync(w.Store);
        await using var host = app;
        using var http = client;

        var health = await client.GetFromJsonAsync<JsonElement>("/health");
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal(1, health.GetProperty("transactions").GetInt64());

        var openApi = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        Assert.True(openApi.GetProperty("paths").TryGetProperty("/api/v1/accounts/{id}/balances", out _));

        var balances = await client.GetFromJsonAsync<JsonElement>($"/api/v1/accounts/{w.Alice}/balances");
        var amounts = balances.GetProperty("balances").EnumerateArray().Select(b => (b.GetProperty("asset").GetString(), b.GetProperty("amount").GetInt64())).ToList();
        Assert.Equal([("PTS", 57L), ("CO2", 574L)], amounts);

        var lots = await client.GetFromJsonAsync<JsonElement>($"/api/v1/accounts/{w.Alice}/lots");
        var lot = Assert.Single(lots.GetProperty("lots").EnumerateArray());
        Assert.Equal("2028-03-01", lot.GetProperty("expiresOn").GetString());

        var history = await client.GetFromJsonAsync<JsonElement>($"/api/v1/accounts/{w.Alice}/history?limit=10");
        var tx = Assert.Single(history.GetProperty("transactions").EnumerateArray());
        var id = tx.GetProperty("id").GetString();
        Assert.Equal(issued.Transaction!.Transaction.Id.ToString(), id);

        var one = await client.GetFromJsonAsync<JsonElement>($"/api/v1/transactions/{id}");
        Assert.Equal("Issue", one.GetProperty("kind").GetString());
        Assert.Equal(4, one.GetProperty("postings").GetArrayLength());
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Errors_are_problem_details_with_stable_codes(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        var (app, client) = await StartAsync(w.Store);
        await using var host = app;
        using var http = client;

        await AssertProblem(client, "/api/v1/accounts/999999/balances", HttpStatusCode.NotFound, "account-not-found");
        await AssertProblem(client, $"/api/v1/accounts/{w.Alice}/history?limit={LedgerStore.HistoryPageMax + 1}", HttpStatusCode.BadRequest, "invalid-argument");
        await AssertProblem(client, "/api/v1/transactions/not-a-uuid", HttpStatusCode.BadRequest, "invalid-argument");
        await AssertProblem(client, $"/api/v1/transactions/{Guid.NewGuid()}", HttpStatusCode.NotFound, "transaction-not-found");
        await AssertProblem(client, "/api/v1/no-such-thing", HttpStatusCode.NotFound, "not-found");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/accounts/{w.Alice}/history?limit={LedgerStore.HistoryPageMax}")).StatusCode);
    }

    private static async Task AssertProblem(HttpClient client, string path, HttpStatusCode status, string code)
    {
        var response = await client.GetAsync(path);
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(code, body.GetProperty("code").GetString());
        Assert.Equal(Problems.TypePrefix + code, body.GetProperty("type").GetString());
        Assert.Equal((int)status, body.GetProperty("status").GetInt32());
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task An_account_is_read_by_its_holder_or_the_administrator_only(StoreKind kind)
    {
        await using var w = await LedgerWorld.CreateAsync(kind);
        var issued = await w.IssueAsync(w.Alice, w.Metro, 57, 574, "rec:1");
        var (app, admin) = await StartAsync(w.Store);
        await using var host = app;
        using var http = admin;
        var tokens = new AccessTokens(w.Store, TimeProvider.System);
        using var alice = new HttpClient { BaseAddress = admin.BaseAddress };
        alice.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await tokens.IssueAsync(PrincipalRole.Person, w.Alice, "test", default));
        using var bob = new HttpClient { BaseAddress = admin.BaseAddress };
        bob.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await tokens.IssueAsync(PrincipalRole.Person, w.Bob, "test", default));
        using var anonymous = new HttpClient { BaseAddress = admin.BaseAddress };
        var txId = issued.Transaction!.Transaction.Id;

        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync($"/api/v1/accounts/{w.Alice}/balances")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync($"/api/v1/transactions/{txId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/api/v1/ledger/head")).StatusCode);
        await AssertProblem(bob, $"/api/v1/accounts/{w.Alice}/history", HttpStatusCode.Forbidden, "forbidden");
        await AssertProblem(bob, $"/api/v1/transactions/{txId}", HttpStatusCode.NotFound, "transaction-not-found");
        await AssertProblem(anonymous, $"/api/v1/accounts/{w.Alice}/lots", HttpStatusCode.Unauthorized, "unauthenticated");
    }
}
