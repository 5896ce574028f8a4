using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Puhui.Governance;
using Puhui.Ledger;

namespace Puhui.Storage.Governance;

public enum VerificationBodySubmissionStatus
{
    Submitted,

    /// <summary>The applicant's account is not an organisation's.</summary>
    NotOrganisation,

    /// <summary>The declaration or the submission is malformed: a limit, an unknown code, no supporting document.</summary>
    Invalid,

    /// <summary>The declaration does not meet one or more JS 40 conditions, each named in the problems.</summary>
    ConditionsUnmet,

    /// <summary>The organisation already has an application under review, or is approved or suspended.</summary>
    AlreadyApplied,

    /// <summary>An attached document is not in the store.</summary>
    DocumentMissing,
}

/// <summary>The outcome of applying to become a verification body: the application and its log entry, or why not.</summary>
public sealed record VerificationBodySubmission(VerificationBodySubmissionStatus Status, Application? Application, GovernanceEntry? Entry, IReadOnlyList<string> Problems)
{
    public bool Succeeded => Status == VerificationBodySubmissionStatus.Submitted;

    public string Detail => string.Join("; ", Problems);
}

/// <summary>
/// Where an organisation stands as a verification body: approved, or why not. Decided by its latest
/// verification-body application alone.
/// </summary>
/// <param name="State">The latest application's state, or null when it never applied.</param>
/// <param name="SuspendedUntil">While suspended: the rectification deadline.</param>
/// <param name="Reason">Why it may not be assigned validations and verifications; null when approved.</param>
public sealed record VerificationBodyStanding(AccountId Body, string? State, Application? Application, DateOnly? SuspendedUntil, string? Reason)
{
    public bool Approved => Reason is null;
}

/// <summary>What the public list shows of a body's declaration: no staff names (DESIGN §13), only how many qualify.</summary>
/// <param name="StaffDeclared">Staff listed in the declaration.</param>
/// <param name="QualifiedStaff">Full-time staff with a bachelor's degree, two years' experience and continuing education (JS 40(二)).</param>
public sealed record VerificationBodySummary(string OfficeAddress, int StaffDeclared, int QualifiedStaff, IReadOnlyList<VerificationAccreditation> Accreditations,
    bool EnergyMetrologyReview);

/// <summary>One organisation in the list of verification bodies, by its latest application.</summary>
/// <param name="ApprovedOn">The local day the administrator approved it, if ever.</param>
/// <param name="SuspendedUntil">While suspended: the rectification deadline.</param>
/// <param name="RevokedOn">Once revoked: the local day of the revocation.</param>
public sealed record VerificationBodyListing(AccountId Body, string Name, long ApplicationId, string State, DateOnly? ApprovedOn, DateOnly? SuspendedUntil,
    DateOnly? RevokedOn, VerificationBodySummary Summary);

/// <summary>
/// Verification bodies (核查机构, JS 39–42, DESIGN §10): an organisation declares the JS 40 conditions and applies
/// to the administrator, who approves (认定) or refuses it, and may later suspend it for rectification, reinstate it
/// or revoke it (<see cref="Workflows.VerificationBody"/>). The application's subject is the organisation's
/// account id; its latest application decides whether it is approved, and only approved bodies are assigned
/// validations and verifications.
/// </summary>
public sealed class VerificationBodies(WorkflowStore workflows, TimeProvider time)
{
    public const string Kind = "verification-body";
    public const int ListMax = WorkflowStore.ListMax;
    public const int DocumentsMin = 1;

    /// <summary>The states the public list shows by default: approved, suspended and revoked bodies.</summary>
    public static IReadOnlyList<string> PublicStates { get; } = ["approved", "suspended", "revoked"];

    private static readonly WorkflowDefinition Workflow = Workflows.VerificationBody;

    /// <summary>Registers the workflow's effects with <paramref name="workflows"/>; called once when the host is built.</summary>
    public static void RegisterEffects(WorkflowStore workflows)
    {
        ArgumentNullException.ThrowIfNull(workflows);
        workflows.Register(Kind, new VerificationBodyEffects());
    }

