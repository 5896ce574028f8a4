using System.Text.Json;
using Puhui.Governance;
using Puhui.Ledger;
using Puhui.Registry;
using Puhui.Storage;
using Puhui.Storage.Governance;
using Puhui.Tests.Governance;

namespace Puhui.Tests.Registry;

/// <summary>
/// The project registry on its governance workflows, on each store (DESIGN §8, NJ 7, SH 5–6, JS 23, JS 41–46,
/// SZ 21–22): a PV project and a forestry project from draft to registration, two monitoring periods each through
/// verification and review to issuance, a reversal made good from the buffer pool, and every refusal leaving the
/// applications, the governance log, the ledger and the registry's tables exactly as they were.
/// </summary>
public class ProjectLifecycleTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    private static Dictionary<string, decimal> Generation(decimal mwh) => new() { ["generation"] = mwh };

    private static Dictionary<string, decimal> Growth(decimal m3PerHa) => new() { ["volume_growth"] = m3PerHa };

    /// <summary>Every entry of the application's log, with each deadline it set equal to its state's rule counted in the shipped calendar.</summary>
    private static async Task<IReadOnlyList<string>> AssertLogAsync(ProjectWorld w, long applicationId)
    {
        var application = (await w.G.Workflows.GetAsync(applicationId, default))!;
        var history = await w.G.Workflows.HistoryAsync(applicationId, default);
        var received = application.ReceivedOn;
        foreach (var entry in history)
        {
            using var data = JsonDocument.Parse(entry.Data);
            if (data.RootElement.TryGetProperty("receivedOn", out var r) && r.GetString() is { Length: > 0 } receivedText) received = DateOnly.Parse(receivedText);
            if (entry.From == entry.To || entry.From == "") continue;
            var deadline = application.Definition.State(entry.To).Deadline;
            var day = DateOnly.FromDateTime(entry.At.ToOffset(TimeSpan.FromHours(8)).DateTime);
            var expected = deadline?.DueOn(w.G.Calendar, received, day, null);
            Assert.True(data.RootElement.TryGetProperty("dueOn", out var due), $"{entry.Action} records no deadline");
            Assert.Equal(expected is { } e ? e.ToString("yyyy-MM-dd") : "", due.GetString());
            Assert.False(string.IsNullOrEmpty(entry.Actor));
        }

        await w.G.VerifyChainAsync();
        return history.Select(h => h.Action).ToList();
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_pv_project_is_registered_and_issues_two_periods_as_one_batch_each_to_the_developer(StoreKind kind)
    {
        await using var w = await ProjectWorld.CreateAsync(kind);
        var drafted = await w.DraftAsync(ProjectWorld.Pv());
        Assert.True(drafted.Succeeded, drafted.Detail);
        Assert.Equal(("project", "draft", w.Developer), (drafted.Application!.Kind, drafted.Application.State, drafted.Application.Applicant));

        // Submitted on Tuesday 10 February 2026: ten working days skip the Spring Festival holiday.
        var submitted = await w.G.StepAsync(drafted.Application.Id, new Step("submit", Documents: [w.G.Evidence]), w.DeveloperStaff);
        Assert.Equal(w.G.Calendar.AddWorkingDays(GovernanceWorld.Day0, Workflows.RegistryAssignmentWorkingDays), submitted.DueOn);
        Assert.True(submitted.DueOn > GovernanceWorld.Day0.AddDays(14));
        var assigned = await w.G.StepAsync(submitted.Id, new Step("assign-validation", Verifier: w.Verifier.Value), GovernanceWorld.PlatformOperator);
        Assert.Equal(w.Verifier, assigned.Assignee);
        w.G.Today(new DateOnly(2026, 3, 2));
        await w.G.StepAsync(submitted.Id, new Step("validate", "审定通过 / validated", [w.G.Report]), w.VerifierActor);
        var review = await w.G.StepAsync(submitted.Id, ProjectWorld.Accept(), GovernanceWorld.PlatformOperator);
        Assert.Equal([.. w.G.EnergyExperts.Order()], review.Panel.Order());
        await w.G.OpineAsync(review);
        var registered = await w.G.StepAsync(submitted.Id, new Step("register", "准予登记 / registered"), GovernanceWorld.Administrator);
        Assert.Equal("registered", registered.State);
        Assert.Equal(["draft", "submit", "assign-validation", "validate", "accept", "opinion", "opinion", "register"], await AssertLogAsync(w, submitted.Id));
        var project = (await w.Registry.ProjectOfApplicationAsync(submitted.Id))!;
        Assert.Equal(("registered", "PRJ-320115-" + project.Id.ToString("D4", System.Globalization.CultureInfo.InvariantCulture)), (project.State, project.Code));

        var issuance = await w.Store.SystemAccountAsync(SystemAccounts.ReductionIssuance);
        var expected = new[] { (ProjectWorld.H1From, ProjectWorld.H1To, 300m, 171_090_000L), (ProjectWorld.H2From, ProjectWorld.H2To, 320m, 182_496_000L) };
        var batches = new List<BatchId>();
        foreach (var (from, to, mwh, grams) in expected)
        {
            var period = await w.PeriodInStateAsync(project.Id, from, to, Generation(mwh));
            Assert.Equal(grams, (await w.Registry.PeriodAsync(period.Id))!.ClaimedGrams);
            var (head, _) = await w.Store.GetHeadAsync();
            var issued = await w.Registry.IssueAsync(period.Id, GovernanceWorld.Administrator, "予以签发 / issued", default);
            Assert.True(issued.Succeeded, issued.Detail);
            Assert.Equal("issued", issued.Application!.State);
            Assert.Equal(head + 1, (await w.Store.GetHeadAsync()).Sequence);

            var stored = (await w.Registry.PeriodAsync(period.Id))!;
            Assert.Equal((grams, grams, grams, 0L, "issued"), (stored.VerifiedGrams, stored.IssuedGrams, stored.DeveloperGrams, stored.BufferGrams, stored.State));
            var batch = (await w.Store.FindBatchAsync(stored.Batch!.Value))!;
            Assert.Equal((BatchOrigin.ProjectPeriod, "distributed-pv", "1.0.0", MethodologyClass.I, 2025, "320115"),
                (batch.Origin, batch.MethodologyId, batch.MethodologyVersion, batch.Class, batch.Vintage, batch.Region));
            Assert.True(TransactionId.TryParse(stored.TransactionId, out var txId));
            var tx = (await w.Store.GetTransactionAsync(txId))!;
            Assert.Equal(TransactionKind.Issue, tx.Transaction.Kind);
            Assert.Equal(grams, await w.BalanceAsync(w.Developer, batch.Id));
            Assert.Equal(0, await w.SystemBalanceAsync(SystemAccounts.Buffer, batch.Id));
            Assert.Equal(-grams, await w.BalanceAsync(issuance, batch.Id));
            Assert.Equal(["submit", "assign-verification", "verify", "accept", "opinion", "opinion", "approve", "issue"], await AssertLogAsync(w, period.Id));
            var issueEntry = (await w.G.Workflows.HistoryAsync(period.Id, default))[^1];
            Assert.Contains(stored.TransactionId!, issueEntry.Data, StringComparison.Ordinal);
            batches.Add(batch.Id);
        }

        Assert.Equal(2, batches.Distinct().Count());
        Assert.Equal(171_090_000L + 182_496_000L, await w.BalanceAsync(w.Developer));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_forestry_project_sets_the_methodology_buffer_aside_and_repays_a_reversal_from_its_next_issuance(StoreKind kind)
    {
        await using var w = await ProjectWorld.CreateAsync(kind);
        var project = await w.ProjectInStateAsync(w.Forestry());
        Assert.Equal(["draft", "submit", "assign-validation", "validate", "accept", "opinion", "opinion", "register"], await AssertLogAsync(w, project.ApplicationId));

        // 100 ha growing 10 m3/ha remove 1 443.75 t: the methodology sets 288.75 t aside and claims 1 155 t; the verifier finds 1 100 t,
        // and the buffer follows in proportion: 288.75 t × 1 100 / 1 155 = 275 t.
        var first = await w.PeriodInStateAsync(project.Id, ProjectWorld.H1From, ProjectWorld.H1To, Growth(10), adjusted: 1_100_000_000);
        var claimed = (await w.Registry.PeriodAsync(first.Id))!;
        Assert.Equal((1_155_000_000L, 288_750_000L, 1_100_000_000L), (claimed.ClaimedGrams, claimed.OwnBufferGrams, claimed.VerifiedGrams));
        var verify = (await w.G.Workflows.HistoryAsync(first.Id, default)).Single(e => e.Action == "verify");
        using (var data = JsonDocument.Parse(verify.Data))
            Assert.Equal(1_100_000_000L, data.RootElement.GetProperty("adjustedGrams").GetInt64());
        Assert.Equal(("verifier", "样地复测蓄积量偏低，核减 / plots remeasured lower"), (verify.Role, verify.Comment));

        var issued = await w.Registry.IssueAsync(first.Id, GovernanceWorld.Administrator, "予以签发", default);
        Assert.True(issued.Succeeded, issued.Detail);
        var one = (await w.Registry.PeriodAsync(first.Id))!;
        Assert.Equal((1_375_000_000L, 1_100_000_000L, 275_000_000L), (one.IssuedGrams, one.DeveloperGrams, one.BufferGrams));
        var batch1 = (await w.Store.FindBatchAsync(one.Batch!.Value))!;
        Assert.Equal(("forestry-sink", "1.0.0", MethodologyClass.I, 2025, "320117"), (batch1.MethodologyId, batch1.MethodologyVersion, batch1.Class, batch1.Vintage, batch1.Region));
        Assert.Equal(1_100_000_000L, await w.BalanceAsync(w.Developer, batch1.Id));
        Assert.Equal(275_000_000L, await w.SystemBalanceAsync(SystemAccounts.Buffer, batch1.Id));

        // A fire destroys 50 t: the buffer's grams of this project's batch are cancelled and the project owes them.
        var (head, _) = await w.Store.GetHeadAsync();
        var reversal = await w.Registry.ReportReversalAsync(project.Id, 50_000_000, "fire-2026-03", GovernanceWorld.PlatformOperator, "山火损失 / forest fire", [w.G.Report],
            default);
        Assert.True(reversal.Succeeded, reversal.Detail);
        Assert.Equal(head + 1, (await w.Store.GetHeadAsync()).Sequence);
        Assert.Equal(225_000_000L, await w.SystemBalanceAsync(SystemAccounts.Buffer, batch1.Id));
        Assert.Equal(50_000_000L, await w.SystemBalanceAsync(SystemAccounts.Cancelled, batch1.Id));
        Assert.Equal(1_100_000_000L, await w.BalanceAsync(w.Developer));
        Assert.Equal(50_000_000L, (await w.Registry.GetProjectAsync(project.Id))!.BufferDebt);
        var recorded = Assert.Single(await w.Registry.ReversalsAsync(project.Id));
        Assert.Equal((50_000_000L, 50_000_000L), (recorded.Grams, recorded.CancelledGrams));
        Assert.Equal("report-reversal", (await w.G.Workflows.HistoryAsync(project.ApplicationId, default))[^1].Action);

        // The same report again is recorded once: a retry returns the first; the same key for another loss is refused.
        var (headBefore, _) = await w.Store.GetHeadAsync();
        var retried = await w.Registry.ReportReversalAsync(project.Id, 50_000_000, "fire-2026-03", GovernanceWorld.PlatformOperator, "again", [w.G.Report], default);
        Assert.True(retried.Succeeded, retried.Detail);
        Assert.Equal(headBefore, (await w.Store.GetHeadAsync()).Sequence);
        Assert.Single(await w.Registry.ReversalsAsync(project.Id));
        await w.RefusedAsync(() => w.Registry.ReportReversalAsync(project.Id, 60_000_000, "fire-2026-03", GovernanceWorld.PlatformOperator, "again", [w.G.Report], default),
            StepStatus.Conflict, "recorded with other grams");

        // The next issuance withholds the debt from the developer and restores the buffer.
        var second = await w.PeriodInStateAsync(project.Id, ProjectWorld.H2From, ProjectWorld.H2To, Growth(5));
        Assert.True((await w.Registry.IssueAsync(second.Id, GovernanceWorld.Administrator, "予以签发", default)).Succeeded);
        var two = (await w.Registry.PeriodAsync(second.Id))!;
        Assert.Equal((577_500_000L, 144_375_000L), (two.VerifiedGrams, two.OwnBufferGrams));
        Assert.Equal((721_875_000L, 527_500_000L, 194_375_000L), (two.IssuedGrams, two.DeveloperGrams, two.BufferGrams));
        Assert.Equal(527_500_000L, await w.BalanceAsync(w.Developer, two.Batch));
        Assert.Equal(194_375_000L, await w.SystemBalanceAsync(SystemAccounts.Buffer, two.Batch));
        Assert.Equal(0, (await w.Registry.GetProjectAsync(project.Id))!.BufferDebt);
        Assert.NotEqual(one.Batch, two.Batch);
        Assert.Equal(["submit", "assign-verification", "verify", "accept", "opinion", "opinion", "approve", "issue"], await AssertLogAsync(w, second.Id));
        Assert.Equal(["draft", "submit", "assign-validation", "validate", "accept", "opinion", "opinion", "register", "report-reversal"],
            await AssertLogAsync(w, project.ApplicationId));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_reversal_larger_than_the_next_net_issuance_keeps_the_debt_until_restored(StoreKind kind)
    {
        await using var w = await ProjectWorld.CreateAsync(kind);
        var project = await w.ProjectInStateAsync(w.Forestry());
        var first = await w.PeriodInStateAsync(project.Id, ProjectWorld.H1From, ProjectWorld.H1To, Growth(10));
        Assert.True((await w.Registry.IssueAsync(first.Id, GovernanceWorld.Administrator, "", default)).Succeeded);
        // 288.75 t in the buffer; 280 t lost. The next period nets 115.5 t (1 m3/ha) and all of it repays the buffer.
        Assert.True((await w.Registry.ReportReversalAsync(project.Id, 280_000_000, "fire", GovernanceWorld.PlatformOperator, "山火", [w.G.Report], default)).Succeeded);
        var second = await w.PeriodInStateAsync(project.Id, ProjectWorld.H2From, ProjectWorld.H2To, Growth(1));
        Assert.True((await w.Registry.IssueAsync(second.Id, GovernanceWorld.Administrator, "", default)).Succeeded);
        var two = (await w.Registry.PeriodAsync(second.Id))!;
        Assert.Equal((115_500_000L, 0L, 28_875_000L + 115_500_000L), (two.VerifiedGrams, two.DeveloperGrams, two.BufferGrams));
        Assert.Equal(280_000_000L - 115_500_000L, (await w.Registry.GetProjectAsync(project.Id))!.BufferDebt);
        Assert.Equal(0, await w.BalanceAsync(w.Developer, two.Batch));
    }

    // ---- refusals: each leaves everything as it was ------------------------------------------------------

    [Theory, MemberData(nameof(Stores))]
    public async Task Verifiers_that_are_unapproved_suspended_or_not_independent_are_never_assigned(StoreKind kind)
    {
        await using var w = await ProjectWorld.CreateAsync(kind);
        var project = await w.ProjectInStateAsync(w.Forestry(), "submitted");
        Task<StepResult> Assign(AccountId body) => w.G.Workflows.ActAsync(project.ApplicationId, new Step("assign-validation", Verifier: body.Value),
            GovernanceWorld.PlatformOperator, default);
        await w.RefusedAsync(() => Assign(w.UnapprovedVerifier), StepStatus.Conflict, "is not approved");
        await w.RefusedAsync(() => Assign(w.SuspendedVerifier), StepStatus.Conflict, "is not approved");
        await w.RefusedAsync(() => Assign(w.Developer), StepStatus.Conflict, "the developer itself");
        await w.RefusedAsync(() => Assign(w.RelatedVerifier), StepStatus.Conflict, "related party");
        Assert.Equal("submitted", (await w.G.Workflows.GetAsync(project.ApplicationId, default))!.State);

        // The same for a monitoring period's verification.
        var registered = await w.ProjectInStateAsync(ProjectWorld.Pv());
        var period = await w.PeriodInStateAsync(registered.Id, ProjectWorld.H1From, ProjectWorld.H1To, Generation(300), "submitted");
        await w.RefusedAsync(() => w.G.Workflows.ActAsync(period.Id, new Step("assign-verification", Verifier: w.SuspendedVerifier.Value), GovernanceWorld.PlatformOperator,
            default), StepStatus.Conflict, "is not approved");
        await w.RefusedAsync(() => w.G.Workflows.ActAsync(period.Id, new Step("assign-verification", Verifier: w.Developer.Value), GovernanceWorld.PlatformOperator, default),
            StepStatus.Conflict, "the developer itself");
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Only_the_assigned_verifier_validates_or_verifies(StoreKind kind)
    {
        await using var w = await ProjectWorld.CreateAsync(kind);
        var project = await w.ProjectInStateAsync(ProjectWorld.Pv(), "validation");
        var other = await w.RefusedAsync(() => w.G.Workflows.ActAsync(project.ApplicationId, new Step("validate", "审定通过", [w.G.Report]),
            ProjectWorld.VerifierOf(w.RelatedVerifier), default), StepStatus.Refused, "only the assigned verification body");
        Assert.Equal("validation", other.Decision!.State);
        // The developer cannot validate its own project, as applicant or otherwise.
        await w.RefusedAsync(() => w.G.Workflows.ActAsync(project.ApplicationId, new Step("validate", "自审", [w.G.Report]), w.DeveloperStaff, default),
            StepStatus.Refused, "verifier");
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task The_developers_own_expert_is_never_drawn_and_a_panel_that_needs_them_is_refused(StoreKind kind)
    {
        await using var w = await ProjectWorld.CreateAsync(kind);
        var project = await w.ProjectInStateAsync(ProjectWorld.Pv(), "validated");
        // Three energy experts exist, one of them the institute's own: a panel of three cannot be seated.
        await w.RefusedAsync(() => w.G.Workflows.ActAsync(project.ApplicationId, ProjectWorld.Accept(3), GovernanceWorld.PlatformOperator, default),
            StepStatus.PanelShortfall, "excluded");
        var drawn = await w.G.StepAsync(project.ApplicationId, ProjectWorld.Accept(), GovernanceWorld.PlatformOperator);
        Assert.DoesNotContain(w.G.InsiderExpert, drawn.Panel);
        Assert.Equal([.. w.G.EnergyExperts.Order()], drawn.Panel.Order());
        // The institute's expert cannot give an opinion on the panel either.
        await w.RefusedAsync(() => w.G.Workflows.ActAsync(project.ApplicationId, new Step("opinion", "通过", Verdict: true), GovernanceWorld.ExpertActor(w.G.InsiderExpert),
            default), StepStatus.Refused, "");
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_duplicate_project_is_refused_naming_the_project_it_matches(StoreKind kind)
    {
        await using var w = await ProjectWorld.CreateAsync(kind);
        var held = await w.ProjectInStateAsync(ProjectWorld.Pv(), "submitted");
        var sameId = ProjectWorld.Pv() with { NameZh = "另一屋顶", NameEn = "Another roof", Latitude = 32.1m, Longitude = 118.7m };
        Assert.Equal(held.Id, (await w.RefusedAsync(() => w.DraftAsync(sameId), StepStatus.Conflict, $"is declared by project {held.Id}")).ConflictsWith);

        // 50 m away, same type and capacity, a different grid account: the same site.
        var nearby = ProjectWorld.Pv("3201150099999") with { Latitude = 31.953868m, Longitude = 118.840400m };
        Assert.Equal(held.Id, (await w.RefusedAsync(() => w.DraftAsync(nearby), StepStatus.Conflict, $"project {held.Id} has the same type and capacity")).ConflictsWith);

        // 200 m away, or a different capacity, is another project.
        Assert.True((await w.DraftAsync(ProjectWorld.Pv("3201150099998") with { Latitude = 31.955418m })).Succeeded);
        Assert.True((await w.DraftAsync(ProjectWorld.Pv("3201150099997") with { Capacity = 499 })).Succeeded);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_project_in_another_scheme_is_refused(StoreKind kind)
    {
        await using var w = await ProjectWorld.CreateAsync(kind);
        foreach (var (declarations, phrase) in new[]
        {
            (new ProjectDeclarations(true, false, false), "CCER"),
            (new ProjectDeclarations(false, true, false), "green-power trading"),
            (new ProjectDeclarations(false, false, true), "green certificates"),
        })
        {
            await w.RefusedAsync(() => w.DraftAsync(ProjectWorld.Pv() with { Declarations = declarations }), StepStatus.Invalid, phrase);
        }

        await w.RefusedAsync(() => w.DraftAsync(ProjectWorld.Pv() with { Declarations = null! }), StepStatus.Invalid, "declarations are required");
        await w.RefusedAsync(() => w.DraftAsync(ProjectWorld.Pv() with { MethodologyId = "walking" }), StepStatus.Invalid, "behaviour methodology");
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Issuance_needs_an_approved_period_and_happens_once(StoreKind kind)
    {
        await using var w = await ProjectWorld.CreateAsync(kind);
        var project = await w.ProjectInStateAsync(ProjectWorld.Pv());
        var period = await w.PeriodInStateAsync(project.Id, ProjectWorld.H1From, ProjectWorld.H1To, Generation(300), "verification");
        var early = await w.RefusedAsync(() => w.Registry.IssueAsync(period.Id, GovernanceWorld.Administrator, "", default), StepStatus.Refused, "");
        Assert.Equal("verification", early.Decision!.State);
        // Nor through the generic step: the issue step only follows the registry's issuance.
        var approved = await w.PeriodInStateAsync(project.Id, ProjectWorld.H2From, ProjectWorld.H2To, Generation(300));
        await w.RefusedAsync(() => w.G.Workflows.ActAsync(approved.Id, new Step("issue"), GovernanceWorld.Administrator, default), StepStatus.Conflict,
            "registry's issuance");
        // Only the administrator issues.
        await w.RefusedAsync(() => w.Registry.IssueAsync(approved.Id, GovernanceWorld.PlatformOperator, "", default), StepStatus.Refused, "");

        Assert.True((await w.Registry.IssueAsync(approved.Id, GovernanceWorld.Administrator, "", default)).Succeeded);
        var again = await w.RefusedAsync(() => w.Registry.IssueAsync(approved.Id, GovernanceWorld.Administrator, "", default), StepStatus.Refused, "");
        Assert.Equal("issued", again.Decision!.State);
        Assert.Empty(again.Decision.AllowedActions);
        await w.RefusedAsync(() => w.Registry.IssueAsync(project.ApplicationId, GovernanceWorld.Administrator, "", default), StepStatus.NotFound, "no monitoring period");
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Periods_that_overlap_or_leave_the_crediting_period_are_refused(StoreKind kind)
    {
        await using var w = await ProjectWorld.CreateAsync(kind);
        var project = await w.ProjectInStateAsync(ProjectWorld.Pv());
        var first = await w.ReportAsync(project.Id, ProjectWorld.H1From, ProjectWorld.H1To, Generation(300));
        Assert.True(first.Succeeded, first.Detail);
        await w.RefusedAsync(() => w.ReportAsync(project.Id, new DateOnly(2025, 6, 1), new DateOnly(2025, 8, 31), Generation(100)), StepStatus.Conflict,
            $"overlaps monitoring period 2025-01-01–2025-06-30 (application {first.Application!.Id})");
        await w.RefusedAsync(() => w.ReportAsync(project.Id, new DateOnly(2024, 10, 1), new DateOnly(2024, 12, 31), Generation(100)), StepStatus.Invalid,
            "outside the crediting period");
        await w.RefusedAsync(() => w.ReportAsync(project.Id, new DateOnly(2026, 1, 1), new DateOnly(2026, 3, 31), Generation(100)), StepStatus.Invalid, "not ended");
        await w.RefusedAsync(() => w.ReportAsync(project.Id, ProjectWorld.H2From, ProjectWorld.H2To, Generation(5000)), StepStatus.Invalid, "does not accept");
        await w.RefusedAsync(() => w.Registry.ReportAsync(w.G.RivalStaff, project.Id, new MonitoringReport(ProjectWorld.H2From, ProjectWorld.H2To, Generation(100)), [], "",
            default), StepStatus.NotApplicant, "another developer's");
        var unregistered = await w.ProjectInStateAsync(ProjectWorld.Pv("3201150077777") with { Latitude = 32.5m }, "submitted");
        await w.RefusedAsync(() => w.ReportAsync(unregistered.Id, ProjectWorld.H1From, ProjectWorld.H1To, Generation(100)), StepStatus.Conflict, "only registered projects");
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task A_reversal_is_refused_for_a_reduction_project_and_an_empty_buffer(StoreKind kind)
    {
        await using var w = await ProjectWorld.CreateAsync(kind);
        var pv = await w.ProjectInStateAsync(ProjectWorld.Pv());
        await w.RefusedAsync(() => w.Registry.ReportReversalAsync(pv.Id, 1_000, "k", GovernanceWorld.PlatformOperator, "", [], default), StepStatus.Conflict, "only carbon sinks");
        var forest = await w.ProjectInStateAsync(w.Forestry());
        await w.RefusedAsync(() => w.Registry.ReportReversalAsync(forest.Id, 1_000, "k", GovernanceWorld.PlatformOperator, "山火", [w.G.Report], default), StepStatus.Conflict,
            "holds no grams");
        await w.RefusedAsync(() => w.Registry.ReportReversalAsync(forest.Id, 0, "k", GovernanceWorld.PlatformOperator, "山火", [w.G.Report], default), StepStatus.Invalid,
            "positive");
    }

    [PostgresFact]
    public async Task Concurrent_issuances_of_one_period_make_one_batch_and_one_transaction()
    {
        await using var w = await ProjectWorld.CreateAsync(StoreKind.Postgres);
        var project = await w.ProjectInStateAsync(ProjectWorld.Pv());
        var period = await w.PeriodInStateAsync(project.Id, ProjectWorld.H1From, ProjectWorld.H1To, Generation(300));
        var (head, _) = await w.Store.GetHeadAsync();
        var batches = await w.G.CountAsync("batches");
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => w.Registry.IssueAsync(period.Id, GovernanceWorld.Administrator, "", default))));
        Assert.Single(results, r => r.Succeeded);
        Assert.All(results.Where(r => !r.Succeeded), r => Assert.Equal(StepStatus.Refused, r.Status));
        Assert.Equal(head + 1, (await w.Store.GetHeadAsync()).Sequence);
        Assert.Equal(batches + 1, await w.G.CountAsync("batches"));
        Assert.Equal(171_090_000L, await w.BalanceAsync(w.Developer));
        Assert.Single(await w.G.Workflows.HistoryAsync(period.Id, default), e => e.Action == "issue");
    }
}
