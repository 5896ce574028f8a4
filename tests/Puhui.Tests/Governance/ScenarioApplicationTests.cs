using System.Text.Json;
using Puhui.Governance;
using Puhui.Ingestion;
using Puhui.Storage;
using Puhui.Storage.Governance;
using Puhui.Storage.Ingestion;
using Puhui.Testing;
using Puhui.Tests.Ingestion;
using static Puhui.Tests.Governance.GovernanceWorld;

namespace Puhui.Tests.Governance;

/// <summary>Scenario applications through the store (JS 18–22): the scenario's status follows every step; one body on SQLite and PostgreSQL.</summary>
public sealed class ScenarioApplicationTests
{
    private static readonly string[] AllActions = Workflows.Scenario.Transitions.Select(t => t.Action).Distinct().ToArray();

    private static DateOnly D(int month, int day) => new(2026, month, day);

    [Theory, MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task A_scenario_is_reviewed_by_a_panel_filed_started_suspended_rectified_resumed_and_terminated_its_status_following_every_step(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var definition = WalkingScenario("nj-walk");

        async Task Status(ScenarioStatus expected) => Assert.Equal(expected, (await w.Scenarios.GetAsync("nj-walk"))!.Status);

        // Received Tuesday 10 February: ten working days over the Spring Festival end on Monday 2 March.
        var app = await w.ApplyScenarioAsync(definition);
        Assert.Equal(("scenario", "nj-walk", "applied", w.Operator), (app.Kind, app.Subject, app.State, app.Applicant));
        Assert.Equal((Day0, (DateOnly?)D(3, 2)), (app.ReceivedOn, app.DueOn));
        Assert.Equal(w.Calendar.AddWorkingDays(Day0, Workflows.ScenarioReviewWorkingDays), app.DueOn);
        Assert.Equal(definition, JsonSerializer.Deserialize(app.Payload, ScenarioJson.Default.ScenarioDefinition));
        var scenario = (await w.Scenarios.GetAsync("nj-walk"))!;
        Assert.Equal((ScenarioStatus.Applied, (long?)app.Id, w.Operator), (scenario.Status, scenario.ApplicationId, scenario.Operator));

        app = await w.StepAsync(app.Id, new Step("accept", Panel: new PanelSpec(["transport"], 2)), PlatformOperator);
        Assert.Equal(("review", 2, (DateOnly?)D(3, 2)), (app.State, app.Panel.Count, app.DueOn));
        await Status(ScenarioStatus.Review);
        var early = await w.Workflows.ActAsync(app.Id, new Step("pass", "通过"), PlatformOperator, default);
        Assert.Equal((StepStatus.Refused, WorkflowRefusal.GuardFailed, "2 of 2 panel opinions are outstanding"), (early.Status, early.Decision!.Refusal, early.Detail));

        w.Today(D(2, 12));
        app = await w.StepAsync(app.Id, new Step("amend", "补充数据接口说明 / API notes", [w.Report]), w.OperatorStaff);
        Assert.Equal((D(2, 12), (DateOnly?)w.Calendar.AddWorkingDays(D(2, 12), 10), 2), (app.ReceivedOn, app.DueOn, app.Round));
        Assert.Equal(new DateOnly(2026, 3, 4), app.DueOn);
        app = await w.OpineAsync(app);
        app = await w.StepAsync(app.Id, new Step("pass", "审查通过 / passed"), PlatformOperator);
        Assert.Equal(("filing", (DateOnly?)null), (app.State, app.DueOn));
        await Status(ScenarioStatus.Filing);
        app = await w.StepAsync(app.Id, new Step("file"), Administrator);
        await Status(ScenarioStatus.Filed);
        app = await w.StepAsync(app.Id, new Step("start", "接入运行 / connected"), PlatformOperator);
        Assert.Equal("running", app.State);
        await Status(ScenarioStatus.Running);

        // Wednesday 30 September, three working days to rectify: 8, 9 and Saturday 10 October, worked.
        w.Today(D(9, 30));
        app = await w.StepAsync(app.Id, new Step("suspend", "数据异常 / abnormal data", RectificationDays: 3), PlatformOperator);
        Assert.Equal(("suspended", (DateOnly?)D(10, 10)), (app.State, app.DueOn));
        Assert.Equal(w.Calendar.AddWorkingDays(D(9, 30), 3), app.DueOn);
        await Status(ScenarioStatus.Suspended);

        w.Today(D(10, 9));
        app = await w.StepAsync(app.Id, new Step("rectify", "已修正数据接口 / fixed", [w.Report]), w.OperatorStaff);
        Assert.Equal(("suspended", (DateOnly?)D(10, 10)), (app.State, app.DueOn));
        await Status(ScenarioStatus.Suspended);
        app = await w.StepAsync(app.Id, new Step("resume", "整改合格 / rectified"), PlatformOperator);
        Assert.Equal(("running", (DateOnly?)null), (app.State, app.DueOn));
        await Status(ScenarioStatus.Running);

        app = await w.StepAsync(app.Id, new Step("suspend", "再次异常 / again", RectificationDays: 5), PlatformOperator);
        app = await w.StepAsync(app.Id, new Step("terminate", "逾期未整改 / not rectified"), PlatformOperator);
        Assert.Equal(("terminated", false), (app.State, app.IsOpen));
        await Status(ScenarioStatus.Terminated);

        var log = await w.Workflows.HistoryAsync(app.Id, default);
        Assert.Equal(
            [
                ("submit", "applicant", "", "applied"), ("accept", "platform-operator", "applied", "review"), ("amend", "applicant", "review", "review"),
                ("opinion", "expert", "review", "review"), ("opinion", "expert", "review", "review"), ("pass", "platform-operator", "review", "filing"),
                ("file", "administrator", "filing", "filed"), ("start", "platform-operator", "filed", "running"), ("suspend", "platform-operator", "running", "suspended"),
                ("rectify", "applicant", "suspended", "suspended"), ("resume", "platform-operator", "suspended", "running"),
                ("suspend", "platform-operator", "running", "suspended"), ("terminate", "platform-operator", "suspended", "terminated"),
            ],
            log.Select(e => (e.Action, e.Role, e.From, e.To)));
        Assert.Equal([w.Evidence], log[0].Documents);
        Assert.Equal([w.Report], log[9].Documents);
        Assert.Equal("已修正数据接口 / fixed", log[9].Comment);
        using (var data = JsonDocument.Parse(log[8].Data))
            Assert.Equal((3, "2026-10-10"), (data.RootElement.GetProperty("rectificationDays").GetInt32(), data.RootElement.GetProperty("dueOn").GetString()));

        var decisions = await w.Scenarios.GetDecisionsAsync(scenario.Id);
        Assert.Equal(
            [
                (ScenarioStatus.Applied, ScenarioStatus.Review), (ScenarioStatus.Review, ScenarioStatus.Filing), (ScenarioStatus.Filing, ScenarioStatus.Filed),
                (ScenarioStatus.Filed, ScenarioStatus.Running), (ScenarioStatus.Running, ScenarioStatus.Suspended), (ScenarioStatus.Suspended, ScenarioStatus.Running),
                (ScenarioStatus.Running, ScenarioStatus.Suspended), (ScenarioStatus.Suspended, ScenarioStatus.Terminated),
            ],
            decisions.Select(d => (d.From, d.To)));
        Assert.Equal(PlatformOperator.Name, decisions[0].Actor);
        Assert.Equal("逾期未整改 / not rectified", decisions[^1].Comment);
        await w.VerifyChainAsync();
    }

    [Theory, MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task A_simple_scenario_is_reviewed_without_experts_and_a_refused_or_retracted_one_keeps_its_code(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var simple = await w.ApplyScenarioAsync(WalkingScenario("nj-walk-simple"));
        simple = await w.StepAsync(simple.Id, new Step("accept"), PlatformOperator);
        Assert.Equal(("review", 0, (long?)null), (simple.State, simple.Panel.Count, simple.PanelDrawId));
        var opinion = await w.Workflows.ActAsync(simple.Id, new Step("opinion", "好", Verdict: true), ExpertActor(w.TransportExperts[0]), default);
        Assert.Equal(WorkflowRefusal.GuardFailed, opinion.Decision!.Refusal);
        simple = await w.StepAsync(simple.Id, new Step("pass", "材料齐全 / complete"), PlatformOperator);
        Assert.Equal("filing", simple.State);
        Assert.Equal(0, await w.CountAsync("panel_draws"));

        var refused = await w.ScenarioInStateAsync("refused", WalkingScenario("nj-walk-refused"));
        var retracted = await w.ScenarioInStateAsync("retracted", WalkingScenario("nj-walk-retracted"));
        var withdrawnInReview = await w.ApplyScenarioAsync(WalkingScenario("nj-walk-review"));
        withdrawnInReview = await w.StepAsync(withdrawnInReview.Id, new Step("accept"), PlatformOperator);
        withdrawnInReview = await w.StepAsync(withdrawnInReview.Id, new Step("refuse", "不符合 JS 18 / not additional"), PlatformOperator);

        Assert.Equal(ScenarioStatus.Refused, (await w.Scenarios.GetAsync("nj-walk-refused"))!.Status);
        Assert.Equal(ScenarioStatus.Retracted, (await w.Scenarios.GetAsync("nj-walk-retracted"))!.Status);
        Assert.Equal(ScenarioStatus.Refused, (await w.Scenarios.GetAsync("nj-walk-review"))!.Status);
        Assert.All(new[] { refused, retracted, withdrawnInReview }, a => Assert.Null(a.DueOn));
        foreach (var code in new[] { "nj-walk-refused", "nj-walk-retracted" })
        {
            var (check, result) = await w.ScenarioApplications.SubmitAsync(w.OperatorStaff, WalkingScenario(code), [], "", default);
            Assert.Equal((ScenarioRegistrationStatus.CodeTaken, (StepResult?)null), (check.Status, result));
        }
    }

    [Theory, MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task Only_a_running_scenario_ingests(StoreKind kind)
    {
        await using var w = await IngestionWorld.CreateAsync(kind);
        var workflows = GovernanceSeeding.Workflows(w.Store, w.Scenarios, w.Clock);
        var (_, app) = await GovernanceSeeding.ApplyAsync(workflows, w.Scenarios, w.MetroOperator, new ScenarioDefinition
        {
            Code = "sz-metro-2", TitleZh = "深圳地铁二期", TitleEn = "Shenzhen metro phase 2", MethodologyId = "metro", MethodologyVersion = "1.0.0", Region = "440300",
        });
        await w.ConsentAsync(w.Alice, "sz-metro-2");
        var n = 0;
        var accepted = 0;

        async Task Ingests(bool expected, string state)
        {
            n++;
            // Each record a trip that ended after the consent and after the step before it.
            w.Clock.Advance(TimeSpan.FromMinutes(40));
            var record = IngestionWorld.Metro("m2-" + n, "alice", w.Clock.GetUtcNow().AddMinutes(-1)) with { Scenario = "sz-metro-2" };
            var result = Assert.Single((await w.Ingestion.SubmitAsync(w.MetroOperator, "pk_test", [record])).Records);
            if (expected)
            {
                Assert.True(result.Status == RecordStatus.Accepted, $"{state}: {result.Status} {result.Reason} {result.Detail}");
                accepted++;
            }
            else
            {
                Assert.Equal(RejectionReason.ScenarioNotRunning, result.Reason);
                Assert.Contains(state, result.Detail, StringComparison.Ordinal);
            }
        }

        var steps = new (string Action, Actor Actor, bool Ingests, string Status)[]
        {
            ("accept", GovernanceSeeding.PlatformOperator, false, "review"),
            ("pass", GovernanceSeeding.PlatformOperator, false, "filing"),
            ("file", GovernanceSeeding.Administrator, false, "filed"),
            ("start", GovernanceSeeding.PlatformOperator, true, "running"),
            ("suspend", GovernanceSeeding.PlatformOperator, false, "suspended"),
            ("resume", GovernanceSeeding.PlatformOperator, true, "running"),
            ("terminate", GovernanceSeeding.PlatformOperator, false, "terminated"),
        };
        await Ingests(false, "applied");
        foreach (var (action, actor, ingests, status) in steps)
        {
            await GovernanceSeeding.StepAsync(workflows, app!.Id, new Step(action, "理由 / reasons", RectificationDays: 5), actor);
            Assert.Equal(status, (await w.Scenarios.GetAsync("sz-metro-2"))!.Status.Code());
            await Ingests(ingests, status);
        }

        Assert.Equal(2, accepted);
        Assert.True(await w.BalanceAsync(w.Alice, Puhui.Ledger.Asset.Pts) > 0);
    }

    [Theory, MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task Every_step_the_table_does_not_allow_from_a_state_is_refused_naming_the_state_and_its_allowed_steps_and_changes_nothing(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var workflow = Workflows.Scenario;
        foreach (var state in workflow.States.Select(s => s.Code))
        {
            var app = await w.ScenarioInStateAsync(state, WalkingScenario("nj-" + state));
            var allowed = workflow.AllowedFrom(state).Select(t => t.Action).ToList();
            var before = await w.SnapshotAsync(app.Id);
            var status = (await w.Scenarios.GetAsync("nj-" + state))!.Status;
            Assert.Equal(state, status.Code());

            foreach (var action in AllActions.Except(allowed))
            {
                var role = workflow.Transitions.First(t => t.Action == action).Role;
                var actor = role switch
                {
                    WorkflowRole.Applicant => w.OperatorStaff,
                    WorkflowRole.Expert => ExpertActor(w.TransportExperts[0]),
                    WorkflowRole.Administrator => Administrator,
                    _ => PlatformOperator,
                };
                var result = await w.Workflows.ActAsync(app.Id, new Step(action, "理由 / reasons", [w.Report], true, 5, Panel: new PanelSpec(["transport"], 2)), actor, default);

                Assert.Equal(StepStatus.Refused, result.Status);
                Assert.Equal((WorkflowRefusal?)WorkflowRefusal.NotAllowedInState, result.Decision!.Refusal);
                Assert.Equal(state, result.Decision.State);
                Assert.Equal(allowed, result.Decision.AllowedActions);
                Assert.Null(result.Entry);
            }

            Assert.Equal(before, await w.SnapshotAsync(app.Id));
            Assert.Equal(status, (await w.Scenarios.GetAsync("nj-" + state))!.Status);
        }
    }

    [Theory, MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task Wrong_roles_other_operators_missing_inputs_and_documents_are_refused_and_change_nothing(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var applied = await w.ApplyScenarioAsync(WalkingScenario("nj-walk-a"));
        var running = await w.ScenarioInStateAsync("running", WalkingScenario("nj-walk-r"));
        var review = await w.ApplyScenarioAsync(WalkingScenario("nj-walk-p"));
        review = await w.StepAsync(review.Id, new Step("accept", Panel: new PanelSpec(["energy"], 2)), PlatformOperator);
        // The institute's expert also evaluates energy; it is not the applicant here, so three may sit.
        Assert.All(review.Panel, e => Assert.Contains(e, w.EnergyExperts.Append(w.InsiderExpert)));

        async Task Refused(long id, Step step, Actor actor, StepStatus status, WorkflowRefusal? refusal, string detail)
        {
            var before = await w.SnapshotAsync(id);
            var result = await w.Workflows.ActAsync(id, step, actor, default);
            Assert.Equal(status, result.Status);
            if (status == StepStatus.Refused) Assert.Equal(refusal, result.Decision!.Refusal);
            Assert.Contains(detail, result.Detail, StringComparison.Ordinal);
            Assert.Equal(before, await w.SnapshotAsync(id));
        }

        await Refused(applied.Id, new Step("accept"), w.OperatorStaff, StepStatus.Refused, WorkflowRefusal.WrongRole, "taken by the platform-operator");
        await Refused(applied.Id, new Step("accept", Panel: new PanelSpec(["energy"], 4)), PlatformOperator, StepStatus.PanelShortfall, null, "3 eligible");
        await Refused(applied.Id, new Step("refuse"), PlatformOperator, StepStatus.Refused, WorkflowRefusal.MissingInput, "comment");
        await Refused(applied.Id, new Step("retract"), w.RivalOperatorStaff, StepStatus.NotApplicant, null, "only the applicant");
        await Refused(review.Id, new Step("opinion", "好", Verdict: true), ExpertActor(w.ConflictedExpert), StepStatus.Refused, WorkflowRefusal.GuardFailed, "current panel");
        await Refused(review.Id, new Step("amend", "补充", [w.Report]), w.RivalOperatorStaff, StepStatus.NotApplicant, null, "only the applicant");
        await Refused(review.Id, new Step("pass", "通过"), Administrator, StepStatus.Refused, WorkflowRefusal.WrongRole, "taken by the platform-operator");
        await w.StepAsync(review.Id, new Step("opinion", "不通过", Verdict: false), ExpertActor(review.Panel[0]));
        await w.StepAsync(review.Id, new Step("opinion", "通过", Verdict: true), ExpertActor(review.Panel[1]));
        await Refused(review.Id, new Step("pass", "通过"), PlatformOperator, StepStatus.Refused, WorkflowRefusal.GuardFailed, "the panel did not pass it (1 of 2 passed)");
        Assert.Equal("refused", (await w.StepAsync(review.Id, new Step("refuse", "专家未通过 / the panel did not pass it"), PlatformOperator)).State);

        await Refused(running.Id, new Step("suspend", "异常"), PlatformOperator, StepStatus.Refused, WorkflowRefusal.MissingInput, "rectificationDays");
        await Refused(running.Id, new Step("suspend", "异常", RectificationDays: 0), PlatformOperator, StepStatus.Refused, WorkflowRefusal.MissingInput, "rectificationDays");
        await Refused(running.Id, new Step("suspend", "异常", RectificationDays: WorkflowDefinition.RectificationDaysMax + 1), PlatformOperator, StepStatus.Refused,
            WorkflowRefusal.MissingInput, "rectificationDays");
        await Refused(running.Id, new Step("suspend", "异常", RectificationDays: 3), Administrator, StepStatus.Refused, WorkflowRefusal.WrongRole, "taken by the platform-operator");
        await Refused(running.Id, new Step("terminate", "终止"), w.OperatorStaff, StepStatus.Refused, WorkflowRefusal.WrongRole, "taken by the platform-operator");
        var suspended = await w.StepAsync(running.Id, new Step("suspend", "异常", RectificationDays: WorkflowDefinition.RectificationDaysMax), PlatformOperator);
        Assert.Equal(w.Calendar.AddWorkingDays(Day0, WorkflowDefinition.RectificationDaysMax), suspended.DueOn);
        await Refused(running.Id, new Step("rectify", "已整改"), w.OperatorStaff, StepStatus.Refused, WorkflowRefusal.MissingInput, "document");
        await Refused(running.Id, new Step("rectify", "", [w.Report]), w.OperatorStaff, StepStatus.Refused, WorkflowRefusal.MissingInput, "comment");
        await Refused(running.Id, new Step("rectify", "已整改", [w.Report]), w.RivalOperatorStaff, StepStatus.NotApplicant, null, "only the applicant");
        await Refused(running.Id, new Step("rectify", "已整改", [new string('e', 64)]), w.OperatorStaff, StepStatus.DocumentMissing, null, "is not stored");
        await Refused(running.Id, new Step("resume", "恢复"), w.OperatorStaff, StepStatus.Refused, WorkflowRefusal.WrongRole, "taken by the platform-operator");
        Assert.Equal(ScenarioStatus.Suspended, (await w.Scenarios.GetAsync("nj-walk-r"))!.Status);
        await w.VerifyChainAsync();
    }

    [Theory, MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task An_application_from_a_non_operator_on_an_unknown_methodology_with_a_taken_code_or_an_unstored_document_is_refused_and_stores_nothing(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var first = await w.ApplyScenarioAsync(WalkingScenario("nj-walk"));
        var before = await w.SnapshotAsync(first.Id);

        async Task Refused(Actor applicant, ScenarioDefinition definition, IReadOnlyList<string> documents, ScenarioRegistrationStatus? check, StepStatus? status)
        {
            var (registration, result) = await w.ScenarioApplications.SubmitAsync(applicant, definition, documents, "", default);
            if (check is { } c) Assert.Equal(c, registration.Status);
            Assert.Equal(status, result?.Status);
            Assert.Equal(before, await w.SnapshotAsync(first.Id));
            Assert.Single(await w.Workflows.ListAsync("scenario", ct: default));
        }

        await Refused(w.InstituteStaff, WalkingScenario("nj-walk-2"), [], ScenarioRegistrationStatus.NotOperator, null);
        await Refused(w.OperatorStaff, WalkingScenario("nj-walk-2", "9.9.9"), [], ScenarioRegistrationStatus.UnknownMethodology, null);
        await Refused(w.OperatorStaff, WalkingScenario("nj-walk"), [], ScenarioRegistrationStatus.CodeTaken, null);
        await Refused(w.RivalOperatorStaff, WalkingScenario("nj-walk"), [], ScenarioRegistrationStatus.CodeTaken, null);
        await Refused(w.OperatorStaff, WalkingScenario("NJ WALK"), [], ScenarioRegistrationStatus.Invalid, null);
        await Refused(w.OperatorStaff, WalkingScenario("nj-walk-2"), [new string('f', 64)], ScenarioRegistrationStatus.Registered, StepStatus.DocumentMissing);
        Assert.Null(await w.Scenarios.GetAsync("nj-walk-2"));
    }
}
