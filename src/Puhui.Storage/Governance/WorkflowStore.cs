using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Puhui.Governance;
using Puhui.Ledger;
using Puhui.Storage.Ledger;

namespace Puhui.Storage.Governance;

/// <summary>What a kind-specific effect sees: the open transaction, the application before the step, the step and its actor.</summary>
public sealed class StepContext
{
    internal StepContext(DbConnection connection, DbTransaction transaction, Application application, WorkflowTransition transition, Step step, Actor actor,
        DateTimeOffset at, DateOnly today, WorkflowStore store)
    {
        Connection = connection;
        Transaction = transaction;
        Application = application;
        Transition = transition;
        Step = step;
        Actor = actor;
        At = at;
        Today = today;
        Store = store;
    }

    public DbConnection Connection { get; }
    public DbTransaction Transaction { get; }
    public Application Application { get; }
    public WorkflowTransition Transition { get; }
    public Step Step { get; }
    public Actor Actor { get; }
    public DateTimeOffset At { get; }
    public DateOnly Today { get; }
    internal WorkflowStore Store { get; }
    internal (long Seq, byte[] Hash) Head { get; set; }
    internal List<GovernanceEntry> Entries { get; } = [];
    internal string? Note { get; set; }

    /// <summary>What the kind's effect records on the step's log entry: a verifier's adjusted figure, the ledger transaction it relies on, a quantity.</summary>
    public long? AdjustedGrams { get; set; }
    public string? TransactionId { get; set; }
    public long? Grams { get; set; }
    public long? RetirementId { get; set; }
    public string? CertificateCode { get; set; }
}

/// <summary>Kind-specific work a step does inside its transaction: filing a methodology version, moving a scenario's status.</summary>
public interface IApplicationEffects
{
    /// <summary>Does the work of <paramref name="context"/>'s step; returns why it cannot be done (nothing is then written), or null.</summary>
    Task<string?> ApplyAsync(StepContext context, CancellationToken ct);
}

/// <summary>Draws a panel inside the step's transaction: the recorded draw's id and members, or why the pool cannot seat it.</summary>
public delegate Task<(long? DrawId, IReadOnlyList<long> Panel, string? Shortfall)> PanelDrawer(DbConnection connection, DbTransaction transaction, Application application,
    PanelSpec spec, string actor, long atMicroseconds, CancellationToken ct);

