using System.Text.Json;
using Puhui.Governance;
using Puhui.Ingestion;
using Puhui.Storage;
using Puhui.Storage.Governance;
using Puhui.Storage.Ingestion;
using Puhui.Storage.Methodologies;
using static Puhui.Tests.Governance.GovernanceWorld;

namespace Puhui.Tests.Governance;

/// <summary>Methodology applications through the store (JS 13–16, SZ 10–11), one body on SQLite and PostgreSQL.</summary>
public sealed class MethodologyApplicationTests
{
    private static readonly string[] AllActions = Workflows.Methodology.Transitions.Select(t => t.Action).Distinct().ToArray();

    private static DateOnly D(int month, int day) => new(2026, month, day);

    [Theory, MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task A_methodology_is_evaluated_noticed_objected_to_evaluated_again_noticed_and_filed_with_every_step_on_the_log(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var text = Walking("1.1.0");

        // Tuesday 10 February: received; the 20 working days run over the Spring Festival to Monday 16 March.
        var submitted = await w.MethodologyApplications.SubmitAsync(w.InstituteStaff, text, [w.Dossier], "申请备案 / applying for filing", default);
        Assert.Equal(StepStatus.Done, submitted.Status);
        var app = submitted.Application!;
        Assert.Equal(("methodology", "walking@1.1.0", "submitted", w.Institute), (app.Kind, app.Subject, app.State, app.Applicant));
        Assert.Equal(("修订：步行出行 1.1.0", "Revision: Walking 1.1.0"), (app.TitleZh, app.TitleEn));
        Assert.Equal((Day0, Day0, (DateOnly?)D(3, 16)), (app.ReceivedOn, app.EnteredOn, app.DueOn));
        var payload = MethodologyApplications.Payload(app);
        Assert.Equal(("walking", "1.1.0", true, text), (payload.MethodologyId, payload.Version, payload.Revision, payload.Text));
        Assert.Empty(app.Panel);

        app = await w.StepAsync(app.Id, Accept, PlatformOperator);
        Assert.Equal(("evaluation", 1, (DateOnly?)D(3, 16)), (app.State, app.Round, app.DueOn));
        Assert.Equal(3, app.Panel.Count);
        Assert.All(app.Panel, e => Assert.Contains(e, w.TransportExperts));
        var firstPanel = app.Panel;
        var draw = await new PanelDraws(w.Store, w.Clock).GetDrawAsync(app.PanelDrawId!.Value);
        Assert.Equal("application:" + app.Id, draw!.Subject);
        Assert.Equal(firstPanel, draw.Record.Panel);
        Assert.Contains(draw.Record.Excluded, x => x.ExpertId == w.InsiderExpert && x.Reason == ExclusionReason.SameOrganisation);
        Assert.Contains(draw.Record.Excluded, x => x.ExpertId == w.ConflictedExpert && x.Reason == ExclusionReason.DeclaredConflict);

        w.Today(D(2, 12));
        app = await w.OpineAsync(app);
        Assert.Equal(3, (await w.Workflows.OpinionsAsync(app.Id, default)).Count(o => o.Round == 1 && o.Passed));

        w.Today(D(3, 2));
        app = await w.StepAsync(app.Id, new Step("publish", "评估通过，予以公示 / passed, noticed"), PlatformOperator);
        Assert.Equal(("public-notice", D(3, 2), (DateOnly?)D(3, 9)), (app.State, app.EnteredOn, app.DueOn));

        // An objection on Wednesday 4 March sends it back to evaluation, received again: 20 working days to 1 April.
        w.Today(D(3, 4));
        var objected = await w.Workflows.ActAsync(app.Id, new Step("object", "基准线取值偏高 / the baseline is too high", ObjectorName: "张三"), Public, default);
        Assert.Equal(StepStatus.Done, objected.Status);
        app = objected.Application!;
        Assert.Equal(("evaluation", 2, D(3, 4), (DateOnly?)D(4, 1)), (app.State, app.Round, app.ReceivedOn, app.DueOn));
        Assert.Equal(w.Calendar.AddWorkingDays(D(3, 4), 20), app.DueOn);
        Assert.Equal(firstPanel, app.Panel);
        var objection = Assert.Single(await w.Workflows.ObjectionsAsync(app.Id, default));
        Assert.Equal(("张三", "基准线取值偏高 / the baseline is too high", ObjectionOutcome.Open), (objection.LodgedBy, objection.Text, objection.Outcome));

        w.Today(D(3, 5));
        var early = await w.Workflows.ActAsync(app.Id, new Step("publish", "again"), PlatformOperator, default);
        Assert.Equal((StepStatus.Refused, WorkflowRefusal.GuardFailed), (early.Status, early.Decision!.Refusal));
        app = await w.StepAsync(app.Id, new Step("answer-objection", "基准线取自公开数据，异议不成立 / the baseline is published data", ObjectionId: objection.Id,
            ObjectionUpheld: false), PlatformOperator);
        Assert.Equal(("evaluation", 2), (app.State, app.Round));
        objection = Assert.Single(await w.Workflows.ObjectionsAsync(app.Id, default));
        Assert.Equal((ObjectionOutcome.Dismissed, "基准线取自公开数据，异议不成立 / the baseline is published data"), (objection.Outcome, objection.Response));
        Assert.NotNull(objection.AnsweredAt);

        w.Today(D(3, 6));
        app = await w.OpineAsync(app);
        Assert.Equal([1, 1, 1, 2, 2, 2], (await w.Workflows.OpinionsAsync(app.Id, default)).Select(o => o.Round));

        // Monday 9 March: noticed again to Monday 16 March inclusive.
        w.Today(D(3, 9));
        app = await w.StepAsync(app.Id, new Step("publish", "复评通过 / passed again"), PlatformOperator);
        Assert.Equal(("public-notice", (DateOnly?)D(3, 16)), (app.State, app.DueOn));

        w.Today(D(3, 16));
        var tooSoon = await w.Workflows.ActAsync(app.Id, new Step("file"), Administrator, default);
        Assert.Equal((StepStatus.Refused, WorkflowRefusal.GuardFailed), (tooSoon.Status, tooSoon.Decision!.Refusal));
        Assert.Contains("2026-03-16", tooSoon.Detail, StringComparison.Ordinal);
        Assert.Null(await w.Methodologies.GetAsync("walking", "1.1.0"));

        w.Today(D(3, 17));
        app = await w.StepAsync(app.Id, new Step("file", "予以备案 / filed"), Administrator);
        Assert.Equal(("filed", (DateOnly?)null), (app.State, app.DueOn));

        var stored = await w.Methodologies.GetAsync("walking", "1.1.0");
        Assert.Equal((MethodologyStanding.Filed, (long?)app.Id), (stored!.Standing, stored.ApplicationId));
        Assert.Equal(MethodologyStore.Check(text).Methodology!.ContentHash, stored.ContentHash);
        Assert.Equal(MethodologyStanding.Revised, (await w.Methodologies.GetAsync("walking", "1.0.0"))!.Standing);
        Assert.Equal([w.Dossier], (await w.Workflows.DocumentsAsync(app.Id, default)).Select(d => d.Document.Sha256));
        Assert.Equal(ScenarioRegistrationStatus.Registered, (await w.Scenarios.CheckAsync(w.Operator, WalkingScenario("nj-walk", "1.1.0"))).Status);

        var log = await w.Workflows.HistoryAsync(app.Id, default);
        var op = PlatformOperator.Name;
        var experts = firstPanel.Select(e => ExpertActor(e).Name).ToList();
        Assert.Equal(
            [
                ("submit", w.InstituteStaff.Name, "applicant", "", "submitted", "申请备案 / applying for filing"),
                ("accept", op, "platform-operator", "submitted", "evaluation", ""),
                ("opinion", experts[0], "expert", "evaluation", "evaluation", "方法学科学合理 / sound"),
                ("opinion", experts[1], "expert", "evaluation", "evaluation", "方法学科学合理 / sound"),
                ("opinion", experts[2], "expert", "evaluation", "evaluation", "方法学科学合理 / sound"),
                ("publish", op, "platform-operator", "evaluation", "public-notice", "评估通过，予以公示 / passed, noticed"),
                ("object", "public", "public", "public-notice", "evaluation", "基准线取值偏高 / the baseline is too high"),
                ("answer-objection", op, "platform-operator", "evaluation", "evaluation", "基准线取自公开数据，异议不成立 / the baseline is published data"),
                ("opinion", experts[0], "expert", "evaluation", "evaluation", "方法学科学合理 / sound"),
                ("opinion", experts[1], "expert", "evaluation", "evaluation", "方法学科学合理 / sound"),
                ("opinion", experts[2], "expert", "evaluation", "evaluation", "方法学科学合理 / sound"),
                ("publish", op, "platform-operator", "evaluation", "public-notice", "复评通过 / passed again"),
                ("file", Administrator.Name, "administrator", "public-notice", "filed", "予以备案 / filed"),
            ],
            log.Select(e => (e.Action, e.Actor, e.Role, e.From, e.To, e.Comment)));
        Assert.Equal([w.Dossier], log[0].Documents);
        Assert.All(log.Skip(1), e => Assert.Empty(e.Documents));
        Assert.Equal(T0, log[0].At);
        Assert.Equal([Day0, Day0, D(2, 12), D(2, 12), D(2, 12), D(3, 2), D(3, 4), D(3, 5), D(3, 6), D(3, 6), D(3, 6), D(3, 9), D(3, 17)],
            log.Select(e => w.Workflows.LocalDay(e.At)));
        using (var data = JsonDocument.Parse(log[0].Data))
        {
            Assert.Equal(WorkflowStore.Sha256(app.Payload), data.RootElement.GetProperty("payloadSha256").GetString());
            Assert.Equal("2026-03-16", data.RootElement.GetProperty("dueOn").GetString());
        }

        using (var data = JsonDocument.Parse(log[1].Data))
        {
            Assert.Equal(1, data.RootElement.GetProperty("round").GetInt32());
            Assert.Equal(firstPanel, data.RootElement.GetProperty("panel").EnumerateArray().Select(e => e.GetInt64()));
            Assert.Equal(draw.Id, data.RootElement.GetProperty("panelDrawId").GetInt64());
        }

        using (var data = JsonDocument.Parse(log[6].Data))
        {
            Assert.Equal((objection.Id, "张三", 2), (data.RootElement.GetProperty("objectionId").GetInt64(), data.RootElement.GetProperty("objector").GetString(),
                data.RootElement.GetProperty("round").GetInt32()));
            Assert.Equal(("2026-03-04", "2026-04-01"), (data.RootElement.GetProperty("receivedOn").GetString(), data.RootElement.GetProperty("dueOn").GetString()));
        }

        using (var data = JsonDocument.Parse(log[7].Data))
            Assert.Equal((objection.Id, false), (data.RootElement.GetProperty("objectionId").GetInt64(), data.RootElement.GetProperty("objectionUpheld").GetBoolean()));
        using (var data = JsonDocument.Parse(log[2].Data))
            Assert.True(data.RootElement.GetProperty("verdict").GetBoolean());
        Assert.Equal(log.Count, (await w.VerifyChainAsync()).Count);
    }

    [Theory, MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task Evaluation_and_public_notice_are_counted_in_working_days_over_the_Spring_Festival_and_National_Day(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);

        // Received Tuesday 10 February: 11–14 Feb (the 14th a Saturday worked), 24–28 Feb (the 28th worked), then March.
        var spring = await w.SubmitMethodologyAsync(Walking("1.1.0"));
        Assert.Equal(D(3, 16), spring.DueOn);
        Assert.Equal(w.Calendar.AddWorkingDays(D(2, 10), Workflows.MethodologyEvaluationWorkingDays), spring.DueOn);

        // Received Tuesday 29 September: 30 September, then 8, 9, 10 (a Saturday worked) and 12 October …
        w.Today(D(9, 29));
        var autumn = await w.SubmitMethodologyAsync(Walking("1.2.0"));
        Assert.Equal(new DateOnly(2026, 11, 2), autumn.DueOn);
        autumn = await w.StepAsync(autumn.Id, Accept, PlatformOperator);
        autumn = await w.OpineAsync(autumn);
        autumn = await w.StepAsync(autumn.Id, new Step("publish", "公示 / noticed"), PlatformOperator);

        // … so a notice started on the 29th runs its five working days to Monday 12 October inclusive.
        Assert.Equal(("public-notice", D(9, 29), (DateOnly?)D(10, 12)), (autumn.State, autumn.EnteredOn, autumn.DueOn));
        Assert.Equal(w.Calendar.AddWorkingDays(D(9, 29), Workflows.PublicNoticeWorkingDaysMin), autumn.DueOn);
        foreach (var day in new[] { D(10, 1), D(10, 7), D(10, 10), D(10, 12) })
        {
            w.Today(day);
            var refused = await w.Workflows.ActAsync(autumn.Id, new Step("file"), Administrator, default);
            Assert.Equal((StepStatus.Refused, WorkflowRefusal.GuardFailed), (refused.Status, refused.Decision!.Refusal));
            Assert.Equal("the public notice runs until 2026-10-12 inclusive", refused.Detail);
        }

        // An objection is lodged within the notice (JS 15): on its last day it is taken, the day after it is refused and changes nothing.
        w.Today(D(10, 13));
        var before = await w.SnapshotAsync(autumn.Id);
        var late = await w.Workflows.ActAsync(autumn.Id, new Step("object", "太晚了 / too late"), GovernanceWorld.Public, default);
        Assert.Equal((StepStatus.Refused, WorkflowRefusal.GuardFailed), (late.Status, late.Decision!.Refusal));
        Assert.Equal("the public notice ended on 2026-10-12", late.Detail);
        Assert.Equal(before, await w.SnapshotAsync(autumn.Id));
        Assert.Equal("filed", (await w.StepAsync(autumn.Id, new Step("file"), Administrator)).State);
    }

    [Theory, MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task A_filed_revision_supersedes_the_earlier_version_whose_running_scenarios_keep_running_while_new_ones_cannot_use_it(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var first = await w.MethodologyInStateAsync("filed", Walking("1.1.0"));
        var running = await w.ScenarioInStateAsync("running", WalkingScenario("nj-walk-11", "1.1.0"));

        var second = await w.MethodologyInStateAsync("filed", Walking("1.2.0"));
        Assert.True(MethodologyApplications.Payload(second).Revision);

        var superseded = (await w.Workflows.GetAsync(first.Id, default))!;
        Assert.Equal(("revised", false), (superseded.State, superseded.IsOpen));
        var fileEntry = (await w.Workflows.HistoryAsync(second.Id, default))[^1];
        var supersede = (await w.Workflows.HistoryAsync(first.Id, default))[^1];
        Assert.Equal(("file", Administrator.Name), (fileEntry.Action, fileEntry.Actor));
        Assert.Equal(("supersede", Administrator.Name, "administrator", "filed", "revised"), (supersede.Action, supersede.Actor, supersede.Role, supersede.From, supersede.To));
        Assert.Contains("1.2.0", supersede.Comment, StringComparison.Ordinal);
        Assert.Contains($"application {second.Id}", supersede.Comment, StringComparison.Ordinal);
        Assert.Equal((fileEntry.Seq - 1, fileEntry.At), (supersede.Seq, supersede.At));

        Assert.Equal(MethodologyStanding.Revised, (await w.Methodologies.GetAsync("walking", "1.1.0"))!.Standing);
        Assert.Equal(MethodologyStanding.Filed, (await w.Methodologies.GetAsync("walking", "1.2.0"))!.Standing);
        var refused = await w.Scenarios.CheckAsync(w.Operator, WalkingScenario("nj-walk-new", "1.1.0"));
        Assert.Equal(ScenarioRegistrationStatus.UnknownMethodology, refused.Status);
        Assert.Contains("is revised", refused.Problem, StringComparison.Ordinal);
        var before = await w.SnapshotAsync(first.Id);
        var (check, result) = await w.ScenarioApplications.SubmitAsync(w.OperatorStaff, WalkingScenario("nj-walk-new", "1.1.0"), [], "", default);
        Assert.Equal((ScenarioRegistrationStatus.UnknownMethodology, (StepResult?)null), (check.Status, result));
        Assert.Equal(before, await w.SnapshotAsync(first.Id));
        Assert.Equal(ScenarioRegistrationStatus.Registered, (await w.Scenarios.CheckAsync(w.Operator, WalkingScenario("nj-walk-new", "1.2.0"))).Status);

        var scenario = (await w.Scenarios.GetAsync("nj-walk-11"))!;
        Assert.Equal((ScenarioStatus.Running, (long?)running.Id), (scenario.Status, scenario.ApplicationId));
        Assert.NotNull(await w.Scenarios.RulesAsync(scenario));
        Assert.Equal("running", (await w.Workflows.GetAsync(running.Id, default))!.State);

        var closed = await w.Workflows.ActAsync(first.Id, new Step("withdraw", "废止 / withdraw"), Administrator, default);
        Assert.Equal((StepStatus.Refused, WorkflowRefusal.NotAllowedInState), (closed.Status, closed.Decision!.Refusal));
        Assert.Empty(closed.Decision.AllowedActions);
        await w.VerifyChainAsync();
    }

    [Theory, MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task A_withdrawn_version_refuses_new_scenarios_and_leaves_running_ones_and_its_record_as_they_were(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var app = await w.MethodologyInStateAsync("filed", Walking("1.1.0"));
        await w.ScenarioInStateAsync("running", WalkingScenario("nj-walk-11", "1.1.0"));

        var noReason = await w.Workflows.ActAsync(app.Id, new Step("withdraw"), Administrator, default);
        Assert.Equal((StepStatus.Refused, WorkflowRefusal.MissingInput), (noReason.Status, noReason.Decision!.Refusal));
        var byOperator = await w.Workflows.ActAsync(app.Id, new Step("withdraw", "废止"), PlatformOperator, default);
        Assert.Equal((StepStatus.Refused, WorkflowRefusal.WrongRole), (byOperator.Status, byOperator.Decision!.Refusal));
        Assert.Equal(MethodologyStanding.Filed, (await w.Methodologies.GetAsync("walking", "1.1.0"))!.Standing);

        app = await w.StepAsync(app.Id, new Step("withdraw", "基准线已过时 / the baseline is out of date"), Administrator);

        Assert.Equal("withdrawn", app.State);
        var stored = (await w.Methodologies.GetAsync("walking", "1.1.0"))!;
        Assert.Equal((MethodologyStanding.Withdrawn, (long?)app.Id), (stored.Standing, stored.ApplicationId));
        var refused = await w.Scenarios.CheckAsync(w.Operator, WalkingScenario("nj-walk-new", "1.1.0"));
        Assert.Equal(ScenarioRegistrationStatus.UnknownMethodology, refused.Status);
        Assert.Contains("is withdrawn", refused.Problem, StringComparison.Ordinal);
        Assert.Equal(ScenarioStatus.Running, (await w.Scenarios.GetAsync("nj-walk-11"))!.Status);
        var again = await w.MethodologyApplications.SubmitAsync(w.InstituteStaff, Walking("1.1.0"), [w.Dossier], "", default);
        Assert.Equal(StepStatus.Conflict, again.Status);
        Assert.Equal(("withdraw", "filed", "withdrawn"), ((await w.Workflows.HistoryAsync(app.Id, default))[^1] is var e ? (e.Action, e.From, e.To) : default));
    }

    [Theory, MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task A_panel_that_does_not_pass_it_rejects_it_and_an_amendment_restarts_receipt_and_the_round(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var app = await w.MethodologyInStateAsync("evaluation", Walking("1.1.0"));

        w.Today(D(3, 3));
        app = await w.StepAsync(app.Id, new Step("amend", "补充因子来源 / factor sources added", [w.Evidence]), w.InstituteStaff);
        Assert.Equal(("evaluation", 2, D(3, 3), (DateOnly?)w.Calendar.AddWorkingDays(D(3, 3), 20)), (app.State, app.Round, app.ReceivedOn, app.DueOn));
        Assert.Equal([w.Dossier, w.Evidence], (await w.Workflows.DocumentsAsync(app.Id, default)).Select(d => d.Document.Sha256));

        var refusedRedraw = await w.Workflows.ActAsync(app.Id, new Step("redraw", "again"), PlatformOperator, default);
        Assert.Equal(StepStatus.Refused, refusedRedraw.Status);
        Assert.Contains("panel", refusedRedraw.Detail, StringComparison.Ordinal);
        app = await w.StepAsync(app.Id, new Step("redraw", "一名专家回避 / an expert stood down", Panel: new PanelSpec(["transport"], 3)), PlatformOperator);
        Assert.Equal(3, app.Round);
        Assert.Equal(2, await w.CountAsync("panel_draws"));

        var experts = app.Panel;
        await w.StepAsync(app.Id, new Step("opinion", "不通过 / no", Verdict: false), ExpertActor(experts[0]));
        await w.StepAsync(app.Id, new Step("opinion", "不通过 / no", Verdict: false), ExpertActor(experts[1]));
        await w.StepAsync(app.Id, new Step("opinion", "通过 / yes", Verdict: true), ExpertActor(experts[2]));
        var publish = await w.Workflows.ActAsync(app.Id, new Step("publish", "公示"), PlatformOperator, default);
        Assert.Equal("the panel did not pass it (1 of 3 passed)", publish.Detail);

        app = await w.StepAsync(app.Id, new Step("fail", "评估未通过 / failed"), PlatformOperator);
        Assert.Equal(("rejected", false, (DateOnly?)null), (app.State, app.IsOpen, app.DueOn));
        Assert.Null(await w.Methodologies.GetAsync("walking", "1.1.0"));
        Assert.Equal("retracted", (await w.MethodologyInStateAsync("retracted", Walking("1.1.0"))).State); // a closed application frees its version
    }

    [Theory, MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task An_invalid_text_a_filed_version_an_open_one_or_an_unstored_document_is_refused_at_submission_and_nothing_is_stored(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var open = await w.SubmitMethodologyAsync(Walking("1.1.0"));
        var before = await w.SnapshotAsync(open.Id);

        async Task Refused(string text, IReadOnlyList<string> documents, StepStatus status, string detail, Actor? applicant = null)
        {
            var result = await w.MethodologyApplications.SubmitAsync(applicant ?? w.InstituteStaff, text, documents, "", default);
            Assert.Equal(status, result.Status);
            Assert.Contains(detail, result.Detail, StringComparison.Ordinal);
            Assert.Null(result.Application);
            Assert.Equal(before, await w.SnapshotAsync(open.Id));
            Assert.Single(await w.Workflows.ListAsync("methodology", ct: default));
        }

        await Refused("id: walking\nversion: [", [w.Dossier], StepStatus.Invalid, "the methodology is not valid");
        await Refused(Walking("1.4.0").Replace("value: 26.9", "value: 30.1", StringComparison.Ordinal), [w.Dossier], StepStatus.Invalid, "test vector");
        await Refused(LibraryText("walking.yaml", "1.0.0"), [w.Dossier], StepStatus.Conflict, "version 1.0.0 of walking is already filed");
        await Refused(Walking("1.1.0"), [w.Dossier], StepStatus.Conflict, $"application {open.Id} for walking 1.1.0 is still submitted");
        await Refused(Walking("1.5.0"), [new string('c', 64)], StepStatus.DocumentMissing, "is not stored");
        await Refused(Walking("1.5.0"), ["not-a-hash"], StepStatus.DocumentMissing, "is not stored");
        await Refused(Walking("1.5.0"), Enumerable.Repeat(w.Dossier, Step.DocumentsMax + 1).ToList(), StepStatus.Invalid, "documents");
        await Assert.ThrowsAsync<ArgumentException>(() => w.MethodologyApplications.SubmitAsync(PlatformOperator, Walking("1.5.0"), [], "", default));

        // Once the open one is retracted, the version may be applied for again.
        await w.StepAsync(open.Id, new Step("retract"), w.InstituteStaff);
        Assert.Equal("submitted", (await w.SubmitMethodologyAsync(Walking("1.1.0"))).State);
    }

    [Theory, MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task Every_step_the_table_does_not_allow_from_a_state_is_refused_naming_the_state_and_its_allowed_steps_and_changes_nothing(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var workflow = Workflows.Methodology;
        var apps = new List<Application>
        {
            await w.MethodologyInStateAsync("submitted", Walking("2.1.0")),
            await w.MethodologyInStateAsync("evaluation", Walking("2.2.0")),
            await w.MethodologyInStateAsync("public-notice", Walking("2.3.0")),
            await w.MethodologyInStateAsync("filed", LibraryText("cycling.yaml", "1.1.0")),
            await w.MethodologyInStateAsync("revised", LibraryText("carpooling.yaml", "1.1.0"), LibraryText("carpooling.yaml", "1.2.0")),
            await w.MethodologyInStateAsync("withdrawn", LibraryText("clean-plate.yaml", "1.1.0")),
            await w.MethodologyInStateAsync("rejected", Walking("2.4.0")),
            await w.MethodologyInStateAsync("retracted", Walking("2.5.0")),
        };
        Assert.Equal(workflow.States.Select(s => s.Code).Order(), apps.Select(a => a.State).Order());

        foreach (var app in apps)
        {
            var allowed = workflow.AllowedFrom(app.State).Select(t => t.Action).ToList();
            var before = await w.SnapshotAsync(app.Id);
            foreach (var action in AllActions.Except(allowed))
            {
                var role = workflow.Transitions.First(t => t.Action == action).Role;
                var result = await w.Workflows.ActAsync(app.Id, Full(w, action), ActorFor(w, role), default);

                Assert.Equal(StepStatus.Refused, result.Status);
                Assert.Equal(WorkflowRefusal.NotAllowedInState, result.Decision!.Refusal);
                Assert.Equal(app.State, result.Decision.State);
                Assert.Equal(allowed, result.Decision.AllowedActions);
                Assert.Contains($"{action} is not allowed while the application is {app.State}", result.Detail, StringComparison.Ordinal);
                Assert.Null(result.Entry);
            }

            Assert.Equal(before, await w.SnapshotAsync(app.Id));
        }

        var unknown = await w.Workflows.ActAsync(apps[0].Id, new Step("approve", "x"), PlatformOperator, default);
        Assert.Equal((StepStatus.Refused, WorkflowRefusal.UnknownAction), (unknown.Status, unknown.Decision!.Refusal));
        Assert.Equal(StepStatus.NotFound, (await w.Workflows.ActAsync(999_999, new Step("accept"), PlatformOperator, default)).Status);
    }

    [Theory, MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task Wrong_roles_other_organisations_unpaneled_or_repeated_experts_unmet_guards_and_unseatable_panels_are_refused_and_change_nothing(StoreKind kind)
    {
        await using var w = await CreateAsync(kind);
        var submitted = await w.SubmitMethodologyAsync(Walking("1.1.0"));
        var app = await w.MethodologyInStateAsync("evaluation", Walking("1.2.0"));
        var outsider = w.TransportExperts.Single(e => !app.Panel.Contains(e));

        async Task Refused(long id, Step step, Actor actor, StepStatus status, WorkflowRefusal? refusal, string detail)
        {
            var before = await w.SnapshotAsync(id);
            var result = await w.Workflows.ActAsync(id, step, actor, default);
            Assert.Equal(status, result.Status);
            if (status == StepStatus.Refused) Assert.Equal(refusal, result.Decision!.Refusal);
            Assert.Contains(detail, result.Detail, StringComparison.Ordinal);
            Assert.Null(result.Entry);
            Assert.Equal(before, await w.SnapshotAsync(id));
        }

        // Submitted: accept is the operator's, with a panel the pool can seat.
        await Refused(submitted.Id, Accept, w.InstituteStaff, StepStatus.Refused, WorkflowRefusal.WrongRole, "accept is taken by the platform-operator, not the applicant");
        await Refused(submitted.Id, Accept, Administrator, StepStatus.Refused, WorkflowRefusal.WrongRole, "not the administrator");
        await Refused(submitted.Id, new Step("accept"), PlatformOperator, StepStatus.Refused, WorkflowRefusal.MissingInput, "give panel.fields and panel.size");
        await Refused(submitted.Id, new Step("accept", Panel: new PanelSpec(["transport"], 5)), PlatformOperator, StepStatus.PanelShortfall,
            null, "the pool has 4 eligible expert(s) for a panel of 5");
        await Refused(submitted.Id, new Step("accept", Panel: new PanelSpec(["forestry"], 1)), PlatformOperator, StepStatus.PanelShortfall, null, "no eligible expert covers forestry");
        await Refused(submitted.Id, new Step("reject"), PlatformOperator, StepStatus.Refused, WorkflowRefusal.MissingInput, "comment");
        await Refused(submitted.Id, new Step("retract"), w.RivalStaff, StepStatus.NotApplicant, null, "only the applicant");

        // Evaluation: opinions only from the panel, once a round; publish and fail by the panel's outcome.
        await Refused(app.Id, new Step("opinion", "好 / good", Verdict: true), PlatformOperator, StepStatus.Refused, WorkflowRefusal.WrongRole, "taken by the expert");
        foreach (var stranger in new[] { outsider, w.InsiderExpert, w.ConflictedExpert, w.EnergyExperts[0] })
        {
            await Refused(app.Id, new Step("opinion", "好 / good", Verdict: true), ExpertActor(stranger), StepStatus.Refused, WorkflowRefusal.GuardFailed,
                "only an expert on the application's current panel gives an opinion");
        }

        await Refused(app.Id, new Step("opinion", "好 / good", Verdict: true), new Actor(WorkflowRole.Expert, "expert:?"), StepStatus.Refused, WorkflowRefusal.GuardFailed,
            "only an expert on the application's current panel");
        await Refused(app.Id, new Step("opinion", "好 / good"), ExpertActor(app.Panel[0]), StepStatus.Refused, WorkflowRefusal.MissingInput, "verdict");
        await Refused(app.Id, new Step("opinion", "", Verdict: true), ExpertActor(app.Panel[0]), StepStatus.Refused, WorkflowRefusal.MissingInput, "comment");
        await Refused(app.Id, new Step("publish", "公示"), PlatformOperator, StepStatus.Refused, WorkflowRefusal.GuardFailed, "3 of 3 panel opinions are outstanding");
        await Refused(app.Id, new Step("publish", "公示"), Public, StepStatus.Refused, WorkflowRefusal.WrongRole, "not the public");
        await w.StepAsync(app.Id, new Step("opinion", "好 / good", Verdict: true), ExpertActor(app.Panel[0]));
        await Refused(app.Id, new Step("opinion", "改主意 / changed my mind", Verdict: false), ExpertActor(app.Panel[0]), StepStatus.Refused, WorkflowRefusal.GuardFailed,
            "this expert has already given an opinion in this round");
        await Refused(app.Id, new Step("publish", "公示"), PlatformOperator, StepStatus.Refused, WorkflowRefusal.GuardFailed, "2 of 3 panel opinions are outstanding");
        await Refused(app.Id, new Step("fail", "不通过"), PlatformOperator, StepStatus.Refused, WorkflowRefusal.GuardFailed, "2 of 3 panel opinions are outstanding");
        await w.StepAsync(app.Id, new Step("opinion", "好 / good", Verdict: true), ExpertActor(app.Panel[1]));
        await w.StepAsync(app.Id, new Step("opinion", "好 / good", Verdict: true), ExpertActor(app.Panel[2]));
        await Refused(app.Id, new Step("fail", "不通过"), PlatformOperator, StepStatus.Refused, WorkflowRefusal.GuardFailed, "the panel passed it (3 of 3 passed)");
        await Refused(app.Id, new Step("answer-objection", "答复", ObjectionUpheld: false), PlatformOperator, StepStatus.Refused, WorkflowRefusal.GuardFailed,
            "no objection is waiting for an answer");
        await Refused(app.Id, new Step("amend", "补充", [w.Evidence]), w.RivalStaff, StepStatus.NotApplicant, null, "only the applicant");
        await Refused(app.Id, new Step("amend", "补充"), w.InstituteStaff, StepStatus.Refused, WorkflowRefusal.MissingInput, "document");
        await Refused(app.Id, new Step("amend", "补充", [new string('d', 64)]), w.InstituteStaff, StepStatus.DocumentMissing, null, "is not stored");
        await Refused(app.Id, new Step("amend", "补充", Enumerable.Repeat(w.Evidence, Step.DocumentsMax + 1).ToList()), w.InstituteStaff, StepStatus.Invalid, null, "documents");
        await Refused(app.Id, new Step("redraw", "重抽", Panel: new PanelSpec(["transport"], 6)), PlatformOperator, StepStatus.PanelShortfall, null, "4 eligible");
        await Refused(app.Id, new Step("retract"), w.RivalStaff, StepStatus.NotApplicant, null, "only the applicant");

        // Public notice: objections are the public's, filing the administrator's.
        app = await w.StepAsync(app.Id, new Step("publish", "公示"), PlatformOperator);
        await Refused(app.Id, new Step("object", "异议"), w.InstituteStaff, StepStatus.Refused, WorkflowRefusal.WrongRole, "taken by the public");
        await Refused(app.Id, new Step("object", " "), Public, StepStatus.Refused, WorkflowRefusal.MissingInput, "comment");
        await Refused(app.Id, new Step("object", "异议", ObjectorName: new string('名', Step.ObjectorNameLengthMax + 1)), Public, StepStatus.Invalid, null, "a name is at most");
        await Refused(app.Id, new Step("object", new string('长', WorkflowDefinition.CommentLengthMax + 1)), Public, StepStatus.Refused, WorkflowRefusal.MissingInput, "at most");
        await Refused(app.Id, new Step("file"), PlatformOperator, StepStatus.Refused, WorkflowRefusal.WrongRole, "taken by the administrator");

        // Back in evaluation with an objection open: it must be answered, by its id, before publishing again.
        app = await w.StepAsync(app.Id, new Step("object", "数据来源不明 / unclear data"), Public);
        var objection = Assert.Single(await w.Workflows.ObjectionsAsync(app.Id, default));
        Assert.Equal("匿名 / anonymous", objection.LodgedBy);
        var other = await w.MethodologyInStateAsync("public-notice", Walking("1.3.0"));
        await w.StepAsync(other.Id, new Step("object", "另一异议 / another"), Public);
        var otherObjection = Assert.Single(await w.Workflows.ObjectionsAsync(other.Id, default));
        await Refused(app.Id, new Step("answer-objection", "答复", ObjectionId: 999_999, ObjectionUpheld: false), PlatformOperator, StepStatus.Conflict, null,
            "objection 999999 is not an open objection to this application");
        await Refused(app.Id, new Step("answer-objection", "答复", ObjectionId: otherObjection.Id, ObjectionUpheld: true), PlatformOperator, StepStatus.Conflict, null,
            $"objection {otherObjection.Id} is not an open objection to this application");
        await Refused(app.Id, new Step("answer-objection", "答复", ObjectionUpheld: false), PlatformOperator, StepStatus.Refused, WorkflowRefusal.MissingInput, "objectionId");
        await Refused(app.Id, new Step("answer-objection", "答复", ObjectionId: objection.Id), PlatformOperator, StepStatus.Refused, WorkflowRefusal.MissingInput, "outcome");
        await Refused(app.Id, new Step("answer-objection", "", ObjectionId: objection.Id, ObjectionUpheld: false), PlatformOperator, StepStatus.Refused, WorkflowRefusal.MissingInput,
            "comment");
        app = await w.OpineAsync(app);
        await Refused(app.Id, new Step("publish", "公示"), PlatformOperator, StepStatus.Refused, WorkflowRefusal.GuardFailed, "1 objection(s) are waiting for an answer");
        await w.StepAsync(app.Id, new Step("answer-objection", "已补充数据来源 / upheld: sources added", ObjectionId: objection.Id, ObjectionUpheld: true), PlatformOperator);
        await Refused(app.Id, new Step("answer-objection", "再答", ObjectionId: objection.Id, ObjectionUpheld: true), PlatformOperator, StepStatus.Refused, WorkflowRefusal.GuardFailed,
            "no objection is waiting");
        Assert.Equal(ObjectionOutcome.Upheld, Assert.Single(await w.Workflows.ObjectionsAsync(app.Id, default)).Outcome);
        Assert.Equal(ObjectionOutcome.Open, Assert.Single(await w.Workflows.ObjectionsAsync(other.Id, default)).Outcome);
        Assert.Equal("public-notice", (await w.StepAsync(app.Id, new Step("publish", "公示"), PlatformOperator)).State);
        await w.VerifyChainAsync();
    }

    /// <summary>A step with every input any methodology step takes.</summary>
    private static Step Full(GovernanceWorld w, string action) => new(action, $"{action}：理由 / reasons", [w.Evidence], Verdict: true, RectificationDays: 5, ObjectionId: 1,
        ObjectionUpheld: false, Panel: new PanelSpec(["transport"], 3), ObjectorName: "张三");

    private static Actor ActorFor(GovernanceWorld w, WorkflowRole role) => role switch
    {
        WorkflowRole.Applicant => w.InstituteStaff,
        WorkflowRole.PlatformOperator => PlatformOperator,
        WorkflowRole.Expert => ExpertActor(w.TransportExperts[0]),
        WorkflowRole.Administrator => Administrator,
        WorkflowRole.Public => Public,
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };
}
