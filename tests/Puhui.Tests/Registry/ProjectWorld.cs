using System.Globalization;
using Puhui.Governance;
using Puhui.Ledger;
using Puhui.Registry;
using Puhui.Storage;
using Puhui.Storage.Governance;
using Puhui.Storage.Ledger;
using Puhui.Storage.Registry;
using Puhui.Tests.Governance;

namespace Puhui.Tests.Registry;

/// <summary>
/// The governance world (shipped calendar, methodology library filed, expert pool, the clock on Tuesday 10 February
/// 2026 in Nanjing) with the project registry on its workflows. The research institute develops the projects, so
/// its own energy expert (钱内部) must never be drawn; there are an approved verification body, a suspended one, one
/// that never applied, and an approved one the forestry project declares as a related party.
/// </summary>
public sealed class ProjectWorld : IAsyncDisposable
{
    public static readonly DateOnly CreditingFrom = new(2025, 1, 1);
    public static readonly DateOnly CreditingTo = new(2034, 12, 31);
    public static readonly DateOnly H1From = new(2025, 1, 1), H1To = new(2025, 6, 30), H2From = new(2025, 7, 1), H2To = new(2025, 12, 31);

    private ProjectWorld(GovernanceWorld governance)
    {
        G = governance;
        Registry = new ProjectRegistry(governance.Workflows);
        Bodies = new VerificationBodies(governance.Workflows, governance.Clock);
    }

    public GovernanceWorld G { get; }
    public ProjectRegistry Registry { get; }
    public VerificationBodies Bodies { get; }
    public LedgerStore Store => G.Store;

    /// <summary>The project developer: the institute.</summary>
    public AccountId Developer => G.Institute;

    public AccountId Verifier { get; private set; }
    public AccountId SuspendedVerifier { get; private set; }
    public AccountId UnapprovedVerifier { get; private set; }

    /// <summary>An approved verification body that advised the forestry project (a declared related party).</summary>
    public AccountId RelatedVerifier { get; private set; }

    public Actor DeveloperStaff => G.InstituteStaff;
    public Actor VerifierActor => new(WorkflowRole.Verifier, "account:" + Verifier, Verifier);
    public static Actor VerifierOf(AccountId body) => new(WorkflowRole.Verifier, "account:" + body, body);

    public static async Task<ProjectWorld> CreateAsync(StoreKind kind)
    {
        var w = new ProjectWorld(await GovernanceWorld.CreateAsync(kind));
        w.Verifier = await w.BodyAsync("o:js-verify", "江苏碳核查中心 / Jiangsu Carbon Verification", "approved");
        w.SuspendedVerifier = await w.BodyAsync("o:sus-verify", "暂停核查公司 / Suspended Verification", "suspended");
        w.UnapprovedVerifier = await w.BodyAsync("o:new-verify", "新设核查公司 / New Verification", null);
        w.RelatedVerifier = await w.BodyAsync("o:adv-verify", "林业咨询核查 / Forestry Advisers", "approved");
        return w;
    }

