using System.Globalization;
using System.Text.Json;
using Puhui.Governance;
using Puhui.Ingestion;
using Puhui.Storage.Ledger;
using Puhui.Storage.Methodologies;

namespace Puhui.Storage.Governance;

/// <summary>What <see cref="GovernanceAudit.RunAsync"/> found; no problems when the log and its projections agree.</summary>
public sealed record GovernanceAuditReport(long Entries, long Applications, long Objections, long Opinions, byte[] HeadHash, IReadOnlyList<string> Problems)
{
    public bool Passed => Problems.Count == 0;
}

/// <summary>
/// Checks the governance log and everything derived from it: the chain (sequence from 1 without gaps, every hash
/// recomputed from genesis, the head on the last entry), each application's steps replayed through its workflow
/// table (each step allowed from the state the one before left, the last state, revision, panel, round and payload
/// hash repeated on the row), each objection and opinion against the step that recorded it, each attached
/// document against its step, and the methodology versions and scenario statuses the steps set.
/// </summary>
public static class GovernanceAudit
{
    public static async Task<GovernanceAuditReport> RunAsync(LedgerStore store, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var problems = new AuditProblems();

        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var snapshot = await store.Dialect.BeginSnapshotAsync(connection, ct);

        var entries = new List<GovernanceEntry>();
        await using (var cmd = Sql.Command(connection, snapshot, GovernanceLog.Select + " ORDER BY seq"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct)) entries.Add(GovernanceLog.Read(r));
        }

        // The chain, from genesis.
        var previous = new byte[GovernanceLog.HashBytes];
        long expected = 1;
        foreach (var entry in entries)
        {
            if (entry.Seq != expected) problems.Add($"governance log: entry {entry.Seq} where {expected} was expected");
            expected = entry.Seq + 1;
            var hash = GovernanceLog.ChainHash(previous, entry);
            if (!hash.AsSpan().SequenceEqual(entry.Hash)) problems.Add($"governance log: entry {entry.Seq} ({entry.Action} on application {entry.ApplicationId}) does not hash to its stored hash");
            previous = entry.Hash;
        }

        await using (var head = Sql.Command(connection, snapshot, "SELECT last_seq, last_hash FROM governance_head WHERE id = 1"))
        await using (var r = await head.ExecuteReaderAsync(ct))
        {
            if (!await r.ReadAsync(ct)) problems.Add("governance log: the head row is missing");
            else if (r.GetInt64(0) != entries.Count || !((byte[])r.GetValue(1)).AsSpan().SequenceEqual(previous))
                problems.Add($"governance log: the head names entry {r.GetInt64(0)}, but the log ends at {entries.Count} with another hash");
        }

