using System.Text.Json;
using Puhui.Governance;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Governance;

namespace Puhui.Tests.Governance;

public sealed class VerificationBodyTests
{
    private static readonly string[] AllActions = Workflows.VerificationBody.Transitions.Select(t => t.Action).Distinct().ToArray();

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task A_declaration_missing_any_JS_40_condition_is_refused_naming_it_and_nothing_is_stored(StoreKind kind)
    {
        await using var w = await VerificationBodyWorld.CreateAsync(kind);
        foreach (var row in VerificationBodyConditionsTests.Unmet)
        {
            var (condition, item, phrase) = ((string)row[0], (string)row[1], (string)row[2]);

            var result = await w.Bodies.SubmitAsync(w.VerifierStaff, VerificationBodyConditionsTests.Breaking(condition), [w.Certificate], "", default);

            Assert.Equal(VerificationBodySubmissionStatus.ConditionsUnmet, result.Status);
            var problem = Assert.Single(result.Problems);
            Assert.StartsWith(item + ": ", problem, StringComparison.Ordinal);
            Assert.Contains(phrase, problem, StringComparison.Ordinal);
            Assert.Null(result.Application);
        }

        Assert.Empty(await w.Workflows.ListAsync(VerificationBodies.Kind, ct: default));
        Assert.Equal(0, await w.LogLengthAsync());
        Assert.False(await w.Bodies.IsApprovedAsync(w.Verifier, default));
    }

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task A_submission_that_is_not_from_an_organisation_malformed_or_without_stored_evidence_is_refused_and_nothing_is_stored(StoreKind kind)
    {
        await using var w = await VerificationBodyWorld.CreateAsync(kind);
        var complete = VerificationBodyConditionsTests.Complete();
        var person = new Actor(WorkflowRole.Applicant, "person:" + w.Person, w.Person);

        Assert.Equal(VerificationBodySubmissionStatus.NotOrganisation, (await w.Bodies.SubmitAsync(person, complete, [w.Certificate], "", default)).Status);
        var malformed = await w.Bodies.SubmitAsync(w.VerifierStaff, complete with { Staff = [complete.Staff[0] with { Degree = "phd" }] }, [w.Certificate], "", default);
        Assert.Equal(VerificationBodySubmissionStatus.Invalid, malformed.Status);
        Assert.Contains("staff[0].degree", malformed.Detail, StringComparison.Ordinal);
        var bare = await w.Bodies.SubmitAsync(w.VerifierStaff, complete, [], "", default);
        Assert.Equal(VerificationBodySubmissionStatus.Invalid, bare.Status);
        Assert.Contains("supporting documents", bare.Detail, StringComparison.Ordinal);
        var unknown = await w.Bodies.SubmitAsync(w.VerifierStaff, complete, [new string('a', 64)], "", default);
        Assert.Equal(VerificationBodySubmissionStatus.DocumentMissing, unknown.Status);
        var tooLong = await w.Bodies.SubmitAsync(w.VerifierStaff, complete, [w.Certificate], new string('长', WorkflowDefinition.CommentLengthMax + 1), default);
        Assert.Equal(VerificationBodySubmissionStatus.Invalid, tooLong.Status);

        Assert.Empty(await w.Workflows.ListAsync(VerificationBodies.Kind, ct: default));
        Assert.Equal(0, await w.LogLengthAsync());
        await Assert.ThrowsAsync<ArgumentException>(() => w.Bodies.SubmitAsync(w.VerifierStaff with { Role = WorkflowRole.Administrator }, complete, [w.Certificate], "", default));
    }

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task A_complete_application_is_filed_for_the_organisation_with_its_declaration_and_evidence(StoreKind kind)
    {
        await using var w = await VerificationBodyWorld.CreateAsync(kind);

        var result = await w.Bodies.SubmitAsync(w.VerifierStaff, VerificationBodyConditionsTests.Complete(), [w.Certificate], "申请认定 / applying", default);

        Assert.Equal(VerificationBodySubmissionStatus.Submitted, result.Status);
        Assert.Empty(result.Problems);
        var app = result.Application!;
        Assert.Equal(VerificationBodies.Kind, app.Kind);
        Assert.Equal(w.Verifier.ToString(), app.Subject);
        Assert.Equal(w.Verifier, app.Applicant);
        Assert.Equal("核查机构认定：江苏碳核查中心 / Jiangsu Carbon Verification Centre", app.TitleZh);
        Assert.Equal("Verification body: 江苏碳核查中心 / Jiangsu Carbon Verification Centre", app.TitleEn);
        Assert.Equal("applied", app.State);
        Assert.Equal(VerificationBodyWorld.Day0, app.ReceivedOn);
        Assert.Null(app.DueOn);
        Assert.Equal(VerificationBodyConditionsTests.Complete().Staff, VerificationBodies.Conditions(app).Staff);
        Assert.Equal(VerificationBodyConditionsTests.Complete().Accreditations, VerificationBodies.Conditions(app).Accreditations);
        using (var payload = JsonDocument.Parse(app.Payload))
        {
            Assert.Equal("ghg-validation-verification", payload.RootElement.GetProperty("accreditations")[0].GetProperty("type").GetString());
            Assert.Equal("2028-12-31", payload.RootElement.GetProperty("accreditations")[0].GetProperty("validUntil").GetString());
            Assert.True(payload.RootElement.GetProperty("staff")[0].GetProperty("continuingEducation").GetBoolean());
        }

        var entry = Assert.Single(await w.Workflows.HistoryAsync(app.Id, default));
        Assert.Equal(("submit", "staff:" + w.Verifier, "applicant", "", "applied", "申请认定 / applying"), (entry.Action, entry.Actor, entry.Role, entry.From, entry.To, entry.Comment));
        Assert.Equal([w.Certificate], entry.Documents);
        Assert.Equal([w.Certificate], (await w.Workflows.DocumentsAsync(app.Id, default)).Select(d => d.Document.Sha256));
        var standing = await w.Bodies.StandingAsync(w.Verifier, default);
        Assert.False(standing.Approved);
        Assert.Contains("under review", standing.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task The_largest_declaration_the_limits_allow_fits_in_an_application(StoreKind kind)
    {
        await using var w = await VerificationBodyWorld.CreateAsync(kind);
        var c = VerificationBodyConditionsTests.Complete();
        var largest = c with
        {
            OfficeAddress = new string('址', VerificationBodyConditions.OfficeAddressLengthMax),
            Facilities = new string('设', VerificationBodyConditions.FacilitiesLengthMax),
            SystemsDescription = new string('制', VerificationBodyConditions.SystemsDescriptionLengthMax),
            Staff = Enumerable.Range(1, VerificationBodyConditions.StaffMax)
                .Select(i => new VerificationStaffMember(new string('名', VerificationBodyConditions.StaffNameLengthMax), Degrees.Doctorate, VerificationBodyConditions.ExperienceYearsMax, true, true))
                .ToList(),
            Accreditations = Enumerable.Range(1, VerificationBodyConditions.AccreditationsMax)
                .Select(i => new VerificationAccreditation(AccreditationTypes.GhgValidationVerification, i.ToString("D64", System.Globalization.CultureInfo.InvariantCulture),
                    new string('范', VerificationBodyConditions.AccreditationScopeLengthMax), new DateOnly(2028, 1, 1)))
                .ToList(),
        };
        Assert.Null(largest.Problem());

        var result = await w.Bodies.SubmitAsync(w.VerifierStaff, largest, [w.Certificate], "", default);

        Assert.True(result.Succeeded, result.Detail);
        Assert.Equal(largest.Staff, VerificationBodies.Conditions(result.Application!).Staff);
    }

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task An_organisation_applies_again_only_once_its_last_application_is_closed_without_approval_standing(StoreKind kind)
    {
        await using var w = await VerificationBodyWorld.CreateAsync(kind);
        var first = await w.ApplyAsync();

        foreach (var (action, actor) in new[] { ("", (Actor?)null), ("approve", VerificationBodyWorld.Administrator), ("suspend", VerificationBodyWorld.Administrator) })
        {
            if (actor is not null) await w.StepAsync(first.Id, w.Full(action), actor);
            var again = await w.Bodies.SubmitAsync(w.VerifierStaff, VerificationBodyConditionsTests.Complete(), [w.Certificate], "", default);
            Assert.Equal(VerificationBodySubmissionStatus.AlreadyApplied, again.Status);
            Assert.Contains($"application {first.Id}", again.Detail, StringComparison.Ordinal);
        }

        Assert.Single(await w.Workflows.ListAsync(VerificationBodies.Kind, ct: default));
        Assert.True((await w.ApplyAsync(w.RivalStaff)).Id > first.Id); // another organisation is not held back

        await w.StepAsync(first.Id, w.Full("revoke"), VerificationBodyWorld.Administrator);
        var second = await w.ApplyAsync();
        Assert.Equal("applied", second.State);
        Assert.Contains("under review", await w.Bodies.RequireApprovedAsync(w.Verifier, default), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task Concurrent_applications_of_one_organisation_file_exactly_one(StoreKind kind)
    {
        await using var w = await VerificationBodyWorld.CreateAsync(kind);
        const int attempts = 8;

        var results = await Task.WhenAll(Enumerable.Range(0, attempts).Select(_ =>
            Task.Run(() => w.Bodies.SubmitAsync(w.VerifierStaff, VerificationBodyConditionsTests.Complete(), [w.Certificate], "", default))));

        Assert.Single(results, r => r.Succeeded);
        Assert.All(results.Where(r => !r.Succeeded), r => Assert.Equal(VerificationBodySubmissionStatus.AlreadyApplied, r.Status));
        Assert.Single(await w.Workflows.ListAsync(VerificationBodies.Kind, ct: default));
        Assert.Equal(1, await w.LogLengthAsync());
    }

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task A_body_is_approved_suspended_with_a_working_day_deadline_rectifies_is_reinstated_and_revoked(StoreKind kind)
    {
        await using var w = await VerificationBodyWorld.CreateAsync(kind);
        var admin = VerificationBodyWorld.Administrator;
        var app = await w.ApplyAsync();
        Assert.Equal("never approved: the organisation has not applied to be a verification body", await w.Bodies.RequireApprovedAsync(w.Rival, default));

        app = await w.StepAsync(app.Id, new Step("approve", "符合 JS 40 条件 / meets JS 40"), admin);
        Assert.Equal("approved", app.State);
        Assert.True(await w.Bodies.IsApprovedAsync(w.Verifier, default));
        Assert.Null(await w.Bodies.RequireApprovedAsync(w.Verifier, default));
        Assert.False(await w.Bodies.IsApprovedAsync(w.Rival, default));

        // Friday 6 March: three working days run over the weekend to Wednesday 11 March.
        w.Clock.Set(new DateTimeOffset(2026, 3, 6, 10, 0, 0, TimeSpan.FromHours(8)));
        app = await w.StepAsync(app.Id, new Step("suspend", "核查报告失实 / a false report", RectificationDays: 3), admin);
        Assert.Equal("suspended", app.State);
        Assert.Equal(new DateOnly(2026, 3, 11), app.DueOn);
        Assert.Equal(w.Calendar.AddWorkingDays(new DateOnly(2026, 3, 6), 3), app.DueOn);
        Assert.False(await w.Bodies.IsApprovedAsync(w.Verifier, default));
        var suspended = await w.Bodies.StandingAsync(w.Verifier, default);
        Assert.Equal("suspended for rectification until 2026-03-11", suspended.Reason);
        Assert.Equal(new DateOnly(2026, 3, 11), suspended.SuspendedUntil);

        w.Clock.Set(new DateTimeOffset(2026, 3, 10, 10, 0, 0, TimeSpan.FromHours(8)));
        app = await w.StepAsync(app.Id, new Step("rectify", "已整改 / rectified", [w.Report]), w.VerifierStaff);
        Assert.Equal("suspended", app.State);
        Assert.Equal(new DateOnly(2026, 3, 11), app.DueOn);
        Assert.False(await w.Bodies.IsApprovedAsync(w.Verifier, default));

        app = await w.StepAsync(app.Id, new Step("reinstate", "整改合格 / rectification accepted"), admin);
        Assert.Equal("approved", app.State);
        Assert.Null(app.DueOn);
        Assert.True(await w.Bodies.IsApprovedAsync(w.Verifier, default));

        app = await w.StepAsync(app.Id, new Step("suspend", "再次违规 / again", RectificationDays: 5), admin);
        app = await w.StepAsync(app.Id, new Step("revoke", "逾期未整改 / not rectified"), admin);
        Assert.Equal("revoked", app.State);
        Assert.False(await w.Bodies.IsApprovedAsync(w.Verifier, default));
        Assert.Equal("revoked on 2026-03-10", await w.Bodies.RequireApprovedAsync(w.Verifier, default));

        var log = await w.Workflows.HistoryAsync(app.Id, default);
        Assert.Equal(
            [
                ("submit", "staff:" + w.Verifier, "applicant", "", "applied", "申请认定 / applying", 1),
                ("approve", admin.Name, "administrator", "applied", "approved", "符合 JS 40 条件 / meets JS 40", 0),
                ("suspend", admin.Name, "administrator", "approved", "suspended", "核查报告失实 / a false report", 0),
                ("rectify", "staff:" + w.Verifier, "applicant", "suspended", "suspended", "已整改 / rectified", 1),
                ("reinstate", admin.Name, "administrator", "suspended", "approved", "整改合格 / rectification accepted", 0),
                ("suspend", admin.Name, "administrator", "approved", "suspended", "再次违规 / again", 0),
                ("revoke", admin.Name, "administrator", "suspended", "revoked", "逾期未整改 / not rectified", 0),
            ],
            log.Select(e => (e.Action, e.Actor, e.Role, e.From, e.To, e.Comment, e.Documents.Count)));
        Assert.Equal([w.Report], log[3].Documents);
        using (var data = JsonDocument.Parse(log[2].Data))
        {
            Assert.Equal(3, data.RootElement.GetProperty("rectificationDays").GetInt32());
            Assert.Equal("2026-03-11", data.RootElement.GetProperty("dueOn").GetString());
        }

        Assert.Equal(log.Select(e => e.Seq).Order(), log.Select(e => e.Seq));
    }

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task An_approved_body_may_be_revoked_directly_and_an_application_refused_amended_or_retracted(StoreKind kind)
    {
        await using var w = await VerificationBodyWorld.CreateAsync(kind);
        var admin = VerificationBodyWorld.Administrator;

        var approved = await w.InStateAsync("approved", w.RivalStaff);
        var revoked = await w.StepAsync(approved.Id, new Step("revoke", "资质被注销 / accreditation withdrawn"), admin);
        Assert.Equal("revoked", revoked.State);
        Assert.False(await w.Bodies.IsApprovedAsync(w.Rival, default));

        var app = await w.ApplyAsync();
        w.Clock.Set(new DateTimeOffset(2026, 3, 4, 9, 0, 0, TimeSpan.FromHours(8)));
        var amended = await w.StepAsync(app.Id, new Step("amend", "补充人员证明 / staff evidence", [w.Report]), w.VerifierStaff);
        Assert.Equal("applied", amended.State);
        Assert.Equal(new DateOnly(2026, 3, 4), amended.ReceivedOn);
        Assert.Equal(2, (await w.Workflows.DocumentsAsync(app.Id, default)).Count);
        var refused = await w.StepAsync(app.Id, new Step("refuse", "人员不符 / staff do not qualify"), admin);
        Assert.Equal("refused", refused.State);
        Assert.Contains("was refused on 2026-03-04", await w.Bodies.RequireApprovedAsync(w.Verifier, default), StringComparison.Ordinal);

        var again = await w.ApplyAsync();
        var retracted = await w.StepAsync(again.Id, new Step("retract"), w.VerifierStaff);
        Assert.Equal("retracted", retracted.State);
        Assert.Contains("retracted", await w.Bodies.RequireApprovedAsync(w.Verifier, default), StringComparison.Ordinal);
        Assert.Equal(
            ["submit", "amend", "refuse"],
            (await w.Workflows.HistoryAsync(app.Id, default)).Select(e => e.Action));
        Assert.Equal(["submit", "retract"], (await w.Workflows.HistoryAsync(again.Id, default)).Select(e => e.Action));
    }

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task Every_step_the_table_does_not_allow_from_a_state_is_refused_naming_the_state_and_its_allowed_steps(StoreKind kind)
    {
        await using var w = await VerificationBodyWorld.CreateAsync(kind);
        var workflow = Workflows.VerificationBody;
        foreach (var state in workflow.States.Select(s => s.Code))
        {
            // Each state on a fresh organisation, so earlier applications do not block the next.
            var org = await w.Store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "o:" + state, "机构 " + state));
            var staff = new Actor(WorkflowRole.Applicant, "staff:" + org.Id, org.Id);
            var app = await w.InStateAsync(state, staff);
            var allowed = workflow.AllowedFrom(state).Select(t => t.Action).ToList();
            var logLength = await w.LogLengthAsync();

            foreach (var action in AllActions.Except(allowed))
            {
                var role = workflow.Transitions.First(t => t.Action == action).Role;
                var result = await w.Workflows.ActAsync(app.Id, w.Full(action), role == WorkflowRole.Applicant ? staff : VerificationBodyWorld.Administrator, default);

                Assert.Equal(StepStatus.Refused, result.Status);
                Assert.Equal(WorkflowRefusal.NotAllowedInState, result.Decision!.Refusal);
                Assert.Equal(state, result.Decision.State);
                Assert.Equal(allowed, result.Decision.AllowedActions);
                Assert.Contains($"while the application is {state}", result.Detail, StringComparison.Ordinal);
                Assert.Null(result.Entry);
            }

            var after = await w.Workflows.GetAsync(app.Id, default);
            Assert.Equal((app.State, app.Revision), (after!.State, after.Revision));
            Assert.Equal(logLength, await w.LogLengthAsync());
        }
    }

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task A_step_by_the_wrong_role_another_organisation_or_without_its_inputs_is_refused_and_changes_nothing(StoreKind kind)
    {
        await using var w = await VerificationBodyWorld.CreateAsync(kind);
        var admin = VerificationBodyWorld.Administrator;
        var applied = await w.ApplyAsync();
        var suspended = await w.InStateAsync("suspended", w.RivalStaff);
        var logLength = await w.LogLengthAsync();

        async Task Refused(long id, Step step, Actor actor, StepStatus status, WorkflowRefusal? refusal, string detail)
        {
            var result = await w.Workflows.ActAsync(id, step, actor, default);
            Assert.Equal(status, result.Status);
            Assert.Equal(refusal, result.Status == StepStatus.Refused ? result.Decision!.Refusal : null);
            Assert.Contains(detail, result.Detail, StringComparison.Ordinal);
        }

        await Refused(applied.Id, w.Full("approve"), w.VerifierStaff, StepStatus.Refused, WorkflowRefusal.WrongRole, "taken by the administrator, not the applicant");
        await Refused(applied.Id, w.Full("approve"), admin with { Role = WorkflowRole.PlatformOperator }, StepStatus.Refused, WorkflowRefusal.WrongRole, "administrator");
        await Refused(applied.Id, w.Full("amend"), admin, StepStatus.Refused, WorkflowRefusal.WrongRole, "taken by the applicant");
        await Refused(suspended.Id, w.Full("rectify"), admin, StepStatus.Refused, WorkflowRefusal.WrongRole, "taken by the applicant");
        await Refused(suspended.Id, w.Full("reinstate"), w.RivalStaff, StepStatus.Refused, WorkflowRefusal.WrongRole, "taken by the administrator");
        await Refused(applied.Id, w.Full("amend"), w.RivalStaff, StepStatus.NotApplicant, null, "only the applicant");
        await Refused(applied.Id, w.Full("retract"), w.RivalStaff, StepStatus.NotApplicant, null, "only the applicant");
        await Refused(suspended.Id, w.Full("rectify"), w.VerifierStaff, StepStatus.NotApplicant, null, "only the applicant");
        await Refused(applied.Id, new Step("approve"), admin, StepStatus.Refused, WorkflowRefusal.MissingInput, "comment");
        await Refused(applied.Id, new Step("amend", "更多 / more"), w.VerifierStaff, StepStatus.Refused, WorkflowRefusal.MissingInput, "document");
        await Refused(suspended.Id, new Step("rectify", "已整改 / done"), w.RivalStaff, StepStatus.Refused, WorkflowRefusal.MissingInput, "document");
        await Refused(applied.Id, new Step("amend", "更多 / more", [new string('b', 64)]), w.VerifierStaff, StepStatus.DocumentMissing, null, "not stored");
        await Refused(applied.Id, new Step("fly", "x"), admin, StepStatus.Refused, WorkflowRefusal.UnknownAction, "no action fly");

        var approved = await w.StepAsync(suspended.Id, w.Full("reinstate"), admin);
        await Refused(approved.Id, new Step("suspend", "违规 / breach"), admin, StepStatus.Refused, WorkflowRefusal.MissingInput, "rectificationDays");
        await Refused(approved.Id, new Step("suspend", "违规 / breach", RectificationDays: WorkflowDefinition.RectificationDaysMax + 1), admin, StepStatus.Refused,
            WorkflowRefusal.MissingInput, "rectificationDays");

        Assert.Equal((applied.State, applied.Revision), ((await w.Workflows.GetAsync(applied.Id, default))!.State, (await w.Workflows.GetAsync(applied.Id, default))!.Revision));
        Assert.Equal(logLength + 1, await w.LogLengthAsync());
    }

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task Approval_and_reinstatement_check_the_conditions_again_on_the_day(StoreKind kind)
    {
        await using var w = await VerificationBodyWorld.CreateAsync(kind);
        var admin = VerificationBodyWorld.Administrator;
        var c = VerificationBodyConditionsTests.Complete();
        var lapsing = c with { Accreditations = [c.Accreditations[0] with { ValidUntil = new DateOnly(2026, 3, 3) }] };
        var late = await w.Bodies.SubmitAsync(w.VerifierStaff, lapsing, [w.Certificate], "", default);
        var timely = await w.Bodies.SubmitAsync(w.RivalStaff, lapsing, [w.Certificate], "", default);
        Assert.True(late.Succeeded && timely.Succeeded);
        await w.StepAsync(timely.Application!.Id, w.Full("approve"), admin);
        await w.StepAsync(timely.Application.Id, w.Full("suspend"), admin);

        // Wednesday 4 March: the accreditation lapsed yesterday.
        w.Clock.Set(new DateTimeOffset(2026, 3, 4, 9, 0, 0, TimeSpan.FromHours(8)));
        var approve = await w.Workflows.ActAsync(late.Application!.Id, w.Full("approve"), admin, default);
        var reinstate = await w.Workflows.ActAsync(timely.Application.Id, w.Full("reinstate"), admin, default);

        foreach (var refused in new[] { approve, reinstate })
        {
            Assert.Equal(StepStatus.Conflict, refused.Status);
            Assert.Contains("JS 40(三)", refused.Detail, StringComparison.Ordinal);
            Assert.Contains("no longer hold on 2026-03-04", refused.Detail, StringComparison.Ordinal);
            Assert.Null(refused.Entry);
        }

        Assert.Equal("applied", (await w.Workflows.GetAsync(late.Application.Id, default))!.State);
        Assert.Single(await w.Workflows.HistoryAsync(late.Application.Id, default));
        Assert.Equal("suspended", (await w.Workflows.GetAsync(timely.Application.Id, default))!.State);
        Assert.Equal(StepStatus.Done, (await w.Workflows.ActAsync(timely.Application.Id, w.Full("revoke"), admin, default)).Status);
        Assert.Equal(StepStatus.Done, (await w.Workflows.ActAsync(late.Application.Id, w.Full("refuse"), admin, default)).Status);
    }

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task The_public_list_shows_each_body_by_its_latest_application_without_staff_names(StoreKind kind)
    {
        await using var w = await VerificationBodyWorld.CreateAsync(kind);
        var admin = VerificationBodyWorld.Administrator;
        var verifier = await w.InStateAsync("approved");
        w.Clock.Set(new DateTimeOffset(2026, 3, 6, 9, 0, 0, TimeSpan.FromHours(8)));
        await w.StepAsync(verifier.Id, new Step("suspend", "违规 / breach", RectificationDays: 2), admin);
        await w.StepAsync(verifier.Id, w.Full("reinstate"), admin);
        var rival = await w.InStateAsync("revoked", w.RivalStaff);
        await w.ApplyAsync(w.RivalStaff); // reapplied: under review, so the public sees nothing of the rival
        _ = await w.InStateAsync("suspended", new Actor(WorkflowRole.Applicant, "staff:dev", w.Developer));

        var listed = await w.Bodies.ListAsync(ct: default);

        Assert.Equal([w.Developer, w.Verifier], listed.Select(b => b.Body));
        var body = listed[1];
        Assert.Equal(("approved", VerificationBodyWorld.Day0, (DateOnly?)null, (DateOnly?)null), (body.State, body.ApprovedOn!.Value, body.SuspendedUntil, body.RevokedOn));
        Assert.Equal("江苏碳核查中心 / Jiangsu Carbon Verification Centre", body.Name);
        Assert.Equal(verifier.Id, body.ApplicationId);
        Assert.Equal((5, 5, false), (body.Summary.StaffDeclared, body.Summary.QualifiedStaff, body.Summary.EnergyMetrologyReview));
        Assert.Equal(VerificationBodyConditionsTests.Complete().Accreditations, body.Summary.Accreditations);
        Assert.Equal(w.Calendar.AddWorkingDays(new DateOnly(2026, 3, 6), 10), listed[0].SuspendedUntil);
        Assert.Equal("suspended", listed[0].State);

        // The rival's revoked application is no longer its latest: it shows as under review when asked for.
        Assert.Empty(await w.Bodies.ListAsync(["revoked"], ct: default));
        var reapplied = Assert.Single(await w.Bodies.ListAsync(["applied"], ct: default));
        Assert.Equal((w.Rival, true), (reapplied.Body, reapplied.ApplicationId > rival.Id));
        Assert.Null(reapplied.ApprovedOn);
        Assert.Single(await w.Bodies.ListAsync(limit: 1, ct: default));
        Assert.Throws<ArgumentException>(() => w.Bodies.ListAsync(["dormant"], ct: default).GetAwaiter().GetResult());
    }
}
