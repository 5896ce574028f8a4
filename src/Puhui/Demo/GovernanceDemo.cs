using System.Globalization;
using System.Text;
using System.Text.Json;
using Puhui.Host.Http;
using Puhui.Ingestion;

namespace Puhui.Host.Demo;

/// <summary>Who the governance walk set up, for the registry walk that follows it.</summary>
/// <param name="ExpertTokens">Each expert's token, by expert id.</param>
public sealed record GovernanceActors(string AdminToken, string PlatformOperatorToken, IReadOnlyDictionary<long, string> ExpertTokens, long VerifierAccount, string VerifierToken);

/// <summary>What the governance part of the demo did, for the summary and the tests.</summary>
public sealed record GovernanceDemoResult(
    long MethodologyApplication,
    string MethodologyFiled,
    long FirstPanelDraw,
    int ExcludedFromFirstDraw,
    bool FirstDrawReplays,
    DateOnly FirstNoticeEndsOn,
    long Objection,
    string ObjectionOutcome,
    DateOnly NoticeEndsOn,
    DateOnly FiledOn,
    int ScenariosRunning,
    int PublicMethodologiesFiled,
    int PublicExperts,
    int PublicVerificationBodies,
    string PlatformOperatorToken);

/// <summary>
/// The governance walk of the demo, all over HTTP (DESIGN §10): the administrator builds an expert pool and a
/// platform-operator (运营机构) token; a research institute applies for a revision of the walking methodology;
/// the operating body accepts it and draws a panel (the applicant's own expert and a conflicted one are excluded);
/// the panel passes it; it goes on public notice; a resident objects, which sends it back to evaluation; the
/// objection is answered, the panel looks again, a second notice runs its five working days, and the
/// administrator files it. Each operator's scenario is then applied for, reviewed (one with experts), filed and
/// started, and a verification body is approved against the JS 40 conditions. Finally the public disclosure API is
/// read back without a token.
/// </summary>
public static class GovernanceDemo
{
    public const string ApplicantCode = "nj-green-travel-institute";

    private static readonly (string Name, string Organisation, string[] Fields, string Title)[] Pool =
    [
        ("王建国", "南京大学环境学院", ["transport", "energy"], "教授 / Professor"),
        ("李晓梅", "东南大学交通学院", ["transport"], "研究员 / Research fellow"),
        ("张伟", "江苏省环境科学研究院", ["transport", "data"], "高级工程师 / Senior engineer"),
        ("陈静", "河海大学", ["waste", "buildings"], "副教授 / Associate professor"),
        ("刘洋", "南京林业大学", ["forestry"], "教授 / Professor"),
        ("赵敏", "江苏省计量科学研究院", ["energy", "data"], "高级工程师 / Senior engineer"),
        ("孙磊", "南京绿色出行研究院", ["transport"], "研究员 / Research fellow"), // the applicant's own: never drawn
        ("周婷", "南京市交通规划设计院", ["transport", "data"], "高级工程师 / Senior engineer"), // declares a conflict
        ("黄海", "中国林业科学研究院", ["forestry"], "研究员 / Research fellow"),
        ("吴芳", "江苏省林业科学研究院", ["forestry", "farmland"], "高级工程师 / Senior engineer"),
    ];