    private async Task<AccountId> BodyAsync(string code, string name, string? state)
    {
        var account = (await Store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, code, name, OrganisationRoles.VerificationBody))).Id;
        if (state is null) return account;
        var applied = await Bodies.SubmitAsync(new Actor(WorkflowRole.Applicant, "staff:" + account, account), VerificationBodyConditionsTests.Complete(), [G.Evidence],
            "申请认定 / applying", default);
        Assert.True(applied.Succeeded, applied.Detail);
        await G.StepAsync(applied.Application!.Id, new Step("approve", "符合条件 / conditions met"), GovernanceWorld.Administrator);
        if (state == "suspended")
            await G.StepAsync(applied.Application.Id, new Step("suspend", "限期整改 / rectify", RectificationDays: 10), GovernanceWorld.Administrator);
        return account;
    }

    public static ProjectDefinition Pv(string externalId = "3201150012345") => new()
    {
        NameZh = "南京江宁屋顶分布式光伏", NameEn = "Jiangning rooftop PV", Type = ProjectType.DistributedPv, Region = "320115", Latitude = 31.953418m, Longitude = 118.839962m,
        Capacity = 500, CapacityUnit = "kW", MethodologyId = "distributed-pv", MethodologyVersion = "1.0.0", CreditingFrom = CreditingFrom, CreditingTo = CreditingTo,
        Declarations = new ProjectDeclarations(false, false, false), ExternalIds = [new ExternalId("sgcc-account", externalId)],
    };

    public ProjectDefinition Forestry() => new()
    {
        NameZh = "溧水林场碳汇", NameEn = "Lishui forest farm sink", Type = ProjectType.ForestrySink, Region = "320117", Latitude = 31.651200m, Longitude = 119.028700m,
        Capacity = 100, CapacityUnit = "ha", MethodologyId = "forestry-sink", MethodologyVersion = "1.0.0", CreditingFrom = CreditingFrom, CreditingTo = CreditingTo,
        Declarations = new ProjectDeclarations(false, false, false), ExternalIds = [new ExternalId("forest-title", "苏(2019)溧水林权第0001号")],
        RelatedParties = [RelatedVerifier.Value],
    };

    public Task<StepResult> DraftAsync(ProjectDefinition definition) => Registry.DraftAsync(DeveloperStaff, definition, [G.Dossier], "项目登记申请 / registering", default);

    /// <summary>The energy panel for a project of the institute: two, since its own expert is excluded.</summary>
    public static Step Accept(int size = 2) => new("accept", Panel: new PanelSpec(["energy"], size));

    /// <summary>A drafted project taken to <paramref name="state"/> (submitted, validation, validated, expert-review or registered); returns it.</summary>
    public async Task<Project> ProjectInStateAsync(ProjectDefinition definition, string state = "registered")
    {
        var drafted = await DraftAsync(definition);
        Assert.True(drafted.Succeeded, $"{drafted.Status} {drafted.Detail}");
        var id = drafted.Application!.Id;
        var path = new List<(Step Step, Actor Actor, string To)>
        {
            (new Step("submit", Documents: [G.Evidence]), DeveloperStaff, "submitted"),
            (new Step("assign-validation", Verifier: Verifier.Value), GovernanceWorld.PlatformOperator, "validation"),
            (new Step("validate", "审定通过 / validated", [G.Report]), VerifierActor, "validated"),
            (Accept(), GovernanceWorld.PlatformOperator, "expert-review"),
        };
        Application app = drafted.Application;
        foreach (var (step, actor, to) in path)
        {
            if (app.State == state) break;
            app = await G.StepAsync(id, step, actor);
            Assert.Equal(to, app.State);
        }

        if (state == "registered")
        {
            app = await G.OpineAsync(app);
            app = await G.StepAsync(id, new Step("register", "准予登记 / registered"), GovernanceWorld.Administrator);
        }

        Assert.Equal(state, app.State);
        return (await Registry.ProjectOfApplicationAsync(id))!;
    }

    public Task<StepResult> ReportAsync(long project, DateOnly from, DateOnly to, Dictionary<string, decimal> inputs) =>
        Registry.ReportAsync(DeveloperStaff, project, new MonitoringReport(from, to, inputs), [G.Evidence], "监测报告 / monitoring report", default);

    /// <summary>A monitoring period reported and taken to <paramref name="state"/> (up to approved), the verifier giving <paramref name="adjusted"/> if set.</summary>
    public async Task<Application> PeriodInStateAsync(long project, DateOnly from, DateOnly to, Dictionary<string, decimal> inputs, string state = "approved", long? adjusted = null)
    {
        var reported = await ReportAsync(project, from, to, inputs);
        Assert.True(reported.Succeeded, $"{reported.Status} {reported.Detail}");
        var app = reported.Application!;
        var periodPath = new List<(Step Step, Actor Actor, string To)>
        {
            (new Step("assign-verification", Verifier: Verifier.Value), GovernanceWorld.PlatformOperator, "verification"),
            (new Step("verify", adjusted is null ? "核证无误 / verified as claimed" : "样地复测蓄积量偏低，核减 / plots remeasured lower", [G.Report], Grams: adjusted), VerifierActor,
                "verified"),
            (Accept(), GovernanceWorld.PlatformOperator, "expert-review"),
        };
        foreach (var (step, actor, next) in periodPath)
        {
            if (app.State == state) break;
            app = await G.StepAsync(app.Id, step, actor);
            Assert.Equal(next, app.State);
        }

        if (state == "approved")
        {
            app = await G.OpineAsync(app);
            app = await G.StepAsync(app.Id, new Step("approve", "评审通过 / approved"), GovernanceWorld.PlatformOperator);
        }

        Assert.Equal(state, app.State);
        return app;
    }

    public async Task<long> BalanceAsync(AccountId account, BatchId? batch = null) =>
        (await Store.GetBalancesAsync(account)).Where(b => b.Asset == Asset.Co2 && (batch is null || b.Batch == batch)).Sum(b => b.Amount);

    public async Task<long> SystemBalanceAsync(string code, BatchId? batch = null) => await BalanceAsync(await Store.SystemAccountAsync(code), batch);

    /// <summary>Every row a registry write could touch, read from the store: a refusal must leave it exactly as it was.</summary>
    public async Task<string> SnapshotAsync()
    {
        var (sequence, hash) = await Store.GetHeadAsync();
        return string.Create(CultureInfo.InvariantCulture, $"ledger head {sequence} {Convert.ToHexString(hash)}\n") + await StoreSnapshot.ReadAsync(Store,
            "SELECT id, state, revision, round, received_on, entered_on, COALESCE(due_on, ''), COALESCE(assignee, 0), panel, updated_us FROM applications ORDER BY id",
            "SELECT last_seq FROM governance_head",
            "SELECT seq, application_id, action FROM governance_log ORDER BY seq",
            "SELECT application_id, sha256, seq FROM application_documents ORDER BY application_id, sha256, seq",
            "SELECT application_id, round, expert_id, passed FROM opinions ORDER BY application_id, round, expert_id",
            "SELECT COUNT(*) FROM panel_draws",
            "SELECT id, application_id, developer_id, buffer_debt FROM projects ORDER BY id",
            "SELECT scheme, external_id, project_id FROM project_external_ids ORDER BY scheme, external_id",
            "SELECT application_id, project_id, period_from, period_to, claimed_grams, COALESCE(verified_grams, -1), COALESCE(batch_id, 0), COALESCE(tx_id, '') FROM monitoring_periods ORDER BY application_id",
            "SELECT id, project_id, grams, cancelled_grams FROM project_reversals ORDER BY id",
            "SELECT id, code FROM batches ORDER BY id",
            "SELECT account_id, asset, batch_id, lot_id, amount FROM balances ORDER BY account_id, asset, batch_id, lot_id");
    }

    /// <summary>Runs a write that must be refused with <paramref name="status"/>, and checks that nothing changed; returns the refusal's detail.</summary>
    public async Task<StepResult> RefusedAsync(Func<Task<StepResult>> write, StepStatus status, string detailContains)
    {
        var before = await SnapshotAsync();
        var result = await write();
        Assert.Equal(status, result.Status);
        Assert.Contains(detailContains, result.Detail, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync());
        return result;
    }

    public ValueTask DisposeAsync() => G.DisposeAsync();
}
