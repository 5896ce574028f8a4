using System.Net;
using System.Text;
using System.Text.Json;
using Puhui.Governance;
using Puhui.Storage;
using Puhui.Storage.Governance;

namespace Puhui.Tests.Http;

/// <summary>
/// Governance over real HTTP on each store (DESIGN §10–11, JS 13–22): a methodology application from submission
/// through an objection to filing, a scenario application to running and through a suspension, every refusal as
/// its documented problem with nothing changed, the operating body's desk, experts' panels, and what the public
/// reads without logging in. Deadlines are counted in the shipped working-day calendar, across the 2026 National
/// Day holidays where it matters.
/// </summary>
public class GovernanceApiTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    private static readonly HttpMethod Get = HttpMethod.Get, Post = HttpMethod.Post;
    private const string Admin = GovernanceHttpWorld.AdminToken;
    private static readonly TimeSpan China = TimeSpan.FromHours(8);

    private static string State(JsonElement detail) => detail.GetProperty("application").GetProperty("state").GetString()!;

    private static string? Day(JsonElement application, string property) =>
        application.GetProperty(property).ValueKind == JsonValueKind.Null ? null : application.GetProperty(property).GetString();

    private static long[] Ids(JsonElement list) => [.. list.GetProperty("applications").EnumerateArray().Select(a => a.GetProperty("id").GetInt64())];

    private static long[] Panel(JsonElement application) => [.. application.GetProperty("panel").EnumerateArray().Select(p => p.GetInt64())];

    [Theory, MemberData(nameof(Stores))]
    public async Task A_methodology_goes_from_submission_through_an_objection_to_filing_and_the_public_sees_every_step(StoreKind kind)
    {
        await using var w = await GovernanceHttpWorld.CreateAsync(kind, GovernanceHttpWorld.BeforeNationalDay);
        var text = await w.UploadAsync(w.Institute.Token, "步行方法学说明.pdf", "%PDF walking 1.1.0 explanation");
        var report = await w.UploadAsync(w.Institute.Token, "测算报告.pdf", "%PDF walking 1.1.0 test vectors");

        // Submitted on Monday 28 September: 20 working days, skipping 1–7 October and counting Saturday 10 October, end on 30 October.
        JsonElement submitted;
        long id;
        using (var response = await w.RawAsync(Post, "/api/v1/methodologies/applications", w.Institute.Token,
            new { text = GovernanceHttpWorld.WalkingText("1.1.0"), documents = new[] { text, report }, comment = "申请备案 / please file" }))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            submitted = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            id = submitted.GetProperty("id").GetInt64();
            Assert.Equal($"/api/v1/applications/{id}", response.Headers.Location!.OriginalString);
        }

        Assert.Equal(("methodology", "walking@1.1.0", "submitted", w.Institute.Account, "碳研究院"), (submitted.GetProperty("kind").GetString(),
            submitted.GetProperty("subject").GetString(), submitted.GetProperty("state").GetString(), submitted.GetProperty("applicant").GetInt64(),
            submitted.GetProperty("applicantName").GetString()));
        Assert.Equal(("2026-09-28", "2026-10-30", "deadline", 20, false), (Day(submitted, "receivedOn"), Day(submitted, "dueOn"), submitted.GetProperty("dueKind").GetString(),
            submitted.GetProperty("workingDaysLeft").GetInt32(), submitted.GetProperty("overdue").GetBoolean()));
        Assert.Equal(["accept", "reject", "retract"], submitted.GetProperty("allowedActions").EnumerateArray().Select(a => a.GetProperty("action").GetString()));
        Assert.StartsWith("Revision: Walking 1.1.0", submitted.GetProperty("titleEn").GetString(), StringComparison.Ordinal);

        // Before its notice the public reads the record but not the documents.
        Assert.Empty((await w.SendAsync(Get, $"/api/v1/public/applications/{id}", null)).GetProperty("documents").EnumerateArray());
        await w.RefusedAsync(Get, $"/api/v1/public/documents/{text}", null, null, HttpStatusCode.NotFound, "document-not-found");

        var accepted = await w.StepAsync(id, w.Desk, new { action = "accept", panel = new { fields = new[] { "transport" }, size = 2 } });
        Assert.Equal("evaluation", State(accepted));
        var panel = Panel(accepted.GetProperty("application"));
        Assert.Equal(2, panel.Length);
        Assert.DoesNotContain(w.Experts[0].Id, panel); // 王工 works at the institute
        Assert.DoesNotContain(w.Experts[5].Id, panel); // 周工 knows energy, not transport
        var draw = accepted.GetProperty("application").GetProperty("panelDrawId").GetInt64();
        var recorded = await w.SendAsync(Get, $"/api/v1/public/panel-draws/{draw}", null);
        Assert.Equal($"application:{id}", recorded.GetProperty("subject").GetString());
        Assert.Equal(panel, recorded.GetProperty("panel").EnumerateArray().Select(p => p.GetInt64()));

        await w.OpinionsAsync(id);
        var noticed = await w.StepAsync(id, w.Desk, new { action = "publish", comment = "专家评估通过，予以公示" });
        var notice = noticed.GetProperty("application");
        Assert.Equal(("public-notice", "2026-10-10", "notice-ends", false), (State(noticed), Day(notice, "dueOn"), notice.GetProperty("dueKind").GetString(),
            notice.GetProperty("overdue").GetBoolean()));

        var notices = (await w.SendAsync(Get, "/api/v1/public/notices", null)).GetProperty("notices");
        var shown = Assert.Single(notices.EnumerateArray());
        Assert.Equal((id, "2026-09-28", "2026-10-10", $"/api/v1/public/applications/{id}/objections"), (shown.GetProperty("applicationId").GetInt64(),
            shown.GetProperty("noticeStartedOn").GetString(), shown.GetProperty("noticeEndsOn").GetString(), shown.GetProperty("objectionsUrl").GetString()));
        Assert.Equal([text, report], shown.GetProperty("documents").EnumerateArray().Select(d => d.GetProperty("sha256").GetString()));

        // Anyone objects on the next day, without logging in: the application goes back to its panel for a new round.
        w.Clock.Advance(TimeSpan.FromDays(1));
        JsonElement objection;
        using (var response = await w.RawAsync(Post, $"/api/v1/public/applications/{id}/objections", null, new { text = "步数换算距离的依据不足 / step counts overstate distance" }))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            Assert.Null(response.RequestMessage!.Headers.Authorization);
            objection = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            Assert.Equal($"/api/v1/public/objections?application={id}", response.Headers.Location!.OriginalString);
        }

        Assert.Equal(("open", "匿名 / anonymous"), (objection.GetProperty("outcome").GetString(), objection.GetProperty("lodgedBy").GetString()));
        var objectionId = objection.GetProperty("id").GetInt64();
        var open = Assert.Single((await w.SendAsync(Get, $"/api/v1/public/objections?application={id}", null)).GetProperty("objections").EnumerateArray());
        Assert.Equal((objectionId, "open", submitted.GetProperty("titleZh").GetString()), (open.GetProperty("id").GetInt64(), open.GetProperty("outcome").GetString(),
            open.GetProperty("applicationTitleZh").GetString()));
        var reopened = await w.DetailAsync(id);
        Assert.Equal(("evaluation", 2), (State(reopened), reopened.GetProperty("application").GetProperty("round").GetInt32()));
        Assert.Empty((await w.SendAsync(Get, "/api/v1/public/notices", null)).GetProperty("notices").EnumerateArray());

        // The panel's earlier opinions do not count in the new round, and the objection must be answered first.
        var early = await w.RefusedStepAsync(id, w.Desk, new { action = "publish", comment = "again" }, HttpStatusCode.Conflict, "action-not-allowed");
        GovernanceHttpWorld.AssertWorkflowRefusal(early, "evaluation", "opinion", "redraw", "amend", "answer-objection", "publish", "fail", "retract");
        var answered = await w.StepAsync(id, w.Desk, new { action = "answer-objection", objectionId, outcome = "dismissed", comment = "换算系数经实测校准 / calibrated by field tests" });
        Assert.Equal("dismissed", Assert.Single(answered.GetProperty("objections").EnumerateArray()).GetProperty("outcome").GetString());
        var dismissed = Assert.Single((await w.SendAsync(Get, "/api/v1/public/objections", null)).GetProperty("objections").EnumerateArray());
        Assert.Equal(("dismissed", "换算系数经实测校准 / calibrated by field tests"), (dismissed.GetProperty("outcome").GetString(), dismissed.GetProperty("response").GetString()));
        await w.OpinionsAsync(id);
        var renoticed = (await w.StepAsync(id, w.Desk, new { action = "publish", comment = "异议已答复，重新公示" })).GetProperty("application");
        // Noticed again on Tuesday 29 September: five working days are 30 September, 8, 9, 10 (a Saturday worked) and 12 October.
        Assert.Equal(("public-notice", "2026-09-29", "2026-10-12"), (renoticed.GetProperty("state").GetString(), Day(renoticed, "enteredOn"), Day(renoticed, "dueOn")));

        // The administrator cannot file while the notice runs, even on its last day.
        foreach (var at in new[] { new DateTimeOffset(2026, 10, 7, 10, 0, 0, China), new DateTimeOffset(2026, 10, 12, 23, 59, 0, China) })
        {
            w.Clock.Set(at);
            var tooEarly = await w.RefusedStepAsync(id, Admin, new { action = "file" }, HttpStatusCode.Conflict, "action-not-allowed");
            GovernanceHttpWorld.AssertWorkflowRefusal(tooEarly, "public-notice", "object", "file", "retract");
            Assert.Contains("2026-10-12", tooEarly.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        w.Clock.Set(new DateTimeOffset(2026, 10, 13, 9, 0, 0, China));
        var filed = await w.StepAsync(id, Admin, new { action = "file" });
        Assert.Equal("filed", State(filed));
        Assert.Empty((await w.SendAsync(Get, "/api/v1/public/notices", null)).GetProperty("notices").EnumerateArray());

        var methodologies = (await w.SendAsync(Get, "/api/v1/public/methodologies", null)).GetProperty("methodologies").EnumerateArray()
            .Where(m => m.GetProperty("methodologyId").GetString() == "walking").ToDictionary(m => m.GetProperty("version").GetString()!);
        Assert.Equal(["1.0.0", "1.1.0"], methodologies.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(("revised", JsonValueKind.Null), (methodologies["1.0.0"].GetProperty("standing").GetString(), methodologies["1.0.0"].GetProperty("applicationId").ValueKind));
        Assert.Equal(("filed", id), (methodologies["1.1.0"].GetProperty("standing").GetString(), methodologies["1.1.0"].GetProperty("applicationId").GetInt64()));
        Assert.Equal([text, report], methodologies["1.1.0"].GetProperty("documents").EnumerateArray().Select(d => d.GetProperty("sha256").GetString()));

        using (var response = await w.RawAsync(Get, "/api/v1/public/methodologies/walking/1.1.0/text", null))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/yaml", response.Content.Headers.ContentType!.MediaType);
            Assert.Equal(GovernanceHttpWorld.WalkingText("1.1.0").Replace("\r\n", "\n", StringComparison.Ordinal), await response.Content.ReadAsStringAsync());
        }

        await w.RefusedAsync(Get, "/api/v1/public/methodologies/walking/9.9.9/text", null, null, HttpStatusCode.UnprocessableEntity, "methodology-not-found");

        // The filed application's documents are public; another application's, still under review, are not.
        using (var response = await w.RawAsync(Get, $"/api/v1/public/documents/{report}", null))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/pdf", response.Content.Headers.ContentType!.MediaType);
            Assert.Equal("%PDF walking 1.1.0 test vectors", Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync()));
        }

        // A revised version takes no new scenarios; the filed one does.
        var plan = await w.UploadAsync(w.Metro.Token, "场景方案.pdf", "%PDF walking scenario plan");
        await w.RefusedAsync(Post, "/api/v1/scenarios/applications", w.Metro.Token, new { definition = GovernanceHttpWorld.Scenario("walk-sz", "Walking"), documents = new[] { plan } },
            HttpStatusCode.UnprocessableEntity, "methodology-not-found");
        await w.ApplyForScenarioAsync("walk-sz", [plan], "1.1.0");
        await w.RefusedAsync(Get, $"/api/v1/public/documents/{plan}", null, null, HttpStatusCode.NotFound, "document-not-found");
        using (var response = await w.RawAsync(Get, $"/api/v1/documents/{plan}", w.Desk))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // The public record: every step, who took it in which role, why, and the chain's hashes.
        var record = await w.SendAsync(Get, $"/api/v1/public/applications/{id}", null);
        Assert.Equal("filed", State(record));
        var history = record.GetProperty("history").EnumerateArray().ToList();
        Assert.Equal(["submit", "accept", "opinion", "opinion", "publish", "object", "answer-objection", "opinion", "opinion", "publish", "file"],
            history.Select(h => h.GetProperty("action").GetString()));
        Assert.Equal(["applicant", "platform-operator", "expert", "expert", "platform-operator", "public", "platform-operator", "expert", "expert", "platform-operator",
            "administrator"], history.Select(h => h.GetProperty("role").GetString()));
        Assert.Equal(["", "submitted", "evaluation", "evaluation", "evaluation", "public-notice", "evaluation", "evaluation", "evaluation", "evaluation", "public-notice"],
            history.Select(h => h.GetProperty("from").GetString()));
        Assert.StartsWith($"account:{w.Institute.Account}:", history[0].GetProperty("actor").GetString(), StringComparison.Ordinal);
        Assert.Equal("platform-operator:受理窗口", history[1].GetProperty("actor").GetString());
        Assert.Equal(panel.Select(p => $"expert:{p}").Order(StringComparer.Ordinal), history.Skip(2).Take(2).Select(h => h.GetProperty("actor").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal("public", history[5].GetProperty("actor").GetString());
        Assert.StartsWith("admin:", history[10].GetProperty("actor").GetString(), StringComparison.Ordinal);
        Assert.Equal("申请备案 / please file", history[0].GetProperty("comment").GetString());
        Assert.Equal("步数换算距离的依据不足 / step counts overstate distance", history[5].GetProperty("comment").GetString());
        Assert.Equal("换算系数经实测校准 / calibrated by field tests", history[6].GetProperty("comment").GetString());
        Assert.Equal([text, report], history[0].GetProperty("documents").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal(panel, history[1].GetProperty("data").GetProperty("panel").EnumerateArray().Select(p => p.GetInt64()));
        Assert.Equal(objectionId, history[5].GetProperty("data").GetProperty("objectionId").GetInt64());
        var seqs = history.Select(h => h.GetProperty("seq").GetInt64()).ToList();
        Assert.Equal(seqs.Order(), seqs);
        var hashes = history.Select(h => h.GetProperty("hash").GetString()!).ToList();
        Assert.All(hashes, h => Assert.True(DocumentStore.IsSha256(h), h));
        Assert.Equal(hashes.Count, hashes.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal([text, report], record.GetProperty("documents").EnumerateArray().Select(d => d.GetProperty("sha256").GetString()));
        Assert.All(record.GetProperty("documents").EnumerateArray(), d => Assert.Equal(seqs[0], d.GetProperty("attachedBySeq").GetInt64()));
        Assert.Equal([1, 1, 2, 2], record.GetProperty("opinions").EnumerateArray().Select(o => o.GetProperty("round").GetInt32()));
        Assert.All(record.GetProperty("opinions").EnumerateArray(), o => Assert.Equal("pass", o.GetProperty("verdict").GetString()));
        Assert.Equal("dismissed", Assert.Single(record.GetProperty("objections").EnumerateArray()).GetProperty("outcome").GetString());
        Assert.Equal(filed.GetProperty("history").GetRawText(), record.GetProperty("history").GetRawText());
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_scenario_goes_to_running_with_a_panel_and_through_a_suspension_with_a_working_day_deadline(StoreKind kind)
    {
        await using var w = await GovernanceHttpWorld.CreateAsync(kind, GovernanceHttpWorld.BeforeNationalDay);
        var plan = await w.UploadAsync(w.Metro.Token, "场景方案.pdf", "%PDF walking scenario plan");
        var applied = await w.ApplyForScenarioAsync("walk-sz", [plan]);
        var id = applied.GetProperty("id").GetInt64();
        // Ten working days from Monday 28 September, across the National Day holidays: 16 October.
        Assert.Equal(("scenario", "walk-sz", "applied", "2026-10-16"), (applied.GetProperty("kind").GetString(), applied.GetProperty("subject").GetString(),
            applied.GetProperty("state").GetString(), Day(applied, "dueOn")));
        var scenario = await w.SendAsync(Get, "/api/v1/scenarios/walk-sz", null);
        Assert.Equal(("applied", id), (scenario.GetProperty("status").GetString(), scenario.GetProperty("applicationId").GetInt64()));

        async Task<string[]> PublicAsync(string? status = null) =>
            [.. (await w.SendAsync(Get, "/api/v1/public/scenarios" + (status is null ? "" : "?status=" + status), null)).GetProperty("scenarios").EnumerateArray()
                .Select(s => s.GetProperty("code").GetString()!)];

        Assert.Empty(await PublicAsync());
        Assert.Equal(["walk-sz"], await PublicAsync("applied"));

        var review = await w.StepAsync(id, w.Desk, new { action = "accept", panel = new { fields = new[] { "transport" }, size = 2 } });
        var panel = Panel(review.GetProperty("application"));
        Assert.Equal(("review", 2), (State(review), panel.Length));
        Assert.DoesNotContain(w.Experts[4].Id, panel); // 陈工 works at the metro

        var early = await w.RefusedStepAsync(id, w.Desk, new { action = "pass", comment = "ok" }, HttpStatusCode.Conflict, "action-not-allowed");
        GovernanceHttpWorld.AssertWorkflowRefusal(early, "review", "opinion", "amend", "pass", "refuse", "retract");
        await w.OpinionsAsync(id);
        Assert.Equal("filing", State(await w.StepAsync(id, w.Desk, new { action = "pass", comment = "专家审查通过，报备案" })));
        Assert.Equal("filed", State(await w.StepAsync(id, Admin, new { action = "file" })));
        Assert.Empty(await PublicAsync());
        Assert.Equal("running", State(await w.StepAsync(id, w.Desk, new { action = "start" })));

        var listed = Assert.Single((await w.SendAsync(Get, "/api/v1/public/scenarios", null)).GetProperty("scenarios").EnumerateArray());
        Assert.Equal(("walk-sz", "running", id, "深圳地铁", "walking", "1.0.0"), (listed.GetProperty("code").GetString(), listed.GetProperty("status").GetString(),
            listed.GetProperty("applicationId").GetInt64(), listed.GetProperty("operatorName").GetString(), listed.GetProperty("methodologyId").GetString(),
            listed.GetProperty("methodologyVersion").GetString()));
        using (var response = await w.RawAsync(Get, $"/api/v1/public/documents/{plan}", null))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // Suspended on Tuesday 29 September for three working days: 30 September, 8 and 9 October.
        w.Clock.Advance(TimeSpan.FromDays(1));
        var suspended = await w.StepAsync(id, w.Desk, new { action = "suspend", comment = "数据异常，限期整改 / abnormal data", rectificationDays = 3 });
        var application = suspended.GetProperty("application");
        Assert.Equal(("suspended", "2026-10-09", "deadline", 3), (State(suspended), Day(application, "dueOn"), application.GetProperty("dueKind").GetString(),
            application.GetProperty("workingDaysLeft").GetInt32()));
        Assert.Equal(3, suspended.GetProperty("history").EnumerateArray().Last().GetProperty("data").GetProperty("rectificationDays").GetInt32());
        Assert.Equal("suspended", (await w.SendAsync(Get, "/api/v1/scenarios/walk-sz", null)).GetProperty("status").GetString());
        Assert.Empty(await PublicAsync());
        Assert.Equal(["walk-sz"], await PublicAsync("suspended"));

        var fix = await w.UploadAsync(w.Metro.Token, "整改报告.pdf", "%PDF rectification report");
        var rectified = await w.StepAsync(id, w.Metro.Token, new { action = "rectify", comment = "已修正数据接口 / fixed the data feed", documents = new[] { fix } });
        Assert.Equal(("suspended", "2026-10-09"), (State(rectified), Day(rectified.GetProperty("application"), "dueOn")));
        Assert.Contains(fix, rectified.GetProperty("documents").EnumerateArray().Select(d => d.GetProperty("sha256").GetString()));

        var resumed = await w.StepAsync(id, w.Desk, new { action = "resume", comment = "整改完成 / rectified" });
        Assert.Equal(("running", null), (State(resumed), Day(resumed.GetProperty("application"), "dueOn")));
        Assert.Equal(["walk-sz"], await PublicAsync());
        var decisions = (await w.SendAsync(Get, "/api/v1/scenarios/walk-sz", null)).GetProperty("decisions").EnumerateArray().Select(d => d.GetProperty("to").GetString());
        Assert.Equal(["review", "filing", "filed", "running", "suspended", "running"], decisions.Where(d => d != "applied"));
        Assert.Equal(["submit", "accept", "opinion", "opinion", "pass", "file", "start", "suspend", "rectify", "resume"],
            resumed.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("action").GetString()));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Every_refusal_is_its_problem_with_the_state_and_allowed_actions_and_changes_nothing(StoreKind kind)
    {
        await using var w = await GovernanceHttpWorld.CreateAsync(kind, GovernanceHttpWorld.November);
        var doc = await w.UploadAsync(w.Institute.Token, "说明.pdf", "%PDF explanation");
        var m = (await w.ApplyForWalkingAsync("1.1.0", [doc])).GetProperty("id").GetInt64();
        var s = await w.RunningScenarioAsync("walk-sz");
        var steps = $"/api/v1/applications/{m}/steps";
        var unknownSha = new string('a', 64);
        const HttpStatusCode Unauthorized = HttpStatusCode.Unauthorized, Forbidden = HttpStatusCode.Forbidden, Conflict = HttpStatusCode.Conflict,
            BadRequest = HttpStatusCode.BadRequest, NotFound = HttpStatusCode.NotFound;

        // No token, or one the platform does not know.
        foreach (var token in new string?[] { null, "pht_not-a-token" })
        {
            await w.RefusedAsync(Post, "/api/v1/documents", token, new { name = "a.pdf", mediaType = "application/pdf", contentBase64 = "JVBERg==" }, Unauthorized, "unauthenticated");
            await w.RefusedAsync(Get, $"/api/v1/documents/{doc}", token, null, Unauthorized, "unauthenticated");
            await w.RefusedAsync(Post, "/api/v1/methodologies/applications", token, new { text = GovernanceHttpWorld.WalkingText("1.2.0") }, Unauthorized, "unauthenticated");
            await w.RefusedAsync(Post, "/api/v1/scenarios/applications", token, new { definition = GovernanceHttpWorld.Scenario("walk-x", "x") }, Unauthorized, "unauthenticated");
            await w.RefusedAsync(Get, "/api/v1/applications", token, null, Unauthorized, "unauthenticated");
            await w.RefusedAsync(Get, $"/api/v1/applications/{m}", token, null, Unauthorized, "unauthenticated");
            await w.RefusedStepAsync(m, token, new { action = "accept", panel = new { fields = new[] { "transport" }, size = 2 } }, Unauthorized, "unauthenticated");
            await w.RefusedAsync(Get, "/api/v1/desk/applications", token, null, Unauthorized, "unauthenticated");
            await w.RefusedAsync(Get, "/api/v1/expert/applications", token, null, Unauthorized, "unauthenticated");
        }

        // The desk is the operating body's and the administrator's; panels are experts'; documents are not for people.
        foreach (var token in new[] { w.PersonToken, w.Institute.Token, w.Experts[1].Token })
            await w.RefusedAsync(Get, "/api/v1/desk/applications", token, null, Forbidden, "forbidden");
        foreach (var token in new[] { w.PersonToken, w.Desk, Admin })
            await w.RefusedAsync(Get, "/api/v1/expert/applications", token, null, Forbidden, "forbidden");
        await w.RefusedAsync(Get, $"/api/v1/documents/{doc}", w.PersonToken, null, Forbidden, "forbidden");
        await w.RefusedAsync(Get, $"/api/v1/applications/{m}", w.Rival.Token, null, Forbidden, "forbidden");
        await w.RefusedAsync(Get, $"/api/v1/applications/{m}", w.PersonToken, null, Forbidden, "forbidden");
        await w.RefusedAsync(Get, $"/api/v1/applications/{m}", w.Experts[1].Token, null, Forbidden, "forbidden");
        await w.RefusedAsync(Post, "/api/v1/methodologies/applications", w.Desk, new { text = GovernanceHttpWorld.WalkingText("1.2.0") }, Forbidden, "forbidden");
        await w.RefusedAsync(Post, "/api/v1/scenarios/applications", w.Institute.Token, new { definition = GovernanceHttpWorld.Scenario("walk-x", "x") }, Forbidden, "forbidden");
        await w.RefusedAsync(Post, "/api/v1/scenarios/applications", w.PersonToken, new { definition = GovernanceHttpWorld.Scenario("walk-x", "x") }, Forbidden, "forbidden");

        // A step of another role: the problem names the state and what may be done from it.
        string[] fromSubmitted = ["accept", "reject", "retract"];
        var panel = new { fields = new[] { "transport" }, size = 2 };
        foreach (var token in new[] { w.Institute.Token, Admin, w.Experts[1].Token })
        {
            var wrongRole = await w.RefusedStepAsync(m, token, new { action = "accept", panel }, Forbidden, "action-forbidden");
            GovernanceHttpWorld.AssertWorkflowRefusal(wrongRole, "submitted", fromSubmitted);
        }

        GovernanceHttpWorld.AssertWorkflowRefusal(await w.RefusedStepAsync(s, w.Metro.Token, new { action = "suspend", comment = "x", rectificationDays = 5 }, Forbidden,
            "action-forbidden"), "running", "suspend", "terminate");

        // A step the state does not allow, or that no workflow has.
        GovernanceHttpWorld.AssertWorkflowRefusal(await w.RefusedStepAsync(m, w.Desk, new { action = "publish", comment = "x" }, Conflict, "action-not-allowed"),
            "submitted", fromSubmitted);
        GovernanceHttpWorld.AssertWorkflowRefusal(await w.RefusedStepAsync(m, Admin, new { action = "file" }, Conflict, "action-not-allowed"), "submitted", fromSubmitted);
        GovernanceHttpWorld.AssertWorkflowRefusal(await w.RefusedStepAsync(m, w.Desk, new { action = "approve" }, Conflict, "action-not-allowed"), "submitted", fromSubmitted);
        GovernanceHttpWorld.AssertWorkflowRefusal(await w.RefusedStepAsync(s, w.Desk, new { action = "start" }, Conflict, "action-not-allowed"), "running", "suspend", "terminate");
        await w.RefusedStepAsync(m, w.Desk, new { action = "" }, BadRequest, "invalid-argument");

        // What a step needs.
        GovernanceHttpWorld.AssertWorkflowRefusal(await w.RefusedStepAsync(m, w.Desk, new { action = "reject" }, BadRequest, "step-input-missing"), "submitted", fromSubmitted);
        GovernanceHttpWorld.AssertWorkflowRefusal(await w.RefusedStepAsync(m, w.Desk, new { action = "reject", comment = "  " }, BadRequest, "step-input-missing"),
            "submitted", fromSubmitted);
        GovernanceHttpWorld.AssertWorkflowRefusal(await w.RefusedStepAsync(m, w.Desk, new { action = "accept" }, BadRequest, "step-input-missing"), "submitted", fromSubmitted);
        foreach (var days in new int?[] { null, 0, 121 })
        {
            GovernanceHttpWorld.AssertWorkflowRefusal(await w.RefusedStepAsync(s, w.Desk, new { action = "suspend", comment = "数据异常", rectificationDays = days }, BadRequest,
                "step-input-missing"), "running", "suspend", "terminate");
        }

        await w.RefusedStepAsync(s, w.Desk, new { action = "suspend", rectificationDays = 5 }, BadRequest, "step-input-missing");

        // Another organisation, or a person, taking the applicant's step.
        foreach (var token in new[] { w.Rival.Token, w.PersonToken })
            GovernanceHttpWorld.AssertWorkflowRefusal(await w.RefusedStepAsync(m, token, new { action = "retract" }, Forbidden, "not-applicant"), "submitted", fromSubmitted);

        // A panel the pool cannot seat: no forestry expert, and only four transport experts outside the institute.
        foreach (var spec in new object[] { new { fields = new[] { "forestry" }, size = 1 }, new { fields = new[] { "transport" }, size = 5 } })
            GovernanceHttpWorld.AssertWorkflowRefusal(await w.RefusedStepAsync(m, w.Desk, new { action = "accept", panel = spec }, Conflict, "panel-unavailable"), "submitted", fromSubmitted);

        // Objections only during a public notice, with their grounds, within limits.
        static string Objections(long id) => $"/api/v1/public/applications/{id}/objections";
        GovernanceHttpWorld.AssertWorkflowRefusal(await w.RefusedAsync(Post, Objections(m), null, new { text = "我反对" }, Conflict, "action-not-allowed", m),
            "submitted", fromSubmitted);
        foreach (var body in new object[] { new { text = "" }, new { text = "   " }, new { name = "张三" },
            new { text = new string('异', WorkflowDefinition.CommentLengthMax + 1) }, new { text = "我反对", name = new string('名', Step.ObjectorNameLengthMax + 1) } })
            await w.RefusedAsync(Post, Objections(m), null, body, BadRequest, "invalid-argument", m);
        await w.RefusedAsync(Post, Objections(999_999), null, new { text = "我反对" }, NotFound, "application-not-found");

        // Documents: unknown ones, and uploads that are not documents.
        await w.RefusedAsync(Post, "/api/v1/methodologies/applications", w.Institute.Token, new { text = GovernanceHttpWorld.WalkingText("1.2.0"), documents = new[] { unknownSha } },
            NotFound, "document-not-found");
        await w.RefusedAsync(Post, "/api/v1/methodologies/applications", w.Institute.Token, new { text = GovernanceHttpWorld.WalkingText("1.2.0"), documents = new[] { "not-a-hash" } },
            NotFound, "document-not-found");
        await w.RefusedAsync(Post, "/api/v1/scenarios/applications", w.Metro.Token, new { definition = GovernanceHttpWorld.Scenario("walk-x", "x"), documents = new[] { unknownSha } },
            NotFound, "document-not-found");
        await w.RefusedAsync(Get, $"/api/v1/documents/{unknownSha}", w.Desk, null, NotFound, "document-not-found");
        await w.RefusedAsync(Get, $"/api/v1/public/documents/{unknownSha}", null, null, NotFound, "document-not-found");
        await w.RefusedAsync(Get, "/api/v1/documents/ABC", w.Desk, null, BadRequest, "invalid-argument");
        foreach (var upload in new object[]
        {
            new { name = "a.pdf", mediaType = "application/pdf", contentBase64 = "%%% not base64 %%%" },
            new { name = "a.pdf", mediaType = "application/pdf", contentBase64 = "" },
            new { name = "a.pdf", mediaType = "application/pdf" },
            new { name = "", mediaType = "application/pdf", contentBase64 = "JVBERg==" },
            new { name = "../a.pdf", mediaType = "application/pdf", contentBase64 = "JVBERg==" },
            new { name = "a.pdf", mediaType = "pdf", contentBase64 = "JVBERg==" },
        })
            await w.RefusedAsync(Post, "/api/v1/documents", w.Institute.Token, upload, BadRequest, "document-invalid");

        // Methodology texts that do not check, and versions that exist or are already applied for.
        await w.RefusedAsync(Post, "/api/v1/methodologies/applications", w.Institute.Token, new { text = "id: walking\nversion: [1" }, HttpStatusCode.UnprocessableEntity,
            "methodology-invalid");
        await w.RefusedAsync(Post, "/api/v1/methodologies/applications", w.Institute.Token,
            new { text = GovernanceHttpWorld.WalkingText("1.2.0").Replace("value: 26.9", "value: 99", StringComparison.Ordinal) }, HttpStatusCode.UnprocessableEntity,
            "methodology-invalid");
        await w.RefusedAsync(Post, "/api/v1/methodologies/applications", w.Institute.Token, new { text = " " }, BadRequest, "invalid-argument");

        // Requests over a limit are malformed, whatever the methodology: at most 20 documents and 4,000 characters of comment.
        await w.RefusedAsync(Post, "/api/v1/methodologies/applications", w.Institute.Token,
            new { text = GovernanceHttpWorld.WalkingText("1.2.0"), documents = Enumerable.Repeat(doc, Step.DocumentsMax + 1) }, BadRequest, "invalid-argument");
        await w.RefusedAsync(Post, "/api/v1/methodologies/applications", w.Institute.Token,
            new { text = GovernanceHttpWorld.WalkingText("1.2.0"), comment = new string('说', WorkflowDefinition.CommentLengthMax + 1) }, BadRequest, "invalid-argument");
        await w.RefusedAsync(Post, "/api/v1/scenarios/applications", w.Metro.Token,
            new { definition = GovernanceHttpWorld.Scenario("walk-x", "x"), documents = Enumerable.Repeat(doc, Step.DocumentsMax + 1) }, BadRequest, "invalid-argument");
        await w.RefusedStepAsync(m, w.Desk, new { action = "reject", comment = "x", documents = Enumerable.Repeat(doc, Step.DocumentsMax + 1) }, BadRequest, "invalid-argument");
        await w.RefusedAsync(Post, "/api/v1/methodologies/applications", w.Institute.Token, new { text = GovernanceHttpWorld.WalkingText("1.0.0") }, Conflict, "application-conflict");
        await w.RefusedAsync(Post, "/api/v1/methodologies/applications", w.Rival.Token, new { text = GovernanceHttpWorld.WalkingText("1.1.0") }, Conflict, "application-conflict");
        await w.RefusedAsync(Post, "/api/v1/scenarios/applications", w.Metro.Token, new { definition = GovernanceHttpWorld.Scenario("walk-sz", "again") }, Conflict,
            "scenario-code-taken");

        // Applications that do not exist; lists filtered by kinds that do not exist.
        await w.RefusedAsync(Get, "/api/v1/applications/999999", w.Desk, null, NotFound, "application-not-found");
        await w.RefusedAsync(Post, "/api/v1/applications/999999/steps", w.Desk, new { action = "accept" }, NotFound, "application-not-found");
        await w.RefusedAsync(Get, "/api/v1/public/applications/999999", null, null, NotFound, "application-not-found");
        await w.RefusedAsync(Get, "/api/v1/applications?kind=carbon-neutrality", w.Desk, null, BadRequest, "invalid-argument");
        await w.RefusedAsync(Get, "/api/v1/desk/applications?kind=carbon-neutrality", w.Desk, null, BadRequest, "invalid-argument");
        await w.RefusedAsync(Get, "/api/v1/public/scenarios?status=paused", null, null, BadRequest, "invalid-argument");

        // In evaluation: an opinion needs a verdict and a comment, an answer needs an objection and an outcome, material needs a document.
        await w.StepAsync(m, w.Desk, new { action = "accept", panel });
        var expert = w.Expert(Panel((await w.DetailAsync(m)).GetProperty("application"))[0]);
        string[] fromEvaluation = ["opinion", "redraw", "amend", "answer-objection", "publish", "fail", "retract"];
        GovernanceHttpWorld.AssertWorkflowRefusal(await w.RefusedStepAsync(m, expert.Token, new { action = "opinion", comment = "fine" }, BadRequest, "step-input-missing"),
            "evaluation", fromEvaluation);
        GovernanceHttpWorld.AssertWorkflowRefusal(await w.RefusedStepAsync(m, expert.Token, new { action = "opinion", verdict = "pass" }, BadRequest, "step-input-missing"),
            "evaluation", fromEvaluation);
        await w.RefusedStepAsync(m, expert.Token, new { action = "opinion", verdict = "maybe", comment = "fine" }, BadRequest, "invalid-argument");
        GovernanceHttpWorld.AssertWorkflowRefusal(await w.RefusedStepAsync(m, w.Desk, new { action = "answer-objection", comment = "answered" }, BadRequest, "step-input-missing"),
            "evaluation", fromEvaluation);
        await w.RefusedStepAsync(m, w.Desk, new { action = "answer-objection", comment = "answered", outcome = "rejected" }, BadRequest, "invalid-argument");
        GovernanceHttpWorld.AssertWorkflowRefusal(await w.RefusedStepAsync(m, w.Desk, new { action = "answer-objection", comment = "answered", outcome = "dismissed", objectionId = 1 },
            Conflict, "action-not-allowed"), "evaluation", fromEvaluation);
        GovernanceHttpWorld.AssertWorkflowRefusal(await w.RefusedStepAsync(m, w.Experts[0].Token, new { action = "opinion", verdict = "pass", comment = "fine" }, Conflict,
            "action-not-allowed"), "evaluation", fromEvaluation);
        GovernanceHttpWorld.AssertWorkflowRefusal(await w.RefusedStepAsync(m, w.Institute.Token, new { action = "amend", comment = "补充" }, BadRequest, "step-input-missing"),
            "evaluation", fromEvaluation);
        GovernanceHttpWorld.AssertWorkflowRefusal(await w.RefusedStepAsync(m, w.Institute.Token, new { action = "amend", comment = "补充", documents = new[] { unknownSha } }, NotFound,
            "document-not-found"), "evaluation", fromEvaluation);
        GovernanceHttpWorld.AssertWorkflowRefusal(await w.RefusedStepAsync(m, w.Rival.Token, new { action = "amend", comment = "补充", documents = new[] { doc } }, Forbidden,
            "not-applicant"), "evaluation", fromEvaluation);
        await w.StepAsync(m, expert.Token, new { action = "opinion", verdict = "pass", comment = "fine" });
        GovernanceHttpWorld.AssertWorkflowRefusal(await w.RefusedStepAsync(m, expert.Token, new { action = "opinion", verdict = "fail", comment = "changed my mind" }, Conflict,
            "action-not-allowed"), "evaluation", fromEvaluation);
        await w.RefusedStepAsync(m, expert.Token, new { action = "publish", comment = "x" }, Forbidden, "action-forbidden");
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_document_is_at_most_8_MiB(StoreKind kind)
    {
        await using var w = await GovernanceHttpWorld.CreateAsync(kind, GovernanceHttpWorld.November);
        var largest = new byte[DocumentStore.SizeBytesMax];
        largest[^1] = 1;
        var stored = await w.SendAsync(Post, "/api/v1/documents", w.Institute.Token, new { name = "大.pdf", mediaType = "application/pdf", contentBase64 = Convert.ToBase64String(largest) });
        Assert.Equal(DocumentStore.SizeBytesMax, stored.GetProperty("sizeBytes").GetInt64());

        var tooLarge = new byte[DocumentStore.SizeBytesMax + 1];
        await w.RefusedAsync(Post, "/api/v1/documents", w.Institute.Token, new { name = "太大.pdf", mediaType = "application/pdf", contentBase64 = Convert.ToBase64String(tooLarge) },
            HttpStatusCode.BadRequest, "document-invalid");
        await w.RefusedAsync(Post, "/api/v1/documents", w.Institute.Token,
            new { name = "太大.pdf", mediaType = "application/pdf", contentBase64 = new string('A', (DocumentStore.SizeBytesMax / 3 + 2) * 4) }, HttpStatusCode.BadRequest, "document-invalid");
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task The_desk_lists_open_applications_overdue_first_then_by_the_nearest_deadline(StoreKind kind)
    {
        await using var w = await GovernanceHttpWorld.CreateAsync(kind, GovernanceHttpWorld.November);

        // Monday 2 November.
        var s1 = (await w.ApplyForScenarioAsync("walk-s1")).GetProperty("id").GetInt64();                 // review due 16 November
        var m1 = (await w.ApplyForWalkingAsync("1.1.0")).GetProperty("id").GetInt64();                     // evaluation due 30 November
        var s5 = await w.RunningScenarioAsync("walk-s5");                                                 // running: no deadline
        var s3 = await w.RunningScenarioAsync("walk-s3");
        var s4 = (await w.ApplyForScenarioAsync("walk-s4")).GetProperty("id").GetInt64();
        await w.StepAsync(s4, w.Desk, new { action = "refuse", comment = "不符合条件" });                    // closed
        var m3 = (await w.ApplyForWalkingAsync("1.2.0")).GetProperty("id").GetInt64();
        await w.StepAsync(m3, w.Desk, new { action = "reject", comment = "材料不全" });                      // closed

        // Wednesday 4 November.
        w.Clock.Set(new DateTimeOffset(2026, 11, 4, 9, 0, 0, China));
        var s2 = (await w.ApplyForScenarioAsync("walk-s2")).GetProperty("id").GetInt64();                 // review due 18 November
        await w.StepAsync(s3, w.Desk, new { action = "suspend", comment = "数据异常", rectificationDays = 5 }); // rectification due 11 November
        var cycling = await File.ReadAllTextAsync(Path.Combine(Puhui.Tests.Methodologies.MethodologyText.LibraryDirectory(), "cycling.yaml"));
        var m2 = (await w.SendAsync(Post, "/api/v1/methodologies/applications", w.Institute.Token, new { text = cycling })).GetProperty("id").GetInt64();
        await w.StepAsync(m2, w.Desk, new { action = "accept", panel = new { fields = new[] { "transport" }, size = 2 } });
        await w.OpinionsAsync(m2);
        await w.StepAsync(m2, w.Desk, new { action = "publish", comment = "公示" });                          // notice ends 11 November

        var desk = (await w.SendAsync(Get, "/api/v1/desk/applications", w.Desk)).GetProperty("applications").EnumerateArray().ToList();
        Assert.Equal([s3, m2, s1, s2, m1, s5], desk.Select(a => a.GetProperty("id").GetInt64()));
        Assert.All(desk, a => Assert.False(a.GetProperty("overdue").GetBoolean()));
        Assert.Empty(Ids(await w.SendAsync(Get, "/api/v1/desk/applications?overdue=true", w.Desk)));

        // Tuesday 17 November: the rectification is four working days late, the first review one; the notice has merely ended.
        w.Clock.Set(new DateTimeOffset(2026, 11, 17, 9, 0, 0, China));
        desk = (await w.SendAsync(Get, "/api/v1/desk/applications", w.Desk)).GetProperty("applications").EnumerateArray().ToList();
        Assert.Equal([s3, s1, m2, s2, m1, s5], desk.Select(a => a.GetProperty("id").GetInt64()));
        Assert.Equal([("2026-11-11", "deadline", true, -4), ("2026-11-16", "deadline", true, -1), ("2026-11-11", "notice-ends", false, -4),
            ("2026-11-18", "deadline", false, 1), ("2026-11-30", "deadline", false, 9)],
            desk.Take(5).Select(a => (Day(a, "dueOn"), a.GetProperty("dueKind").GetString(), a.GetProperty("overdue").GetBoolean(), a.GetProperty("workingDaysLeft").GetInt32())));
        var last = desk[5];
        Assert.Equal((JsonValueKind.Null, JsonValueKind.Null, false), (last.GetProperty("dueOn").ValueKind, last.GetProperty("workingDaysLeft").ValueKind,
            last.GetProperty("overdue").GetBoolean()));
        Assert.Equal([s3, s1], Ids(await w.SendAsync(Get, "/api/v1/desk/applications?overdue=true", w.Desk)));
        Assert.Equal([m2, m1], Ids(await w.SendAsync(Get, "/api/v1/desk/applications?kind=methodology", w.Desk)));
        Assert.Equal([s3, s1], Ids(await w.SendAsync(Get, "/api/v1/desk/applications?kind=scenario&overdue=true", Admin)));

        // Closed applications are not on the desk, though they are still listed.
        var all = Ids(await w.SendAsync(Get, "/api/v1/applications", w.Desk));
        Assert.Contains(s4, all);
        Assert.Contains(m3, all);
        Assert.DoesNotContain(s4, desk.Select(a => a.GetProperty("id").GetInt64()));
        Assert.DoesNotContain(m3, desk.Select(a => a.GetProperty("id").GetInt64()));
        Assert.Equal([m2, m3, m1], Ids(await w.SendAsync(Get, "/api/v1/applications", w.Institute.Token)));
        Assert.Empty(Ids(await w.SendAsync(Get, "/api/v1/applications", w.Rival.Token)));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task An_expert_lists_only_the_applications_whose_current_panel_includes_them(StoreKind kind)
    {
        await using var w = await GovernanceHttpWorld.CreateAsync(kind, GovernanceHttpWorld.November);
        var m = (await w.ApplyForWalkingAsync("1.1.0")).GetProperty("id").GetInt64();
        var s = (await w.ApplyForScenarioAsync("walk-sz")).GetProperty("id").GetInt64();
        var unseated = (await w.ApplyForScenarioAsync("walk-none")).GetProperty("id").GetInt64();
        foreach (var expert in w.Experts)
            Assert.Empty(Ids(await w.SendAsync(Get, "/api/v1/expert/applications", expert.Token)));

        var methodologyPanel = Panel((await w.StepAsync(m, w.Desk, new { action = "accept", panel = new { fields = new[] { "transport" }, size = 2 } })).GetProperty("application"));
        var scenarioPanel = Panel((await w.StepAsync(s, w.Desk, new { action = "accept", panel = new { fields = new[] { "energy" }, size = 1 } })).GetProperty("application"));
        await w.StepAsync(unseated, w.Desk, new { action = "accept" });
        Assert.Contains(Assert.Single(scenarioPanel), new[] { w.Experts[2].Id, w.Experts[5].Id }); // 陈工 works at the metro

        var seen = new HashSet<long>();
        foreach (var expert in w.Experts)
        {
            var expected = new[] { (s, scenarioPanel), (m, methodologyPanel) }.Where(x => x.Item2.Contains(expert.Id)).Select(x => x.Item1).ToArray();
            var listed = (await w.SendAsync(Get, "/api/v1/expert/applications", expert.Token)).GetProperty("applications").EnumerateArray().ToList();
            Assert.Equal(expected, listed.Select(a => a.GetProperty("id").GetInt64()));
            Assert.All(listed, a => Assert.Contains(expert.Id, Panel(a)));
            seen.UnionWith(expected);
            foreach (var application in new[] { m, s })
            {
                if (expected.Contains(application)) Assert.Equal(application, (await w.SendAsync(Get, $"/api/v1/applications/{application}", expert.Token))
                    .GetProperty("application").GetProperty("id").GetInt64());
                else await w.RefusedAsync(Get, $"/api/v1/applications/{application}", expert.Token, null, HttpStatusCode.Forbidden, "forbidden");
            }
        }

        Assert.Equal([m, s], seen.Order());
        Assert.Empty(Ids(await w.SendAsync(Get, "/api/v1/expert/applications", w.Experts[0].Token))); // 王工 works at the institute and knows no energy
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task An_expert_made_inactive_after_the_draw_takes_no_step_and_a_redrawn_panel_goes_on(StoreKind kind)
    {
        await using var w = await GovernanceHttpWorld.CreateAsync(kind, GovernanceHttpWorld.November);
        var m = (await w.ApplyForWalkingAsync("1.1.0")).GetProperty("id").GetInt64();
        var panel = Panel((await w.StepAsync(m, w.Desk, new { action = "accept", panel = new { fields = new[] { "transport" }, size = 2 } })).GetProperty("application"));
        var gone = w.Experts.Single(e => e.Id == panel[0]);
        await w.SendAsync(Post, $"/api/v1/admin/experts/{gone.Id}/status", GovernanceHttpWorld.AdminToken, new { status = "inactive", comment = "退出专家库 / left the pool" });

        await w.RefusedStepAsync(m, gone.Token, new { action = "opinion", verdict = "pass", comment = "同意" }, HttpStatusCode.Forbidden, "forbidden");
        var redrawn = Panel((await w.StepAsync(m, w.Desk, new { action = "redraw", comment = "专家退出 / an expert left", panel = new { fields = new[] { "transport" }, size = 2 } }))
            .GetProperty("application"));
        Assert.DoesNotContain(gone.Id, redrawn);
        foreach (var expert in redrawn)
            await w.StepAsync(m, w.Experts.Single(e => e.Id == expert).Token, new { action = "opinion", verdict = "pass", comment = "同意 / pass" });
        Assert.Equal("public-notice", (await w.StepAsync(m, w.Desk, new { action = "publish", comment = "公示" })).GetProperty("application").GetProperty("state").GetString());
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Undisclosed_documents_and_a_verification_bodys_staff_stay_with_those_who_may_read_them(StoreKind kind)
    {
        await using var w = await GovernanceHttpWorld.CreateAsync(kind, GovernanceHttpWorld.November);
        var plan = await w.UploadAsync(w.Metro.Token, "场景方案.pdf", "%PDF walking scenario plan");
        var s = (await w.ApplyForScenarioAsync("walk-sz", [plan])).GetProperty("id").GetInt64();
        var panel = Panel((await w.StepAsync(s, w.Desk, new { action = "accept", panel = new { fields = new[] { "transport" }, size = 2 } })).GetProperty("application"));
        var verifier = await w.AddOrganisationAsync("org:jscv", "江苏碳核查中心", "VerificationBody");
        var certificate = await w.UploadAsync(verifier.Token, "资质证书.pdf", "%PDF accreditation certificate");
        var vb = (await w.SendAsync(Post, "/api/v1/verification-bodies/applications", verifier.Token, new
        {
            officeAddress = "南京市玄武区北京东路 1 号", facilities = "办公室 300 平方米，配备能源计量仪器", managementSystem = true, financialSystem = true,
            systemsDescription = "《碳普惠核查管理制度》《财务管理制度》",
            staff = Enumerable.Range(1, 5).Select(i => new { name = $"核查员{i}", degree = "master", experienceYears = 5, fullTime = true, continuingEducation = true }),
            accreditations = new[] { new { type = "ghg-validation-verification", number = "GHG-2024-0815", scope = "温室气体审定与核查", validUntil = "2028-12-31" } },
            documents = new[] { certificate },
        })).GetProperty("id").GetInt64();

        // The public record of a verification body's application shows its steps, not its staff or its documents.
        var record = await w.SendAsync(Get, $"/api/v1/public/applications/{vb}", null);
        Assert.DoesNotContain("核查员", record.GetRawText(), StringComparison.Ordinal);
        Assert.Empty(record.GetProperty("documents").EnumerateArray());
        Assert.Contains("核查员1", (await w.DetailAsync(vb)).GetRawText(), StringComparison.Ordinal);
        await w.RefusedAsync(Get, $"/api/v1/public/documents/{certificate}", null, null, HttpStatusCode.NotFound, "document-not-found");

        // A document is read by whoever may read an application it is attached to, and by its uploader.
        async Task<HttpStatusCode> ReadAsync(string sha, string token)
        {
            using var response = await w.RawAsync(Get, $"/api/v1/documents/{sha}", token);
            return response.StatusCode;
        }

        foreach (var token in new[] { w.Desk, Admin, w.Metro.Token }.Concat(panel.Select(p => w.Expert(p).Token)))
            Assert.Equal(HttpStatusCode.OK, await ReadAsync(plan, token));
        foreach (var token in new[] { w.Desk, Admin, verifier.Token })
            Assert.Equal(HttpStatusCode.OK, await ReadAsync(certificate, token));
        foreach (var token in new[] { w.Rival.Token, w.Institute.Token, verifier.Token }.Concat(w.Experts.Where(e => !panel.Contains(e.Id)).Select(e => e.Token)))
            await w.RefusedAsync(Get, $"/api/v1/documents/{plan}", token, null, HttpStatusCode.NotFound, "document-not-found");
        foreach (var token in new[] { w.Rival.Token, w.Metro.Token }.Concat(w.Experts.Select(e => e.Token)))
            await w.RefusedAsync(Get, $"/api/v1/documents/{certificate}", token, null, HttpStatusCode.NotFound, "document-not-found");
        var draft = await w.UploadAsync(w.Rival.Token, "草稿.pdf", "%PDF a draft attached to nothing");
        Assert.Equal(HttpStatusCode.OK, await ReadAsync(draft, w.Rival.Token));
        await w.RefusedAsync(Get, $"/api/v1/documents/{draft}", w.Metro.Token, null, HttpStatusCode.NotFound, "document-not-found");
    }
}
