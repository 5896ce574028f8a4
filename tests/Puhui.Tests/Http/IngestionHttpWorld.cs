using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Puhui.Client;
using Puhui.Host.Http;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Access;
using Puhui.Storage.Ingestion;
using Puhui.Storage.Ledger;
using Puhui.Storage.Methodologies;
using Puhui.Tests.Methodologies;

namespace Puhui.Tests.Http;

/// <summary>An operator organisation set up through the API: its account, a staff token and an API key.</summary>
public sealed record OperatorSetup(string Code, long Account, string Token, OperatorCredentials Key);

/// <summary>A self-registered person: the account id and the person's bearer token.</summary>
public sealed record PersonSetup(long Account, string Token);

/// <summary>
/// What a refused request must leave alone: the journal's head, the accepted behaviour records, and the balances
/// of every person the world registered.
/// </summary>
public sealed record LedgerSnapshot(long Sequence, string HeadHash, long Records, string Balances);

/// <summary>
/// The host on a real Kestrel socket over a fresh store, set up only through the HTTP API: the administrator
/// registers an operator, its staff register and the administrator approves the metro scenario, a person
/// registers, binds through the operator and consents. The clock is the test's.
/// </summary>
public sealed class IngestionHttpWorld : IAsyncDisposable
{
    public const string AdminToken = "admin-token-for-tests-0123456789abcdef";
    public static readonly DateTimeOffset T0 = new(2026, 11, 2, 9, 0, 0, TimeSpan.FromHours(8));

    private readonly List<long> _people = [];

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

    /// <summary>The metro operator (<c>org:sz-metro</c>), which runs <c>sz-metro</c>.</summary>
    public OperatorSetup MetroOperator { get; private set; } = new("", 0, "", new("pk_x", "sk_x"));

    /// <summary>Alice, bound at the metro operator as <c>alice</c> and consenting to <c>sz-metro</c>.</summary>
    public PersonSetup Alice { get; private set; } = new(0, "");

    public string OperatorToken => MetroOperator.Token;
    public string PersonToken => Alice.Token;
    public long Person => Alice.Account;
    public OperatorCredentials Key => MetroOperator.Key;

    public PuhuiClient Client(PuhuiClientOptions? options = null) => Client(Key, options);

    public PuhuiClient Client(OperatorCredentials key, PuhuiClientOptions? options = null) =>
        new(Http, key, options ?? new PuhuiClientOptions { Time = Clock, InitialBackoff = TimeSpan.FromMilliseconds(1) });

    public static async Task<IngestionHttpWorld> CreateAsync(StoreKind kind)
    {
        var clock = new ManualClock(T0);
        var store = await TestStores.CreateAsync(kind, clock);
        await store.MigrateAsync();
        var methodologies = new MethodologyStore(store.Dialect, clock);
        foreach (var file in new[] { "metro.yaml", "household-electricity.yaml" })
        {
            var methodology = await methodologies.RegisterAsync(await File.ReadAllTextAsync(Path.Combine(MethodologyText.LibraryDirectory(), file)));
            Assert.True(methodology.Succeeded, methodology.Problem);
        }

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
        MetroOperator = await AddOperatorAsync("org:sz-metro", "深圳地铁");
        await RunScenarioAsync(MetroOperator, new { code = "sz-metro", titleZh = "深圳地铁出行", titleEn = "Shenzhen metro", methodologyId = "metro", methodologyVersion = "1.0.0", region = "440300" });
        Alice = await AddPersonAsync("Alice");
        await BindAsync(Alice, MetroOperator, "alice");
        await ConsentAsync(Alice, "sz-metro");
        Clock.Advance(TimeSpan.FromHours(12));
    }

    /// <summary>The administrator registers an operator organisation; its staff issue an API key.</summary>
    public async Task<OperatorSetup> AddOperatorAsync(string code, string displayName)
    {
        var org = await SendAsync(HttpMethod.Post, "/api/v1/organisations", AdminToken, new { code, displayName, roles = new[] { "Operator" } });
        var token = org.GetProperty("staffToken").GetString()!;
        var key = await SendAsync(HttpMethod.Post, "/api/v1/operator/api-keys", token, new { label = "main" });
        return new OperatorSetup(code, org.GetProperty("account").GetInt64(), token,
            new OperatorCredentials(key.GetProperty("keyId").GetString()!, key.GetProperty("secret").GetString()!));
    }

    private string? _platformOperatorToken;

    /// <summary>A token of the platform's operating body (运营机构), issued by the administrator on first use.</summary>
    public async Task<string> PlatformOperatorTokenAsync()
    {
        _platformOperatorToken ??= (await SendAsync(HttpMethod.Post, "/api/v1/admin/tokens", AdminToken, new { role = "platform-operator", label = "desk" }))
            .GetProperty("token").GetString()!;
        return _platformOperatorToken;
    }

