using System.Globalization;
using System.Text;
using System.Text.Json;
using Puhui.Host.Http;

namespace Puhui.Host.Demo;

/// <summary>What the registry part of the demo did, for the summary and the tests.</summary>
/// <param name="Batches">Each issued batch: its code and the grams to the developer and to the buffer pool.</param>
/// <param name="Developers">Each developer's staff token and the batches issued to it, by id.</param>
public sealed record RegistryDemoResult(IReadOnlyList<long> Projects, IReadOnlyList<(string Code, long Issued, long Developer, long Buffer)> Batches, long AdjustedFrom, long AdjustedTo,
    int PublicProjects, int PublicBatches, long PublicIssuedGrams, long PublicBufferGrams, IReadOnlyList<(long Account, string Token, IReadOnlyList<long> Batches)> Developers);

/// <summary>
/// The registry walk of the demo, all over HTTP (DESIGN §8): a rooftop PV developer and a forest farm each draft a
/// project with its documents and declarations (not CCER, green power or green certificates: JS 23, SZ 22) and
/// submit it; the operating body assigns the approved verification body, which validates it; a drawn panel reviews
/// it and the administrator registers it. Each then reports two monitoring periods, which the verification body
/// verifies (once adjusting the PV claim, with its reason), a panel reviews, the operating body approves and the
/// administrator issues as one batch each; the forest's buffer share goes to the pool. The public registry is read
/// back without a token.
/// </summary>
public static class RegistryDemo
{
    private sealed record Developer(string Code, string Name, object Project, string Field, (string From, string To, object Inputs)[] Periods);

    private static readonly Developer[] Developers =
    [
        new("js-sunshine-pv", "江苏阳光屋顶光伏 / Jiangsu Sunshine Rooftop PV", new
        {
            nameZh = "南京江宁工业园屋顶分布式光伏", nameEn = "Jiangning industrial park rooftop PV", type = "distributed-pv", region = "320115",
            latitude = 31.9525m, longitude = 118.8402m, capacity = 2_000L, capacityUnit = "kW", methodologyId = "distributed-pv", methodologyVersion = "1.0.0",
            creditingFrom = "2025-01-01", creditingTo = "2031-12-31",
            declarations = new { registeredWithCcer = false, inGreenPowerTrading = false, issuedGreenCertificates = false },
            externalIds = new[] { new { scheme = "grid-account", id = "3201150000123456" } },
        }, "energy",
        [
            ("2025-01-01", "2025-06-30", new { generation = 1_150.5m }),
            ("2025-07-01", "2025-12-31", new { generation = 1_080.0m }),
        ]),
        new("lishui-forest-farm", "溧水国有林场 / Lishui State Forest Farm", new
        {
            nameZh = "溧水林场人工林碳汇", nameEn = "Lishui plantation forest carbon sink", type = "forestry-sink", region = "320117",
            latitude = 31.6511m, longitude = 119.0283m, capacity = 320L, capacityUnit = "ha", methodologyId = "forestry-sink", methodologyVersion = "1.0.0",
            creditingFrom = "2025-01-01", creditingTo = "2034-12-31",
            declarations = new { registeredWithCcer = false, inGreenPowerTrading = false, issuedGreenCertificates = false },
            externalIds = new[] { new { scheme = "forest-title", id = "苏(2019)溧水林权第0088号" } },
        }, "forestry",
        [
            ("2025-01-01", "2025-06-30", new { volume_growth = 3.2m }),
            ("2025-07-01", "2025-12-31", new { volume_growth = 3.6m }),
        ]),
    ];

