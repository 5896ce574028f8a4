using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Puhui.Governance;
using Puhui.Ledger;
using Puhui.Methodologies;
using Puhui.Registry;
using Puhui.Storage.Governance;
using Puhui.Storage.Ledger;
using Puhui.Storage.Methodologies;
using Workflows = Puhui.Governance.Workflows;

namespace Puhui.Storage.Registry;

/// <summary>A project as the registry holds it, with the state of its registration.</summary>
/// <param name="BufferDebt">Grams the project still owes the buffer pool for reversals made good from it.</param>
public sealed record Project(long Id, long ApplicationId, AccountId Developer, ProjectDefinition Definition, string State, long BufferDebt, DateTimeOffset CreatedAt)
{
    public string Code => "PRJ-" + Definition.Region + "-" + Id.ToString("D4", CultureInfo.InvariantCulture);
}

/// <summary>One monitoring period of a project, with its claim, the verifier's figure and, once issued, its batch.</summary>
public sealed record MonitoringPeriod(long ApplicationId, long ProjectId, DateOnly From, DateOnly To, IReadOnlyDictionary<string, decimal> Inputs, long ClaimedGrams,
    long? OwnBufferGrams, long? VerifiedGrams, BatchId? Batch, string? TransactionId, long? IssuedGrams, long? DeveloperGrams, long? BufferGrams, string State);

/// <summary>A reversal: removals lost, and the buffer grams cancelled to make them good.</summary>
public sealed record Reversal(long Id, long ProjectId, long Grams, long CancelledGrams, string TransactionId, DateTimeOffset At, string RequestKey = "");

/// <summary>
/// The project registry (注登系统, DESIGN §8). Projects and monitoring periods move through their governance
/// applications (<see cref="Workflows.Project"/>, <see cref="Workflows.MonitoringPeriod"/>); this class submits
/// them, checks what the workflow tables cannot (duplicates, declarations, verifiers' approval and conflicts,
/// overlapping periods), and issues: each issuance is one Issue transaction of one batch per period, appended with
/// the period's <c>issue</c> step in one database transaction, so a period is issued exactly once or not at all.
/// Reversals are made good the same way, by cancelling buffer grams.
/// </summary>
public sealed class ProjectRegistry
{
    public const string IssueKeyPrefix = "issue:application:";
    public const string ReversalKeyPrefix = "reversal:project:";
    public const int RequestKeyLengthMax = 64;

    private readonly WorkflowStore _workflows;
    private readonly LedgerStore _store;

    public ProjectRegistry(WorkflowStore workflows)
    {
        _workflows = workflows ?? throw new ArgumentNullException(nameof(workflows));
        _store = workflows.Ledger;
        workflows.Register(Workflows.Project.Kind, new ProjectEffects());
        workflows.Register(Workflows.MonitoringPeriod.Kind, new PeriodEffects());
    }

    public WorkflowStore WorkflowStore => _workflows;

    // ---- projects ------------------------------------------------------------------------------------

    /// <summary>
    /// Opens a project in draft for its developer. Refused, naming the project it matches, when a declared external
    /// id or the site (type, capacity, location within about 100 m) matches a project the registry holds.
    /// </summary>
    public async Task<StepResult> DraftAsync(Actor developer, ProjectDefinition definition, IReadOnlyList<string> documents, string comment, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(developer);
        ArgumentNullException.ThrowIfNull(definition);
        if (developer.Account is not { } account) throw new ArgumentException("A developer acts for an account.", nameof(developer));
        var organisation = await _store.FindAccountAsync(account, ct);
        if (organisation is not { Kind: AccountKind.Organisation })
            return Refusal(StepStatus.Invalid, $"account {account} is not an organisation: projects are developed by organisations");
        var stored = await new MethodologyStore(_store.Dialect).GetAsync(definition.MethodologyId ?? "", definition.MethodologyVersion ?? "", ct);
        var methodology = stored is { Standing: MethodologyStanding.Filed } ? stored.Load() : null;
        if (definition.Problem(methodology) is { } problem) return Refusal(StepStatus.Invalid, problem);
        if (definition.RelatedParties.Contains(account.Value)) return Refusal(StepStatus.Invalid, "relatedParties names the developer itself");

        var payload = JsonSerializer.Serialize(definition, RegistryJson.Default.ProjectDefinition);
        long? duplicate = null;
        var result = await _workflows.SubmitAsync(Workflows.Project, "project:" + definition.Type.Code() + ":" + definition.Region, definition.NameZh, definition.NameEn,
            developer, organisation.DisplayName, payload, documents, comment,
            async (connection, tx, applicationId, token) =>
            {
                var (problem, existing) = await InsertProjectAsync(connection, tx, applicationId, account, definition, token);
                duplicate = existing;
                return problem;
            }, ct);
        return result with { ConflictsWith = result.Status == StepStatus.Conflict ? duplicate : null };
    }