        // Each application replayed through its workflow.
        var applications = new List<Application>();
        await using (var cmd = Sql.Command(connection, snapshot, WorkflowStore.Select + " ORDER BY id"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct)) applications.Add(WorkflowStore.Read(r));
        }

        var bySeq = entries.ToDictionary(e => e.Seq);
        var byApplication = entries.GroupBy(e => e.ApplicationId).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var application in applications)
        {
            if (!byApplication.TryGetValue(application.Id, out var steps)) { problems.Add($"application {application.Id}: no step on the governance log"); continue; }
            byApplication.Remove(application.Id);
            Replay(application, steps, problems.Add);
        }

        foreach (var orphan in byApplication.Keys) problems.Add($"governance log: steps for application {orphan}, which does not exist");

        var objections = await CheckObjectionsAsync(connection, snapshot, bySeq, problems.Add, ct);
        var opinions = await CheckOpinionsAsync(connection, snapshot, bySeq, problems.Add, ct);
        await CheckDocumentsAsync(connection, snapshot, entries, problems.Add, ct);
        await CheckEffectsAsync(connection, snapshot, applications, problems.Add, ct);
        return new GovernanceAuditReport(entries.Count, applications.Count, objections, opinions, previous, problems);
    }

    private static void Replay(Application application, List<GovernanceEntry> steps, Action<string> problem)
    {
        var workflow = Workflows.Find(application.Kind);
        if (workflow is null) { problem($"application {application.Id}: unknown kind {application.Kind}"); return; }
        var first = steps[0];
        if (first.Action != workflow.OpeningAction || first.From != "" || first.To != workflow.Initial)
            problem($"application {application.Id}: the first step is {first.Action} {first.From}→{first.To}, not its submission");
        var data = Data(first);
        if (data.PayloadSha256 != WorkflowStore.Sha256(application.Payload)) problem($"application {application.Id}: the payload is not what was submitted");

        var state = first.To;
        IReadOnlyList<long> panel = [];
        var round = 0;
        var received = data.ReceivedOn;
        long? assignee = null;
        foreach (var step in steps.Skip(1))
        {
            if (step.Kind != application.Kind) problem($"governance log: entry {step.Seq} is of kind {step.Kind}, its application of {application.Kind}");
            var transition = workflow.Transitions.FirstOrDefault(t => t.Action == step.Action && t.From.Contains(step.From, StringComparer.Ordinal));
            if (step.From != state) problem($"application {application.Id}: entry {step.Seq} moves from {step.From}, but the application was {state}");
            if (transition is null || transition.To != step.To)
                problem($"application {application.Id}: entry {step.Seq} ({step.Action} {step.From}→{step.To}) is not a step of the {workflow.Kind} workflow");
            else if (WorkflowDefinition.RoleCode(transition.Role) != step.Role)
                problem($"application {application.Id}: entry {step.Seq} ({step.Action}) was taken as {step.Role}, not {WorkflowDefinition.RoleCode(transition.Role)}");
            state = step.To;
            var stepData = Data(step);
            if (stepData.Panel is { } drawn) panel = drawn;
            if (stepData.Round is { } r) round = r;
            if (stepData.ReceivedOn is { } on) received = on;
            if (stepData.Verifier is { } verifier) assignee = verifier;
        }

        if (state != application.State) problem($"application {application.Id}: the log leaves it {state}, the row says {application.State}");
        if (application.Revision != steps.Count) problem($"application {application.Id}: revision {application.Revision} after {steps.Count} steps");
        if (!panel.SequenceEqual(application.Panel)) problem($"application {application.Id}: the row's panel is not the one the log drew");
        if (assignee != application.Assignee?.Value) problem($"application {application.Id}: assigned to {application.Assignee?.Value.ToString(CultureInfo.InvariantCulture) ?? "no one"}, the log says {assignee?.ToString(CultureInfo.InvariantCulture) ?? "no one"}");
        if (round != application.Round) problem($"application {application.Id}: round {application.Round}, the log says {round}");
        if (received != WorkflowStore.Day(application.ReceivedOn)) problem($"application {application.Id}: received on {WorkflowStore.Day(application.ReceivedOn)}, the log says {received}");
    }

    private static async Task<long> CheckObjectionsAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction snapshot, Dictionary<long, GovernanceEntry> bySeq,
        Action<string> problem, CancellationToken ct)
    {
        long count = 0;
        var lodged = bySeq.Values.Where(e => e.Action == "object").Select(e => Data(e).ObjectionId).ToHashSet();
        await using var cmd = Sql.Command(connection, snapshot, "SELECT id, application_id, lodged_seq, text, outcome, response, answered_seq, lodged_by FROM objections ORDER BY id");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            count++;
            var (id, app, outcome) = (r.GetInt64(0), r.GetInt64(1), (ObjectionOutcome)r.GetInt64(4));
            lodged.Remove(id);
            if (!bySeq.TryGetValue(r.GetInt64(2), out var entry) || entry.Action != "object" || entry.ApplicationId != app || Data(entry).ObjectionId != id
                || entry.Comment != r.GetString(3) || Data(entry).Objector != r.GetString(7))
                problem($"objection {id}: not what entry {r.GetInt64(2)} of the governance log lodged");
            if (r.IsDBNull(6) != (outcome == ObjectionOutcome.Open)) { problem($"objection {id}: outcome {outcome} disagrees with its answer"); continue; }
            if (r.IsDBNull(6)) continue;
            var answer = bySeq.GetValueOrDefault(r.GetInt64(6));
            if (answer is null || answer.Action != "answer-objection" || answer.ApplicationId != app || Data(answer).ObjectionId != id || answer.Comment != r.GetString(5)
                || Data(answer).ObjectionUpheld != (outcome == ObjectionOutcome.Upheld))
                problem($"objection {id}: its answer is not what entry {r.GetInt64(6)} of the governance log recorded");
        }

        foreach (var missing in lodged) problem($"objection {missing}: lodged on the governance log but missing");
        return count;
    }

    private static async Task<long> CheckOpinionsAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction snapshot, Dictionary<long, GovernanceEntry> bySeq,
        Action<string> problem, CancellationToken ct)
    {
        long count = 0;
        var given = bySeq.Values.Where(e => e.Action == "opinion").Select(e => e.Seq).ToHashSet();
        await using var cmd = Sql.Command(connection, snapshot, "SELECT application_id, round, expert_id, passed, comment, seq FROM opinions ORDER BY seq");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            count++;
            var seq = r.GetInt64(5);
            given.Remove(seq);
            var expert = "expert:" + r.GetInt64(2).ToString(CultureInfo.InvariantCulture);
            if (!bySeq.TryGetValue(seq, out var entry) || entry.Action != "opinion" || entry.ApplicationId != r.GetInt64(0) || entry.Actor != expert
                || entry.Comment != r.GetString(4) || Data(entry).Verdict != r.GetBoolean(3))
                problem($"opinion of {expert} on application {r.GetInt64(0)} (round {r.GetInt64(1)}): not what entry {seq} of the governance log recorded");
        }

        foreach (var missing in given) problem($"governance log: the opinion of entry {missing} is missing");
        return count;
    }

    private static async Task CheckDocumentsAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction snapshot, List<GovernanceEntry> entries,
        Action<string> problem, CancellationToken ct)
    {
        var attached = entries.SelectMany(e => e.Documents.Distinct(StringComparer.Ordinal).Select(d => (e.ApplicationId, d, e.Seq))).ToHashSet();
        await using var cmd = Sql.Command(connection, snapshot, "SELECT application_id, sha256, seq FROM application_documents");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            if (!attached.Remove((r.GetInt64(0), r.GetString(1), r.GetInt64(2))))
                problem($"document {r.GetString(1)}: attached to application {r.GetInt64(0)} by entry {r.GetInt64(2)}, which did not attach it");
        }

        foreach (var (app, sha, seq) in attached) problem($"document {sha}: entry {seq} attached it to application {app}, but the attachment is missing");
    }

    private static async Task CheckEffectsAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction snapshot, List<Application> applications,
        Action<string> problem, CancellationToken ct)
    {
        var versions = new Dictionary<long, MethodologyStanding>();
        await using (var cmd = Sql.Command(connection, snapshot, "SELECT application_id, status FROM methodology_versions WHERE application_id IS NOT NULL"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct)) versions[r.GetInt64(0)] = (MethodologyStanding)r.GetInt64(1);
        }

        var scenarios = new Dictionary<long, ScenarioStatus>();
        await using (var cmd = Sql.Command(connection, snapshot, "SELECT application_id, status FROM scenarios WHERE application_id IS NOT NULL"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct)) scenarios[r.GetInt64(0)] = (ScenarioStatus)r.GetInt64(1);
        }

        foreach (var a in applications)
        {
            if (a.Kind == Workflows.Methodology.Kind)
            {
                MethodologyStanding? standing = a.State switch
                {
                    "filed" => MethodologyStanding.Filed,
                    "revised" => MethodologyStanding.Revised,
                    "withdrawn" => MethodologyStanding.Withdrawn,
                    _ => null,
                };
                var stored = versions.TryGetValue(a.Id, out var s) ? s : (MethodologyStanding?)null;
                if (stored != standing)
                    problem($"application {a.Id}: {a.State}, but its methodology version is {(stored is null ? "not stored" : StoredMethodology.Code(stored.Value))}");
            }
            else if (a.Kind == Workflows.Scenario.Kind)
            {
                var status = scenarios.TryGetValue(a.Id, out var st) ? st.Code() : "missing";
                if (status != a.State) problem($"application {a.Id}: {a.State}, but its scenario is {status}");
            }
        }
    }

    private static StepData Data(GovernanceEntry entry)
    {
        try
        {
            return JsonSerializer.Deserialize(entry.Data, GovernanceJson.Default.StepData) ?? new StepData();
        }
        catch (JsonException)
        {
            return new StepData();
        }
    }
}