    /// <summary>
    /// The operator's staff apply for a scenario, and its application goes through review, filing and start, so it
    /// runs: the operating body accepts and passes it, the administrator files it, the operating body starts it.
    /// </summary>
    public async Task RunScenarioAsync(OperatorSetup op, object definition)
    {
        var registered = await SendAsync(HttpMethod.Post, "/api/v1/scenarios", op.Token, definition);
        var code = registered.GetProperty("code").GetString()!;
        var application = registered.GetProperty("applicationId").GetInt64();
        var desk = await PlatformOperatorTokenAsync();
        await StepAsync(application, desk, new { action = "accept" });
        await StepAsync(application, desk, new { action = "pass", comment = "ok" });
        await StepAsync(application, AdminToken, new { action = "file" });
        await StepAsync(application, desk, new { action = "start" });
        Assert.Equal("running", (await SendAsync(HttpMethod.Get, $"/api/v1/scenarios/{code}", null)).GetProperty("status").GetString());
    }

    public Task<JsonElement> StepAsync(long application, string token, object step) => SendAsync(HttpMethod.Post, $"/api/v1/applications/{application}/steps", token, step);

    /// <summary>Takes a platform operator's step on a scenario's application (suspend, terminate, refuse …) and returns the scenario.</summary>
    public async Task<JsonElement> DecideAsync(string scenario, string action)
    {
        var application = (await SendAsync(HttpMethod.Get, $"/api/v1/scenarios/{scenario}", null)).GetProperty("applicationId").GetInt64();
        await StepAsync(application, await PlatformOperatorTokenAsync(), new { action, comment = "decided in a test", rectificationDays = action == "suspend" ? 10 : (int?)null });
        return await SendAsync(HttpMethod.Get, $"/api/v1/scenarios/{scenario}", null);
    }

    public async Task<long> ApplicationOfAsync(string scenario) => (await SendAsync(HttpMethod.Get, $"/api/v1/scenarios/{scenario}", null)).GetProperty("applicationId").GetInt64();

    public async Task<PersonSetup> AddPersonAsync(string displayName)
    {
        var person = await SendAsync(HttpMethod.Post, "/api/v1/persons", null, new { displayName });
        var setup = new PersonSetup(person.GetProperty("account").GetInt64(), person.GetProperty("token").GetString()!);
        _people.Add(setup.Account);
        return setup;
    }

    /// <summary>The person gets a binding code for the operator, and the operator binds it to its reference.</summary>
    public async Task BindAsync(PersonSetup person, OperatorSetup op, string userRef)
    {
        var code = await IssueBindingCodeAsync(person, op.Code);
        var bound = await Client(op.Key).BindAsync(code, userRef);
        Assert.Equal(userRef, bound.UserRef);
    }

    public async Task<string> IssueBindingCodeAsync(PersonSetup person, string operatorCode) =>
        (await SendAsync(HttpMethod.Post, "/api/v1/me/binding-codes", person.Token, new { @operator = operatorCode })).GetProperty("code").GetString()!;

    /// <summary>The person consents to a scenario; returns the consent's id.</summary>
    public async Task<long> ConsentAsync(PersonSetup person, string scenario) =>
        (await SendAsync(HttpMethod.Post, "/api/v1/me/consents", person.Token, new { scenario })).GetProperty("id").GetInt64();

    /// <summary>Sends JSON with an optional bearer token and returns the JSON answer; fails the test on an error status.</summary>
    public Task<JsonElement> SendAsync(HttpMethod method, string path, string? token, object? body = null) => Http.JsonAsync(method, path, token, body);

    public Task<HttpResponseMessage> RawAsync(HttpMethod method, string path, string? token, object? body = null) => Http.CallAsync(method, path, token, body);

    /// <summary>Sends a bearer-token request that must be refused with <paramref name="status"/> and the problem <paramref name="code"/>.</summary>
    public async Task<JsonElement> RefusedAsync(HttpMethod method, string path, string? token, object? body, HttpStatusCode status, string code)
    {
        using var response = await RawAsync(method, path, token, body);
        return await AssertProblemAsync(response, status, code, $"{method} {path}");
    }

    /// <summary>Signs and posts <paramref name="body"/> to the batch endpoint exactly as given, once.</summary>
    public async Task<HttpResponseMessage> PostBatchAsync(byte[] body, SigningOverrides? overrides = null, OperatorCredentials? key = null) =>
        await Client(key ?? Key).SendSignedAsync(HttpMethod.Post, PuhuiClient.BatchPath, body, overrides);