    /// <summary>Runs the methodology application through objection to filing; <paramref name="clock"/> moves on by working days.</summary>
    public static async Task<(GovernanceDemoResult Partial, Func<string, ScenarioDefinition, bool, CancellationToken, Task> RunScenario, GovernanceActors Actors)> RunMethodologyAsync(DemoApi api,
        string adminToken, SimulatedClock clock, string? libraryPath, CancellationToken ct)
    {
        var platform = await api.PostAsync<StaffTokenDto>("/api/v1/admin/tokens", adminToken, new StaffTokenRequest("platform-operator", null, "demo desk"), ct);
        var institute = await api.PostAsync<OrganisationCreatedDto>("/api/v1/organisations", adminToken,
            new OrganisationRequest(ApplicantCode, "南京绿色出行研究院 / Nanjing Green Travel Institute", ["PublicInstitution"]), ct);

        var experts = new List<(long Id, string Token)>();
        foreach (var (name, organisation, fields, title) in Pool)
        {
            var own = organisation == "南京绿色出行研究院";
            var expert = await api.PostAsync<ExpertDto>("/api/v1/admin/experts", adminToken,
                new ExpertRequest(name, organisation, own ? institute.Account : null, fields, title), ct);
            var token = await api.PostAsync<StaffTokenDto>("/api/v1/admin/tokens", adminToken, new StaffTokenRequest("expert", expert.Id, name), ct);
            experts.Add((expert.Id, token.Token));
        }

        // 周婷 declares that she advised the institute on this methodology: she must not review it.
        await api.PostAsync<ExpertDto>("/api/v1/expert/conflicts", experts[Array.FindIndex(Pool, e => e.Name == "周婷")].Token,
            new ConflictRequest(institute.Account, "南京绿色出行研究院", "曾为该方法学提供咨询 / advised on this methodology"), ct);

        var text = await File.ReadAllTextAsync(Path.Combine(libraryPath ?? throw new InvalidOperationException("The demo needs the methodology library."), "walking.yaml"), ct);
        var revised = text.Replace("version: 1.0.0", "version: 1.1.0", StringComparison.Ordinal);
        var methodologyDocument = await api.PostAsync<DocumentDto>("/api/v1/documents", institute.StaffToken,
            new DocumentUpload("walking-1.1.0.yaml", "application/yaml", Convert.ToBase64String(Encoding.UTF8.GetBytes(revised))), ct);
        var report = await api.PostAsync<DocumentDto>("/api/v1/documents", institute.StaffToken, new DocumentUpload("编制说明.txt", "text/plain",
            Convert.ToBase64String(Encoding.UTF8.GetBytes("步行出行方法学 1.1.0 编制说明：更新基准线数据来源。/ Drafting note for walking 1.1.0: updated baseline sources."))), ct);
        var application = await api.PostAsync<ApplicationDto>("/api/v1/methodologies/applications", institute.StaffToken,
            new MethodologyApplicationRequest(revised, [methodologyDocument.Sha256, report.Sha256], "申请修订步行出行方法学 / revision of the walking methodology"), ct);
        var path = $"/api/v1/applications/{application.Id}/steps";

        var accepted = await api.PostAsync<ApplicationDetailDto>(path, platform.Token,
            new StepRequest("accept", "材料齐全，受理 / complete, accepted", null, null, null, null, null, new PanelSpecDto(["transport"], 3)), ct);
        var firstDraw = accepted.Application.PanelDrawId!.Value;
        var draw = await api.GetAsync<PanelDrawDto>($"/api/v1/public/panel-draws/{firstDraw}", null, ct);
        var tokens = experts.ToDictionary(e => e.Id, e => e.Token);

        async Task PanelPassesAsync(string steps, IReadOnlyList<long> panel, string why)
        {
            foreach (var expert in panel)
            {
                clock.Advance(TimeSpan.FromHours(2));
                await api.PostAsync<ApplicationDetailDto>(steps, tokens[expert], new StepRequest("opinion", why, null, "pass", null, null, null, null), ct);
            }
        }

        await PanelPassesAsync(path, accepted.Application.Panel, "基准线与因子来源可靠，同意 / baseline and factors well sourced; pass");
        clock.Advance(TimeSpan.FromDays(1));
        var noticed = await api.PostAsync<ApplicationDetailDto>(path, platform.Token,
            new StepRequest("publish", "专家评估通过，予以公示 / passed by the panel; public notice", null, null, null, null, null, null), ct);
        var firstNoticeEnds = noticed.Application.DueOn!.Value;

        // Two days into the notice a resident objects, without logging in.
        clock.Advance(TimeSpan.FromDays(2));
        var objection = await api.PostAsync<ObjectionDto>($"/api/v1/public/applications/{application.Id}/objections", null,
            new ObjectionRequest("步行距离按直线计算会高估减排量，请说明。/ Straight-line walking distances would overstate reductions; please explain.", "市民 陈先生"), ct);
        clock.Advance(TimeSpan.FromDays(1));
        await api.PostAsync<ApplicationDetailDto>(path, platform.Token, new StepRequest("answer-objection",
            "方法学按轨迹里程计量，并设单日上限，异议不成立 / the methodology counts tracked distance with a daily cap; dismissed", null, null, null, objection.Id, "dismissed", null), ct);
        await PanelPassesAsync(path, accepted.Application.Panel, "复核异议后维持通过 / reviewed the objection; pass stands");
        clock.Advance(TimeSpan.FromDays(1));
        var second = await api.PostAsync<ApplicationDetailDto>(path, platform.Token,
            new StepRequest("publish", "异议已答复，重新公示 / objection answered; notice again", null, null, null, null, null, null), ct);
        var noticeEnds = second.Application.DueOn!.Value;

        // The administrator files it the first day after the notice's fifth working day.
        clock.AdvanceTo(new DateTimeOffset(noticeEnds.AddDays(1).ToDateTime(new TimeOnly(10, 0)), TimeSpan.FromHours(8)));
        var filed = await api.PostAsync<ApplicationDetailDto>(path, adminToken,
            new StepRequest("file", "公示期满无异议，备案并公布 / notice ended without open objection; filed", null, null, null, null, null, null), ct);

        // A verification body applies against the JS 40 conditions and the administrator approves it (JS 41).
        var verifier = await api.PostAsync<OrganisationCreatedDto>("/api/v1/organisations", adminToken,
            new OrganisationRequest("js-carbon-verification", "江苏碳核查中心 / Jiangsu Carbon Verification Centre", ["VerificationBody"]), ct);
        var qualification = await api.PostAsync<DocumentDto>("/api/v1/documents", verifier.StaffToken, new DocumentUpload("资质证明.txt", "text/plain",
            Convert.ToBase64String(Encoding.UTF8.GetBytes("CNAS 认可证书及人员资质 / CNAS accreditation and staff qualifications"))), ct);
        var staff = Enumerable.Range(1, 5).Select(i => (VerificationStaffRequest?)new VerificationStaffRequest($"核查员{i}", i == 1 ? "master" : "bachelor", 2 + i, true, true)).ToList();
        var validUntil = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime).AddYears(3);
        var body = await api.PostAsync<VerificationBodyApplicationDto>("/api/v1/verification-bodies/applications", verifier.StaffToken,
            new VerificationBodyApplicationRequest("南京市建邺区江东中路 100 号 / 100 Jiangdong Rd, Nanjing", "核查用计量器具与实验室 / metering equipment and a laboratory", true, true,
                "核查管理制度与财务制度 / verification management and financial systems", staff,
                [new VerificationAccreditationRequest("ghg-validation-verification", "CNAS-GHG-0001", "温室气体审定与核查 / GHG validation and verification", validUntil)], false,
                [qualification.Sha256], "申请认定为碳普惠核查机构 / applying as a verification body"), ct);
        await api.PostAsync<ApplicationDetailDto>($"/api/v1/applications/{body.Id}/steps", adminToken,
            new StepRequest("approve", "符合江苏办法第四十条 / meets JS 40", null, null, null, null, null, null), ct);
        var bodies = await api.GetAsync<PublicVerificationBodyListDto>("/api/v1/public/verification-bodies", null, ct);

