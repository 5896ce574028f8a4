using System.Globalization;
using System.Text;
using Puhui.Governance;
using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Governance;
using Puhui.Storage.Ingestion;
using Puhui.Storage.Ledger;
using Puhui.Storage.Methodologies;
using Puhui.Tests.Methodologies;

namespace Puhui.Tests.Governance;

/// <summary>
/// A store for the methodology and scenario workflows: the shipped working-day calendar (2026's Spring Festival and
/// National Day with their adjusted working days), the methodology library registered as filed, an expert pool of
/// eight, a research institute that applies for methodologies, a rival institute, an operator and a rival operator,
/// and three stored documents. The clock starts on Tuesday 10 February 2026, 09:00 in Nanjing.
/// </summary>
/// <remarks>
/// The pool: four transport experts who may sit on any panel, two energy experts, a transport expert who works for
/// the institute and a transport expert who declared a conflict with it. A transport panel for the institute is
/// therefore drawn from four, never from six.
/// </remarks>
public sealed class GovernanceWorld : IAsyncDisposable
{
    /// <summary>Tuesday 2026-02-10 09:00 in Nanjing: five days before the Spring Festival holiday.</summary>
    public static readonly DateTimeOffset T0 = new(2026, 2, 10, 9, 0, 0, TimeSpan.FromHours(8));
    public static readonly DateOnly Day0 = new(2026, 2, 10);

    public static readonly Actor PlatformOperator = new(WorkflowRole.PlatformOperator, "platform-operator:江苏碳普惠运营中心");
    public static readonly Actor Administrator = new(WorkflowRole.Administrator, "admin:江苏省生态环境厅");
    public static readonly Actor Public = new(WorkflowRole.Public, "public");

    private GovernanceWorld(LedgerStore store, ManualClock clock)
    {
        Store = store;
        Clock = clock;
        Calendar = WorkingDayCalendarData.Shipped();
        Scenarios = new ScenarioStore(store, clock);
        Workflows = GovernanceSetup.Create(store, Scenarios, _ => Task.FromResult(Calendar), clock);
        MethodologyApplications = new MethodologyApplications(Workflows);
        ScenarioApplications = new ScenarioApplications(Workflows, Scenarios);
        Methodologies = new MethodologyStore(store.Dialect, clock);
        Documents = new DocumentStore(store.Dialect, clock);
        Experts = new ExpertStore(store, clock);
    }

    public LedgerStore Store { get; }
    public ManualClock Clock { get; }
    public WorkingDayCalendar Calendar { get; }
    public ScenarioStore Scenarios { get; }
    public WorkflowStore Workflows { get; }
    public MethodologyApplications MethodologyApplications { get; }
    public ScenarioApplications ScenarioApplications { get; }
    public MethodologyStore Methodologies { get; }
    public DocumentStore Documents { get; }
    public ExpertStore Experts { get; }

    /// <summary>The research institute that develops methodologies.</summary>
    public AccountId Institute { get; private set; }

    /// <summary>Another organisation, never the applicant.</summary>
    public AccountId Rival { get; private set; }

    /// <summary>The operator that applies for scenarios.</summary>
    public AccountId Operator { get; private set; }

    /// <summary>Another operator, never the applicant.</summary>
    public AccountId RivalOperator { get; private set; }

    /// <summary>The four transport experts without ties to the institute.</summary>
    public IReadOnlyList<long> TransportExperts { get; private set; } = [];

    /// <summary>The two energy experts.</summary>
    public IReadOnlyList<long> EnergyExperts { get; private set; } = [];

    /// <summary>A transport expert who works for the institute.</summary>
    public long InsiderExpert { get; private set; }

    /// <summary>A transport expert who declared a conflict of interest with the institute.</summary>
    public long ConflictedExpert { get; private set; }

    /// <summary>SHA-256 of the methodology's development report (方法学编制说明).</summary>
    public string Dossier { get; private set; } = "";

    /// <summary>SHA-256 of a supplementary document: an amendment, a scenario's technical plan.</summary>
    public string Evidence { get; private set; } = "";

    /// <summary>SHA-256 of a rectification report.</summary>
    public string Report { get; private set; } = "";

