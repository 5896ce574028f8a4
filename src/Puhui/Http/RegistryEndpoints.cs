using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Puhui.Governance;
using Puhui.Ledger;
using Puhui.Registry;
using Puhui.Storage.Access;
using Puhui.Storage.Governance;
using Puhui.Storage.Ledger;
using Puhui.Storage.Registry;

namespace Puhui.Host.Http;

/// <summary>What a developer registers: the project's definition (type by its code, e.g. <c>distributed-pv</c>), with the submission's documents and comment.</summary>
public sealed record ProjectRequest(string? NameZh, string? NameEn, string? Type, string? Region, decimal Latitude, decimal Longitude, long Capacity, string? CapacityUnit,
    string? MethodologyId, string? MethodologyVersion, DateOnly CreditingFrom, DateOnly CreditingTo, ProjectDeclarations? Declarations, IReadOnlyList<ExternalId>? ExternalIds,
    IReadOnlyList<long>? RelatedParties, bool Aggregator, IReadOnlyList<string>? Documents, string? Comment);

/// <summary>A monitoring report: the period, the methodology's inputs as measured in it, its documents and a comment.</summary>
public sealed record PeriodRequest(DateOnly From, DateOnly To, Dictionary<string, decimal>? Inputs, IReadOnlyList<string>? Documents, string? Comment);

public sealed record IssueRequest(string? Comment);

/// <param name="Grams">Grams of removals lost.</param>
/// <param name="RequestKey">The operator's key for this report: the same key is recorded once.</param>
public sealed record ReversalRequest(long Grams, string? RequestKey, string? Comment, IReadOnlyList<string>? Documents);

public sealed record ProjectDto(long Id, string Code, long ApplicationId, long Developer, string State, string NameZh, string NameEn, string Type, string Region,
    decimal Latitude, decimal Longitude, long Capacity, string CapacityUnit, string MethodologyId, string MethodologyVersion, DateOnly CreditingFrom, DateOnly CreditingTo,
    ProjectDeclarations Declarations, IReadOnlyList<ExternalId> ExternalIds, IReadOnlyList<long> RelatedParties, bool Aggregator, long BufferDebtGrams, DateTimeOffset CreatedAt)
{
    public static ProjectDto From(Project p)
    {
        var d = p.Definition;
        return new(p.Id, p.Code, p.ApplicationId, p.Developer.Value, p.State, d.NameZh, d.NameEn, d.Type.Code(), d.Region, d.Latitude, d.Longitude, d.Capacity, d.CapacityUnit,
            d.MethodologyId, d.MethodologyVersion, d.CreditingFrom, d.CreditingTo, d.Declarations, d.ExternalIds, d.RelatedParties, d.Aggregator, p.BufferDebt, p.CreatedAt);
    }
}

/// <summary>An issuance batch as the registry shows it: the methodology version, class, vintage and region it records.</summary>
public sealed record PeriodBatchDto(long Id, string Code, string MethodologyId, string MethodologyVersion, string Class, int Vintage, string Region);

public sealed record PeriodDto(long ApplicationId, long ProjectId, string State, DateOnly From, DateOnly To, IReadOnlyDictionary<string, decimal> Inputs, long ClaimedGrams,
    long? OwnBufferGrams, long? VerifiedGrams, long? IssuedGrams, long? DeveloperGrams, long? BufferGrams, string? TransactionId, PeriodBatchDto? Batch)
{
    public static async Task<PeriodDto> FromAsync(MonitoringPeriod m, LedgerStore store, CancellationToken ct)
    {
        PeriodBatchDto? batch = null;
        if (m.Batch is { } id && await store.FindBatchAsync(id, ct) is { } b)
            batch = new PeriodBatchDto(b.Id.Value, b.Code, b.MethodologyId, b.MethodologyVersion, b.Class.ToString(), b.Vintage, b.Region);
        return new(m.ApplicationId, m.ProjectId, m.State, m.From, m.To, m.Inputs, m.ClaimedGrams, m.OwnBufferGrams, m.VerifiedGrams, m.IssuedGrams, m.DeveloperGrams,
            m.BufferGrams, m.TransactionId, batch);
    }
}