    /// <summary>The subject of an organisation's applications: its account id.</summary>
    public static string SubjectOf(AccountId body) => body.Value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Applies, for <paramref name="applicant"/>'s organisation, to become a verification body (JS 41). Refuses an
    /// account that is not an organisation's, a declaration that is malformed or misses a JS 40 condition, a
    /// submission without a supporting document, and an organisation with an application under review or a
    /// qualification that is approved or suspended. A refusal writes nothing.
    /// </summary>
    public async Task<VerificationBodySubmission> SubmitAsync(Actor applicant, VerificationBodyConditions conditions, IReadOnlyList<string> documents, string comment,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(applicant);
        ArgumentNullException.ThrowIfNull(conditions);
        ArgumentNullException.ThrowIfNull(documents);
        if (applicant.Role != WorkflowRole.Applicant || applicant.Account is not { } body)
            throw new ArgumentException("An application is submitted by an applicant acting for an account.", nameof(applicant));

        var account = await workflows.Ledger.FindAccountAsync(body, ct);
        if (account is not { Kind: AccountKind.Organisation })
            return Refused(VerificationBodySubmissionStatus.NotOrganisation, $"account {body.Value} is not an organisation's; only organisations apply to be verification bodies");
        if (conditions.Problem() is { } malformed) return Refused(VerificationBodySubmissionStatus.Invalid, malformed);
        if (documents.Count < DocumentsMin)
            return Refused(VerificationBodySubmissionStatus.Invalid, "attach the supporting documents: the office, the systems, the staff's qualifications and the accreditation certificates");
        var unmet = conditions.Unmet(workflows.LocalDay(time.GetUtcNow()));
        if (unmet.Count > 0) return new VerificationBodySubmission(VerificationBodySubmissionStatus.ConditionsUnmet, null, null, unmet);

        var subject = SubjectOf(body);
        string? existing = null;
        async Task<string?> NoOtherAsync(DbConnection connection, DbTransaction tx, long id, CancellationToken token)
        {
            var other = await LatestAsync(connection, tx, subject, id, token);
            if (other is null || other.Definition.State(other.State).Final) return null;
            existing = $"{account.DisplayName} already has verification-body application {other.Id}, {other.State}";
            return existing;
        }

        var payload = JsonSerializer.Serialize(conditions, VerificationBodyJson.Default.VerificationBodyConditions);
        var result = await workflows.SubmitAsync(Workflow, subject, Title("核查机构认定：", account.DisplayName), Title("Verification body: ", account.DisplayName), applicant,
            account.DisplayName, payload, documents, comment ?? "", NoOtherAsync, ct);
        return result.Status switch
        {
            StepStatus.Done => new VerificationBodySubmission(VerificationBodySubmissionStatus.Submitted, result.Application, result.Entry, []),
            StepStatus.DocumentMissing => Refused(VerificationBodySubmissionStatus.DocumentMissing, result.Detail ?? "a document is not stored"),
            StepStatus.Conflict when existing is not null => Refused(VerificationBodySubmissionStatus.AlreadyApplied, existing),
            _ => Refused(VerificationBodySubmissionStatus.Invalid, result.Detail ?? result.Status.ToString()),
        };
    }

    /// <summary>Whether <paramref name="body"/> is an approved verification body now: its latest application is approved.</summary>
    public async Task<bool> IsApprovedAsync(AccountId body, CancellationToken ct) => (await StandingAsync(body, ct)).Approved;

    /// <summary>Null when <paramref name="body"/> is approved; otherwise why it may not be assigned validations and verifications.</summary>
    public async Task<string?> RequireApprovedAsync(AccountId body, CancellationToken ct) => (await StandingAsync(body, ct)).Reason;

    public async Task<VerificationBodyStanding> StandingAsync(AccountId body, CancellationToken ct)
    {
        await using var connection = await workflows.Ledger.Dialect.OpenAsync(ct);
        return await StandingAsync(connection, null, body, ct);
    }

    /// <summary>
    /// Where <paramref name="body"/> stands, read inside the caller's transaction, so a registry step that assigns
    /// a verification reads the standing it commits with.
    /// </summary>
    public static async Task<VerificationBodyStanding> StandingAsync(DbConnection connection, DbTransaction? tx, AccountId body, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var latest = await LatestAsync(connection, tx, SubjectOf(body), null, ct);
        if (latest is null) return new VerificationBodyStanding(body, null, null, null, "never approved: the organisation has not applied to be a verification body");
        var since = WorkflowStore.Day(latest.EnteredOn);
        var reason = latest.State switch
        {
            "approved" => null,
            "suspended" => $"suspended for rectification until {(latest.DueOn is { } due ? WorkflowStore.Day(due) : "further notice")}",
            "revoked" => $"revoked on {since}",
            "applied" => $"never approved: its application {latest.Id} is under review",
            "refused" => $"never approved: its application {latest.Id} was refused on {since}",
            "retracted" => $"never approved: its application {latest.Id} was retracted on {since}",
            _ => $"its application {latest.Id} is {latest.State}",
        };
        return new VerificationBodyStanding(body, latest.State, latest, latest.State == "suspended" ? latest.DueOn : null, reason);
    }