    public Actor InstituteStaff => new(WorkflowRole.Applicant, "staff:" + Institute, Institute);
    public Actor RivalStaff => new(WorkflowRole.Applicant, "staff:" + Rival, Rival);
    public Actor OperatorStaff => new(WorkflowRole.Applicant, "staff:" + Operator, Operator);
    public Actor RivalOperatorStaff => new(WorkflowRole.Applicant, "staff:" + RivalOperator, RivalOperator);

    public static Actor ExpertActor(long expert) => new(WorkflowRole.Expert, "expert:" + expert.ToString(CultureInfo.InvariantCulture), Expert: expert);

    public static async Task<GovernanceWorld> CreateAsync(StoreKind kind)
    {
        var clock = new ManualClock(T0);
        var store = await TestStores.CreateAsync(kind, clock);
        var w = new GovernanceWorld(store, clock);
        await w.SeedAsync();
        return w;
    }

    private async Task SeedAsync()
    {
        foreach (var file in Directory.GetFiles(MethodologyText.LibraryDirectory(), "*.yaml").Order(StringComparer.Ordinal))
        {
            var registered = await Methodologies.RegisterAsync(await File.ReadAllTextAsync(file));
            Assert.True(registered.Succeeded, $"{file}: {registered.Problem}");
        }

        Institute = (await Store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "o:js-climate", "江苏省气候研究院 / Jiangsu Climate Institute"))).Id;
        Rival = (await Store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "o:nj-energy", "南京能源研究所 / Nanjing Energy Institute"))).Id;
        Operator = (await Store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "o:nj-walk", "南京步行出行平台 / Nanjing Walking", OrganisationRoles.Operator))).Id;
        RivalOperator = (await Store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "o:sz-ride", "深圳骑行 / Shenzhen Rides", OrganisationRoles.Operator))).Id;

        const string admin = "admin:江苏省生态环境厅";
        var transport = new List<long>();
        foreach (var (name, organisation) in new[] { ("李交通", "东南大学"), ("周通", "河海大学"), ("吴路", "南京大学"), ("郑行", "江苏省交通规划设计院") })
            transport.Add(await AddExpertAsync(new NewExpert(name, organisation, null, ["transport"], "教授"), admin));
        TransportExperts = transport;
        EnergyExperts =
        [
            await AddExpertAsync(new NewExpert("王能", "国网江苏电力", null, ["energy"], "高级工程师"), admin),
            await AddExpertAsync(new NewExpert("陈光", "南京工业大学", null, ["energy", "buildings"], "教授"), admin),
        ];
        InsiderExpert = await AddExpertAsync(new NewExpert("钱内部", "江苏省气候研究院", Institute.Value, ["transport", "energy"], "研究员"), admin);
        ConflictedExpert = await AddExpertAsync(new NewExpert("孙顾问", "苏州咨询公司", null, ["transport"], "高级工程师"), admin);
        var declared = await Experts.DeclareConflictAsync(ConflictedExpert, new ExpertConflict(Institute.Value, "江苏省气候研究院", "曾为其方法学提供咨询 / consulted on its methodologies"), admin);
        Assert.Equal(ExpertWriteStatus.Done, declared.Status);

        Dossier = (await Documents.StoreAsync("方法学编制说明.pdf", "application/pdf", Encoding.UTF8.GetBytes("%PDF methodology report"), "test", default)).Sha256;
        Evidence = (await Documents.StoreAsync("补充材料.pdf", "application/pdf", Encoding.UTF8.GetBytes("%PDF supplement"), "test", default)).Sha256;
        Report = (await Documents.StoreAsync("整改报告.pdf", "application/pdf", Encoding.UTF8.GetBytes("%PDF rectification"), "test", default)).Sha256;
    }

    private async Task<long> AddExpertAsync(NewExpert expert, string actor)
    {
        var added = await Experts.AddAsync(expert, actor);
        Assert.Equal(ExpertWriteStatus.Done, added.Status);
        return added.Expert!.Id;
    }

    /// <summary>Sets the clock to 09:00 Nanjing time on <paramref name="day"/>.</summary>
    public void Today(DateOnly day) => Clock.Set(new DateTimeOffset(day.ToDateTime(new TimeOnly(9, 0)), TimeSpan.FromHours(8)));

    /// <summary>A library methodology's text with its version changed to <paramref name="version"/>.</summary>
    public static string LibraryText(string file, string version)
    {
        var text = File.ReadAllText(Path.Combine(MethodologyText.LibraryDirectory(), file));
        var line = text.Split('\n').First(l => l.StartsWith("version:", StringComparison.Ordinal));
        return text.Replace(line, "version: " + version, StringComparison.Ordinal);
    }

    /// <summary>The walking methodology at <paramref name="version"/>.</summary>
    public static string Walking(string version) => LibraryText("walking.yaml", version);

    /// <summary>Submits a methodology application for the institute, with the dossier, and returns it.</summary>
    public async Task<Application> SubmitMethodologyAsync(string text, Actor? applicant = null)
    {
        var result = await MethodologyApplications.SubmitAsync(applicant ?? InstituteStaff, text, [Dossier], "申请备案 / applying for filing", default);
        Assert.True(result.Succeeded, $"{result.Status} {result.Detail}");
        return result.Application!;
    }

    public async Task<Application> StepAsync(long application, Step step, Actor actor)
    {
        var result = await Workflows.ActAsync(application, step, actor, default);
        Assert.True(result.Succeeded, $"{step.Action}: {result.Status} {result.Detail}");
        Assert.NotNull(result.Entry);
        return result.Application!;
    }

    /// <summary>Every member of the application's current panel gives the same verdict.</summary>
    public async Task<Application> OpineAsync(Application application, bool passed = true)
    {
        Assert.NotEmpty(application.Panel);
        foreach (var expert in application.Panel)
            application = await StepAsync(application.Id, new Step("opinion", passed ? "方法学科学合理 / sound" : "基准线不保守 / baseline not conservative", Verdict: passed), ExpertActor(expert));
        return application;
    }

    public static Step Accept => new("accept", Panel: new PanelSpec(["transport"], 3));

    /// <summary>
    /// A methodology application of the institute for <paramref name="text"/> brought to <paramref name="state"/> by
    /// the usual steps. Revised files a second version (<paramref name="revisedBy"/>) over it.
    /// </summary>
    public async Task<Application> MethodologyInStateAsync(string state, string text, string? revisedBy = null)
    {
        var app = await SubmitMethodologyAsync(text);
        async Task<Application> Through(string target)
        {
            app = await StepAsync(app.Id, Accept, PlatformOperator);
            if (target == "evaluation") return app;
            app = await OpineAsync(app);
            app = await StepAsync(app.Id, new Step("publish", "评估通过 / passed"), PlatformOperator);
            if (target == "public-notice") return app;
            Today(app.DueOn!.Value.AddDays(1));
            return await StepAsync(app.Id, new Step("file"), Administrator);
        }

        switch (state)
        {
            case "submitted":
                break;
            case "evaluation" or "public-notice" or "filed":
                app = await Through(state);
                break;
            case "revised":
                var first = await Through("filed");
                _ = await MethodologyInStateAsync("filed", revisedBy ?? throw new ArgumentNullException(nameof(revisedBy)));
                app = (await Workflows.GetAsync(first.Id, default))!;
                break;
            case "withdrawn":
                await Through("filed");
                app = await StepAsync(app.Id, new Step("withdraw", "方法学已不适用 / obsolete"), Administrator);
                break;
            case "rejected":
                app = await StepAsync(app.Id, new Step("reject", "材料不全 / incomplete"), PlatformOperator);
                break;
            case "retracted":
                app = await StepAsync(app.Id, new Step("retract"), InstituteStaff);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(state), state, "not a methodology state");
        }

        Assert.Equal(state, app.State);
        return app;
    }

    /// <summary>A walking scenario in Nanjing on walking <paramref name="version"/>.</summary>
    public static ScenarioDefinition WalkingScenario(string code, string version = "1.0.0") => new()
    {
        Code = code, TitleZh = "南京步行 " + code, TitleEn = "Nanjing walking " + code, MethodologyId = "walking", MethodologyVersion = version, Region = "320100",
    };

    /// <summary>Applies for a scenario as the operator and returns its application.</summary>
    public async Task<Application> ApplyScenarioAsync(ScenarioDefinition definition, Actor? applicant = null)
    {
        var (check, result) = await ScenarioApplications.SubmitAsync(applicant ?? OperatorStaff, definition, [Evidence], "申请接入 / applying", default);
        Assert.True(result is { Succeeded: true }, $"{check.Status} {check.Problem} {result?.Status} {result?.Detail}");
        return result!.Application!;
    }

    /// <summary>A scenario application of the operator brought to <paramref name="state"/> by the usual steps, without a panel.</summary>
    public async Task<Application> ScenarioInStateAsync(string state, ScenarioDefinition definition)
    {
        var app = await ApplyScenarioAsync(definition);
        var path = state switch
        {
            "applied" => [],
            "review" => [("accept", PlatformOperator)],
            "filing" => [("accept", PlatformOperator), ("pass", PlatformOperator)],
            "filed" => [("accept", PlatformOperator), ("pass", PlatformOperator), ("file", Administrator)],
            "running" => [("accept", PlatformOperator), ("pass", PlatformOperator), ("file", Administrator), ("start", PlatformOperator)],
            "suspended" => [("accept", PlatformOperator), ("pass", PlatformOperator), ("file", Administrator), ("start", PlatformOperator), ("suspend", PlatformOperator)],
            "terminated" => [("accept", PlatformOperator), ("pass", PlatformOperator), ("file", Administrator), ("start", PlatformOperator), ("terminate", PlatformOperator)],
            "refused" => [("refuse", PlatformOperator)],
            "retracted" => new[] { ("retract", OperatorStaff) },
            _ => throw new ArgumentOutOfRangeException(nameof(state), state, "not a scenario state"),
        };
        foreach (var (action, actor) in path) app = await StepAsync(app.Id, new Step(action, $"{action}：理由 / reasons", RectificationDays: action == "suspend" ? 10 : null), actor);
        Assert.Equal(state, app.State);
        return app;
    }

    /// <summary>What a refused step must leave as it was: the application row, the log, objections and opinions.</summary>
    public sealed record Snapshot(long Id, string State, int Revision, int Round, DateOnly ReceivedOn, DateOnly EnteredOn, DateOnly? DueOn, string Panel, long LogLength,
        long Objections, long Opinions, long Documents, long PanelDraws, long MethodologyVersions, long Scenarios, long ScenarioDecisions);

    public async Task<Snapshot> SnapshotAsync(long applicationId)
    {
        var a = (await Workflows.GetAsync(applicationId, default))!;
        return new Snapshot(a.Id, a.State, a.Revision, a.Round, a.ReceivedOn, a.EnteredOn, a.DueOn, string.Join(",", a.Panel), await CountAsync("governance_log"),
            await CountAsync("objections"), await CountAsync("opinions"), await CountAsync("application_documents"), await CountAsync("panel_draws"),
            await CountAsync("methodology_versions"), await CountAsync("scenarios"), await CountAsync("scenario_decisions"));
    }

    public async Task<long> CountAsync(string table)
    {
        await using var connection = await Store.Dialect.OpenAsync(default);
        await using var cmd = Sql.Command(connection, null, "SELECT COUNT(*) FROM " + table);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>Recomputes the governance log's chain from 32 zero bytes and checks it ends at the head; returns the entries.</summary>
    public async Task<IReadOnlyList<GovernanceEntry>> VerifyChainAsync()
    {
        var entries = new List<GovernanceEntry>();
        await using var connection = await Store.Dialect.OpenAsync(default);
        await using (var cmd = Sql.Command(connection, null, GovernanceLog.Select + " ORDER BY seq"))
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            while (await r.ReadAsync()) entries.Add(GovernanceLog.Read(r));
        }

        var previous = new byte[GovernanceLog.HashBytes];
        for (var i = 0; i < entries.Count; i++)
        {
            Assert.Equal(i + 1, entries[i].Seq);
            var hash = GovernanceLog.ChainHash(previous, entries[i]);
            Assert.Equal(hash, entries[i].Hash);
            previous = hash;
        }

        await using var head = Sql.Command(connection, null, "SELECT last_seq, last_hash FROM governance_head WHERE id = 1");
        await using var h = await head.ExecuteReaderAsync();
        Assert.True(await h.ReadAsync());
        Assert.Equal(entries.Count, h.GetInt64(0));
        Assert.Equal(previous, (byte[])h.GetValue(1));
        return entries;
    }

    public ValueTask DisposeAsync() => Store.DisposeAsync();
}