    /// <summary>
    /// Inserts the project in its application's transaction, holding the governance log's head, so two matching
    /// submissions cannot both pass; or says which project it duplicates.
    /// </summary>
    private async Task<(string? Problem, long? Duplicate)> InsertProjectAsync(DbConnection connection, DbTransaction tx, long applicationId, AccountId developer,
        ProjectDefinition d, CancellationToken ct)
    {
        foreach (var e in d.ExternalIds)
        {
            await using var cmd = Sql.Command(connection, tx, "SELECT project_id FROM project_external_ids WHERE scheme = @s AND external_id = @id")
                .With("@s", e.Scheme).With("@id", e.Id.Trim());
            if (await cmd.ExecuteScalarAsync(ct) is { } found)
            {
                var other = Convert.ToInt64(found, CultureInfo.InvariantCulture);
                return ($"duplicate: {e.Scheme} id {e.Id.Trim()} is declared by project {other}, which the registry holds", other);
            }
        }

        await using (var sites = Sql.Command(connection, tx, """
            SELECT p.id, p.definition FROM projects p JOIN applications a ON a.id = p.application_id
            WHERE p.type = @type AND p.capacity_unit = @unit AND p.capacity = @capacity AND p.latitude_micro BETWEEN @lat0 AND @lat1
              AND a.state NOT IN ('rejected', 'retracted')
            """)
            .With("@type", (int)d.Type).With("@unit", d.CapacityUnit).With("@capacity", d.Capacity)
            .With("@lat0", d.LatitudeMicro - ProjectRules.SiteToleranceMicrodegrees).With("@lat1", d.LatitudeMicro + ProjectRules.SiteToleranceMicrodegrees))
        await using (var r = await sites.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                var other = JsonSerializer.Deserialize(r.GetString(1), RegistryJson.Default.ProjectDefinition)!;
                if (ProjectRules.SameSite(d, other))
                    return (string.Create(CultureInfo.InvariantCulture,
                        $"duplicate: project {r.GetInt64(0)} has the same type and capacity ({other.Capacity} {other.CapacityUnit}) at {other.Latitude}, {other.Longitude}, within about 100 m"),
                        r.GetInt64(0));
            }
        }

        long id;
        await using (var insert = Sql.Command(connection, tx, """
            INSERT INTO projects (application_id, developer_id, type, region, latitude_micro, longitude_micro, capacity, capacity_unit, methodology_id, methodology_version,
                definition, buffer_debt, created_us)
            VALUES (@app, @dev, @type, @region, @lat, @lon, @capacity, @unit, @mid, @mver, @def, 0, @at) RETURNING id
            """)
            .With("@app", applicationId).With("@dev", developer.Value).With("@type", (int)d.Type).With("@region", d.Region).With("@lat", d.LatitudeMicro)
            .With("@lon", d.LongitudeMicro).With("@capacity", d.Capacity).With("@unit", d.CapacityUnit).With("@mid", d.MethodologyId).With("@mver", d.MethodologyVersion)
            .With("@def", JsonSerializer.Serialize(d, RegistryJson.Default.ProjectDefinition)).With("@at", CanonicalEncoding.ToUnixMicroseconds(_workflows.Time.GetUtcNow())))
            id = Convert.ToInt64(await insert.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);

        foreach (var e in d.ExternalIds)
        {
            await using var cmd = Sql.Command(connection, tx, "INSERT INTO project_external_ids (scheme, external_id, project_id) VALUES (@s, @id, @p)")
                .With("@s", e.Scheme).With("@id", e.Id.Trim()).With("@p", id);
            await cmd.ExecuteNonQueryAsync(ct);
        }

