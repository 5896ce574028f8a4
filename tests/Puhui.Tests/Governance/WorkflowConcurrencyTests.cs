using Puhui.Governance;
using Puhui.Storage;
using Puhui.Storage.Governance;
using Puhui.Storage.Ingestion;
using Puhui.Storage.Ledger;
using static Puhui.Tests.Governance.GovernanceWorld;

namespace Puhui.Tests.Governance;

/// <summary>
/// Steps racing on one application for real: parallel tasks over several stores on one database, each with its own
/// connections, as separate processes would have. Each step is taken once, and the governance log stays one chain.
/// </summary>
public sealed class WorkflowConcurrencyTests
{
    [Theory, MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task Eight_operators_accepting_one_application_at_once_draw_one_panel_and_the_log_stays_one_chain(StoreKind kind)
    {
        const int racers = 8;
        await using var w = await CreateAsync(kind);
        var app = await w.SubmitMethodologyAsync(Walking("1.1.0"));

        var results = await RaceAsync(w, kind, racers, (workflows, _) => workflows.ActAsync(app.Id, Accept, PlatformOperator, default));

        var done = Assert.Single(results, r => r.Succeeded);
        Assert.All(results.Where(r => !r.Succeeded), r =>
        {
            Assert.Equal(StepStatus.Refused, r.Status);
            Assert.Equal((WorkflowRefusal?)WorkflowRefusal.NotAllowedInState, r.Decision!.Refusal);
            Assert.Equal("evaluation", r.Decision.State);
        });
        var stored = (await w.Workflows.GetAsync(app.Id, default))!;
        Assert.Equal(("evaluation", 1, app.Revision + 1), (stored.State, stored.Round, stored.Revision));
        Assert.Equal(done.Application!.Panel, stored.Panel);
        Assert.Equal(1, await w.CountAsync("panel_draws"));
        Assert.Equal(["submit", "accept"], (await w.VerifyChainAsync()).Select(e => e.Action));
    }

    [Theory, MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task Each_expert_opining_three_times_at_once_beside_new_submissions_records_one_opinion_each_and_one_chain(StoreKind kind)
    {
        const int repeats = 3, submissions = 6;
        await using var w = await CreateAsync(kind);
        var app = await w.MethodologyInStateAsync("evaluation", Walking("1.1.0"));
        var panel = app.Panel;

        var results = await RaceAsync(w, kind, panel.Count * repeats + submissions, (workflows, i) => i < panel.Count * repeats
            ? workflows.ActAsync(app.Id, new Step("opinion", "通过 / pass " + i, Verdict: true), ExpertActor(panel[i % panel.Count]), default)
            : new MethodologyApplications(workflows).SubmitAsync(w.InstituteStaff, Walking("3.0." + i), [w.Dossier], "", default));

        var opinions = results.Take(panel.Count * repeats).ToList();
        Assert.Equal(panel.Count, opinions.Count(r => r.Succeeded));
        Assert.All(opinions.Where(r => !r.Succeeded), r => Assert.Equal("this expert has already given an opinion in this round", r.Detail));
        Assert.All(results.Skip(panel.Count * repeats), r => Assert.True(r.Succeeded, r.Detail));
        Assert.Equal(panel.Order(), (await w.Workflows.OpinionsAsync(app.Id, default)).Select(o => o.Expert).Order());
        var log = await w.VerifyChainAsync();
        Assert.Equal(2 + panel.Count + submissions, log.Count);
        Assert.Equal(log.Select(e => e.At).Order(), log.Select(e => e.At));
        Assert.Equal("public-notice", (await w.StepAsync(app.Id, new Step("publish", "公示"), PlatformOperator)).State);
    }

    [Theory, MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task Eight_submissions_of_one_methodology_version_at_once_open_exactly_one_application(StoreKind kind)
    {
        const int racers = 8;
        await using var w = await CreateAsync(kind);

        var results = await RaceAsync(w, kind, racers, (workflows, _) => new MethodologyApplications(workflows).SubmitAsync(w.InstituteStaff, Walking("1.1.0"), [w.Dossier], "", default));

        Assert.Single(results, r => r.Succeeded);
        Assert.All(results.Where(r => !r.Succeeded), r => Assert.Equal(StepStatus.Conflict, r.Status));
        Assert.Single(await w.Workflows.ListAsync("methodology", ct: default));
        Assert.Equal(["submit"], (await w.VerifyChainAsync()).Select(e => e.Action));
    }

    [Theory, MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task Eight_applications_for_one_scenario_code_at_once_open_exactly_one(StoreKind kind)
    {
        const int racers = 8;
        await using var w = await CreateAsync(kind);

        var results = await RaceAsync(w, kind, racers, async (workflows, i) =>
        {
            var scenarios = new ScenarioStore(workflows.Ledger, w.Clock);
            var (check, result) = await new ScenarioApplications(workflows, scenarios).SubmitAsync(i % 2 == 0 ? w.OperatorStaff : w.RivalOperatorStaff,
                WalkingScenario("nj-walk"), [], "", default);
            return result ?? new StepResult(StepStatus.Conflict, null, null, null, check.Status + ": " + check.Problem);
        });

        Assert.Single(results, r => r.Succeeded);
        Assert.All(results.Where(r => !r.Succeeded), r => Assert.Contains("CodeTaken", r.Detail, StringComparison.Ordinal));
        Assert.Single(await w.Workflows.ListAsync("scenario", ct: default));
        Assert.Equal(1, await w.CountAsync("scenarios"));
        Assert.Equal(["submit"], (await w.VerifyChainAsync()).Select(e => e.Action));
    }

    /// <summary>
    /// Runs <paramref name="count"/> calls at once, released together, spread over several stores on the world's
    /// database (two for SQLite, five for PostgreSQL), each with its own workflow store; returns the results in call order.
    /// </summary>
    private static async Task<StepResult[]> RaceAsync(GovernanceWorld w, StoreKind kind, int count, Func<WorkflowStore, int, Task<StepResult>> call)
    {
        var setting = kind == StoreKind.Postgres ? w.Store.Setting + ";Maximum Pool Size=12" : w.Store.Setting;
        var stores = Enumerable.Range(0, kind == StoreKind.Postgres ? 5 : 2).Select(_ => new LedgerStore(SqlDialect.FromSetting(setting), w.Clock)).ToList();
        try
        {
            var workflows = stores.Select(s => GovernanceSetup.Create(s, new ScenarioStore(s, w.Clock), _ => Task.FromResult(w.Calendar), w.Clock)).ToList();
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var tasks = Enumerable.Range(0, count).Select(i => Task.Run(async () =>
            {
                await start.Task;
                return await call(workflows[i % workflows.Count], i);
            })).ToList();
            start.SetResult();
            return await Task.WhenAll(tasks);
        }
        finally
        {
            foreach (var s in stores) await s.DisposeAsync();
        }
    }
}