    public static async Task<RegistryDemoResult> RunAsync(DemoApi api, GovernanceActors actors, SimulatedClock clock, CancellationToken ct)
    {
        var projects = new List<long>();
        var developers = new List<(long, string, IReadOnlyList<long>)>();
        var batches = new List<(string, long, long, long)>();
        long adjustedFrom = 0, adjustedTo = 0;
        foreach (var developer in Developers)
        {
            var organisation = await api.PostAsync<OrganisationCreatedDto>("/api/v1/organisations", actors.AdminToken,
                new OrganisationRequest(developer.Code, developer.Name, ["ProjectDeveloper"]), ct);
            var staff = organisation.StaffToken;
            var issuedBatches = new List<long>();
            developers.Add((organisation.Account, staff, issuedBatches));
            var design = await UploadAsync(api, staff, "项目设计文件.txt", $"{developer.Name}：项目设计文件 / project design document", ct);
            var drafted = await api.PostAsync<JsonElement>("/api/v1/registry/projects", staff, Merge(developer.Project, new { documents = new[] { design }, comment = "项目草稿 / draft" }), ct);
            var application = drafted.GetProperty("application").GetProperty("id").GetInt64();
            var project = drafted.GetProperty("projectId").GetInt64();
            projects.Add(project);

            var monitoringPlan = await UploadAsync(api, staff, "监测计划.txt", "监测计划 / monitoring plan", ct);
            await StepAsync(api, application, staff, new { action = "submit", documents = new[] { monitoringPlan }, comment = "提交登记申请 / submitted" }, ct);
            await StepAsync(api, application, actors.PlatformOperatorToken, new { action = "assign-validation", verifier = actors.VerifierAccount }, ct);
            clock.Advance(TimeSpan.FromDays(1));
            var validation = await UploadAsync(api, actors.VerifierToken, "审定报告.txt", "审定报告：基准线、额外性与监测计划符合方法学 / validation report", ct);
            await StepAsync(api, application, actors.VerifierToken, new { action = "validate", comment = "审定通过 / validated", documents = new[] { validation } }, ct);
            await ReviewAsync(api, application, actors, developer.Field, clock, ct);
            await StepAsync(api, application, actors.AdminToken, new { action = "register", comment = "登记并公布 / registered and published" }, ct);

            for (var p = 0; p < developer.Periods.Length; p++)
            {
                var (from, to, inputs) = developer.Periods[p];
                var report = await UploadAsync(api, staff, $"监测报告-{from}.txt", $"监测报告 {from}–{to} / monitoring report", ct);
                var period = await api.PostAsync<JsonElement>($"/api/v1/registry/projects/{project}/periods", staff,
                    new { from, to, inputs, documents = new[] { report }, comment = "监测报告 / monitoring report" }, ct);
                var periodApplication = period.GetProperty("application").GetProperty("id").GetInt64();
                await StepAsync(api, periodApplication, actors.PlatformOperatorToken, new { action = "assign-verification", verifier = actors.VerifierAccount }, ct);
                clock.Advance(TimeSpan.FromDays(1));
                var verification = await UploadAsync(api, actors.VerifierToken, $"核证报告-{from}.txt", "核证报告 / verification report", ct);
                // The second PV period: the verifier finds 30 MWh of the reading from a meter fault and certifies less.
                var adjust = developer.Field == "energy" && p == 1;
                var claimed = period.GetProperty("period").GetProperty("claimedGrams").GetInt64();
                var verified = adjust ? claimed - 17_109_000 : (long?)null;
                if (adjust) (adjustedFrom, adjustedTo) = (claimed, verified!.Value);
                await StepAsync(api, periodApplication, actors.VerifierToken, new
                {
                    action = "verify", documents = new[] { verification }, grams = verified,
                    comment = adjust ? "电表故障期间 30 MWh 不予核证（30 MWh × 0.5703 t/MWh）/ 30 MWh during a meter fault not verified" : "核证无误 / verified as claimed",
                }, ct);
                await ReviewAsync(api, periodApplication, actors, developer.Field, clock, ct);
                await StepAsync(api, periodApplication, actors.PlatformOperatorToken, new { action = "approve", comment = "评审通过，报请签发 / approved for issuance" }, ct);
                var issued = await api.PostAsync<JsonElement>($"/api/v1/registry/periods/{periodApplication}/issue", actors.AdminToken, new { comment = "签发 / issued" }, ct);
                var issuedPeriod = issued.GetProperty("period");
                issuedBatches.Add(issuedPeriod.GetProperty("batch").GetProperty("id").GetInt64());
                batches.Add((issuedPeriod.GetProperty("batch").GetProperty("code").GetString()!, issuedPeriod.GetProperty("issuedGrams").GetInt64(),
                    issuedPeriod.GetProperty("developerGrams").GetInt64(), issuedPeriod.GetProperty("bufferGrams").GetInt64()));
                clock.Advance(TimeSpan.FromHours(2));
            }
        }

        var publicProjects = await api.GetAsync<JsonElement>("/api/v1/public/registry/projects", null, ct);
        var publicBatches = (await api.GetAsync<JsonElement>("/api/v1/public/registry/batches", null, ct)).GetProperty("batches").EnumerateArray().ToList();
        return new RegistryDemoResult(projects, batches, adjustedFrom, adjustedTo, publicProjects.GetProperty("projects").GetArrayLength(), publicBatches.Count,
            publicBatches.Sum(b => b.GetProperty("totals").GetProperty("issued").GetInt64()), publicBatches.Sum(b => b.GetProperty("totals").GetProperty("buffer").GetInt64()),
            developers);
    }

    /// <summary>The operating body draws a panel of the field's experts, each passes it.</summary>
    private static async Task ReviewAsync(DemoApi api, long application, GovernanceActors actors, string field, SimulatedClock clock, CancellationToken ct)
    {
        var accepted = await StepAsync(api, application, actors.PlatformOperatorToken,
            new { action = "accept", comment = "组织专家评审 / review panel drawn", panel = new { fields = new[] { field }, size = 2 } }, ct);
        foreach (var expert in accepted.GetProperty("application").GetProperty("panel").EnumerateArray().Select(e => e.GetInt64()))
        {
            clock.Advance(TimeSpan.FromHours(3));
            await StepAsync(api, application, actors.ExpertTokens[expert], new { action = "opinion", verdict = "pass", comment = "同意 / pass" }, ct);
        }
    }

    private static Task<JsonElement> StepAsync(DemoApi api, long application, string token, object step, CancellationToken ct)
        => api.PostAsync<JsonElement>($"/api/v1/applications/{application}/steps", token, step, ct);

    private static async Task<string> UploadAsync(DemoApi api, string token, string name, string text, CancellationToken ct)
        => (await api.PostAsync<DocumentDto>("/api/v1/documents", token, new DocumentUpload(name, "text/plain", Convert.ToBase64String(Encoding.UTF8.GetBytes(text))), ct)).Sha256;

    /// <summary>The properties of both objects as one JSON object.</summary>
    private static Dictionary<string, JsonElement> Merge(object a, object b)
    {
        var merged = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var part in new[] { a, b })
        {
            foreach (var property in JsonSerializer.SerializeToElement(part, DemoApi.Json).EnumerateObject()) merged[property.Name] = property.Value.Clone();
        }

        return merged;
    }

    public static string Describe(RegistryDemoResult r) => string.Create(CultureInfo.InvariantCulture,
        $"{r.Projects.Count} projects, {r.Batches.Count} batches, {r.PublicIssuedGrams:N0} g issued, {r.PublicBufferGrams:N0} g in the buffer pool");
}