        return (null, null);
    }

    public async Task<Project?> GetProjectAsync(long id, CancellationToken ct = default)
    {
        await using var connection = await _store.Dialect.OpenAsync(ct);
        return await FindProjectAsync(connection, null, "p.id = @k", id, ct);
    }

    public async Task<Project?> ProjectOfApplicationAsync(long applicationId, CancellationToken ct = default)
    {
        await using var connection = await _store.Dialect.OpenAsync(ct);
        return await FindProjectAsync(connection, null, "p.application_id = @k", applicationId, ct);
    }

    /// <summary>Projects by id; only registered ones unless <paramref name="includeUnregistered"/>.</summary>
    public async Task<IReadOnlyList<Project>> ListProjectsAsync(bool includeUnregistered = false, CancellationToken ct = default)
    {
        await using var connection = await _store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, ProjectSelect + (includeUnregistered ? "" : " WHERE a.state = 'registered'") + " ORDER BY p.id");
        var list = new List<Project>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(ReadProject(r));
        return list;
    }

    private const string ProjectSelect = "SELECT p.id, p.application_id, p.developer_id, p.definition, a.state, p.buffer_debt, p.created_us FROM projects p JOIN applications a ON a.id = p.application_id";

    private static async Task<Project?> FindProjectAsync(DbConnection connection, DbTransaction? tx, string where, long key, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, tx, ProjectSelect + " WHERE " + where).With("@k", key);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? ReadProject(r) : null;
    }

    private static Project ReadProject(DbDataReader r) => new(r.GetInt64(0), r.GetInt64(1), new AccountId(r.GetInt64(2)),
        JsonSerializer.Deserialize(r.GetString(3), RegistryJson.Default.ProjectDefinition)!, r.GetString(4), r.GetInt64(5), CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(6)));

    // ---- monitoring periods ----------------------------------------------------------------------------

    /// <summary>
    /// Files a monitoring report for a registered project of the developer's. The claim is the project
    /// methodology's reduction from the reported inputs (the project's capacity or area and the period's days are
    /// filled in when the methodology asks for them and the report does not give them). Refused when the period lies
    /// outside the crediting period or overlaps another period that was not rejected or retracted.
    /// </summary>
    public async Task<StepResult> ReportAsync(Actor developer, long projectId, MonitoringReport report, IReadOnlyList<string> documents, string comment, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(developer);
        ArgumentNullException.ThrowIfNull(report);
        var project = await GetProjectAsync(projectId, ct);
        if (project is null) return Refusal(StepStatus.NotFound, $"project {projectId} does not exist");
        if (project.Developer != developer.Account) return Refusal(StepStatus.NotApplicant, $"project {projectId} is another developer's");
        if (project.State != "registered") return Refusal(StepStatus.Conflict, $"project {projectId} is {project.State}: only registered projects report monitoring periods");
        var d = project.Definition;
        if (report.To < report.From) return Refusal(StepStatus.Invalid, "the period ends before it starts");
        if (report.From < d.CreditingFrom || report.To > d.CreditingTo)
            return Refusal(StepStatus.Invalid, $"the period {report.From:yyyy-MM-dd}–{report.To:yyyy-MM-dd} lies outside the crediting period {d.CreditingFrom:yyyy-MM-dd}–{d.CreditingTo:yyyy-MM-dd}");
        if (report.Inputs is null || report.Inputs.Count > MonitoringReport.InputsMax) return Refusal(StepStatus.Invalid, $"at most {MonitoringReport.InputsMax} inputs");
        if (report.To > _workflows.LocalDay(_workflows.Time.GetUtcNow())) return Refusal(StepStatus.Invalid, "the period has not ended yet");

        var methodology = (await new MethodologyStore(_store.Dialect).GetAsync(d.MethodologyId, d.MethodologyVersion, ct))?.Load()
            ?? throw new InvalidOperationException($"Project {projectId}'s methodology {d.MethodologyId} {d.MethodologyVersion} is missing.");
        var (claim, ownBuffer, inputs, problem) = Claim(methodology, d, report);
        if (problem is not null) return Refusal(StepStatus.Invalid, problem);

        var subject = string.Create(CultureInfo.InvariantCulture, $"project:{projectId}:{report.From:yyyy-MM-dd}..{report.To:yyyy-MM-dd}");
        var payload = JsonSerializer.Serialize(new PeriodPayload(projectId, report.From, report.To, inputs, claim, ownBuffer), RegistryJson.Default.PeriodPayload);
        var account = await _store.FindAccountAsync(project.Developer, ct);
        return await _workflows.SubmitAsync(Workflows.MonitoringPeriod, subject, $"{d.NameZh} 监测期 {report.From:yyyy-MM-dd}–{report.To:yyyy-MM-dd}",
            $"{d.NameEn}, monitoring period {report.From:yyyy-MM-dd}–{report.To:yyyy-MM-dd}", developer, account!.DisplayName, payload, documents, comment,
            async (connection, tx, applicationId, token) =>
            {
                await using (var overlap = Sql.Command(connection, tx, """
                    SELECT m.application_id, m.period_from, m.period_to FROM monitoring_periods m JOIN applications a ON a.id = m.application_id
                    WHERE m.project_id = @p AND a.state NOT IN ('rejected', 'retracted') AND m.period_from <= @to AND m.period_to >= @from
                    """).With("@p", projectId).With("@from", WorkflowStore.Day(report.From)).With("@to", WorkflowStore.Day(report.To)))
                await using (var r = await overlap.ExecuteReaderAsync(token))
                {
                    if (await r.ReadAsync(token))
                        return $"the period overlaps monitoring period {r.GetString(1)}–{r.GetString(2)} (application {r.GetInt64(0)}): a reduction is issued once";
                }

                await using var insert = Sql.Command(connection, tx, """
                    INSERT INTO monitoring_periods (application_id, project_id, period_from, period_to, inputs, claimed_grams, own_buffer)
                    VALUES (@app, @p, @from, @to, @inputs, @claim, @own)
                    """)
                    .With("@app", applicationId).With("@p", projectId).With("@from", WorkflowStore.Day(report.From)).With("@to", WorkflowStore.Day(report.To))
                    .With("@inputs", JsonSerializer.Serialize(inputs, RegistryJson.Default.DictionaryStringDecimal)).With("@claim", claim).With("@own", ownBuffer);
                await insert.ExecuteNonQueryAsync(token);
                return null;
            }, ct);
    }

    /// <summary>The methodology's claim for a report: the reduction and, when it computes one, its own buffer, in grams.</summary>
    public static (long Claim, long? OwnBuffer, Dictionary<string, decimal> Inputs, string? Problem) Claim(Methodology methodology, ProjectDefinition project, MonitoringReport report)
    {
        ArgumentNullException.ThrowIfNull(methodology);
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(report);
        var inputs = new Dictionary<string, decimal>(report.Inputs, StringComparer.Ordinal);
        if (methodology.InputIndex("period") >= 0) inputs.TryAdd("period", report.To.DayNumber - report.From.DayNumber + 1);
        foreach (var name in new[] { "capacity", "area" })
        {
            if (methodology.InputIndex(name) >= 0) inputs.TryAdd(name, project.Capacity);
        }

        var missing = methodology.Inputs.Select(i => i.Name).Where(n => !inputs.ContainsKey(n)).ToList();
        if (missing.Count > 0) return (0, null, inputs, "the report lacks the methodology's inputs: " + string.Join(", ", missing));
        var calculation = methodology.Calculate(inputs, report.To);
        if (calculation.Result.Status != CalculationStatus.Accepted) return (0, null, inputs, $"the methodology does not accept the report: {calculation.Result}");
        long? ownBuffer = null;
        if (calculation.Values.FirstOrDefault(v => v.Name == "buffer") is { } buffer && buffer.Unit.TryConversionFactor(Unit.Gram, out var factor))
            ownBuffer = (long)decimal.Floor(buffer.Value * factor);
        return (calculation.Result.Reduction.Value, ownBuffer, inputs, null);
    }

    public async Task<IReadOnlyList<MonitoringPeriod>> PeriodsAsync(long? projectId, CancellationToken ct = default)
    {
        await using var connection = await _store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, PeriodSelect + (projectId is null ? "" : " WHERE m.project_id = @p") + " ORDER BY m.project_id, m.period_from");
        if (projectId is { } p) cmd.With("@p", p);
        var list = new List<MonitoringPeriod>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(ReadPeriod(r));
        return list;
    }

    public async Task<MonitoringPeriod?> PeriodAsync(long applicationId, CancellationToken ct = default)
    {
        await using var connection = await _store.Dialect.OpenAsync(ct);
        return await FindPeriodAsync(connection, null, applicationId, ct);
    }

    private const string PeriodSelect = """
        SELECT m.application_id, m.project_id, m.period_from, m.period_to, m.inputs, m.claimed_grams, m.own_buffer, m.verified_grams, m.batch_id, m.tx_id, m.issued_grams,
            m.developer_grams, m.buffer_grams, a.state FROM monitoring_periods m JOIN applications a ON a.id = m.application_id
        """;

    private static async Task<MonitoringPeriod?> FindPeriodAsync(DbConnection connection, DbTransaction? tx, long applicationId, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, tx, PeriodSelect + " WHERE m.application_id = @a").With("@a", applicationId);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? ReadPeriod(r) : null;
    }

    private static MonitoringPeriod ReadPeriod(DbDataReader r) => new(r.GetInt64(0), r.GetInt64(1), WorkflowStore.ParseDay(r.GetString(2)), WorkflowStore.ParseDay(r.GetString(3)),
        JsonSerializer.Deserialize(r.GetString(4), RegistryJson.Default.DictionaryStringDecimal)!, r.GetInt64(5), NullableLong(r, 6), NullableLong(r, 7),
        r.IsDBNull(8) ? null : new BatchId(r.GetInt64(8)), r.IsDBNull(9) ? null : r.GetString(9), NullableLong(r, 10), NullableLong(r, 11), NullableLong(r, 12), r.GetString(13));

    private static long? NullableLong(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);

    // ---- issuance and reversals ------------------------------------------------------------------------

    /// <summary>
    /// Issues an approved monitoring period: one batch (methodology version, class, vintage = the period's last
    /// year, region), one Issue transaction from the reduction issuance account to the developer and the buffer
    /// pool, and the period's <c>issue</c> step, all in one database transaction. A period not approved — not
    /// verified, or already issued — is refused by its workflow and nothing changes.
    /// </summary>
    public async Task<StepResult> IssueAsync(long periodApplicationId, Actor administrator, string comment, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(administrator);
        var calendar = await _workflows.CalendarAsync(ct);
        var unit = new IssueUnit(this, periodApplicationId, administrator, comment ?? "", calendar);
        await _store.AppendWithinAsync(unit, ct);
        return unit.Result ?? throw new InvalidOperationException($"The issuance of application {periodApplicationId} ended without a result.");
    }

    /// <summary>
    /// Records a reversal of a registered sink project (a fire, pests): the lost grams are made good by cancelling
    /// buffer grams — the project's own batches first, then the pool's oldest — and the project owes the pool what
    /// was cancelled, withheld from its later issuances until restored. Idempotent on <paramref name="requestKey"/>.
    /// </summary>
    public async Task<StepResult> ReportReversalAsync(long projectId, long grams, string requestKey, Actor platformOperator, string comment, IReadOnlyList<string> documents,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(platformOperator);
        if (grams <= 0) return Refusal(StepStatus.Invalid, "grams lost must be positive");
        if (string.IsNullOrWhiteSpace(requestKey) || requestKey.Length > RequestKeyLengthMax) return Refusal(StepStatus.Invalid, $"requestKey is 1–{RequestKeyLengthMax} characters");
        var project = await GetProjectAsync(projectId, ct);
        if (project is null) return Refusal(StepStatus.NotFound, $"project {projectId} does not exist");
        if (!project.Definition.Type.IsSink()) return Refusal(StepStatus.Conflict, $"project {projectId} is a {project.Definition.Type.Code()} project: only carbon sinks reverse");
        var calendar = await _workflows.CalendarAsync(ct);
        var unit = new ReversalUnit(this, project, grams, requestKey, platformOperator, comment ?? "", documents ?? [], calendar);
        await _store.AppendWithinAsync(unit, ct);
        return unit.Result ?? throw new InvalidOperationException($"The reversal of project {projectId} ended without a result.");
    }

    public async Task<IReadOnlyList<Reversal>> ReversalsAsync(long? projectId, CancellationToken ct = default)
    {
        await using var connection = await _store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, "SELECT id, project_id, grams, cancelled_grams, tx_id, at_us, request_key FROM project_reversals"
            + (projectId is null ? "" : " WHERE project_id = @p") + " ORDER BY id");
        if (projectId is { } p) cmd.With("@p", p);
        var list = new List<Reversal>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(new Reversal(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetString(4), CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(5)), r.GetString(6)));
        return list;
    }

    private static StepResult Refusal(StepStatus status, string detail) => new(status, null, null, null, detail);

    private sealed class IssueUnit(ProjectRegistry registry, long applicationId, Actor actor, string comment, WorkingDayCalendar calendar) : LedgerStore.IAppendUnit
    {
        private Batch? _batch;
        private IssuanceSplit? _split;
        private Project? _project;

        public StepResult? Result { get; private set; }

        public async Task<IReadOnlyList<Transaction>> PrepareAsync(DbConnection connection, DbTransaction tx, CancellationToken ct)
        {
            Result = null;
            var application = await WorkflowStore.FindAsync(connection, tx, applicationId, ct);
            if (application is null || application.Kind != Workflows.MonitoringPeriod.Kind)
            {
                Result = Refusal(StepStatus.NotFound, $"application {applicationId} is no monitoring period");
                return [];
            }

            var decision = application.Definition.Decide(application.State, "issue", actor.Role, new WorkflowInput(comment, 0), WorkflowFacts.Empty(DateOnly.MinValue));
            if (!decision.Allowed)
            {
                Result = new StepResult(StepStatus.Refused, application, decision, null, decision.Detail);
                return [];
            }

            var period = (await FindPeriodAsync(connection, tx, applicationId, ct))!;
            _project = (await FindProjectAsync(connection, tx, "p.id = @k", period.ProjectId, ct))!;
            var verified = period.VerifiedGrams ?? throw new InvalidOperationException($"Approved period {applicationId} has no verified figure.");
            // A methodology's own buffer follows the figure the verifier certified, in proportion to the claim it was computed for.
            var ownBuffer = period.OwnBufferGrams is { } own && verified != period.ClaimedGrams && period.ClaimedGrams > 0
                ? (long)((Int128)own * verified / period.ClaimedGrams)
                : period.OwnBufferGrams;
            _split = ProjectRules.Split(_project.Definition.Type, verified, ownBuffer, _project.BufferDebt);
            if (_split.Total == 0)
            {
                Result = new StepResult(StepStatus.Conflict, application, decision, null, "the verified figure is 0 g: there is nothing to issue");
                return [];
            }

            var d = _project.Definition;
            var methodology = await new MethodologyStore(registry._store.Dialect).GetAsync(d.MethodologyId, d.MethodologyVersion, ct);
            _batch = await registry._store.CreateBatchWithinAsync(connection, tx, new NewBatch(
                string.Create(CultureInfo.InvariantCulture, $"PRJ{_project.Id}-{period.From:yyyyMMdd}-{period.To:yyyyMMdd}"), BatchOrigin.ProjectPeriod,
                string.Create(CultureInfo.InvariantCulture, $"project:{_project.Id}:application:{applicationId}"), d.MethodologyId, d.MethodologyVersion,
                methodology?.Class ?? MethodologyClass.None, period.To.Year, d.Region), ct);
            var issuance = await registry._store.SystemAccountAsync(SystemAccounts.ReductionIssuance, ct);
            var buffer = await registry._store.SystemAccountAsync(SystemAccounts.Buffer, ct);
            var builder = new TransactionBuilder(TransactionKind.Issue, IssueKeyPrefix + applicationId.ToString(CultureInfo.InvariantCulture), registry._workflows.Time.GetUtcNow(),
                actor.Name) { Reference = "issue:" + _batch.Code };
            if (_split.Developer > 0) builder.MoveGrams(issuance, _project.Developer, _batch.Id, new Grams(_split.Developer));
            if (_split.ToBuffer > 0) builder.MoveGrams(issuance, buffer, _batch.Id, new Grams(_split.ToBuffer));
            return [builder.Build()];
        }

        public async Task CompleteAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<AppendResult> results, CancellationToken ct)
        {
            if (results.Count == 0) return;
            var appended = results[0];
            if (appended.Status != AppendStatus.Committed)
                throw new InvalidOperationException($"The ledger refused issuance {applicationId} ({appended.Status}): {appended.Detail}");
            var txId = appended.Transaction!.Transaction.Id.ToString();
            await using (var update = Sql.Command(connection, tx, """
                UPDATE monitoring_periods SET batch_id = @batch, tx_id = @tx, issued_grams = @total, developer_grams = @dev, buffer_grams = @buffer WHERE application_id = @app
                """)
                .With("@batch", _batch!.Id.Value).With("@tx", txId).With("@total", _split!.Total).With("@dev", _split.Developer).With("@buffer", _split.ToBuffer)
                .With("@app", applicationId))
                await update.ExecuteNonQueryAsync(ct);
            if (_split.Repaid > 0)
            {
                await using var repay = Sql.Command(connection, tx, "UPDATE projects SET buffer_debt = buffer_debt - @repaid WHERE id = @p")
                    .With("@repaid", _split.Repaid).With("@p", _project!.Id);
                await repay.ExecuteNonQueryAsync(ct);
            }

            var step = await registry._workflows.StepInsideAsync(connection, tx, applicationId, new Step("issue", comment, Grams: _split.Total), actor, calendar, ct);
            if (!step.Succeeded) throw new InvalidOperationException($"Issuance {applicationId} was decided but its step was refused: {step.Detail}");
            Result = step with { Application = await WorkflowStore.FindAsync(connection, tx, applicationId, ct) };
        }
    }

    private sealed class ReversalUnit(ProjectRegistry registry, Project project, long grams, string requestKey, Actor actor, string comment, IReadOnlyList<string> documents,
        WorkingDayCalendar calendar) : LedgerStore.IAppendUnit
    {
        private long _cancelled;

        public StepResult? Result { get; private set; }

        public async Task<IReadOnlyList<Transaction>> PrepareAsync(DbConnection connection, DbTransaction tx, CancellationToken ct)
        {
            Result = null;
            var application = (await WorkflowStore.FindAsync(connection, tx, project.ApplicationId, ct))!;
            var decision = application.Definition.Decide(application.State, "report-reversal", actor.Role, new WorkflowInput(comment, documents.Count),
                WorkflowFacts.Empty(DateOnly.MinValue));
            if (!decision.Allowed)
            {
                Result = new StepResult(StepStatus.Refused, application, decision, null, decision.Detail);
                return [];
            }

            var key = ReversalKeyPrefix + project.Id.ToString(CultureInfo.InvariantCulture) + ":" + requestKey;
            await using (var seen = Sql.Command(connection, tx, "SELECT grams FROM project_reversals WHERE project_id = @p AND request_key = @k")
                .With("@p", project.Id).With("@k", requestKey))
            {
                if (await seen.ExecuteScalarAsync(ct) is { } recorded)
                {
                    // A retried report returns the first; the same key for another loss is a mistake the reporter must see.
                    Result = Convert.ToInt64(recorded, CultureInfo.InvariantCulture) == grams
                        ? new StepResult(StepStatus.Done, application, decision, null, $"reversal {requestKey} of project {project.Id} was recorded before")
                        : new StepResult(StepStatus.Conflict, application, decision, null, $"reversal {requestKey} of project {project.Id} was recorded with other grams");
                    return [];
                }
            }

            // The buffer's grams by batch: this project's batches first, then the pool's oldest batches.
            var bufferAccount = await registry._store.SystemAccountAsync(SystemAccounts.Buffer, ct);
            var held = new List<(long Batch, long Grams, bool Own)>();
            await using (var cmd = Sql.Command(connection, tx, """
                SELECT b.batch_id, b.amount, bt.origin_ref FROM balances b JOIN batches bt ON bt.id = b.batch_id
                WHERE b.account_id = @buffer AND b.asset = @co2 AND b.lot_id = 0 AND b.amount > 0 ORDER BY b.batch_id
                """).With("@buffer", bufferAccount.Value).With("@co2", (int)Asset.Co2))
            await using (var r = await cmd.ExecuteReaderAsync(ct))
            {
                var own = "project:" + project.Id.ToString(CultureInfo.InvariantCulture) + ":";
                while (await r.ReadAsync(ct)) held.Add((r.GetInt64(0), r.GetInt64(1), r.GetString(2).StartsWith(own, StringComparison.Ordinal)));
            }

            var cancelledAccount = await registry._store.SystemAccountAsync(SystemAccounts.Cancelled, ct);
            var builder = new TransactionBuilder(TransactionKind.Correct, key, registry._workflows.Time.GetUtcNow(), actor.Name)
            {
                Reference = "reversal:project:" + project.Id.ToString(CultureInfo.InvariantCulture),
            };
            var left = grams;
            _cancelled = 0;
            foreach (var (batch, amount, _) in held.OrderByDescending(h => h.Own).ThenBy(h => h.Batch))
            {
                if (left == 0) break;
                var take = Math.Min(left, amount);
                builder.MoveGrams(bufferAccount, cancelledAccount, new BatchId(batch), new Grams(take));
                left -= take;
                _cancelled += take;
            }

            if (_cancelled == 0)
            {
                Result = new StepResult(StepStatus.Conflict, application, decision, null, "the buffer pool holds no grams to cancel");
                return [];
            }

            return [builder.Build()];
        }

        public async Task CompleteAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<AppendResult> results, CancellationToken ct)
        {
            if (results.Count == 0) return;
            var appended = results[0];
            if (appended.Status != AppendStatus.Committed)
                throw new InvalidOperationException($"The ledger refused reversal {requestKey} of project {project.Id} ({appended.Status}): {appended.Detail}");
            var txId = appended.Transaction!.Transaction.Id.ToString();
            await using (var insert = Sql.Command(connection, tx,
                "INSERT INTO project_reversals (project_id, request_key, grams, cancelled_grams, tx_id, at_us) VALUES (@p, @key, @grams, @cancelled, @tx, @at)")
                .With("@p", project.Id).With("@key", requestKey).With("@grams", grams).With("@cancelled", _cancelled).With("@tx", txId)
                .With("@at", CanonicalEncoding.ToUnixMicroseconds(appended.Transaction.Transaction.OccurredAt)))
                await insert.ExecuteNonQueryAsync(ct);
            await using (var debt = Sql.Command(connection, tx, "UPDATE projects SET buffer_debt = buffer_debt + @c WHERE id = @p").With("@c", _cancelled).With("@p", project.Id))
                await debt.ExecuteNonQueryAsync(ct);
            var step = await registry._workflows.StepInsideAsync(connection, tx, project.ApplicationId, new Step("report-reversal", comment, documents, Grams: grams),
                actor, calendar, ct);
            if (!step.Succeeded) throw new InvalidOperationException($"Reversal {requestKey} was decided but its step was refused: {step.Detail}");
            Result = step with { Application = await WorkflowStore.FindAsync(connection, tx, project.ApplicationId, ct) };
        }
    }

    // ---- effects the workflow store calls inside each step -----------------------------------------------

    /// <summary>Why a verification body may not be assigned to a developer's application, or null: it must be approved (JS 41) and independent (JS 42).</summary>
    private static async Task<string?> VerifierProblemAsync(StepContext context, AccountId developer, IReadOnlyList<long> related, CancellationToken ct)
    {
        var verifier = new AccountId(context.Step.Verifier!.Value);
        if (verifier == developer) return $"verification body {verifier} is the developer itself: it cannot verify its own project (JS 42)";
        if (related.Contains(verifier.Value)) return $"verification body {verifier} is a related party the developer declared: it is not independent (JS 42)";
        var standing = await VerificationBodies.StandingAsync(context.Connection, context.Transaction, verifier, ct);
        return standing.Approved ? null : $"verification body {verifier} is not approved: {standing.Reason}";
    }

    private sealed class ProjectEffects : IApplicationEffects
    {
        public async Task<string?> ApplyAsync(StepContext context, CancellationToken ct)
        {
            var project = (await FindProjectAsync(context.Connection, context.Transaction, "p.application_id = @k", context.Application.Id, ct))!;
            switch (context.Transition.Action)
            {
                case "assign-validation" or "reassign":
                    return await VerifierProblemAsync(context, project.Developer, project.Definition.RelatedParties, ct);
                case "reject" or "refuse-validation" or "retract":
                {
                    // A project that does not stand no longer holds its external ids: it may be submitted again.
                    await using var release = Sql.Command(context.Connection, context.Transaction, "DELETE FROM project_external_ids WHERE project_id = @p").With("@p", project.Id);
                    await release.ExecuteNonQueryAsync(ct);
                    return null;
                }

                case "report-reversal":
                    context.Grams = context.Step.Grams;
                    return context.Step.Grams is > 0 ? null : "a reversal is recorded through the registry, with the grams lost";
                default:
                    return null;
            }
        }
    }

    private sealed class PeriodEffects : IApplicationEffects
    {
        public async Task<string?> ApplyAsync(StepContext context, CancellationToken ct)
        {
            var period = (await FindPeriodAsync(context.Connection, context.Transaction, context.Application.Id, ct))!;
            var project = (await FindProjectAsync(context.Connection, context.Transaction, "p.id = @k", period.ProjectId, ct))!;
            switch (context.Transition.Action)
            {
                case "assign-verification" or "reassign":
                    return await VerifierProblemAsync(context, project.Developer, project.Definition.RelatedParties, ct);
                case "verify":
                {
                    var verified = context.Step.Grams ?? period.ClaimedGrams;
                    if (verified < 0) return "the verified figure cannot be negative";
                    if (context.Step.Grams is not null) context.AdjustedGrams = verified;
                    await using var update = Sql.Command(context.Connection, context.Transaction, "UPDATE monitoring_periods SET verified_grams = @v WHERE application_id = @a")
                        .With("@v", verified).With("@a", period.ApplicationId);
                    await update.ExecuteNonQueryAsync(ct);
                    return null;
                }

                case "issue":
                    // Issued only by IssueAsync, which has appended the period's Issue transaction in this database transaction.
                    if (period.TransactionId is null) return "a period is issued through the registry's issuance, which appends its batch to the ledger";
                    context.TransactionId = period.TransactionId;
                    context.Grams = period.IssuedGrams;
                    return null;
                default:
                    return null;
            }
        }
    }
}

/// <summary>What a monitoring-period application carries.</summary>
public sealed record PeriodPayload(long ProjectId, DateOnly From, DateOnly To, IReadOnlyDictionary<string, decimal> Inputs, long ClaimedGrams, long? OwnBufferGrams);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(ProjectDefinition))]
[JsonSerializable(typeof(PeriodPayload))]
[JsonSerializable(typeof(Dictionary<string, decimal>))]
internal sealed partial class RegistryJson : JsonSerializerContext;