    /// <summary>
    /// Organisations by their latest verification-body application, newest first, in <paramref name="states"/>
    /// (by default <see cref="PublicStates"/>), with the day each was approved and what it declared.
    /// </summary>
    public async Task<IReadOnlyList<VerificationBodyListing>> ListAsync(IReadOnlyList<string>? states = null, int limit = ListMax, CancellationToken ct = default)
    {
        states ??= PublicStates;
        foreach (var state in states)
        {
            if (!Workflow.HasState(state)) throw new ArgumentException($"{Kind} has no state {state}.", nameof(states));
        }

        await using var connection = await workflows.Ledger.Dialect.OpenAsync(ct);
        var applications = new List<Application>();
        await using (var cmd = Sql.Command(connection, null, ""))
        {
            cmd.With("@kind", Kind).With("@limit", Math.Clamp(limit, 1, ListMax));
            var names = states.Select((s, i) => "@s" + i.ToString(CultureInfo.InvariantCulture)).ToList();
            for (var i = 0; i < states.Count; i++) cmd.With(names[i], states[i]);
            cmd.CommandText = WorkflowStore.Select
                + " WHERE kind = @kind AND id IN (SELECT MAX(id) FROM applications WHERE kind = @kind GROUP BY subject)"
                + (states.Count > 0 ? $" AND state IN ({string.Join(", ", names)})" : "")
                + " ORDER BY id DESC LIMIT @limit";
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) applications.Add(WorkflowStore.Read(r));
        }

        var approvedAt = await ApprovalsAsync(connection, applications.Select(a => a.Id).ToList(), ct);
        return applications.Select(a =>
        {
            var conditions = Conditions(a);
            var summary = new VerificationBodySummary(conditions.OfficeAddress, conditions.Staff.Count, conditions.QualifiedStaff, conditions.Accreditations,
                conditions.EnergyMetrologyReview);
            return new VerificationBodyListing(a.Applicant, a.ApplicantName, a.Id, a.State,
                approvedAt.TryGetValue(a.Id, out var at) ? workflows.LocalDay(at) : null, a.State == "suspended" ? a.DueOn : null,
                a.State == "revoked" ? a.EnteredOn : null, summary);
        }).ToList();
    }

    /// <summary>The conditions an application declared.</summary>
    public static VerificationBodyConditions Conditions(Application application)
    {
        ArgumentNullException.ThrowIfNull(application);
        if (application.Kind != Kind) throw new ArgumentException($"Application {application.Id} is a {application.Kind} application.", nameof(application));
        return JsonSerializer.Deserialize(application.Payload, VerificationBodyJson.Default.VerificationBodyConditions)
            ?? throw new InvalidOperationException($"Application {application.Id} holds no conditions.");
    }

    private static async Task<Application?> LatestAsync(DbConnection connection, DbTransaction? tx, string subject, long? excluding, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, tx, WorkflowStore.Select + " WHERE kind = @kind AND subject = @subject"
            + (excluding is null ? "" : " AND id <> @excluding") + " ORDER BY id DESC LIMIT 1")
            .With("@kind", Kind).With("@subject", subject);
        if (excluding is { } id) cmd.With("@excluding", id);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? WorkflowStore.Read(r) : null;
    }

    private static async Task<Dictionary<long, DateTimeOffset>> ApprovalsAsync(DbConnection connection, IReadOnlyList<long> applications, CancellationToken ct)
    {
        var approvals = new Dictionary<long, DateTimeOffset>();
        if (applications.Count == 0) return approvals;
        await using var cmd = Sql.Command(connection, null, "");
        var names = applications.Select((a, i) => "@a" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        for (var i = 0; i < applications.Count; i++) cmd.With(names[i], applications[i]);
        cmd.CommandText = $"""
            SELECT application_id, MIN(at_us) FROM governance_log WHERE kind = @kind AND action = 'approve' AND application_id IN ({string.Join(", ", names)})
            GROUP BY application_id
            """;
        cmd.With("@kind", Kind);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) approvals[r.GetInt64(0)] = CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(1));
        return approvals;
    }

    private static string Title(string prefix, string name)
        => prefix + (name.Length + prefix.Length > WorkflowStore.TitleLengthMax ? name[..(WorkflowStore.TitleLengthMax - prefix.Length)] : name);

    private static VerificationBodySubmission Refused(VerificationBodySubmissionStatus status, string problem) => new(status, null, null, [problem]);
}

/// <summary>
/// What a verification-body step does besides moving the state: an approval or a reinstatement checks the JS 40
/// conditions again on the day it is given, so a body whose accreditation has lapsed since it applied is not
/// approved on a stale declaration.
/// </summary>
internal sealed class VerificationBodyEffects : IApplicationEffects
{
    public Task<string?> ApplyAsync(StepContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Transition.Action is not ("approve" or "reinstate")) return Task.FromResult<string?>(null);
        var conditions = VerificationBodies.Conditions(context.Application);
        var problems = conditions.Problems(context.Today);
        return Task.FromResult(problems.Count == 0 ? null : $"the declared JS 40 conditions no longer hold on {WorkflowStore.Day(context.Today)}: {string.Join("; ", problems)}");
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(VerificationBodyConditions))]
internal sealed partial class VerificationBodyJson : JsonSerializerContext;