public sealed record ReversalDto(long Id, long ProjectId, long Grams, long CancelledGrams, string TransactionId, DateTimeOffset At)
{
    public static ReversalDto From(Reversal r) => new(r.Id, r.ProjectId, r.Grams, r.CancelledGrams, r.TransactionId, r.At);
}

public sealed record ProjectCreatedDto(long ProjectId, string Code, ApplicationDto Application);

public sealed record PeriodCreatedDto(PeriodDto Period, ApplicationDto Application);

public sealed record IssuedPeriodDto(PeriodDto Period, ApplicationDto Application);

public sealed record ReversalRecordedDto(ProjectDto Project, ReversalDto Reversal);

public sealed record ProjectListDto(IReadOnlyList<ProjectDto> Projects);

public sealed record ProjectDetailDto(ProjectDto Project, ApplicationDto Application, IReadOnlyList<PeriodDto> Periods, IReadOnlyList<ReversalDto> Reversals);

/// <summary>
/// The project registry's authenticated side (DESIGN §8): developers register projects and file monitoring reports,
/// the administrator issues approved periods, the platform operator records reversals, and the three read projects
/// with their periods. The steps in between (assigning, validating, verifying, reviewing) go through
/// <c>POST /applications/{id}/steps</c>.
/// </summary>
public static class RegistryEndpoints
{
    public static RouteGroupBuilder MapRegistry(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/registry").WithTags("Registry");
        group.MapPost("/projects", RegisterProject).WithName("RegisterProject");
        group.MapGet("/projects", ListProjects).WithName("ListRegistryProjects");
        group.MapGet("/projects/{id:long}", GetProject).WithName("GetRegistryProject");
        group.MapPost("/projects/{id:long}/periods", ReportPeriod).WithName("ReportMonitoringPeriod");
        group.MapPost("/projects/{id:long}/reversals", ReportReversal).WithName("ReportProjectReversal");
        group.MapPost("/periods/{applicationId:long}/issue", Issue).WithName("IssueMonitoringPeriod");
        return group;
    }

    private static async Task<Results<Created<ProjectCreatedDto>, ProblemHttpResult>> RegisterProject(ProjectRequest request, HttpContext http, AccessTokens tokens,
        LedgerStore store, ProjectRegistry registry, CancellationToken ct)
    {
        var (developer, problem) = await Callers.StaffAsync(http, tokens, store, OrganisationRoles.ProjectDeveloper, ct);
        if (problem is not null) return problem;
        if (request.Documents is { Count: > Step.DocumentsMax }) return Problems.Of("project-invalid", $"at most {Step.DocumentsMax} documents");
        if (request.Comment is { Length: > WorkflowDefinition.CommentLengthMax })
            return Problems.Of("project-invalid", $"a comment is at most {WorkflowDefinition.CommentLengthMax} characters");
        if (ProjectTypes.Parse(request.Type) is not { } type)
            return Problems.Of("project-invalid", "type is one of " + string.Join(", ", Enum.GetValues<ProjectType>().Select(t => t.Code())));
        var definition = new ProjectDefinition
        {
            NameZh = request.NameZh ?? "", NameEn = request.NameEn ?? "", Type = type, Region = request.Region ?? "", Latitude = request.Latitude, Longitude = request.Longitude,
            Capacity = request.Capacity, CapacityUnit = request.CapacityUnit ?? "", MethodologyId = request.MethodologyId ?? "", MethodologyVersion = request.MethodologyVersion ?? "",
            CreditingFrom = request.CreditingFrom, CreditingTo = request.CreditingTo, Declarations = request.Declarations!, ExternalIds = request.ExternalIds ?? [],
            RelatedParties = request.RelatedParties ?? [], Aggregator = request.Aggregator,
        };
        var actor = new Actor(WorkflowRole.Applicant, StaffName(developer), developer);
        var result = await registry.DraftAsync(actor, definition, request.Documents ?? [], request.Comment ?? "", ct);
        if (!result.Succeeded)
        {
            return result.Status switch
            {
                StepStatus.Invalid => Problems.Of("project-invalid", result.Detail),
                // The duplicate's id as an extension member, so a client need not parse the detail.
                StepStatus.Conflict => Problems.Of("project-duplicate", result.Detail,
                    result.ConflictsWith is { } existing ? new Dictionary<string, object?> { ["existingProject"] = existing } : []),
                _ => GovernanceEndpoints.StepProblem(result),
            };
        }

        var project = (await registry.ProjectOfApplicationAsync(result.Application!.Id, ct))!;
        return TypedResults.Created($"/api/v1/registry/projects/{project.Id}",
            new ProjectCreatedDto(project.Id, project.Code, await GovernanceEndpoints.DtoAsync(result.Application, registry.WorkflowStore, ct)));
    }

