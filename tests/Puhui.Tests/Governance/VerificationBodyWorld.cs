using System.Text;
using Puhui.Governance;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Governance;
using Puhui.Storage.Ledger;

namespace Puhui.Tests.Governance;

/// <summary>
/// A store with two organisations that want to be verification bodies, a project developer and a person, one
/// stored document, and the administrator; the clock starts on Monday 2 March 2026 in Nanjing, and the calendar
/// counts weekdays only.
/// </summary>
public sealed class VerificationBodyWorld : IAsyncDisposable
{
    /// <summary>Monday 2026-03-02 09:00 in Nanjing.</summary>
    public static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.FromHours(8));
    public static readonly DateOnly Day0 = new(2026, 3, 2);

    public static readonly Actor Administrator = new(WorkflowRole.Administrator, "admin:江苏省生态环境厅");

    private VerificationBodyWorld(LedgerStore store, ManualClock clock)
    {
        Store = store;
        Clock = clock;
        Calendar = new WorkingDayCalendar([], 2025, 2027);
        Workflows = new WorkflowStore(store, _ => Task.FromResult(Calendar), clock,
            (_, _, _, _, _, _, _) => throw new InvalidOperationException("No verification-body step draws a panel."));
        VerificationBodies.RegisterEffects(Workflows);
        Bodies = new VerificationBodies(Workflows, clock);
        Documents = new DocumentStore(store.Dialect, clock);
    }

    public LedgerStore Store { get; }
    public ManualClock Clock { get; }
    public WorkingDayCalendar Calendar { get; }
    public WorkflowStore Workflows { get; }
    public VerificationBodies Bodies { get; }
    public DocumentStore Documents { get; }
    public AccountId Verifier { get; private set; }
    public AccountId Rival { get; private set; }
    public AccountId Developer { get; private set; }
    public AccountId Person { get; private set; }

    /// <summary>The SHA-256 of a stored PDF: the accreditation certificate.</summary>
    public string Certificate { get; private set; } = "";

    /// <summary>The SHA-256 of another stored PDF: a rectification report.</summary>
    public string Report { get; private set; } = "";

    public Actor VerifierStaff => new(WorkflowRole.Applicant, "staff:" + Verifier, Verifier);
    public Actor RivalStaff => new(WorkflowRole.Applicant, "staff:" + Rival, Rival);

    public static async Task<VerificationBodyWorld> CreateAsync(StoreKind kind)
    {
        var clock = new ManualClock(T0);
        var store = await TestStores.CreateAsync(kind, clock);
        var w = new VerificationBodyWorld(store, clock);
        w.Verifier = (await store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "o:jscv", "江苏碳核查中心 / Jiangsu Carbon Verification Centre",
            OrganisationRoles.VerificationBody))).Id;
        w.Rival = (await store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "o:njmetro", "南京计量院 / Nanjing Metrology Institute",
            OrganisationRoles.VerificationBody))).Id;
        w.Developer = (await store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "o:solar", "Solar Co", OrganisationRoles.ProjectDeveloper))).Id;
        w.Person = (await store.OpenAccountAsync(new NewAccount(AccountKind.Person, "p:alice", "Alice"))).Id;
        w.Certificate = (await w.Documents.StoreAsync("资质证书.pdf", "application/pdf", Encoding.UTF8.GetBytes("%PDF certificate"), "test", default)).Sha256;
        w.Report = (await w.Documents.StoreAsync("整改报告.pdf", "application/pdf", Encoding.UTF8.GetBytes("%PDF rectification"), "test", default)).Sha256;
        return w;
    }

    /// <summary>Submits a complete declaration for <paramref name="staff"/>'s organisation and returns its application.</summary>
    public async Task<Application> ApplyAsync(Actor? staff = null)
    {
        var result = await Bodies.SubmitAsync(staff ?? VerifierStaff, VerificationBodyConditionsTests.Complete(), [Certificate], "申请认定 / applying", default);
        Assert.True(result.Succeeded, result.Detail);
        return result.Application!;
    }

    public async Task<Application> StepAsync(long application, Step step, Actor actor)
    {
        var result = await Workflows.ActAsync(application, step, actor, default);
        Assert.True(result.Succeeded, $"{step.Action}: {result.Status} {result.Detail}");
        return result.Application!;
    }

    /// <summary>An application of <paramref name="staff"/>'s organisation brought to <paramref name="state"/> by the usual steps.</summary>
    public async Task<Application> InStateAsync(string state, Actor? staff = null)
    {
        staff ??= VerifierStaff;
        var app = await ApplyAsync(staff);
        var path = state switch
        {
            "applied" => [],
            "approved" => [("approve", Administrator)],
            "suspended" => [("approve", Administrator), ("suspend", Administrator)],
            "refused" => [("refuse", Administrator)],
            "revoked" => [("approve", Administrator), ("revoke", Administrator)],
            "retracted" => new[] { ("retract", staff) },
            _ => throw new ArgumentOutOfRangeException(nameof(state), state, "not a verification-body state"),
        };
        foreach (var (action, actor) in path) app = await StepAsync(app.Id, Full(action), actor);
        Assert.Equal(state, app.State);
        return app;
    }

    /// <summary>The step with every input any verification-body step needs.</summary>
    public Step Full(string action) => new(action, $"{action}：理由 / reasons", [Report], RectificationDays: 10);

    public async Task<int> LogLengthAsync()
    {
        var total = 0;
        foreach (var app in await Workflows.ListAsync(ct: default)) total += (await Workflows.HistoryAsync(app.Id, default)).Count;
        return total;
    }

    public ValueTask DisposeAsync() => Store.DisposeAsync();
}
