using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Puhui.Governance;
using Puhui.Storage;
using Puhui.Storage.Governance;
using Puhui.Storage.Methodologies;
using Puhui.Tests.Governance;
using Puhui.Tests.Methodologies;

namespace Puhui.Tests.Http;

/// <summary>
/// The project registry over real HTTP on each store (DESIGN §8): a rooftop PV project registered by the institute's
/// staff, validated by the verification body's staff, reviewed by drawn experts and registered by the
/// administrator; two monitoring periods verified (one with the verifier's own figure) and issued, one through the
/// registry's issue endpoint and one through the generic step; and the refusals with their problem codes, nothing
/// changed.
/// </summary>
public class RegistryApiTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    private static readonly HttpMethod Get = HttpMethod.Get, Post = HttpMethod.Post;
    private const string Admin = GovernanceHttpWorld.AdminToken;

    private static string State(JsonElement detail) => detail.GetProperty("application").GetProperty("state").GetString()!;

    private static object Pv(string externalId = "3201150012345", bool ccer = false, decimal latitude = 31.953418m) => new
    {
        nameZh = "南京江宁屋顶分布式光伏", nameEn = "Jiangning rooftop PV", type = "distributed-pv", region = "320115", latitude, longitude = 118.839962m,
        capacity = 500, capacityUnit = "kW", methodologyId = "distributed-pv", methodologyVersion = "1.0.0", creditingFrom = "2025-01-01", creditingTo = "2034-12-31",
        declarations = new { registeredWithCcer = ccer, inGreenPowerTrading = false, issuedGreenCertificates = false },
        externalIds = new[] { new { scheme = "sgcc-account", id = externalId } }, documents = Array.Empty<string>(), comment = "项目登记申请 / registering",
    };

    private static async Task<(OrganisationSetup Verifier, OrganisationSetup Unapproved)> VerifiersAsync(GovernanceHttpWorld w)
    {
        var verifier = await w.AddOrganisationAsync("org:js-verify", "江苏碳核查中心", "VerificationBody");
        var unapproved = await w.AddOrganisationAsync("org:new-verify", "新设核查公司", "VerificationBody");
        var bodies = w.App.Services.GetRequiredService<VerificationBodies>();
        var certificate = await w.UploadAsync(verifier.Token, "资质证书.pdf", "%PDF accreditation certificate");
        var applied = await bodies.SubmitAsync(new Actor(WorkflowRole.Applicant, "account:" + verifier.Account, new Puhui.Ledger.AccountId(verifier.Account)),
            VerificationBodyConditionsTests.Complete(), [certificate], "申请认定", default);
        Assert.True(applied.Succeeded, applied.Detail);
        await w.StepAsync(applied.Application!.Id, Admin, new { action = "approve", comment = "符合条件" });
        return (verifier, unapproved);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_pv_project_goes_from_registration_to_two_issued_periods_over_http(StoreKind kind)
    {
        await using var w = await GovernanceHttpWorld.CreateAsync(kind, GovernanceHttpWorld.November);
        var pv = await new MethodologyStore(w.Store.Dialect, w.Clock).RegisterAsync(File.ReadAllText(Path.Combine(MethodologyText.LibraryDirectory(), "distributed-pv.yaml")));
        Assert.True(pv.Succeeded, pv.Problem);
        var (verifier, unapproved) = await VerifiersAsync(w);
        var dossier = await w.UploadAsync(w.Institute.Token, "项目设计文件.pdf", "%PDF project design");
        var validation = await w.UploadAsync(verifier.Token, "审定报告.pdf", "%PDF validation report");

        // Registered by the developer's staff: 201 with the project and its application in draft.
        JsonElement created;
        using (var response = await w.RawAsync(Post, "/api/v1/registry/projects", w.Institute.Token, Pv()))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            created = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            Assert.Equal($"/api/v1/registry/projects/{created.GetProperty("projectId").GetInt64()}", response.Headers.Location!.OriginalString);
        }

        var projectId = created.GetProperty("projectId").GetInt64();
        var app = created.GetProperty("application").GetProperty("id").GetInt64();
        Assert.Equal(("project", "draft", w.Institute.Account), (created.GetProperty("application").GetProperty("kind").GetString(),
            created.GetProperty("application").GetProperty("state").GetString(), created.GetProperty("application").GetProperty("applicant").GetInt64()));
        Assert.StartsWith("PRJ-320115-", created.GetProperty("code").GetString(), StringComparison.Ordinal);

        // Duplicates and declared schemes are refused and change nothing.
        var duplicate = await w.RefusedAsync(Post, "/api/v1/registry/projects", w.Rival.Token, Pv(), HttpStatusCode.Conflict, "project-duplicate");
        Assert.Equal(projectId, duplicate.GetProperty("existingProject").GetInt64());
        var site = await w.RefusedAsync(Post, "/api/v1/registry/projects", w.Rival.Token, Pv("3201150099999", latitude: 31.953868m), HttpStatusCode.Conflict,
            "project-duplicate");
        Assert.Contains($"project {projectId}", site.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var ccer = await w.RefusedAsync(Post, "/api/v1/registry/projects", w.Rival.Token, Pv("x1", ccer: true, latitude: 30m), HttpStatusCode.BadRequest, "project-invalid");
        Assert.Contains("CCER", ccer.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await w.RefusedAsync(Post, "/api/v1/registry/projects", w.Metro.Token, Pv("x2", latitude: 30m), HttpStatusCode.Forbidden, "forbidden");
        await w.RefusedAsync(Post, "/api/v1/registry/projects", w.PersonToken, Pv("x3", latitude: 30m), HttpStatusCode.Forbidden, "forbidden");

        // Validation: an unapproved body is refused; the assigned body's staff validate, nobody else.
        await w.StepAsync(app, w.Institute.Token, new { action = "submit", documents = new[] { dossier } });
        var notEligible = await w.RefusedStepAsync(app, w.Desk, new { action = "assign-validation", verifier = unapproved.Account }, HttpStatusCode.Conflict,
            "verifier-not-eligible");
        Assert.Contains("not approved", notEligible.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await w.RefusedStepAsync(app, w.Desk, new { action = "assign-validation", verifier = w.Institute.Account }, HttpStatusCode.Conflict, "verifier-not-eligible");
        await w.StepAsync(app, w.Desk, new { action = "assign-validation", verifier = verifier.Account });
        await w.RefusedStepAsync(app, unapproved.Token, new { action = "validate", comment = "通过", documents = new[] { validation } }, HttpStatusCode.Forbidden,
            "action-forbidden");
        await w.RefusedStepAsync(app, w.Institute.Token, new { action = "validate", comment = "通过", documents = new[] { validation } }, HttpStatusCode.Forbidden,
            "action-forbidden");
        // The assigned body reads the application and the developer's dossier before it validates; another body reads neither.
        Assert.Equal(app, (await w.SendAsync(Get, $"/api/v1/applications/{app}", verifier.Token)).GetProperty("application").GetProperty("id").GetInt64());
        using (var file = await w.RawAsync(Get, $"/api/v1/documents/{dossier}", verifier.Token)) Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        await w.RefusedAsync(Get, $"/api/v1/applications/{app}", unapproved.Token, null, HttpStatusCode.Forbidden, "forbidden");
        await w.RefusedAsync(Get, $"/api/v1/documents/{dossier}", unapproved.Token, null, HttpStatusCode.NotFound, "document-not-found");
        var validated = await w.StepAsync(app, verifier.Token, new { action = "validate", comment = "审定通过 / validated", documents = new[] { validation } });
        Assert.Equal(("validated", "verifier"), (State(validated), validated.GetProperty("history").EnumerateArray().Last().GetProperty("role").GetString()));
        var review = await w.StepAsync(app, w.Desk, new { action = "accept", panel = new { fields = new[] { "energy" }, size = 2 } });
        Assert.DoesNotContain(w.Experts[0].Id, review.GetProperty("application").GetProperty("panel").EnumerateArray().Select(p => p.GetInt64()));
        await w.OpinionsAsync(app);
        Assert.Equal("registered", State(await w.StepAsync(app, Admin, new { action = "register", comment = "准予登记" })));

        // Monitoring periods.
        var report = await w.UploadAsync(w.Institute.Token, "监测报告.pdf", "%PDF monitoring report");
        var periodPath = $"/api/v1/registry/projects/{projectId}/periods";
        await w.RefusedAsync(Post, periodPath, w.Rival.Token, new { from = "2025-01-01", to = "2025-06-30", inputs = new { generation = 300 } }, HttpStatusCode.Forbidden,
            "not-applicant");
        await w.RefusedAsync(Post, periodPath, w.Institute.Token, new { from = "2024-07-01", to = "2024-12-31", inputs = new { generation = 300 } }, HttpStatusCode.BadRequest,
            "period-invalid");
        await w.RefusedAsync(Post, "/api/v1/registry/projects/999999/periods", w.Institute.Token, new { from = "2025-01-01", to = "2025-06-30", inputs = new { generation = 1 } },
            HttpStatusCode.NotFound, "project-not-found");
        var periods = new List<long>();
        foreach (var (from, to, mwh) in new[] { ("2025-01-01", "2025-06-30", 300), ("2025-07-01", "2025-12-31", 320) })
        {
            using var response = await w.RawAsync(Post, periodPath, w.Institute.Token, new { from, to, inputs = new { generation = mwh }, documents = new[] { report }, comment = "监测报告" });
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Created, text);
            periods.Add(JsonDocument.Parse(text).RootElement.GetProperty("period").GetProperty("applicationId").GetInt64());
        }

        await w.RefusedAsync(Post, periodPath, w.Institute.Token, new { from = "2025-06-01", to = "2025-07-31", inputs = new { generation = 100 } }, HttpStatusCode.Conflict,
            "period-overlap");

        // Issuing before verification is refused by the workflow, with the state and the steps allowed from it.
        var head = await w.Store.GetHeadAsync();
        var early = await w.RefusedAsync(Post, $"/api/v1/registry/periods/{periods[0]}/issue", Admin, new { comment = "签发" }, HttpStatusCode.Conflict, "action-not-allowed",
            periods[0]);
        GovernanceHttpWorld.AssertWorkflowRefusal(early, "submitted", "assign-verification", "retract");
        Assert.Equal(head.Sequence, (await w.Store.GetHeadAsync()).Sequence);

        var verification = await w.UploadAsync(verifier.Token, "核证报告.pdf", "%PDF verification report");
        foreach (var (period, adjusted) in new[] { (periods[0], (long?)170_000_000), (periods[1], null) })
        {
            await w.StepAsync(period, w.Desk, new { action = "assign-verification", verifier = verifier.Account });
            var verified = await w.StepAsync(period, verifier.Token, new { action = "verify", comment = "电表读数核减 / meter reading corrected", documents = new[] { verification },
                grams = adjusted });
            if (adjusted is { } g) Assert.Equal(g, verified.GetProperty("history").EnumerateArray().Last().GetProperty("data").GetProperty("adjustedGrams").GetInt64());
            await w.StepAsync(period, w.Desk, new { action = "accept", panel = new { fields = new[] { "energy" }, size = 2 } });
            await w.OpinionsAsync(period);
            await w.StepAsync(period, w.Desk, new { action = "approve", comment = "评审通过" });
        }

        await w.RefusedAsync(Post, $"/api/v1/registry/periods/{periods[0]}/issue", w.Desk, new { comment = "签发" }, HttpStatusCode.Forbidden, "forbidden", periods[0]);
        var issued = await w.SendAsync(Post, $"/api/v1/registry/periods/{periods[0]}/issue", Admin, new { comment = "予以签发" });
        var first = issued.GetProperty("period");
        Assert.Equal(("issued", 170_000_000L, 170_000_000L, 0L), (first.GetProperty("state").GetString(), first.GetProperty("issuedGrams").GetInt64(),
            first.GetProperty("developerGrams").GetInt64(), first.GetProperty("bufferGrams").GetInt64()));
        Assert.Equal(("distributed-pv", "1.0.0", "I", 2025, "320115"), (first.GetProperty("batch").GetProperty("methodologyId").GetString(),
            first.GetProperty("batch").GetProperty("methodologyVersion").GetString(), first.GetProperty("batch").GetProperty("class").GetString(),
            first.GetProperty("batch").GetProperty("vintage").GetInt32(), first.GetProperty("batch").GetProperty("region").GetString()));
        Assert.True(Guid.TryParse(first.GetProperty("transactionId").GetString(), out _));
        Assert.Equal(head.Sequence + 1, (await w.Store.GetHeadAsync()).Sequence);
        var again = await w.RefusedAsync(Post, $"/api/v1/registry/periods/{periods[0]}/issue", Admin, new { comment = "再次签发" }, HttpStatusCode.Conflict, "action-not-allowed",
            periods[0]);
        GovernanceHttpWorld.AssertWorkflowRefusal(again, "issued");
        Assert.Equal(head.Sequence + 1, (await w.Store.GetHeadAsync()).Sequence);

        // The generic step issues through the registry too.
        var second = await w.StepAsync(periods[1], Admin, new { action = "issue", comment = "予以签发" });
        Assert.Equal("issued", State(second));
        Assert.Equal(head.Sequence + 2, (await w.Store.GetHeadAsync()).Sequence);

        // Reads: the developer, the operator and the administrator see the project with its periods; others do not.
        var detail = await w.SendAsync(Get, $"/api/v1/registry/projects/{projectId}", w.Institute.Token);
        Assert.Equal("registered", detail.GetProperty("project").GetProperty("state").GetString());
        Assert.Equal([(170_000_000L, "issued"), (182_496_000L, "issued")], detail.GetProperty("periods").EnumerateArray()
            .Select(p => (p.GetProperty("issuedGrams").GetInt64(), p.GetProperty("state").GetString())));
        Assert.Equal(detail.GetProperty("project"), (await w.SendAsync(Get, $"/api/v1/registry/projects/{projectId}", Admin)).GetProperty("project"), JsonElementComparer);
        await w.RefusedAsync(Get, $"/api/v1/registry/projects/{projectId}", w.Rival.Token, null, HttpStatusCode.Forbidden, "forbidden");
        await w.RefusedAsync(Get, "/api/v1/registry/projects/999999", Admin, null, HttpStatusCode.NotFound, "project-not-found");
        Assert.Single((await w.SendAsync(Get, "/api/v1/registry/projects?mine=true", w.Institute.Token)).GetProperty("projects").EnumerateArray());
        Assert.Empty((await w.SendAsync(Get, "/api/v1/registry/projects", w.Rival.Token)).GetProperty("projects").EnumerateArray());
        Assert.Single((await w.SendAsync(Get, "/api/v1/registry/projects", w.Desk)).GetProperty("projects").EnumerateArray());
        await w.RefusedAsync(Get, "/api/v1/registry/projects", w.PersonToken, null, HttpStatusCode.Forbidden, "forbidden");

        // A PV project does not reverse; reversals are the platform operator's.
        await w.RefusedAsync(Post, $"/api/v1/registry/projects/{projectId}/reversals", w.Desk, new { grams = 1000, requestKey = "fire", comment = "山火" }, HttpStatusCode.Conflict,
            "reversal-refused");
        await w.RefusedAsync(Post, $"/api/v1/registry/projects/{projectId}/reversals", Admin, new { grams = 1000, requestKey = "fire", comment = "山火" }, HttpStatusCode.Forbidden,
            "forbidden");
    }

    private static readonly IEqualityComparer<JsonElement> JsonElementComparer =
        EqualityComparer<JsonElement>.Create((a, b) => a.GetRawText() == b.GetRawText(), e => e.GetRawText().GetHashCode(StringComparison.Ordinal));
}