    private static async Task<Results<Created<PeriodCreatedDto>, ProblemHttpResult>> ReportPeriod(long id, PeriodRequest request, HttpContext http, AccessTokens tokens,
        LedgerStore store, ProjectRegistry registry, CancellationToken ct)
    {
        var (developer, problem) = await Callers.StaffAsync(http, tokens, store, OrganisationRoles.ProjectDeveloper, ct);
        if (problem is not null) return problem;
        if (request.Documents is { Count: > Step.DocumentsMax }) return Problems.Of("period-invalid", $"at most {Step.DocumentsMax} documents");
        if (request.Comment is { Length: > WorkflowDefinition.CommentLengthMax })
            return Problems.Of("period-invalid", $"a comment is at most {WorkflowDefinition.CommentLengthMax} characters");
        // Checked here so that the registry's remaining conflict can only be an overlap; a registered project never goes back.
        var project = await registry.GetProjectAsync(id, ct);
        if (project is null) return Problems.Of("project-not-found", $"project {id}");
        if (project.Developer != developer) return Problems.Of("not-applicant", $"project {id} is another developer's");
        if (project.State != "registered")
            return Problems.Of("project-not-registered", $"project {id} is {project.State}: only registered projects report monitoring periods",
                new Dictionary<string, object?> { ["state"] = project.State });
        var report = new MonitoringReport(request.From, request.To, request.Inputs ?? []);
        var result = await registry.ReportAsync(new Actor(WorkflowRole.Applicant, StaffName(developer), developer), id, report, request.Documents ?? [],
            request.Comment ?? "", ct);
        if (!result.Succeeded)
        {
            return result.Status switch
            {
                StepStatus.Invalid => Problems.Of("period-invalid", result.Detail),
                StepStatus.Conflict => Problems.Of("period-overlap", result.Detail),
                StepStatus.NotApplicant => Problems.Of("not-applicant", result.Detail),
                StepStatus.NotFound => Problems.Of("project-not-found", result.Detail),
                _ => GovernanceEndpoints.StepProblem(result),
            };
        }

        var period = (await registry.PeriodAsync(result.Application!.Id, ct))!;
        return TypedResults.Created($"/api/v1/applications/{period.ApplicationId}",
            new PeriodCreatedDto(await PeriodDto.FromAsync(period, store, ct), await GovernanceEndpoints.DtoAsync(result.Application, registry.WorkflowStore, ct)));
    }

    private static async Task<Results<Ok<IssuedPeriodDto>, ProblemHttpResult>> Issue(long applicationId, IssueRequest? request, HttpContext http, AccessTokens tokens,
        LedgerStore store, ProjectRegistry registry, CancellationToken ct)
    {
        var (administrator, problem) = await Callers.AdministratorAsync(http, tokens, ct);
        if (problem is not null) return problem;
        if (request?.Comment is { Length: > WorkflowDefinition.CommentLengthMax })
            return Problems.Of("invalid-argument", $"a comment is at most {WorkflowDefinition.CommentLengthMax} characters");
        var result = await registry.IssueAsync(applicationId, new Actor(WorkflowRole.Administrator, administrator), request?.Comment ?? "", ct);
        if (!result.Succeeded) return GovernanceEndpoints.StepProblem(result);
        return TypedResults.Ok(await IssuedAsync(result.Application!, store, registry, ct));
    }

    internal static async Task<IssuedPeriodDto> IssuedAsync(Application application, LedgerStore store, ProjectRegistry registry, CancellationToken ct)
    {
        var period = (await registry.PeriodAsync(application.Id, ct))!;
        return new IssuedPeriodDto(await PeriodDto.FromAsync(period, store, ct), await GovernanceEndpoints.DtoAsync(application, registry.WorkflowStore, ct));
    }

