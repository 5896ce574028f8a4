using System.Globalization;
using Puhui.Governance;
using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Governance;
using Puhui.Storage.Ingestion;
using Puhui.Storage.Methodologies;
using Puhui.Testing;
using Puhui.Tests.Cli;
using Puhui.Tests.Methodologies;

namespace Puhui.Tests.Governance;

public sealed class GovernanceAuditTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.FromHours(8));

    [Theory]
    [MemberData(nameof(TestStores.All), MemberType = typeof(TestStores))]
    public async Task The_governance_audit_passes_on_real_work_and_names_each_tampered_row(StoreKind kind)
    {
        var clock = new ManualClock(T0);
        await using var store = await TestStores.CreateAsync(kind, clock);
        var library = MethodologyText.LibraryDirectory();
        var methodologies = new MethodologyStore(store.Dialect, clock);
        Assert.True((await methodologies.RegisterAsync(await File.ReadAllTextAsync(Path.Combine(library, "metro.yaml")))).Succeeded);
        var metro = (await store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "org:metro", "深圳地铁", OrganisationRoles.Operator))).Id;
        var institute = (await store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "org:institute", "绿色出行研究院", OrganisationRoles.PublicInstitution))).Id;
        var experts = new ExpertStore(store, clock);
        var pool = new List<long>();
        foreach (var name in new[] { "王", "李", "张" })
            pool.Add((await experts.AddAsync(new NewExpert(name, "南京大学", null, ["transport"], "教授"), "admin:test")).Expert!.Id);

        var scenarios = new ScenarioStore(store, clock);
        var workflows = GovernanceSeeding.Workflows(store, scenarios, clock);
        var running = await GovernanceSeeding.RunScenarioAsync(store, scenarios, metro, new ScenarioDefinition
        {
            Code = "sz-metro", TitleZh = "地铁", TitleEn = "Metro", MethodologyId = "metro", MethodologyVersion = "1.0.0",
        }, clock);
        var scenarioApplication = running.ApplicationId!.Value;

        // A methodology application with a panel, an objection answered, and documents.
        var document = await new DocumentStore(store.Dialect, clock).StoreAsync("note.txt", "text/plain", "编制说明"u8.ToArray(), "account:institute", default);
        var text = (await File.ReadAllTextAsync(Path.Combine(library, "walking.yaml"))).Replace("version: 1.0.0", "version: 1.1.0", StringComparison.Ordinal);
        var submitted = await new MethodologyApplications(workflows).SubmitAsync(new Actor(WorkflowRole.Applicant, "account:institute", institute), text, [document.Sha256], "", default);
        Assert.True(submitted.Succeeded, submitted.Detail);
        var id = submitted.Application!.Id;
        var desk = GovernanceSeeding.PlatformOperator;
        var accepted = await GovernanceSeeding.StepAsync(workflows, id, new Step("accept", Panel: new PanelSpec(["transport"], 3)), desk);
        foreach (var expert in pool)
        {
            await GovernanceSeeding.StepAsync(workflows, id, new Step("opinion", "同意 / pass", Verdict: true),
                new Actor(WorkflowRole.Expert, "expert:" + expert.ToString(CultureInfo.InvariantCulture), Expert: expert));
        }

        await GovernanceSeeding.StepAsync(workflows, id, new Step("publish", "公示"), desk);
        var objected = await GovernanceSeeding.StepAsync(workflows, id, new Step("object", "请说明 / please explain", ObjectorName: "市民"), new Actor(WorkflowRole.Public, "public"));
        var objection = (await workflows.ObjectionsAsync(id, default)).Single();
        await GovernanceSeeding.StepAsync(workflows, id, new Step("answer-objection", "已说明 / explained", ObjectionId: objection.Id, ObjectionUpheld: false), desk);

        var clean = await GovernanceAudit.RunAsync(store);
        Assert.True(clean.Passed, string.Join('\n', clean.Problems));
        Assert.Equal((2L, 1L, 3L), (clean.Applications, clean.Objections, clean.Opinions));
        var entries = clean.Entries;
        Assert.True(entries >= 12, $"{entries} entries");

        // Each change is committed, must be named by the audit, and is then put back.
        await Tampered($"UPDATE governance_log SET comment = 'rewritten' WHERE seq = {objected.Entry!.Seq}", $"entry {objected.Entry.Seq} (object on application {id}) does not hash",
            $"UPDATE governance_log SET comment = '请说明 / please explain' WHERE seq = {objected.Entry.Seq}");
        await Tampered($"UPDATE governance_log SET actor = 'someone else' WHERE seq = {accepted.Entry!.Seq}", $"entry {accepted.Entry.Seq} (accept on application {id}) does not hash",
            $"UPDATE governance_log SET actor = '{desk.Name}' WHERE seq = {accepted.Entry.Seq}");
        await Tampered($"UPDATE applications SET state = 'filed' WHERE id = {id}", $"application {id}: the log leaves it evaluation, the row says filed",
            $"UPDATE applications SET state = 'evaluation' WHERE id = {id}");
        await Tampered($"UPDATE objections SET outcome = 1 WHERE id = {objection.Id}", $"objection {objection.Id}: its answer is not what entry",
            $"UPDATE objections SET outcome = 2 WHERE id = {objection.Id}");
        await Tampered($"UPDATE opinions SET comment = 'changed' WHERE expert_id = {pool[0]}", $"opinion of expert:{pool[0]} on application {id}",
            $"UPDATE opinions SET comment = '同意 / pass' WHERE expert_id = {pool[0]}");
        await Tampered($"UPDATE scenarios SET status = {(int)ScenarioStatus.Suspended} WHERE application_id = {scenarioApplication}",
            $"application {scenarioApplication}: running, but its scenario is suspended",
            $"UPDATE scenarios SET status = {(int)ScenarioStatus.Running} WHERE application_id = {scenarioApplication}");
        // The last three are not put back: each is checked with the ones before it still in place.
        await Tampered($"UPDATE applications SET payload = '{{}}' WHERE id = {scenarioApplication}", $"application {scenarioApplication}: the payload is not what was submitted", null);
        await Tampered($"DELETE FROM application_documents WHERE application_id = {id}", $"document {document.Sha256}: entry", null);
        // The last entry removed and the head moved back with it: the application's row no longer matches its steps.
        await Tampered($"DELETE FROM governance_log WHERE seq = {entries}", "governance log: the head names entry", null);

        // The CLI says so and exits 1.
        if (kind == StoreKind.Sqlite)
        {
            var audit = await PuhuiProcess.RunAsync("audit", "--db", store.Dialect.Setting);
            Assert.Equal(1, audit.ExitCode);
            Assert.Contains("治理审计失败 / Governance audit failed", audit.Output, StringComparison.Ordinal);
        }

        async Task Tampered(string sql, string expected, string? undo)
        {
            await ExecuteAsync(sql);
            var tampered = await GovernanceAudit.RunAsync(store);
            Assert.False(tampered.Passed, sql);
            Assert.True(tampered.Problems.Any(p => p.Contains(expected, StringComparison.Ordinal)), $"{sql}: expected \"{expected}\" among\n{string.Join('\n', tampered.Problems)}");
            if (undo is null) return;
            await ExecuteAsync(undo);
            Assert.True((await GovernanceAudit.RunAsync(store)).Passed, undo);
        }

        async Task ExecuteAsync(string sql)
        {
            await using var connection = await store.Dialect.OpenAsync(CancellationToken.None);
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            await cmd.ExecuteNonQueryAsync();
        }
    }
}
