using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Puhui.Governance;
using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Storage.Access;
using Puhui.Storage.Governance;
using Puhui.Storage.Registry;

namespace Puhui.Host.Http;

public sealed record AllowedActionDto(string Action, string Role, string NameZh, string NameEn);

/// <param name="DueKind"><c>deadline</c> when someone must act by <c>dueOn</c>; <c>notice-ends</c> when a public notice runs until it.</param>
/// <param name="WorkingDaysLeft">Working days from today to <c>dueOn</c>; negative once overdue.</param>
public sealed record ApplicationDto(long Id, string Kind, string Subject, string TitleZh, string TitleEn, long Applicant, string ApplicantName, string State, string StateZh,
    string StateEn, DateOnly ReceivedOn, DateOnly EnteredOn, DateOnly? DueOn, string? DueKind, bool Overdue, int? WorkingDaysLeft, long? PanelDrawId, IReadOnlyList<long> Panel,
    int Round, int Revision, IReadOnlyList<AllowedActionDto> AllowedActions, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static ApplicationDto From(DeskEntry entry)
    {
        var (a, state) = (entry.Application, entry.State);
        return new(a.Id, a.Kind, a.Subject, a.TitleZh, a.TitleEn, a.Applicant.Value, a.ApplicantName, a.State, state.NameZh, state.NameEn, a.ReceivedOn, a.EnteredOn, a.DueOn,
            a.DueOn is null ? null : entry.IsNotice ? "notice-ends" : "deadline", entry.Overdue, entry.WorkingDaysLeft, a.PanelDrawId, a.Panel, a.Round, a.Revision,
            a.Definition.AllowedFrom(a.State).Select(t => new AllowedActionDto(t.Action, WorkflowDefinition.RoleCode(t.Role), t.NameZh, t.NameEn)).ToList(),
            a.CreatedAt, a.UpdatedAt);
    }
}

public sealed record ApplicationListDto(IReadOnlyList<ApplicationDto> Applications);

public sealed record GovernanceStepDto(long Seq, DateTimeOffset At, string Action, string Actor, string Role, string From, string To, string Comment,
    IReadOnlyList<string> Documents, JsonElement Data, string Hash)
{
    public static GovernanceStepDto Of(GovernanceEntry e) => new(e.Seq, e.At, e.Action, e.Actor, e.Role, e.From, e.To, e.Comment, e.Documents,
        JsonDocument.Parse(e.Data).RootElement.Clone(), Convert.ToHexStringLower(e.Hash));
}

public sealed record ObjectionDto(long Id, long ApplicationId, DateTimeOffset LodgedAt, string LodgedBy, string Text, string Outcome, string Response, DateTimeOffset? AnsweredAt)
{
    public static ObjectionDto From(Objection o) => new(o.Id, o.ApplicationId, o.LodgedAt, o.LodgedBy, o.Text, o.Outcome.ToString().ToLowerInvariant(), o.Response, o.AnsweredAt);
}

public sealed record OpinionDto(int Round, long Expert, string Verdict, string Comment, DateTimeOffset At);

public sealed record DocumentDto(string Sha256, string Name, string MediaType, long SizeBytes, DateTimeOffset StoredAt, long? AttachedBySeq = null)
{
    public static DocumentDto From(StoredDocument d, long? seq = null) => new(d.Sha256, d.Name, d.MediaType, d.SizeBytes, d.StoredAt, seq);
}

public sealed record ApplicationDetailDto(ApplicationDto Application, JsonElement Payload, IReadOnlyList<GovernanceStepDto> History, IReadOnlyList<ObjectionDto> Objections,
    IReadOnlyList<OpinionDto> Opinions, IReadOnlyList<DocumentDto> Documents);

public sealed record DocumentUpload(string Name, string MediaType, string ContentBase64);

public sealed record MethodologyApplicationRequest(string Text, IReadOnlyList<string>? Documents, string? Comment);

