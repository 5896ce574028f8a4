using System.Net;
using System.Text;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Puhui.Host.Http;
using Puhui.Storage;
using Puhui.Storage.Access;
using Puhui.Storage.Holdings;
using Puhui.Storage.Ledger;
using Puhui.Storage.Methodologies;
using Puhui.Tests.Methodologies;

namespace Puhui.Tests.Http;

/// <summary>An organisation registered through the API: its account and its staff's token.</summary>
public sealed record OrganisationSetup(string Code, string Name, long Account, string Token);

/// <summary>An expert of the pool, added by the administrator, with the token the administrator issued.</summary>
public sealed record ExpertSetup(long Id, string Name, string Token);

/// <summary>
/// The host on a real Kestrel socket over a fresh store, for the governance workflows, the operating body's desk
/// and public disclosure. Walking 1.0.0 is in the methodology library; everyone else is set up through the API:
/// a research institute that develops methodologies, a metro operator that runs scenarios, a rival developer, a
/// person, the platform operator's staff and an expert pool of six. The clock is the test's; deadlines count by
/// the shipped Chinese working-day calendar.
/// </summary>
public sealed class GovernanceHttpWorld : IAsyncDisposable
{
    public const string AdminToken = "admin-token-for-governance-tests-0123456789";

    /// <summary>Monday 28 September 2026, 09:00 in China: the Mid-Autumn and National Day holidays (1–7 October, 10 October worked) lie just ahead.</summary>
    public static readonly DateTimeOffset BeforeNationalDay = new(2026, 9, 28, 9, 0, 0, TimeSpan.FromHours(8));

    /// <summary>Monday 2 November 2026, 09:00 in China: a month without holidays.</summary>
    public static readonly DateTimeOffset November = new(2026, 11, 2, 9, 0, 0, TimeSpan.FromHours(8));

    public static readonly HttpMethod Get = HttpMethod.Get, Post = HttpMethod.Post;

    private GovernanceHttpWorld(LedgerStore store, WebApplication app, HttpClient http, ManualClock clock, CertificateSigner signer)
    {
        Store = store;
        App = app;
        Http = http;
        Clock = clock;
        Signer = signer;
    }

    public LedgerStore Store { get; }
    public WebApplication App { get; }
    public HttpClient Http { get; }
    public ManualClock Clock { get; }

    /// <summary>The platform's certificate key, generated for this world so that no test writes a key file.</summary>
    public CertificateSigner Signer { get; }

    /// <summary>碳研究院, which develops methodologies; the expert 王工 works there.</summary>
    public OrganisationSetup Institute { get; private set; } = new("", "", 0, "");

    /// <summary>深圳地铁, an operator that applies for scenarios; the expert 陈工 works there.</summary>
    public OrganisationSetup Metro { get; private set; } = new("", "", 0, "");

    /// <summary>Another developer, which is nobody's applicant here.</summary>
    public OrganisationSetup Rival { get; private set; } = new("", "", 0, "");

    /// <summary>A registered person's token.</summary>
    public string PersonToken { get; private set; } = "";

    /// <summary>The platform operator's (运营机构) staff token.</summary>
    public string Desk { get; private set; } = "";

    /// <summary>
    /// 王工 (institute, transport), 李教授 (transport), 张研究员 (transport, energy), 赵博士 (transport),
    /// 陈工 (metro, transport, energy), 周工 (energy).
    /// </summary>
    public IReadOnlyList<ExpertSetup> Experts { get; private set; } = [];

