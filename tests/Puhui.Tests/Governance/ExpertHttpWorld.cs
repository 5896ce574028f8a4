using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Puhui.Host.Http;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Access;
using Puhui.Storage.Ledger;
using Puhui.Tests.Http;

namespace Puhui.Tests.Governance;

/// <summary>
/// The host on a real Kestrel socket over a fresh store with only the administrator's token and one organisation
/// with an account, for the expert pool's endpoints. The clock is the test's.
/// </summary>
public sealed class ExpertHttpWorld : IAsyncDisposable
{
    public const string AdminToken = "admin-token-for-expert-tests-0123456789";
    public static readonly DateTimeOffset T0 = new(2026, 11, 2, 9, 0, 0, TimeSpan.FromHours(8));

    private ExpertHttpWorld(LedgerStore store, WebApplication app, HttpClient http, ManualClock clock, AccountId metro)
    {
        Store = store;
        App = app;
        Http = http;
        Clock = clock;
        Metro = metro;
    }

    public LedgerStore Store { get; }
    public WebApplication App { get; }
    public HttpClient Http { get; }
    public ManualClock Clock { get; }

    /// <summary>An applicant organisation with an account: 深圳地铁.</summary>
    public AccountId Metro { get; }

    public static async Task<ExpertHttpWorld> CreateAsync(StoreKind kind)
    {
        var clock = new ManualClock(T0);
        var store = await TestStores.CreateAsync(kind, clock);
        var metro = (await store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "org:sz-metro", "深圳地铁", OrganisationRoles.Operator))).Id;
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var app = PuhuiHost.Build(store, [], $"http://127.0.0.1:{port}", new PuhuiHostOptions(clock, MasterKey.FromBytes(new byte[32]), AdminToken, ExpiryJob: false));
        await app.StartAsync();
        return new ExpertHttpWorld(store, app, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") }, clock, metro);
    }

    /// <summary>The administrator adds an expert; returns the answer's body.</summary>
    public Task<JsonElement> AddExpertAsync(string name, string organisation, string[] fields, long? organisationAccount = null, string title = "教授") =>
        SendAsync(HttpMethod.Post, "/api/v1/admin/experts", AdminToken, new { name, organisation, organisationAccount, fields, title });

    /// <summary>The administrator issues a token; returns it.</summary>
    public async Task<string> IssueTokenAsync(string role, long? expertId, string label) =>
        (await SendAsync(HttpMethod.Post, "/api/v1/admin/tokens", AdminToken, new { role, expertId, label })).GetProperty("token").GetString()!;

    /// <summary>Sends JSON with an optional bearer token and returns the JSON answer; fails the test on an error status.</summary>
    public Task<JsonElement> SendAsync(HttpMethod method, string path, string? token, object? body = null) => Http.JsonAsync(method, path, token, body);

    public Task<HttpResponseMessage> RawAsync(HttpMethod method, string path, string? token, object? body = null) => Http.CallAsync(method, path, token, body);

    /// <summary>Sends a request that must be refused with <paramref name="status"/> and <paramref name="code"/>, and checks that nothing changed.</summary>
    public async Task<JsonElement> RefusedAsync(HttpMethod method, string path, string? token, object? body, HttpStatusCode status, string code)
    {
        var before = await SnapshotAsync();
        using var response = await RawAsync(method, path, token, body);
        await IngestionHttpWorld.AssertProblemAsync(response, status, code, $"{method} {path}");
        Assert.Equal(before, await SnapshotAsync());
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>Every expert row, every event, and the numbers of tokens and draws, read from the store.</summary>
    public async Task<string> SnapshotAsync()
    {
        return await StoreSnapshot.ReadAsync(Store,
            "SELECT id, name, organisation, COALESCE(organisation_account, 0), fields, title, status, conflicts, revision FROM experts ORDER BY id",
            "SELECT expert_id, revision, kind FROM expert_events ORDER BY expert_id, revision",
            "SELECT COUNT(*) FROM access_tokens",
            "SELECT COUNT(*) FROM panel_draws");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        await Store.DisposeAsync();
    }
}
