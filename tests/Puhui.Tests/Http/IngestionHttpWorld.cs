using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Puhui.Client;
using Puhui.Host.Http;
using Puhui.Storage;
using Puhui.Storage.Access;
using Puhui.Storage.Ledger;
using Puhui.Storage.Methodologies;
using Puhui.Tests.Methodologies;

namespace Puhui.Tests.Http;

/// <summary>
/// The host on a real Kestrel socket over a fresh store, set up only through the HTTP API: the administrator
/// registers an operator, its staff register and the administrator approves the metro scenario, a person
/// registers, binds through the operator and consents. The clock is the test's.
/// </summary>
public sealed class IngestionHttpWorld : IAsyncDisposable
{
    public const string AdminToken = "admin-token-for-tests-0123456789abcdef";
    public static readonly DateTimeOffset T0 = new(2026, 11, 2, 9, 0, 0, TimeSpan.FromHours(8));

    private IngestionHttpWorld(LedgerStore store, WebApplication app, HttpClient http, ManualClock clock)
    {
        Store = store;
        App = app;
        Http = http;
        Clock = clock;
    }

    public LedgerStore Store { get; }
    public WebApplication App { get; }
    public HttpClient Http { get; }
    public ManualClock Clock { get; }
    public string OperatorToken { get; private set; } = "";
    public string PersonToken { get; private set; } = "";
    public long Person { get; private set; }
    public OperatorCredentials Key { get; private set; } = new("pk_x", "sk_x");

    public PuhuiClient Client(PuhuiClientOptions? options = null) =>
        new(Http, Key, options ?? new PuhuiClientOptions { Time = Clock, InitialBackoff = TimeSpan.FromMilliseconds(1) });

    public static async Task<IngestionHttpWorld> CreateAsync(StoreKind kind)
    {
        var clock = new ManualClock(T0);
        var store = await TestStores.CreateAsync(kind, clock);
        await store.MigrateAsync();
        var methodology = await new MethodologyStore(store.Dialect, clock).RegisterAsync(
            await File.ReadAllTextAsync(Path.Combine(MethodologyText.LibraryDirectory(), "metro.yaml")));
        Assert.True(methodology.Succeeded);

        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var app = PuhuiHost.Build(store, [], $"http://127.0.0.1:{port}",
            new PuhuiHostOptions(clock, MasterKey.FromBytes(new byte[32]), AdminToken));
        await app.StartAsync();
        var world = new IngestionHttpWorld(store, app, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") }, clock);
        await world.SeedAsync();
        return world;
    }

    private async Task SeedAsync()
    {
        var org = await SendAsync(HttpMethod.Post, "/api/v1/organisations", AdminToken, new { code = "org:sz-metro", displayName = "深圳地铁", roles = new[] { "Operator" } });
        OperatorToken = org.GetProperty("staffToken").GetString()!;
        await SendAsync(HttpMethod.Post, "/api/v1/scenarios", OperatorToken,
            new { code = "sz-metro", titleZh = "深圳地铁出行", titleEn = "Shenzhen metro", methodologyId = "metro", methodologyVersion = "1.0.0", region = "440300" });
        await SendAsync(HttpMethod.Post, "/api/v1/scenarios/sz-metro/decisions", AdminToken, new { decision = "approve", comment = "ok" });
        var key = await SendAsync(HttpMethod.Post, "/api/v1/operator/api-keys", OperatorToken, new { label = "gates" });
        Key = new OperatorCredentials(key.GetProperty("keyId").GetString()!, key.GetProperty("secret").GetString()!);

        var person = await SendAsync(HttpMethod.Post, "/api/v1/persons", null, new { displayName = "Alice" });
        PersonToken = person.GetProperty("token").GetString()!;
        Person = person.GetProperty("account").GetInt64();
        var code = await SendAsync(HttpMethod.Post, "/api/v1/me/binding-codes", PersonToken, new { @operator = "org:sz-metro" });
        await Client().BindAsync(code.GetProperty("code").GetString()!, "alice");
        await SendAsync(HttpMethod.Post, "/api/v1/me/consents", PersonToken, new { scenario = "sz-metro" });
        Clock.Advance(TimeSpan.FromHours(12));
    }

    /// <summary>Sends JSON with an optional bearer token and returns the JSON answer; fails the test on an error status.</summary>
    public async Task<JsonElement> SendAsync(HttpMethod method, string path, string? token, object? body = null)
    {
        using var response = await RawAsync(method, path, token, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task<HttpResponseMessage> RawAsync(HttpMethod method, string path, string? token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = JsonContent.Create(body);
        return await Http.SendAsync(request);
    }

    public static BehaviourRecord Metro(string id, string user, DateTimeOffset at, decimal km = 12.3m, decimal minutes = 30) => new()
    {
        Scenario = "sz-metro", ExternalId = id, UserRef = user, OccurredAt = at,
        Inputs = new Dictionary<string, decimal> { ["distance"] = km, ["duration"] = minutes },
    };

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.DisposeAsync();
        await Store.DisposeAsync();
    }
}