    /// <summary>Posts a signed batch that must be refused, and checks that the ledger did not move.</summary>
    public async Task RefusedBatchAsync(byte[] body, SigningOverrides? overrides, HttpStatusCode status, string code, string because, OperatorCredentials? key = null)
    {
        var before = await LedgerAsync();
        using (var response = await PostBatchAsync(body, overrides, key))
            await AssertProblemAsync(response, status, code, because);
        await AssertLedgerUnchangedAsync(before, because);
    }

    public static byte[] Body(params BehaviourRecord[] records) =>
        JsonSerializer.SerializeToUtf8Bytes(new BehaviourBatch { Records = records }, PuhuiJsonContext.Default.BehaviourBatch);

    public static async Task<BatchResponse> ReadBatchAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {text}");
        return JsonSerializer.Deserialize(text, PuhuiJsonContext.Default.BatchResponse)!;
    }

    /// <summary>
    /// Checks an RFC 9457 answer: the status, the problem media type, and the stable <c>code</c> both as the body
    /// field and as the last segment of the <c>type</c> URI.
    /// </summary>
    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code, string because)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{because}: expected {(int)status} {code}, got {(int)response.StatusCode} {text}");
        Assert.True(response.Content.Headers.ContentType?.MediaType == PuhuiClient.ProblemMediaType, $"{because}: not a problem body: {response.Content.Headers.ContentType} {text}");
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.True(problem.TryGetProperty("code", out var actual) && actual.GetString() == code, $"{because}: expected {code}, got {text}");
        Assert.Equal(Problems.TypePrefix + code, problem.GetProperty("type").GetString());
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem.Clone();
    }

    /// <summary>The journal's head, the number of accepted records and every registered person's balances.</summary>
    public async Task<LedgerSnapshot> LedgerAsync()
    {
        var (sequence, hash) = await Store.GetHeadAsync();
        long records;
        await using (var connection = await Store.Dialect.OpenAsync(default))
        await using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "SELECT COUNT(*) FROM behaviour_records";
            records = Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
        }

        var balances = new StringBuilder();
        foreach (var person in _people)
        {
            foreach (var b in await Store.GetBalancesAsync(new AccountId(person)))
                balances.Append(CultureInfo.InvariantCulture, $"{person}/{b.Asset}/{b.Batch?.Value}={b.Amount}; ");
        }

        return new LedgerSnapshot(sequence, Convert.ToHexStringLower(hash), records, balances.ToString());
    }

    public async Task AssertLedgerUnchangedAsync(LedgerSnapshot before, string because)
    {
        var after = await LedgerAsync();
        Assert.True(before == after, $"{because}: the ledger moved from {before} to {after}");
    }

    /// <summary>The person's balance of one asset, summed over batches.</summary>
    public async Task<long> BalanceAsync(PersonSetup person, Asset asset) =>
        (await Store.GetBalancesAsync(new AccountId(person.Account))).Where(b => b.Asset == asset).Sum(b => b.Amount);

    /// <summary>The ledger audit and the ingestion audit both find nothing wrong.</summary>
    public async Task AssertAuditsPassAsync()
    {
        var ledger = await Store.AuditAsync();
        Assert.True(ledger.Passed, "ledger audit: " + string.Join("; ", ledger.Problems));
        var ingestion = await IngestionAudit.RunAsync(Store);
        Assert.True(ingestion.Passed, "ingestion audit: " + string.Join("; ", ingestion.Problems));
    }

    public static BehaviourRecord Metro(string id, string user, DateTimeOffset at, decimal km = 12.3m, decimal minutes = 30) => new()
    {
        Scenario = "sz-metro", ExternalId = id, UserRef = user, OccurredAt = at,
        Inputs = new Dictionary<string, decimal> { ["distance"] = km, ["duration"] = minutes },
    };

    /// <summary>A bus ride of a points-only scenario, identified across operators by vehicle and stop.</summary>
    public static BehaviourRecord Bus(string scenario, string id, string user, DateTimeOffset at, string vehicle = "B123", string stop = "S9") => new()
    {
        Scenario = scenario, ExternalId = id, UserRef = user, OccurredAt = at, Inputs = new Dictionary<string, decimal>(),
        Attributes = new Dictionary<string, string> { ["vehicle"] = vehicle, ["stop"] = stop },
    };

    /// <summary>A points-only bus scenario in the <c>sz-bus</c> de-duplication group (vehicle and stop within two minutes).</summary>
    public static object BusScenario(string code, string titleEn) => new
    {
        code, titleZh = "公交出行", titleEn, pointsPerAction = 5, attributes = new[] { "vehicle", "stop" },
        dedup = new { group = "sz-bus", attributes = new[] { "vehicle", "stop" }, windowSeconds = 120 }, region = "440300",
    };

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.DisposeAsync();
        await Store.DisposeAsync();
    }
}