        var publicMethodologies = await api.GetAsync<PublicMethodologyListDto>("/api/v1/public/methodologies", null, ct);
        var publicExperts = await api.GetAsync<PublicExpertListDto>("/api/v1/public/experts", null, ct);
        var replay = await api.GetAsync<JsonElement>($"/api/v1/public/panel-draws/{firstDraw}/verification", null, ct);
        var conflicted = draw.Excluded.Count(e => e.Reason is "same-organisation" or "declared-conflict");
        var result = new GovernanceDemoResult(application.Id, "walking 1.1.0 " + filed.Application.State, firstDraw, conflicted, replay.GetProperty("replays").GetBoolean(),
            firstNoticeEnds, objection.Id,
            (await api.GetAsync<PublicObjectionListDto>($"/api/v1/public/objections?application={application.Id}", null, ct)).Objections.Single().Outcome, noticeEnds,
            DateOnly.FromDateTime(clock.GetUtcNow().ToOffset(TimeSpan.FromHours(8)).DateTime), 0,
            publicMethodologies.Methodologies.Count(m => m.Standing == "filed"), publicExperts.Experts.Count, bodies.Bodies.Count(b => b.State == "approved"), platform.Token);

        async Task RunScenarioAsync(string staffToken, ScenarioDefinition scenario, bool withExperts, CancellationToken token)
        {
            var plan = await api.PostAsync<DocumentDto>("/api/v1/documents", staffToken, new DocumentUpload($"{scenario.Code}-数据接入方案.txt", "text/plain",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{scenario.TitleZh}：数据接入与安全方案 / {scenario.TitleEn}: data connection and security plan"))), token);
            var applied = await api.PostAsync<ApplicationDto>("/api/v1/scenarios/applications", staffToken,
                new ScenarioApplicationRequest(scenario, [plan.Sha256], "申请纳入碳普惠 / applying to join carbon inclusion"), token);
            var steps = $"/api/v1/applications/{applied.Id}/steps";
            var review = await api.PostAsync<ApplicationDetailDto>(steps, platform.Token, new StepRequest("accept", "受理审查 / accepted for review", null, null, null, null, null,
                withExperts ? new PanelSpecDto(["transport"], 3) : null), token);
            if (withExperts) await PanelPassesAsync(steps, review.Application.Panel, "数据链路可核验 / the data can be verified");
            await api.PostAsync<ApplicationDetailDto>(steps, platform.Token, new StepRequest("pass", "审查通过，报主管部门备案 / passed; reported for filing", null, null, null, null, null, null), token);
            await api.PostAsync<ApplicationDetailDto>(steps, adminToken, new StepRequest("file", "备案 / filed", null, null, null, null, null, null), token);
            await api.PostAsync<ApplicationDetailDto>(steps, platform.Token, new StepRequest("start", "数据接入完成，开始运行 / connected; running", null, null, null, null, null, null), token);
        }

        return (result, RunScenarioAsync, new GovernanceActors(adminToken, platform.Token, tokens, verifier.Account, verifier.StaffToken));
    }

    /// <summary>Reads the disclosure API back without a token: the running scenarios.</summary>
    public static async Task<int> RunningScenariosAsync(DemoApi api, CancellationToken ct)
        => (await api.GetAsync<PublicScenarioListDto>("/api/v1/public/scenarios", null, ct)).Scenarios.Count;

    public static string Describe(GovernanceDemoResult r) => string.Create(CultureInfo.InvariantCulture,
        $"methodology application {r.MethodologyApplication}: {r.MethodologyFiled} on {r.FiledOn:yyyy-MM-dd}; objection {r.Objection} {r.ObjectionOutcome}; notices ended {r.FirstNoticeEndsOn:yyyy-MM-dd} (interrupted) and {r.NoticeEndsOn:yyyy-MM-dd}; {r.ScenariosRunning} scenarios running");
}