public sealed record ScenarioApplicationRequest(ScenarioDefinition Definition, IReadOnlyList<string>? Documents, string? Comment);

public sealed record PanelSpecDto(IReadOnlyList<string> Fields, int Size);

/// <param name="Verdict"><c>pass</c> or <c>fail</c>, for an expert's opinion.</param>
/// <param name="Outcome"><c>upheld</c> or <c>dismissed</c>, for an objection's answer.</param>
/// <param name="Verifier">The verification body's account, for the operator's <c>assign-validation</c>, <c>assign-verification</c> and <c>reassign</c>.</param>
/// <param name="Grams">The verifier's own figure for a monitoring period in place of the claim, on <c>verify</c>; its reason goes in the comment.</param>
/// <param name="Retirement">The retirement a neutrality claim's <c>match</c> counts towards it.</param>
public sealed record StepRequest(string Action, string? Comment, IReadOnlyList<string>? Documents, string? Verdict, int? RectificationDays, long? ObjectionId, string? Outcome,
    PanelSpecDto? Panel, long? Verifier = null, long? Grams = null, long? Retirement = null);

public sealed record ObjectionRequest(string Text, string? Name);

/// <summary>
/// Governance (DESIGN §10): documents, methodology and scenario applications, the steps every application takes
/// through its workflow, the operating body's desk and the experts' panels.
/// </summary>
public static class GovernanceEndpoints
{
    public static RouteGroupBuilder MapGovernance(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("").WithTags("Governance");
        group.MapPost("/documents", Upload).WithName("UploadDocument");
        group.MapGet("/documents/{sha256}", Download).WithName("DownloadDocument");
        group.MapPost("/methodologies/applications", ApplyForMethodology).WithName("ApplyForMethodology");
        group.MapPost("/scenarios/applications", ApplyForScenario).WithName("ApplyForScenario");
        group.MapGet("/applications", ListApplications).WithName("ListApplications");
        group.MapGet("/applications/{id:long}", GetApplication).WithName("GetApplication");
        group.MapPost("/applications/{id:long}/steps", TakeStep).WithName("TakeApplicationStep");
        group.MapGet("/desk/applications", Desk).WithName("GetOperatorDesk");
        group.MapGet("/expert/applications", ExpertPanels).WithName("ListExpertPanels");
        return group;
    }

