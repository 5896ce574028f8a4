using System.Globalization;
using System.Text;
using Puhui.Governance;
using Puhui.Ledger;
using Puhui.Registry;
using Puhui.Storage;
using Puhui.Storage.Governance;
using Puhui.Storage.Ingestion;
using Puhui.Storage.Ledger;
using Puhui.Storage.Methodologies;
using Puhui.Storage.Registry;
using Puhui.Tests.Governance;
using Puhui.Tests.Methodologies;

namespace Puhui.Tests.Registry;

/// <summary>
/// A store for the public registry: the distributed-PV and forestry-sink methodologies filed, an approved
/// verification body, a pool of four energy-and-forestry experts, a PV developer, a forestry developer, a buyer
/// and one stored document. Projects are registered and periods issued through every step of their workflows, with
/// storage calls only. The clock is Monday 2 March 2026, 09:00 in Nanjing; the calendar counts weekdays.
/// </summary>
public sealed class PublicRegistryWorld : IAsyncDisposable
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.FromHours(8));

    public static readonly Actor PlatformOperator = new(WorkflowRole.PlatformOperator, "platform-operator:江苏碳普惠运营中心");
    public static readonly Actor Administrator = new(WorkflowRole.Administrator, "admin:江苏省生态环境厅");

    private int _sites;

    private PublicRegistryWorld(LedgerStore store, ManualClock clock)
    {
        Store = store;
        Clock = clock;
        var calendar = new WorkingDayCalendar([], 2025, 2027);
        Workflows = GovernanceSetup.Create(store, new ScenarioStore(store, clock), _ => Task.FromResult(calendar), clock);
        Registry = new ProjectRegistry(Workflows);
        Queries = new RegistryQueries(store, Registry, Workflows);
        Documents = new DocumentStore(store.Dialect, clock);
    }

    public LedgerStore Store { get; }
    public ManualClock Clock { get; }
    public WorkflowStore Workflows { get; }
    public ProjectRegistry Registry { get; }
    public RegistryQueries Queries { get; }
    public DocumentStore Documents { get; }

    /// <summary>江苏碳核查中心, approved as a verification body.</summary>
    public AccountId Verifier { get; private set; }

    /// <summary>A PV developer (屋顶光伏).</summary>
    public AccountId Solar { get; private set; }

    /// <summary>A forestry developer (林场).</summary>
    public AccountId Forester { get; private set; }

    /// <summary>An organisation that buys reductions and retires them.</summary>
    public AccountId Buyer { get; private set; }

    public AccountId Retired { get; private set; }

    /// <summary>SHA-256 of a stored PDF attached wherever a step needs a document.</summary>
    public string Dossier { get; private set; } = "";

    public Actor VerifierActor => new(WorkflowRole.Verifier, "verifier:" + Verifier, Verifier);

    public static Actor Staff(AccountId organisation) => new(WorkflowRole.Applicant, "staff:" + organisation, organisation);

    public static async Task<PublicRegistryWorld> CreateAsync(StoreKind kind)
    {
        var clock = new ManualClock(T0);
        return await CreateAsync(await TestStores.CreateAsync(kind, clock), clock);
    }

    /// <summary>Seeds <paramref name="store"/>, which the world then owns.</summary>
    public static async Task<PublicRegistryWorld> CreateAsync(LedgerStore store, ManualClock clock)
    {
        var w = new PublicRegistryWorld(store, clock);
        await w.SeedAsync();
        return w;
    }

    private async Task SeedAsync()
    {
        var methodologies = new MethodologyStore(Store.Dialect, Clock);
        foreach (var file in new[] { "distributed-pv.yaml", "forestry-sink.yaml" })
        {
            var registered = await methodologies.RegisterAsync(await File.ReadAllTextAsync(Path.Combine(MethodologyText.LibraryDirectory(), file)));
            Assert.True(registered.Succeeded, $"{file}: {registered.Problem}");
        }

        Verifier = (await Store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "o:jscv", "江苏碳核查中心 / Jiangsu Carbon Verification Centre",
            OrganisationRoles.VerificationBody))).Id;
        Solar = (await Store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "o:solar", "金陵光伏 / Jinling Solar", OrganisationRoles.ProjectDeveloper))).Id;
        Forester = (await Store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "o:forest", "紫金山林场 / Zijinshan Forest Farm", OrganisationRoles.ProjectDeveloper))).Id;
        Buyer = (await Store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "o:buyer", "南京会展中心 / Nanjing Expo Centre", OrganisationRoles.Buyer))).Id;
        Retired = await Store.SystemAccountAsync(SystemAccounts.Retired);
        Dossier = (await Documents.StoreAsync("项目设计文件.pdf", "application/pdf", Encoding.UTF8.GetBytes("%PDF project design document"), "test", default)).Sha256;

        var bodies = new VerificationBodies(Workflows, Clock);
        var applied = await bodies.SubmitAsync(Staff(Verifier), VerificationBodyConditionsTests.Complete(), [Dossier], "申请认定 / applying", default);
        Assert.True(applied.Succeeded, applied.Detail);
        await StepAsync(applied.Application!.Id, new Step("approve", "符合条件 / conditions met", [Dossier], RectificationDays: 10), Administrator);

        var experts = new ExpertStore(Store, Clock);
        foreach (var name in new[] { "王能", "陈光", "林森", "赵木" })
        {
            var added = await experts.AddAsync(new NewExpert(name, "南京林业大学", null, ["energy", "forestry"], "教授"), Administrator.Name);
            Assert.Equal(ExpertWriteStatus.Done, added.Status);
        }
    }

    /// <summary>A 500 kW rooftop PV project of <see cref="Solar"/>, credited 2017–2026, at a site of its own.</summary>
    public ProjectDefinition Pv(string name = "金陵屋顶光伏") => Site(new ProjectDefinition
    {
        NameZh = name, NameEn = "Jinling rooftop PV", Type = ProjectType.DistributedPv, Region = "320115", Latitude = 31.95m, Longitude = 118.84m, Capacity = 500,
        CapacityUnit = "kW", MethodologyId = "distributed-pv", MethodologyVersion = "1.0.0", CreditingFrom = new DateOnly(2017, 1, 1),
        CreditingTo = new DateOnly(2026, 12, 31), Declarations = new ProjectDeclarations(false, false, false),
    });

    /// <summary>A 100 ha forestry sink of <see cref="Forester"/>, credited 2017–2026; its methodology computes its own buffer.</summary>
    public ProjectDefinition Forest(string name = "紫金山林业碳汇") => Site(new ProjectDefinition
    {
        NameZh = name, NameEn = "Zijinshan forestry sink", Type = ProjectType.ForestrySink, Region = "320102", Latitude = 32.07m, Longitude = 118.85m, Capacity = 100,
        CapacityUnit = "ha", MethodologyId = "forestry-sink", MethodologyVersion = "1.0.0", CreditingFrom = new DateOnly(2017, 1, 1),
        CreditingTo = new DateOnly(2026, 12, 31), Declarations = new ProjectDeclarations(false, false, false),
    });

    /// <summary>Moves each new project about 1 km north so no two are the same site.</summary>
    private ProjectDefinition Site(ProjectDefinition d) => d with
    {
        Latitude = d.Latitude + (Interlocked.Increment(ref _sites) * 0.01m),
        ExternalIds = [new ExternalId("grid-account", "JS-" + _sites.ToString(CultureInfo.InvariantCulture))],
    };

    public async Task<Application> StepAsync(long application, Step step, Actor actor)
    {
        var result = await Workflows.ActAsync(application, step, actor, default);
        Assert.True(result.Succeeded, $"{step.Action}: {result.Status} {result.Detail}");
        return result.Application!;
    }

    private async Task<Application> ReviewAsync(Application app)
    {
        app = await StepAsync(app.Id, new Step("accept", Panel: new PanelSpec(["energy"], 3)), PlatformOperator);
        foreach (var expert in app.Panel)
            app = await StepAsync(app.Id, new Step("opinion", "材料齐全，方法学适用 / complete, methodology applies", Verdict: true), GovernanceWorld.ExpertActor(expert));
        return app;
    }

    /// <summary>Drafts a project for <paramref name="developer"/> and returns its id; it stays a draft.</summary>
    public async Task<Project> DraftAsync(AccountId developer, ProjectDefinition definition)
    {
        var drafted = await Registry.DraftAsync(Staff(developer), definition, [Dossier], "申请登记 / applying", default);
        Assert.True(drafted.Succeeded, $"{drafted.Status} {drafted.Detail}");
        return (await Registry.ProjectOfApplicationAsync(drafted.Application!.Id))!;
    }

    /// <summary>
    /// Registers a project through every step: draft, submit with a document, assign the approved body, validate,
    /// accept with a drawn panel, opinions, register. <paramref name="until"/> stops earlier: draft, submitted, validation, expert-review.
    /// </summary>
    public async Task<Project> RegisterAsync(AccountId developer, ProjectDefinition definition, string until = "registered")
    {
        var project = await DraftAsync(developer, definition);
        var id = project.ApplicationId;
        if (until == "draft") return project;
        await StepAsync(id, new Step("submit", "提交 / submitted", [Dossier]), Staff(developer));
        if (until == "submitted") return (await Registry.GetProjectAsync(project.Id))!;
        await StepAsync(id, new Step("assign-validation", Verifier: Verifier.Value), PlatformOperator);
        if (until == "validation") return (await Registry.GetProjectAsync(project.Id))!;
        await StepAsync(id, new Step("validate", "审定通过 / validated", [Dossier]), VerifierActor);
        var app = await ReviewAsync((await Workflows.GetAsync(id, default))!);
        if (until == "expert-review") return (await Registry.GetProjectAsync(project.Id))!;
        await StepAsync(app.Id, new Step("register", "予以登记并公布 / registered and published"), Administrator);
        project = (await Registry.GetProjectAsync(project.Id))!;
        Assert.Equal("registered", project.State);
        return project;
    }

    /// <summary>
    /// Reports a monitoring period and takes it through verification (the verifier's figure when
    /// <paramref name="adjustedGrams"/> is given), review and approval to issuance; returns the issued period.
    /// </summary>
    public async Task<MonitoringPeriod> IssueAsync(Project project, DateOnly from, DateOnly to, IReadOnlyDictionary<string, decimal> inputs, long? adjustedGrams = null)
    {
        var reported = await Registry.ReportAsync(Staff(project.Developer), project.Id, new MonitoringReport(from, to, inputs), [Dossier], "监测报告 / monitoring report", default);
        Assert.True(reported.Succeeded, $"{reported.Status} {reported.Detail}");
        var id = reported.Application!.Id;
        await StepAsync(id, new Step("assign-verification", Verifier: Verifier.Value), PlatformOperator);
        await StepAsync(id, new Step("verify", adjustedGrams is null ? "核证无误 / verified" : "扣除未计量电量 / unmetered generation deducted", [Dossier], Grams: adjustedGrams),
            VerifierActor);
        var app = await ReviewAsync((await Workflows.GetAsync(id, default))!);
        await StepAsync(app.Id, new Step("approve", "同意签发 / approved"), PlatformOperator);
        var issued = await Registry.IssueAsync(id, Administrator, "签发 / issued", default);
        Assert.True(issued.Succeeded, $"{issued.Status} {issued.Detail}");
        var period = (await Registry.PeriodAsync(id))!;
        Assert.Equal("issued", period.State);
        return period;
    }

    public static Dictionary<string, decimal> Generation(decimal mwh) => new() { ["generation"] = mwh };

    public static Dictionary<string, decimal> Growth(decimal cubicMetresPerHectare) => new() { ["volume_growth"] = cubicMetresPerHectare };

    public async Task<AppendResult> MoveAsync(TransactionKind kind, AccountId from, AccountId to, long batch, long grams, string key)
    {
        var tx = new TransactionBuilder(kind, key, Clock.GetUtcNow(), "test").MoveGrams(from, to, new BatchId(batch), new Grams(grams)).Build();
        return await Store.AppendAsync(tx);
    }

    /// <summary>
    /// The ledger's own totals of every project batch, summed from <see cref="LedgerStore.GetBalancesAsync"/> of
    /// every account — the reads accounts make — by where each account's grams count.
    /// </summary>
    public async Task<Dictionary<long, BatchTotals>> LedgerTotalsAsync()
    {
        var sums = new Dictionary<long, long[]>();
        foreach (var account in await Store.ListAccountsAsync())
        {
            foreach (var balance in await Store.GetBalancesAsync(account.Id))
            {
                if (balance.Asset != Asset.Co2 || balance.Batch is not { } batch) continue;
                if (!sums.TryGetValue(batch.Value, out var t)) sums[batch.Value] = t = new long[6];
                var slot = account.IsSource ? 0
                    : account.Kind != AccountKind.System ? 1
                    : account.Code switch
                    {
                        SystemAccounts.Retired or SystemAccounts.Expired => 3,
                        SystemAccounts.Cancelled => 4,
                        SystemAccounts.Buffer => 5,
                        RegistryQueries.PledgeAccount => 2,
                        _ => 1,
                    };
                t[slot] += slot == 0 ? -balance.Amount : balance.Amount;
            }
        }

        return sums.ToDictionary(s => s.Key, s => new BatchTotals(s.Value[0], s.Value[1], s.Value[2], s.Value[3], s.Value[4], s.Value[5]));
    }

    /// <summary>
    /// Asserts every public batch's totals equal the ledger's — summed from accounts' balances and recomputed from the
    /// journal by the audit — and that issued = held + pledged + retired + cancelled + buffer.
    /// </summary>
    public async Task AssertPublicTotalsMatchLedgerAsync()
    {
        var batches = await Queries.BatchesAsync();
        var ledger = await LedgerTotalsAsync();
        var audit = await Store.AuditAsync();
        Assert.True(audit.Passed, string.Join("\n", audit.Problems));
        foreach (var b in batches)
        {
            Assert.Equal(ledger.GetValueOrDefault(b.Id, BatchTotals.Zero), b.Totals);
            Assert.Equal(b.Totals.Issued, b.Totals.Accounted);
            var a = audit.Totals.Single(t => t.Asset == Asset.Co2 && t.Batch == new BatchId(b.Id));
            Assert.Equal(a.Issued, b.Totals.Issued);
            Assert.Equal(a.Held, b.Totals.Held);
            Assert.Equal(a.Retired + a.Expired, b.Totals.Retired);
            Assert.Equal(a.Other, b.Totals.Buffer + b.Totals.Cancelled + b.Totals.Pledged);
        }

        // Every project batch the ledger holds is public exactly when its project is registered; here all are.
        var periods = (await Registry.PeriodsAsync(null)).Where(p => p.Batch is not null).ToList();
        Assert.Equal(periods.Select(p => p.Batch!.Value.Value).Order(), batches.Select(b => b.Id).Order());
        foreach (var p in periods) Assert.Equal(p.IssuedGrams, batches.Single(b => b.Id == p.Batch!.Value.Value).Totals.Issued);
    }

    public ValueTask DisposeAsync() => Store.DisposeAsync();
}