    public static async Task<GovernanceHttpWorld> CreateAsync(StoreKind kind, DateTimeOffset start)
    {
        var clock = new ManualClock(start);
        var store = await TestStores.CreateAsync(kind, clock);
        await store.MigrateAsync();
        var walking = await new MethodologyStore(store.Dialect, clock).RegisterAsync(WalkingText("1.0.0"));
        Assert.True(walking.Succeeded, walking.Problem);

        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var signer = CertificateSigner.Generate();
        var app = PuhuiHost.Build(store, [], $"http://127.0.0.1:{port}",
            new PuhuiHostOptions(clock, MasterKey.FromBytes(new byte[32]), AdminToken, ExpiryJob: false, CertificateSigner: signer));
        await app.StartAsync();
        var world = new GovernanceHttpWorld(store, app, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") }, clock, signer);
        await world.SeedAsync();
        return world;
    }

    private async Task SeedAsync()
    {
        Institute = await AddOrganisationAsync("org:cre-institute", "碳研究院", "ProjectDeveloper");
        Metro = await AddOrganisationAsync("org:sz-metro", "深圳地铁", "Operator");
        Rival = await AddOrganisationAsync("org:rival", "另一开发商", "ProjectDeveloper");
        PersonToken = (await SendAsync(Post, "/api/v1/persons", null, new { displayName = "Alice" })).GetProperty("token").GetString()!;
        Desk = (await SendAsync(Post, "/api/v1/admin/tokens", AdminToken, new { role = "platform-operator", label = "受理窗口" })).GetProperty("token").GetString()!;
        var experts = new List<ExpertSetup>();
        foreach (var (name, organisation, account, fields) in new (string, string, long?, string[])[]
        {
            ("王工", "碳研究院", Institute.Account, ["transport"]), ("李教授", "南京大学", null, ["transport"]), ("张研究员", "市环科院", null, ["transport", "energy"]),
            ("赵博士", "清华大学", null, ["transport"]), ("陈工", "深圳地铁", Metro.Account, ["transport", "energy"]), ("周工", "电力研究院", null, ["energy"]),
        })
        {
            var id = (await SendAsync(Post, "/api/v1/admin/experts", AdminToken, new { name, organisation, organisationAccount = account, fields, title = "教授" }))
                .GetProperty("id").GetInt64();
            var token = (await SendAsync(Post, "/api/v1/admin/tokens", AdminToken, new { role = "expert", expertId = id, label = name })).GetProperty("token").GetString()!;
            experts.Add(new ExpertSetup(id, name, token));
        }

        Experts = experts;
    }

    public async Task<OrganisationSetup> AddOrganisationAsync(string code, string name, string role)
    {
        var org = await SendAsync(Post, "/api/v1/organisations", AdminToken, new { code, displayName = name, roles = new[] { role } });
        return new OrganisationSetup(code, name, org.GetProperty("account").GetInt64(), org.GetProperty("staffToken").GetString()!);
    }

    public ExpertSetup Expert(long id) => Experts.Single(e => e.Id == id);

    /// <summary>The walking methodology of the library, as the given version.</summary>
    public static string WalkingText(string version)
    {
        var text = File.ReadAllText(Path.Combine(MethodologyText.LibraryDirectory(), "walking.yaml"));
        Assert.Contains("\nversion: 1.0.0\n", text, StringComparison.Ordinal);
        return text.Replace("\nversion: 1.0.0\n", $"\nversion: {version}\n", StringComparison.Ordinal);
    }

    /// <summary>A scenario definition on walking, 1.0.0 unless another version is named.</summary>
    public static object Scenario(string code, string titleEn, string version = "1.0.0") =>
        new { code, titleZh = "步行出行 " + code, titleEn, methodologyId = "walking", methodologyVersion = version, region = "440300" };

    /// <summary>Uploads a document as <paramref name="token"/>'s caller and returns its SHA-256, checked against the bytes.</summary>
    public async Task<string> UploadAsync(string token, string name, string content, string mediaType = "application/pdf")
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        using var response = await RawAsync(Post, "/api/v1/documents", token, new { name, mediaType, contentBase64 = Convert.ToBase64String(bytes) });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"upload {name}: {(int)response.StatusCode} {text}");
        var sha = JsonDocument.Parse(text).RootElement.GetProperty("sha256").GetString()!;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), sha);
        Assert.Equal($"/api/v1/documents/{sha}", response.Headers.Location!.OriginalString);
        return sha;
    }

    /// <summary>The institute's staff apply for a version of walking; returns the new application.</summary>
    public async Task<JsonElement> ApplyForWalkingAsync(string version, IReadOnlyList<string>? documents = null, string comment = "申请备案 / please file") =>
        await SendAsync(Post, "/api/v1/methodologies/applications", Institute.Token, new { text = WalkingText(version), documents = documents ?? [], comment });

    /// <summary>The metro's staff apply for a scenario on walking; returns the new application.</summary>
    public async Task<JsonElement> ApplyForScenarioAsync(string code, IReadOnlyList<string>? documents = null, string version = "1.0.0") =>
        await SendAsync(Post, "/api/v1/scenarios/applications", Metro.Token,
            new { definition = Scenario(code, "Walking " + code, version), documents = documents ?? [], comment = "申请接入" });

    public Task<JsonElement> StepAsync(long application, string token, object step) => SendAsync(Post, $"/api/v1/applications/{application}/steps", token, step);

    /// <summary>Every member of the application's current panel gives an opinion with <paramref name="verdict"/>.</summary>
    public async Task<JsonElement> OpinionsAsync(long application, string verdict = "pass")
    {
        var detail = await DetailAsync(application);
        foreach (var member in detail.GetProperty("application").GetProperty("panel").EnumerateArray())
            detail = await StepAsync(application, Expert(member.GetInt64()).Token, new { action = "opinion", verdict, comment = $"{verdict}: 减排量计算合理" });
        return detail;
    }

    /// <summary>A scenario application accepted without experts, passed, filed and started: running.</summary>
    public async Task<long> RunningScenarioAsync(string code)
    {
        var id = (await ApplyForScenarioAsync(code)).GetProperty("id").GetInt64();
        await StepAsync(id, Desk, new { action = "accept" });
        await StepAsync(id, Desk, new { action = "pass", comment = "材料齐全" });
        await StepAsync(id, AdminToken, new { action = "file" });
        Assert.Equal("running", (await StepAsync(id, Desk, new { action = "start" })).GetProperty("application").GetProperty("state").GetString());
        return id;
    }

    /// <summary>The application as the platform operator reads it, with its history, objections, opinions and documents.</summary>
    public Task<JsonElement> DetailAsync(long application) => SendAsync(Get, $"/api/v1/applications/{application}", Desk);

    /// <summary>Sends JSON with an optional bearer token and returns the JSON answer; fails the test on an error status.</summary>
    public Task<JsonElement> SendAsync(HttpMethod method, string path, string? token, object? body = null) => Http.JsonAsync(method, path, token, body);

    public Task<HttpResponseMessage> RawAsync(HttpMethod method, string path, string? token, object? body = null) => Http.CallAsync(method, path, token, body);

    /// <summary>
    /// Sends a request that must be refused with <paramref name="status"/> and <paramref name="code"/>, and checks that
    /// nothing changed: the governance tables, and <paramref name="watched"/> as the platform operator reads it.
    /// </summary>
    public async Task<JsonElement> RefusedAsync(HttpMethod method, string path, string? token, object? body, HttpStatusCode status, string code, long? watched = null)
    {
        var before = await SnapshotAsync();
        var watchedBefore = watched is { } w0 ? await ReadAsync($"/api/v1/applications/{w0}") : null;
        JsonElement problem;
        using (var response = await RawAsync(method, path, token, body))
            problem = await IngestionHttpWorld.AssertProblemAsync(response, status, code, $"{method} {path}");
        Assert.Equal(before, await SnapshotAsync());
        if (watched is { } w1) Assert.Equal(watchedBefore, await ReadAsync($"/api/v1/applications/{w1}"));
        return problem;
    }

    /// <summary>A refused step on <paramref name="application"/>, which must stay exactly as it was.</summary>
    public Task<JsonElement> RefusedStepAsync(long application, string? token, object step, HttpStatusCode status, string code) =>
        RefusedAsync(Post, $"/api/v1/applications/{application}/steps", token, step, status, code, application);

    /// <summary>Asserts the workflow's extension members of a refused step: the application's state and the steps allowed from it.</summary>
    public static void AssertWorkflowRefusal(JsonElement problem, string state, params string[] allowedActions)
    {
        Assert.Equal(state, problem.GetProperty("state").GetString());
        Assert.Equal(allowedActions, problem.GetProperty("allowedActions").EnumerateArray().Select(a => a.GetString()));
    }

    private async Task<string> ReadAsync(string path)
    {
        using var response = await RawAsync(Get, path, Desk);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Every governance row a step could write, read from the store.</summary>
    public async Task<string> SnapshotAsync()
    {
        return await StoreSnapshot.ReadAsync(Store,
            "SELECT id, state, revision, round, received_on, entered_on, COALESCE(due_on, ''), COALESCE(panel_draw_id, 0), panel, updated_us FROM applications ORDER BY id",
            "SELECT last_seq FROM governance_head",
            "SELECT seq, application_id, action FROM governance_log ORDER BY seq",
            "SELECT sha256, size_bytes FROM documents ORDER BY sha256",
            "SELECT application_id, sha256, seq FROM application_documents ORDER BY application_id, sha256, seq",
            "SELECT id, application_id, outcome, response FROM objections ORDER BY id",
            "SELECT application_id, round, expert_id, passed FROM opinions ORDER BY application_id, round, expert_id",
            "SELECT COUNT(*) FROM panel_draws",
            "SELECT methodology_id, version, status, COALESCE(application_id, 0) FROM methodology_versions ORDER BY methodology_id, version",
            "SELECT code, status, revision FROM scenarios ORDER BY code");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        await Store.DisposeAsync();
        Signer.Dispose();
    }
}