/// <summary>
/// Applications and their steps. Each step is decided by the application's workflow table, then done in one
/// database transaction that holds the governance log's head: the kind's effects, the application row (under a
/// compare-and-set on its revision), objections, opinions, attached documents and the log entry. A refused step
/// writes nothing.
/// </summary>
public sealed class WorkflowStore(LedgerStore store, Func<CancellationToken, Task<WorkingDayCalendar>> calendar, TimeProvider time, PanelDrawer drawPanel,
    TimeSpan? localOffset = null)
{
    public const int TitleLengthMax = 200;
    public const int PayloadLengthMax = 256 * 1024;
    public const int ListMax = 500;

    private readonly TimeSpan _offset = localOffset ?? TimeSpan.FromHours(8);
    private readonly Dictionary<string, IApplicationEffects> _effects = new(StringComparer.Ordinal);

    public LedgerStore Ledger => store;

    public TimeProvider Time => time;

    /// <summary>Registers the effects of one workflow kind; called once per kind when the host is built.</summary>
    public void Register(string kind, IApplicationEffects effects) => _effects[kind] = effects;

    /// <summary>The local day (UTC+8 by default) of an instant: deadlines are counted in local days.</summary>
    public DateOnly LocalDay(DateTimeOffset at) => DateOnly.FromDateTime(at.ToOffset(_offset).DateTime);

    public Task<WorkingDayCalendar> CalendarAsync(CancellationToken ct) => calendar(ct);

    /// <summary>
    /// Files a new application in its workflow's initial state, received today. <paramref name="onSubmit"/> runs in
    /// the same transaction with the new application's id (e.g. to reserve a scenario code) and may refuse it.
    /// </summary>
    public async Task<StepResult> SubmitAsync(WorkflowDefinition workflow, string subject, string titleZh, string titleEn, Actor applicant, string applicantName,
        string payload, IReadOnlyList<string> documents, string comment, Func<DbConnection, DbTransaction, long, CancellationToken, Task<string?>>? onSubmit,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        ArgumentNullException.ThrowIfNull(applicant);
        if (applicant.Account is not { } account || applicant.Role != WorkflowRole.Applicant)
            throw new ArgumentException("An application is submitted by its applicant, acting for an account.", nameof(applicant));
        if (string.IsNullOrWhiteSpace(titleZh) || titleZh.Length > TitleLengthMax || string.IsNullOrWhiteSpace(titleEn) || titleEn.Length > TitleLengthMax)
            return Refused(StepStatus.Invalid, $"titles are 1–{TitleLengthMax} characters in both languages");
        if (payload.Length > PayloadLengthMax) return Refused(StepStatus.Invalid, $"an application is at most {PayloadLengthMax / 1024} KiB");
        if (documents.Count > Step.DocumentsMax) return Refused(StepStatus.Invalid, $"at most {Step.DocumentsMax} documents per step");
        if (comment.Length > WorkflowDefinition.CommentLengthMax) return Refused(StepStatus.Invalid, $"a comment is at most {WorkflowDefinition.CommentLengthMax} characters");
        var calendarNow = await calendar(ct);

        await using var connection = await store.Dialect.OpenAsync(ct);
        using var writer = await store.Dialect.EnterWriterAsync(ct);
        var (tx, seq, hash) = await GovernanceLog.BeginAsync(store.Dialect, connection, ct);
        await using (tx)
        {
            // The clock is read holding the log's head, so entries' times never run backwards along the chain.
            var at = time.GetUtcNow();
            var today = LocalDay(at);
            var due = workflow.State(workflow.Initial).Deadline?.DueOn(calendarNow, today, today, null);
            var nowUs = CanonicalEncoding.ToUnixMicroseconds(at);
            if (await MissingDocumentAsync(connection, tx, documents, ct) is { } missing)
                return Refused(StepStatus.DocumentMissing, $"document {missing} is not stored; upload it first");
            long id;
            await using (var insert = Sql.Command(connection, tx, """
                INSERT INTO applications (kind, subject, title_zh, title_en, applicant_id, applicant_name, state, received_on, entered_on, due_on, panel_draw_id, panel,
                    round, payload, revision, created_us, updated_us)
                VALUES (@kind, @subject, @zh, @en, @applicant, @name, @state, @today, @today, @due, NULL, '[]', 0, @payload, 1, @now, @now) RETURNING id
                """)
                .With("@kind", workflow.Kind).With("@subject", subject).With("@zh", titleZh).With("@en", titleEn).With("@applicant", account.Value)
                .With("@name", applicantName).With("@state", workflow.Initial).With("@today", Day(today)).With("@due", due is { } d ? Day(d) : null)
                .With("@payload", payload).With("@now", nowUs))
                id = Convert.ToInt64(await insert.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);

            if (onSubmit is not null && await onSubmit(connection, tx, id, ct) is { } problem)
            {
                await tx.RollbackAsync(ct);
                return Refused(StepStatus.Conflict, problem);
            }

            var data = new StepData { PayloadSha256 = Sha256(payload), ReceivedOn = Day(today), DueOn = due is { } dd ? Day(dd) : null };
            var entry = await GovernanceLog.AppendAsync(connection, tx, (seq, hash), at, id, workflow.Kind, workflow.OpeningAction, applicant.Name, WorkflowDefinition.RoleCode(applicant.Role),
                "", workflow.Initial, comment, documents, Json(data), ct);
            await AttachAsync(connection, tx, id, documents, entry.Seq, ct);
            await tx.CommitAsync(ct);
            return new StepResult(StepStatus.Done, await GetAsync(id, ct), null, entry, null);
        }
    }

    /// <summary>Takes one step on an application, or says why not; a refused step changes nothing.</summary>
    public async Task<StepResult> ActAsync(long applicationId, Step step, Actor actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(actor);
        var documents = step.Documents ?? [];
        if (documents.Count > Step.DocumentsMax) return Refused(StepStatus.Invalid, $"at most {Step.DocumentsMax} documents per step");
        if (step.ObjectorName is { Length: > Step.ObjectorNameLengthMax }) return Refused(StepStatus.Invalid, $"a name is at most {Step.ObjectorNameLengthMax} characters");
        var calendarNow = await calendar(ct);

        await using var connection = await store.Dialect.OpenAsync(ct);
        using var writer = await store.Dialect.EnterWriterAsync(ct);
        var (tx, seq, hash) = await GovernanceLog.BeginAsync(store.Dialect, connection, ct);
        await using (tx)
        {
            var application = await FindAsync(connection, tx, applicationId, ct);
            if (application is null) return Refused(StepStatus.NotFound, $"application {applicationId} does not exist");
            var at = time.GetUtcNow();
            var context = new StepContext(connection, tx, application, null!, step, actor, at, LocalDay(at), this) { Head = (seq, hash) };
            var result = await StepWithinAsync(context, application, step, actor, calendarNow, ct);
            if (!result.Succeeded)
            {
                await tx.RollbackAsync(ct);
                return result;
            }

            await tx.CommitAsync(ct);
            return result with { Application = await GetAsync(applicationId, ct) };
        }
    }

    /// <summary>
    /// Takes a step inside a ledger append's transaction (the ledger's write lock held, then the governance log's
    /// head): an issuance or a reversal and its step commit together or not at all. The caller commits or rolls back;
    /// <paramref name="calendarNow"/> is read before the append, since reading it may write.
    /// </summary>
    internal async Task<StepResult> StepInsideAsync(DbConnection connection, DbTransaction tx, long applicationId, Step step, Actor actor, WorkingDayCalendar calendarNow,
        CancellationToken ct)
    {
        var head = await GovernanceLog.HoldHeadAsync(store.Dialect, connection, tx, ct);
        var application = await FindAsync(connection, tx, applicationId, ct);
        if (application is null) return Refused(StepStatus.NotFound, $"application {applicationId} does not exist");
        var at = time.GetUtcNow();
        var context = new StepContext(connection, tx, application, null!, step, actor, at, LocalDay(at), this) { Head = head };
        return await StepWithinAsync(context, application, step, actor, calendarNow, ct);
    }

    /// <summary>
    /// Takes a step on another application inside the running step's transaction, on the same log: a filed
    /// revision supersedes the version before it. Refusals come back as they would from <see cref="ActAsync"/>.
    /// </summary>
    public async Task<StepResult> CascadeAsync(StepContext context, long applicationId, Step step, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var other = await FindAsync(context.Connection, context.Transaction, applicationId, ct);
        if (other is null) return Refused(StepStatus.NotFound, $"application {applicationId} does not exist");
        var nested = new StepContext(context.Connection, context.Transaction, other, null!, step, context.Actor, context.At, context.Today, this) { Head = context.Head };
        var result = await StepWithinAsync(nested, other, step, context.Actor, await calendar(ct), ct);
        context.Head = nested.Head;
        return result;
    }

    private async Task<StepResult> StepWithinAsync(StepContext seed, Application application, Step step, Actor actor, WorkingDayCalendar calendarNow, CancellationToken ct)
    {
        var connection = seed.Connection;
        var tx = seed.Transaction;
        var documents = step.Documents ?? [];
        var workflow = application.Definition;
        var today = seed.Today;
        var opinions = await OpinionsAsync(connection, tx, application.Id, application.Round, ct);
        var openObjections = await CountOpenObjectionsAsync(connection, tx, application.Id, ct);
        var facts = new WorkflowFacts(today, application.State == "public-notice" ? application.DueOn : null, application.Panel,
            opinions.ToDictionary(o => o.Expert, o => o.Passed), openObjections, actor.Expert, application.Assignee?.Value, actor.Account?.Value);
        var input = new WorkflowInput(step.Comment ?? "", documents.Count, step.Verdict, step.RectificationDays, step.ObjectionUpheld, step.Verifier);
        var decision = workflow.Decide(application.State, step.Action, actor.Role, input, facts);
        if (!decision.Allowed) return new StepResult(StepStatus.Refused, application, decision, null, decision.Detail);
        var transition = decision.Transition!;
        if (transition.Role == WorkflowRole.Applicant && actor.Account != application.Applicant)
            return new StepResult(StepStatus.NotApplicant, application, decision, null, $"only the applicant ({application.ApplicantName}) takes {step.Action}");
        if (await MissingDocumentAsync(connection, tx, documents, ct) is { } missing)
            return new StepResult(StepStatus.DocumentMissing, application, decision, null, $"document {missing} is not stored; upload it first");

        var context = new StepContext(connection, tx, application, transition, step, actor, seed.At, today, this) { Head = seed.Head };
        var nowUs = CanonicalEncoding.ToUnixMicroseconds(seed.At);
        var data = new StepData();
        var round = application.Round;
        var panel = application.Panel;
        var drawId = application.PanelDrawId;

        if (transition.Effects.HasFlag(WorkflowEffects.DrawPanel))
        {
            if (step.Panel is { } spec)
            {
                var drawn = await drawPanel(connection, tx, application, spec, actor.Name, nowUs, ct);
                if (drawn.Shortfall is { } shortfall) return new StepResult(StepStatus.PanelShortfall, application, decision, null, shortfall);
                drawId = drawn.DrawId;
                panel = drawn.Panel;
                round++;
            }
            else if (!transition.Effects.HasFlag(WorkflowEffects.PanelOptional))
            {
                return new StepResult(StepStatus.Refused, application, decision with { Transition = null, Refusal = WorkflowRefusal.MissingInput }, null,
                    "this step draws an expert panel: give panel.fields and panel.size");
            }
        }

        if (transition.Effects.HasFlag(WorkflowEffects.NewRound) && round == application.Round) round++;
        if (transition.Effects.HasFlag(WorkflowEffects.RecordOpinion))
        {
            await using var insert = Sql.Command(connection, tx, """
                INSERT INTO opinions (application_id, round, expert_id, passed, comment, seq, at_us) VALUES (@app, @round, @expert, @passed, @comment, @seq, @at)
                """)
                .With("@app", application.Id).With("@round", round).With("@expert", actor.Expert!.Value).With("@passed", step.Verdict!.Value)
                .With("@comment", step.Comment).With("@seq", context.Head.Seq + 1).With("@at", nowUs);
            await insert.ExecuteNonQueryAsync(ct);
            data = data with { Verdict = step.Verdict };
        }

        if (transition.Effects.HasFlag(WorkflowEffects.LodgeObjection))
        {
            var objector = string.IsNullOrWhiteSpace(step.ObjectorName) ? "匿名 / anonymous" : step.ObjectorName.Trim();
            await using var insert = Sql.Command(connection, tx, """
                INSERT INTO objections (application_id, lodged_seq, lodged_us, lodged_by, text, outcome, response, answered_seq, answered_us)
                VALUES (@app, @seq, @at, @by, @text, 0, '', NULL, NULL) RETURNING id
                """)
                .With("@app", application.Id).With("@seq", context.Head.Seq + 1).With("@at", nowUs).With("@by", objector).With("@text", step.Comment);
            var objectionId = Convert.ToInt64(await insert.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
            data = data with { ObjectionId = objectionId, Objector = objector };
        }

        if (transition.Effects.HasFlag(WorkflowEffects.AnswerObjection))
        {
            if (step.ObjectionId is not { } objectionId)
            {
                return new StepResult(StepStatus.Refused, application, decision with { Transition = null, Refusal = WorkflowRefusal.MissingInput }, null,
                    "give objectionId: the objection this answers");
            }
            await using var update = Sql.Command(connection, tx, """
                UPDATE objections SET outcome = @outcome, response = @response, answered_seq = @seq, answered_us = @at
                WHERE id = @id AND application_id = @app AND outcome = 0
                """)
                .With("@outcome", step.ObjectionUpheld == true ? (int)ObjectionOutcome.Upheld : (int)ObjectionOutcome.Dismissed).With("@response", step.Comment)
                .With("@seq", context.Head.Seq + 1).With("@at", nowUs).With("@id", objectionId).With("@app", application.Id);
            if (await update.ExecuteNonQueryAsync(ct) == 0) return Refused(StepStatus.Conflict, application, decision, $"objection {objectionId} is not an open objection to this application");
            data = data with { ObjectionId = objectionId, ObjectionUpheld = step.ObjectionUpheld };
        }

        var assignee = application.Assignee;
        if (transition.Effects.HasFlag(WorkflowEffects.AssignVerifier))
        {
            assignee = new AccountId(step.Verifier!.Value);
            data = data with { Verifier = step.Verifier };
        }

        if (_effects.TryGetValue(workflow.Kind, out var effects) && await effects.ApplyAsync(context, ct) is { } refusal)
            return Refused(StepStatus.Conflict, application, decision, refusal);

        var receivedOn = transition.Receipt ? today : application.ReceivedOn;
        var stateChanged = transition.To != application.State;
        var enteredOn = stateChanged ? today : application.EnteredOn;
        DateOnly? due = application.DueOn;
        var deadline = workflow.State(transition.To).Deadline;
        if (stateChanged || transition.Receipt)
            due = deadline?.DueOn(calendarNow, receivedOn, enteredOn, step.RectificationDays);
        if (step.RectificationDays is { } days && transition.Inputs.HasFlag(WorkflowInputs.RectificationDays)) data = data with { RectificationDays = days };
        data = data with
        {
            Round = round != application.Round ? round : null,
            PanelDrawId = drawId != application.PanelDrawId ? drawId : null,
            Panel = drawId != application.PanelDrawId ? panel : null,
            ReceivedOn = transition.Receipt ? Day(receivedOn) : null,
            DueOn = due != application.DueOn || stateChanged ? due is { } d ? Day(d) : "" : null,
            Note = context.Note,
            AdjustedGrams = context.AdjustedGrams,
            TransactionId = context.TransactionId,
            Grams = context.Grams,
            RetirementId = context.RetirementId,
            CertificateCode = context.CertificateCode,
        };

        await using (var update = Sql.Command(connection, tx, """
            UPDATE applications SET state = @state, received_on = @received, entered_on = @entered, due_on = @due, panel_draw_id = @draw, panel = @panel, round = @round,
                assignee = @assignee, revision = revision + 1, updated_us = @now
            WHERE id = @id AND revision = @revision
            """)
            .With("@assignee", assignee?.Value)
            .With("@state", transition.To).With("@received", Day(receivedOn)).With("@entered", Day(enteredOn)).With("@due", due is { } dd ? Day(dd) : null)
            .With("@draw", drawId).With("@panel", JsonSerializer.Serialize(panel, GovernanceJson.Default.IReadOnlyListInt64)).With("@round", round).With("@now", nowUs)
            .With("@id", application.Id).With("@revision", application.Revision))
        {
            if (await update.ExecuteNonQueryAsync(ct) != 1)
                throw new InvalidOperationException($"Application {application.Id} changed while its step held the governance log.");
        }

        var entry = await GovernanceLog.AppendAsync(connection, tx, context.Head, seed.At, application.Id, workflow.Kind, transition.Action, actor.Name,
            WorkflowDefinition.RoleCode(actor.Role), application.State, transition.To, step.Comment ?? "", documents, Json(data), ct);
        await AttachAsync(connection, tx, application.Id, documents, entry.Seq, ct);
        seed.Head = (entry.Seq, entry.Hash);
        return new StepResult(StepStatus.Done, application, decision, entry, null);
    }

    private static StepResult Refused(StepStatus status, string detail) => new(status, null, null, null, detail);

    private static StepResult Refused(StepStatus status, Application application, WorkflowDecision decision, string detail) => new(status, application, decision, null, detail);

    public async Task<Application?> GetAsync(long id, CancellationToken ct)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        return await FindAsync(connection, null, id, ct);
    }

    /// <summary>Applications, newest first, optionally of one kind, in some states, of one applicant, or only open ones.</summary>
    public async Task<IReadOnlyList<Application>> ListAsync(string? kind = null, IReadOnlyList<string>? states = null, AccountId? applicant = null, bool openOnly = false,
        string? subject = null, int limit = ListMax, CancellationToken ct = default)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        var where = new List<string>();
        await using var cmd = Sql.Command(connection, null, "");
        if (kind is not null) { where.Add("kind = @kind"); cmd.With("@kind", kind); }
        if (subject is not null) { where.Add("subject = @subject"); cmd.With("@subject", subject); }
        if (applicant is { } a) { where.Add("applicant_id = @applicant"); cmd.With("@applicant", a.Value); }
        if (states is { Count: > 0 })
        {
            var names = states.Select((s, i) => "@s" + i.ToString(CultureInfo.InvariantCulture)).ToList();
            where.Add($"state IN ({string.Join(", ", names)})");
            for (var i = 0; i < states.Count; i++) cmd.With(names[i], states[i]);
        }

        cmd.CommandText = Select + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") + " ORDER BY id DESC";
        var list = new List<Application>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct) && list.Count < Math.Clamp(limit, 1, ListMax))
        {
            var application = Read(r);
            if (!openOnly || application.IsOpen) list.Add(application);
        }

        return list;
    }

    public Task<IReadOnlyList<GovernanceEntry>> HistoryAsync(long applicationId, CancellationToken ct) => GovernanceLog.ForApplicationAsync(store.Dialect, applicationId, ct);

    public async Task<IReadOnlyList<Objection>> ObjectionsAsync(long? applicationId, CancellationToken ct)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null,
            "SELECT id, application_id, lodged_us, lodged_by, text, outcome, response, answered_us FROM objections"
            + (applicationId is null ? "" : " WHERE application_id = @app") + " ORDER BY id");
        if (applicationId is { } app) cmd.With("@app", app);
        var list = new List<Objection>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new Objection(r.GetInt64(0), r.GetInt64(1), CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(2)), r.GetString(3), r.GetString(4),
                (ObjectionOutcome)r.GetInt64(5), r.GetString(6), r.IsDBNull(7) ? null : CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(7))));
        }

        return list;
    }

    public async Task<IReadOnlyList<Opinion>> OpinionsAsync(long applicationId, CancellationToken ct)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        return await OpinionsAsync(connection, null, applicationId, null, ct);
    }

    private static async Task<IReadOnlyList<Opinion>> OpinionsAsync(DbConnection connection, DbTransaction? tx, long applicationId, int? round, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, tx,
            "SELECT application_id, round, expert_id, passed, comment, at_us FROM opinions WHERE application_id = @app" + (round is null ? "" : " AND round = @round")
            + " ORDER BY round, seq").With("@app", applicationId);
        if (round is { } r0) cmd.With("@round", r0);
        var list = new List<Opinion>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(new Opinion(r.GetInt64(0), (int)r.GetInt64(1), r.GetInt64(2), r.GetBoolean(3), r.GetString(4), CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(5))));
        return list;
    }

    private static async Task<int> CountOpenObjectionsAsync(DbConnection connection, DbTransaction tx, long applicationId, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, tx, "SELECT COUNT(*) FROM objections WHERE application_id = @app AND outcome = 0").With("@app", applicationId);
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

    private static async Task<string?> MissingDocumentAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<string> documents, CancellationToken ct)
    {
        foreach (var sha in documents.Distinct(StringComparer.Ordinal))
        {
            if (!DocumentStore.IsSha256(sha)) return sha;
            await using var cmd = Sql.Command(connection, tx, "SELECT COUNT(*) FROM documents WHERE sha256 = @sha").With("@sha", sha);
            if (Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture) == 0) return sha;
        }

        return null;
    }

    private static async Task AttachAsync(DbConnection connection, DbTransaction tx, long applicationId, IReadOnlyList<string> documents, long seq, CancellationToken ct)
    {
        foreach (var sha in documents.Distinct(StringComparer.Ordinal))
        {
            await using var cmd = Sql.Command(connection, tx, "INSERT INTO application_documents (application_id, sha256, seq) VALUES (@app, @sha, @seq)")
                .With("@app", applicationId).With("@sha", sha).With("@seq", seq);
            await cmd.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>The documents attached to an application, each with the step that attached it.</summary>
    public async Task<IReadOnlyList<(StoredDocument Document, long Seq)>> DocumentsAsync(long applicationId, CancellationToken ct)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, """
            SELECT d.sha256, d.name, d.media_type, d.size_bytes, d.stored_by, d.stored_us, a.seq FROM application_documents a JOIN documents d ON d.sha256 = a.sha256
            WHERE a.application_id = @app ORDER BY a.seq, d.name
            """).With("@app", applicationId);
        var list = new List<(StoredDocument, long)>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add((new StoredDocument(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetString(4), CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(5))), r.GetInt64(6)));
        return list;
    }

    internal const string Select = """
        SELECT id, kind, subject, title_zh, title_en, applicant_id, applicant_name, state, received_on, entered_on, due_on, panel_draw_id, panel, round, payload, revision,
            created_us, updated_us, assignee FROM applications
        """;

    internal static async Task<Application?> FindAsync(DbConnection connection, DbTransaction? tx, long id, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, tx, Select + " WHERE id = @id").With("@id", id);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? Read(r) : null;
    }

    internal static Application Read(DbDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), new AccountId(r.GetInt64(5)), r.GetString(6), r.GetString(7),
        ParseDay(r.GetString(8)), ParseDay(r.GetString(9)), r.IsDBNull(10) ? null : ParseDay(r.GetString(10)), r.IsDBNull(11) ? null : r.GetInt64(11),
        JsonSerializer.Deserialize(r.GetString(12), GovernanceJson.Default.IReadOnlyListInt64) ?? [], (int)r.GetInt64(13), r.GetString(14), (int)r.GetInt64(15),
        CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(16)), CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(17)), r.IsDBNull(18) ? null : new AccountId(r.GetInt64(18)));

    public static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    internal static DateOnly ParseDay(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    internal static string Json(StepData data) => JsonSerializer.Serialize(data, GovernanceJson.Default.StepData);

    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