    private static async Task<Results<Created<ReversalRecordedDto>, ProblemHttpResult>> ReportReversal(long id, ReversalRequest request, HttpContext http, AccessTokens tokens,
        ProjectRegistry registry, CancellationToken ct)
    {
        var (platformOperator, problem) = await Callers.PlatformOperatorAsync(http, tokens, ct);
        if (problem is not null) return problem;
        if (request.Documents is { Count: > Step.DocumentsMax }) return Problems.Of("invalid-argument", $"at most {Step.DocumentsMax} documents per step");
        if (request.Comment is { Length: > WorkflowDefinition.CommentLengthMax })
            return Problems.Of("invalid-argument", $"a comment is at most {WorkflowDefinition.CommentLengthMax} characters");
        var result = await registry.ReportReversalAsync(id, request.Grams, request.RequestKey ?? "", new Actor(WorkflowRole.PlatformOperator, platformOperator),
            request.Comment ?? "", request.Documents ?? [], ct);
        if (!result.Succeeded)
        {
            return result.Status switch
            {
                StepStatus.Invalid => Problems.Of("invalid-argument", result.Detail),
                StepStatus.NotFound => Problems.Of("project-not-found", result.Detail),
                StepStatus.Conflict => Problems.Of("reversal-refused", result.Detail),
                _ => GovernanceEndpoints.StepProblem(result),
            };
        }

        var project = (await registry.GetProjectAsync(id, ct))!;
        var reversal = (await registry.ReversalsAsync(id, ct)).Single(r => r.RequestKey == request.RequestKey);
        return TypedResults.Created($"/api/v1/registry/projects/{id}", new ReversalRecordedDto(ProjectDto.From(project), ReversalDto.From(reversal)));
    }

    /// <summary>Projects for the caller: an organisation's staff see their own, the platform operator and the administrator every project in any state.</summary>
    private static async Task<Results<Ok<ProjectListDto>, ProblemHttpResult>> ListProjects(HttpContext http, AccessTokens tokens, ProjectRegistry registry, CancellationToken ct,
        bool mine = false)
    {
        var (principal, problem) = await Callers.AuthenticateAsync(http, tokens, ct);
        if (problem is not null) return problem;
        var all = principal!.Role is PrincipalRole.PlatformOperator or PrincipalRole.Administrator;
        if (!all && principal.Role != PrincipalRole.OrganisationStaff)
            return Problems.Of("forbidden", "projects are listed here for their developers, the platform operator and the administrator; the public reads the public registry");
        var projects = await registry.ListProjectsAsync(includeUnregistered: true, ct);
        // Staff only ever see their own organisation's projects; mine is how they say so explicitly.
        var shown = all && !mine ? projects : projects.Where(p => p.Developer == principal.Account);
        return TypedResults.Ok(new ProjectListDto(shown.Select(ProjectDto.From).ToList()));
    }

    private static async Task<Results<Ok<ProjectDetailDto>, ProblemHttpResult>> GetProject(long id, HttpContext http, AccessTokens tokens, LedgerStore store,
        ProjectRegistry registry, CancellationToken ct)
    {
        var (principal, problem) = await Callers.AuthenticateAsync(http, tokens, ct);
        if (problem is not null) return problem;
        var project = await registry.GetProjectAsync(id, ct);
        if (project is null) return Problems.Of("project-not-found", $"project {id}");
        if (principal!.Role is not (PrincipalRole.PlatformOperator or PrincipalRole.Administrator) && principal.Account != project.Developer)
            return Problems.Of("forbidden", "a project is read here by its developer, the platform operator and the administrator; the public reads the public registry");
        var application = (await registry.WorkflowStore.GetAsync(project.ApplicationId, ct))!;
        var periods = new List<PeriodDto>();
        foreach (var period in await registry.PeriodsAsync(id, ct)) periods.Add(await PeriodDto.FromAsync(period, store, ct));
        var reversals = await registry.ReversalsAsync(id, ct);
        return TypedResults.Ok(new ProjectDetailDto(ProjectDto.From(project), await GovernanceEndpoints.DtoAsync(application, registry.WorkflowStore, ct), periods,
            reversals.Select(ReversalDto.From).ToList()));
    }

    private static string StaffName(AccountId organisation) => "account:" + organisation.Value.ToString(CultureInfo.InvariantCulture);
}