    private static async Task<Results<Created<DocumentDto>, ProblemHttpResult>> Upload(DocumentUpload upload, HttpContext http, AccessTokens tokens, DocumentStore documents,
        CancellationToken ct)
    {
        var (principal, problem) = await Callers.AuthenticateAsync(http, tokens, ct);
        if (problem is not null) return problem;
        if (upload.ContentBase64 is null || upload.ContentBase64.Length > (DocumentStore.SizeBytesMax / 3 + 1) * 4)
            return Problems.Of("document-invalid", $"contentBase64 holds at most {DocumentStore.SizeBytesMax / (1024 * 1024)} MiB");
        byte[] content;
        try
        {
            content = Convert.FromBase64String(upload.ContentBase64);
        }
        catch (FormatException)
        {
            return Problems.Of("document-invalid", "contentBase64 is not base64");
        }

        if (DocumentStore.Problem(upload.Name, upload.MediaType, content.Length) is { } invalid) return Problems.Of("document-invalid", invalid);
        var stored = await documents.StoreAsync(upload.Name, upload.MediaType, content, ActorName(principal!), ct);
        return TypedResults.Created($"/api/v1/documents/{stored.Sha256}", DocumentDto.From(stored));
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> Download(string sha256, HttpContext http, AccessTokens tokens, DocumentStore documents,
        WorkflowStore workflows, CancellationToken ct)
    {
        var (principal, problem) = await Callers.AuthenticateAsync(http, tokens, ct);
        if (problem is not null) return problem;
        if (principal!.Role == PrincipalRole.Person) return Problems.Of("forbidden", "documents are read by staff, experts and the administrator; the public reads disclosed ones under /public/documents");
        if (!DocumentStore.IsSha256(sha256)) return Problems.Of("invalid-argument", "a document is named by its SHA-256 in lower-case hex");
        // A document the caller may not read is answered as one that does not exist: its hash is on the public log, its content is not public.
        if (await documents.GetAsync(sha256, ct) is not { } document || !await MayReadAsync(principal, document, documents, workflows, ct))
            return Problems.Of("document-not-found", sha256);
        return await DocumentFile(sha256, documents, ct);
    }

    /// <summary>
    /// Whether <paramref name="principal"/> may read <paramref name="document"/>: the operating body and the administrator
    /// read every document; anyone else the documents they uploaded, those of applications they may read (their own,
    /// or those whose current panel they sit on) and disclosed ones.
    /// </summary>
    private static async Task<bool> MayReadAsync(Principal principal, StoredDocument document, DocumentStore documents, WorkflowStore workflows, CancellationToken ct)
    {
        if (principal.Role is PrincipalRole.PlatformOperator or PrincipalRole.Administrator) return true;
        if (principal.Account is { } uploader && document.StoredBy.StartsWith("account:" + uploader.Value.ToString(CultureInfo.InvariantCulture) + ":", StringComparison.Ordinal))
            return true;
        if (await documents.IsDisclosedAsync(document.Sha256, DisclosureEndpoints.DisclosedStates, ct)) return true;
        foreach (var id in await documents.ApplicationsAsync(document.Sha256, ct))
        {
            if (await workflows.GetAsync(id, ct) is not { } application) continue;
            var reads = principal.Role == PrincipalRole.Expert
                ? application.Panel.Contains(principal.ExpertId ?? 0)
                : principal.Account is { } account && (account == application.Applicant || account == application.Assignee);
            if (reads) return true;
        }

        return false;
    }

    internal static async Task<Results<FileContentHttpResult, ProblemHttpResult>> DocumentFile(string sha256, DocumentStore documents, CancellationToken ct)
    {
        if (!DocumentStore.IsSha256(sha256)) return Problems.Of("invalid-argument", "a document is named by its SHA-256 in lower-case hex");
        var document = await documents.GetAsync(sha256, ct);
        var content = document is null ? null : await documents.ReadAsync(sha256, ct);
        if (document is null || content is null) return Problems.Of("document-not-found", sha256);
        return TypedResults.File(content, document.MediaType, document.Name);
    }

    private static async Task<Results<Created<ApplicationDto>, ProblemHttpResult>> ApplyForMethodology(MethodologyApplicationRequest request, HttpContext http, AccessTokens tokens,
        MethodologyApplications applications, WorkflowStore workflows, CancellationToken ct)
    {
        var (principal, problem) = await Callers.AuthenticateAsync(http, tokens, ct);
        if (problem is not null) return problem;
        if (principal!.Role is not (PrincipalRole.Person or PrincipalRole.OrganisationStaff) || principal.Account is not { } account)
            return Problems.Of("forbidden", "a methodology is applied for by a person or an organisation's staff (JS 12)");
        if (string.IsNullOrWhiteSpace(request.Text)) return Problems.Of("invalid-argument", "text is the methodology's YAML");
        // The limits of every submission are checked here, so that methodology-invalid is only ever about the text.
        if (request.Documents is { Count: > Step.DocumentsMax }) return Problems.Of("invalid-argument", $"at most {Step.DocumentsMax} documents per step");
        if (request.Comment is { Length: > WorkflowDefinition.CommentLengthMax })
            return Problems.Of("invalid-argument", $"a comment is at most {WorkflowDefinition.CommentLengthMax} characters");
        var result = await applications.SubmitAsync(new Actor(WorkflowRole.Applicant, ActorName(principal), account), request.Text, request.Documents ?? [], request.Comment ?? "", ct);
        if (result.Status == StepStatus.Invalid) return Problems.Of("methodology-invalid", result.Detail);
        return result.Succeeded ? TypedResults.Created($"/api/v1/applications/{result.Application!.Id}", await DtoAsync(result.Application, workflows, ct)) : StepProblem(result);
    }

    internal static async Task<Results<Created<ApplicationDto>, ProblemHttpResult>> ApplyForScenario(ScenarioApplicationRequest request, HttpContext http, AccessTokens tokens,
        Storage.Ledger.LedgerStore store, ScenarioApplications applications, WorkflowStore workflows, CancellationToken ct)
    {
        var (operatorAccount, problem) = await Callers.StaffAsync(http, tokens, store, OrganisationRoles.Operator, ct);
        if (problem is not null) return problem;
        if (request.Definition is null) return Problems.Of("invalid-argument", "definition is the scenario's definition");
        var (check, result) = await applications.SubmitAsync(new Actor(WorkflowRole.Applicant, "account:" + operatorAccount.Value.ToString(CultureInfo.InvariantCulture), operatorAccount),
            request.Definition, request.Documents ?? [], request.Comment ?? "", ct);
        if (result is null) return ScenarioEndpoints.CheckProblem(check);
        return result.Succeeded ? TypedResults.Created($"/api/v1/applications/{result.Application!.Id}", await DtoAsync(result.Application, workflows, ct)) : StepProblem(result);
    }

    private static async Task<Results<Ok<ApplicationListDto>, ProblemHttpResult>> ListApplications(HttpContext http, AccessTokens tokens, WorkflowStore workflows,
        CancellationToken ct, string? kind = null, string? state = null)
    {
        var (principal, problem) = await Callers.AuthenticateAsync(http, tokens, ct);
        if (problem is not null) return problem;
        if (kind is not null && Workflows.Find(kind) is null) return Problems.Of("invalid-argument", "kind is one of " + string.Join(", ", Workflows.All.Select(w => w.Kind)));
        // Applicants see their own applications; the operating body and the administrator see all.
        AccountId? applicant = principal!.Role is PrincipalRole.PlatformOperator or PrincipalRole.Administrator ? null : principal.Account;
        if (applicant is null && principal.Role is not (PrincipalRole.PlatformOperator or PrincipalRole.Administrator))
            return Problems.Of("forbidden", "applications are listed for their applicants, the platform operator and the administrator");
        var list = await workflows.ListAsync(kind, state is null ? null : [state], applicant, ct: ct);
        return TypedResults.Ok(new ApplicationListDto(await DtosAsync(list, workflows, ct)));
    }

    private static async Task<Results<Ok<ApplicationDetailDto>, ProblemHttpResult>> GetApplication(long id, HttpContext http, AccessTokens tokens, WorkflowStore workflows,
        CancellationToken ct)
    {
        var (principal, problem) = await Callers.AuthenticateAsync(http, tokens, ct);
        if (problem is not null) return problem;
        var application = await workflows.GetAsync(id, ct);
        if (application is null) return Problems.Of("application-not-found", $"application {id}");
        var allowed = principal!.Role switch
        {
            PrincipalRole.PlatformOperator or PrincipalRole.Administrator => true,
            PrincipalRole.Expert => application.Panel.Contains(principal.ExpertId ?? 0),
            _ => principal.Account is { } account && (account == application.Applicant || account == application.Assignee),
        };
        if (!allowed)
            return Problems.Of("forbidden", "an application is read by its applicant, its assigned verification body, its panel, the platform operator and the administrator; the public reads /public/applications");
        return TypedResults.Ok(await DetailAsync(application, workflows, ct));
    }

    internal static async Task<ApplicationDetailDto> DetailAsync(Application application, WorkflowStore workflows, CancellationToken ct)
    {
        var history = await workflows.HistoryAsync(application.Id, ct);
        var objections = await workflows.ObjectionsAsync(application.Id, ct);
        var opinions = await workflows.OpinionsAsync(application.Id, ct);
        var documents = await workflows.DocumentsAsync(application.Id, ct);
        return new ApplicationDetailDto(await DtoAsync(application, workflows, ct), JsonDocument.Parse(application.Payload).RootElement.Clone(),
            history.Select(GovernanceStepDto.Of).ToList(), objections.Select(ObjectionDto.From).ToList(),
            opinions.Select(o => new OpinionDto(o.Round, o.Expert, o.Passed ? "pass" : "fail", o.Comment, o.At)).ToList(),
            documents.Select(d => DocumentDto.From(d.Document, d.Seq)).ToList());
    }

    /// <summary>
    /// Takes a step as the caller's role. An organisation's staff act as the verifier of an application their
    /// organisation is assigned to verify (and does not apply for); otherwise as its applicant. A monitoring period's
    /// <c>issue</c> goes through the registry's issuance, which appends the batch and the step together; its answer is
    /// the application's detail like any other step's.
    /// </summary>
    private static async Task<Results<Ok<ApplicationDetailDto>, ProblemHttpResult>> TakeStep(long id, StepRequest request, HttpContext http, AccessTokens tokens,
        WorkflowStore workflows, ExpertStore experts, ProjectRegistry registry, CancellationToken ct)
    {
        var (principal, problem) = await Callers.AuthenticateAsync(http, tokens, ct);
        if (problem is not null) return problem;
        if (string.IsNullOrWhiteSpace(request.Action)) return Problems.Of("invalid-argument", "action names the step, e.g. accept");
        // An expert made inactive after the draw no longer acts on any panel; the operating body draws a new one.
        if (principal!.Role == PrincipalRole.Expert && await experts.GetAsync(principal.ExpertId ?? 0, ct) is not { Status: ExpertStatus.Active })
            return Problems.Of("forbidden", "this expert is inactive in the pool and takes no step; the platform operator may redraw the panel");
        var application = await workflows.GetAsync(id, ct);
        var verifies = principal.Role == PrincipalRole.OrganisationStaff && principal.Account is { } account && application is not null
            && application.Assignee == account && application.Applicant != account;
        var actor = principal.Role switch
        {
            PrincipalRole.Administrator => new Actor(WorkflowRole.Administrator, ActorName(principal)),
            PrincipalRole.PlatformOperator => new Actor(WorkflowRole.PlatformOperator, ActorName(principal)),
            PrincipalRole.Expert => new Actor(WorkflowRole.Expert, ActorName(principal), Expert: principal.ExpertId),
            _ when verifies => new Actor(WorkflowRole.Verifier, ActorName(principal), principal.Account),
            _ => new Actor(WorkflowRole.Applicant, ActorName(principal), principal.Account),
        };
        bool? verdict = request.Verdict switch { null => null, "pass" => true, "fail" => false, _ => null };
        if (request.Verdict is not null && verdict is null) return Problems.Of("invalid-argument", "verdict is pass or fail");
        bool? upheld = request.Outcome switch { null => null, "upheld" => true, "dismissed" => false, _ => null };
        if (request.Outcome is not null && upheld is null) return Problems.Of("invalid-argument", "outcome is upheld or dismissed");
        var step = new Step(request.Action, request.Comment ?? "", request.Documents ?? [], verdict, request.RectificationDays, request.ObjectionId, upheld,
            request.Panel is { } panel ? new PanelSpec(panel.Fields ?? [], panel.Size) : null, Verifier: request.Verifier, Grams: request.Grams,
            Retirement: request.Retirement);
        var result = request.Action == "issue" && application?.Kind == Workflows.MonitoringPeriod.Kind
            ? await registry.IssueAsync(id, actor, step.Comment, ct)
            : await workflows.ActAsync(id, step, actor, ct);
        return result.Succeeded ? TypedResults.Ok(await DetailAsync(result.Application!, workflows, ct)) : StepProblem(result);
    }

    /// <summary>The operating body's desk: open applications with their deadlines, overdue ones first, then by the nearest deadline.</summary>
    private static async Task<Results<Ok<ApplicationListDto>, ProblemHttpResult>> Desk(HttpContext http, AccessTokens tokens, WorkflowStore workflows, CancellationToken ct,
        string? kind = null, bool overdue = false)
    {
        var (principal, problem) = await Callers.AuthenticateAsync(http, tokens, ct);
        if (problem is not null) return problem;
        if (principal!.Role is not (PrincipalRole.PlatformOperator or PrincipalRole.Administrator))
            return Problems.Of("forbidden", "the desk is the platform operator's (运营机构) and the administrator's");
        if (kind is not null && Workflows.Find(kind) is null) return Problems.Of("invalid-argument", "kind is one of " + string.Join(", ", Workflows.All.Select(w => w.Kind)));
        var desk = await Storage.Governance.Desk.ListAsync(workflows, kind, includeClosed: false, ct);
        return TypedResults.Ok(new ApplicationListDto(desk.Where(e => !overdue || e.Overdue).Select(ApplicationDto.From).ToList()));
    }

    private static async Task<Results<Ok<ApplicationListDto>, ProblemHttpResult>> ExpertPanels(HttpContext http, AccessTokens tokens, WorkflowStore workflows, CancellationToken ct)
    {
        var (expert, _, problem) = await Callers.ExpertAsync(http, tokens, ct);
        if (problem is not null) return problem;
        var open = await workflows.ListAsync(openOnly: true, ct: ct);
        return TypedResults.Ok(new ApplicationListDto(await DtosAsync(open.Where(a => a.Panel.Contains(expert)).ToList(), workflows, ct)));
    }

    internal static async Task<ApplicationDto> DtoAsync(Application application, WorkflowStore workflows, CancellationToken ct)
        => (await DtosAsync([application], workflows, ct))[0];

    internal static async Task<IReadOnlyList<ApplicationDto>> DtosAsync(IReadOnlyList<Application> applications, WorkflowStore workflows, CancellationToken ct)
    {
        var calendar = await workflows.CalendarAsync(ct);
        var today = workflows.LocalDay(workflows.Time.GetUtcNow());
        return applications.Select(a => ApplicationDto.From(Storage.Governance.Desk.Assess(a, calendar, today))).ToList();
    }

    internal static string ActorName(Principal principal) => principal.Role switch
    {
        PrincipalRole.Administrator => "admin:" + principal.Label,
        PrincipalRole.PlatformOperator => "platform-operator:" + principal.Label,
        PrincipalRole.Expert => "expert:" + principal.ExpertId?.ToString(CultureInfo.InvariantCulture),
        _ => "account:" + principal.Account?.Value.ToString(CultureInfo.InvariantCulture) + ":" + principal.Label,
    };

    /// <summary>The problem for a refused step: the workflow's refusals name the current state and the allowed actions.</summary>
    internal static ProblemHttpResult StepProblem(StepResult result)
    {
        var extensions = new Dictionary<string, object?>();
        if (result.Application is { } application) extensions["state"] = application.State;
        if (result.Decision is { } decision)
        {
            extensions["state"] = decision.State;
            extensions["allowedActions"] = decision.AllowedActions;
        }

        var code = result.Status switch
        {
            StepStatus.NotFound => "application-not-found",
            StepStatus.NotApplicant => "not-applicant",
            StepStatus.DocumentMissing => "document-not-found",
            StepStatus.PanelShortfall => "panel-unavailable",
            // A verification body the operator may not assign: unapproved, suspended, or not independent of the developer (JS 41–42).
            StepStatus.Conflict when result.Decision?.Transition?.Effects.HasFlag(WorkflowEffects.AssignVerifier) == true => "verifier-not-eligible",
            StepStatus.Conflict => "application-conflict",
            StepStatus.Invalid => "invalid-argument",
            _ => result.Decision?.Refusal switch
            {
                WorkflowRefusal.WrongRole => "action-forbidden",
                WorkflowRefusal.MissingInput => "step-input-missing",
                _ => "action-not-allowed",
            },
        };
        return Problems.Of(code, result.Detail, extensions);
    }
}
