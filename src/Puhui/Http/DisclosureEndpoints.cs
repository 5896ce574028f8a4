using Microsoft.AspNetCore.Http.HttpResults;
using Puhui.Governance;
using Puhui.Ingestion;
using Puhui.Storage.Governance;
using Puhui.Storage.Ingestion;
using Puhui.Storage.Ledger;
using Puhui.Storage.Methodologies;

namespace Puhui.Host.Http;

public sealed record PublicMethodologyDto(string MethodologyId, string Version, string Class, string Kind, string TitleZh, string TitleEn, string Standing, string ContentHash,
    DateTimeOffset FiledAt, DateTimeOffset? FirstUsedAt, long? ApplicationId, IReadOnlyList<DocumentDto> Documents);

public sealed record PublicMethodologyListDto(IReadOnlyList<PublicMethodologyDto> Methodologies);

public sealed record PublicScenarioDto(string Code, string TitleZh, string TitleEn, long Operator, string OperatorName, string Status, string? MethodologyId,
    string? MethodologyVersion, string Region, long? ApplicationId, DateTimeOffset Since);

public sealed record PublicScenarioListDto(IReadOnlyList<PublicScenarioDto> Scenarios);

public sealed record PublicNoticeDto(long ApplicationId, string Kind, string Subject, string TitleZh, string TitleEn, string ApplicantName, DateOnly NoticeStartedOn,
    DateOnly NoticeEndsOn, IReadOnlyList<DocumentDto> Documents, string ObjectionsUrl);

public sealed record PublicNoticeListDto(IReadOnlyList<PublicNoticeDto> Notices);

public sealed record PublicObjectionDto(long Id, long ApplicationId, string ApplicationTitleZh, string ApplicationTitleEn, DateTimeOffset LodgedAt, string LodgedBy, string Text,
    string Outcome, string Response, DateTimeOffset? AnsweredAt);

public sealed record PublicObjectionListDto(IReadOnlyList<PublicObjectionDto> Objections);

/// <summary>
/// Public disclosure (SZ 27, JS 43, DESIGN §11), without login: filed methodologies with their versions and
/// documents, scenarios, applications under public notice and the objections lodged against them with their
/// outcomes, every application's recorded history, and disclosed documents. The expert pool and verification
/// bodies are disclosed beside their own endpoints.
/// </summary>
public static class DisclosureEndpoints
{
    /// <summary>
    /// The states in which an application's documents are public, per workflow: from its public notice or filing on.
    /// A verification body's documents carry its staff's qualifications, which are personal data: never disclosed. A
    /// certified neutrality claim's accounting report is, so that anyone holding its certificate can read what it rests on.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> DisclosedStates = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
    {
        [Workflows.Methodology.Kind] = ["public-notice", "filed", "revised", "withdrawn"],
        [Workflows.Scenario.Kind] = ["filed", "running", "suspended", "terminated"],
        [Workflows.Project.Kind] = ["registered"],
        [Workflows.MonitoringPeriod.Kind] = ["issued"],
        [Workflows.NeutralityClaim.Kind] = ["certified", "revoked"],
    };

    /// <summary>What the public sees in place of what a non-public kind of application applied for.</summary>
    private static readonly System.Text.Json.JsonElement WithheldPayload = System.Text.Json.JsonDocument.Parse("{}").RootElement.Clone();

    public static RouteGroupBuilder MapDisclosure(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/public").WithTags("Public disclosure");
        group.MapGet("/methodologies", Methodologies).WithName("ListPublicMethodologies");
        group.MapGet("/methodologies/{id}/{version}/text", MethodologyText).WithName("GetPublicMethodologyText");
        group.MapGet("/scenarios", Scenarios).WithName("ListPublicScenarios");
        group.MapGet("/notices", Notices).WithName("ListPublicNotices");
        group.MapGet("/objections", Objections).WithName("ListPublicObjections");
        group.MapGet("/applications/{id:long}", Application).WithName("GetPublicApplication");
        group.MapPost("/applications/{id:long}/objections", Object).WithName("LodgeObjection").RequireRateLimiting(RateLimits.Registration);
        group.MapGet("/documents/{sha256}", Document).WithName("DownloadPublicDocument");
        return group;
    }

    private static async Task<Ok<PublicMethodologyListDto>> Methodologies(LedgerStore store, WorkflowStore workflows, CancellationToken ct)
    {
        var list = new List<PublicMethodologyDto>();
        foreach (var m in await new MethodologyStore(store.Dialect).ListAsync(ct))
        {
            var documents = m.ApplicationId is { } app ? (await workflows.DocumentsAsync(app, ct)).Select(d => DocumentDto.From(d.Document, d.Seq)).ToList() : [];
            list.Add(new PublicMethodologyDto(m.MethodologyId, m.Version, m.Class.ToString(), m.Kind.ToString(), m.TitleZh, m.TitleEn, StoredMethodology.Code(m.Standing), m.ContentHash,
                m.StoredAt, m.FirstUsedAt, m.ApplicationId, documents));
        }

        return TypedResults.Ok(new PublicMethodologyListDto(list));
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> MethodologyText(string id, string version, LedgerStore store, CancellationToken ct)
    {
        var methodology = await new MethodologyStore(store.Dialect).GetAsync(id, version, ct);
        return methodology is null
            ? Problems.Of("methodology-not-found", $"methodology {id} {version}")
            : TypedResults.Text(methodology.Content, "application/yaml; charset=utf-8");
    }

    private static async Task<Results<Ok<PublicScenarioListDto>, ProblemHttpResult>> Scenarios(LedgerStore store, ScenarioStore scenarios, CancellationToken ct, string? status = "running")
    {
        ScenarioStatus? wanted = null;
        if (!string.IsNullOrEmpty(status) && status != "all")
        {
            wanted = ScenarioStatuses.Parse(status);
            if (wanted is null) return Problems.Of("invalid-argument", "status is all or one of " + string.Join(", ", Enum.GetValues<ScenarioStatus>().Select(s => s.Code())));
        }

        var list = new List<PublicScenarioDto>();
        var names = new Dictionary<long, string>();
        foreach (var s in await scenarios.ListAsync(null, wanted, ct))
        {
            if (!names.TryGetValue(s.Operator.Value, out var name))
                names[s.Operator.Value] = name = (await store.FindAccountAsync(s.Operator, ct))?.DisplayName ?? "";
            list.Add(new PublicScenarioDto(s.Code, s.Definition.TitleZh, s.Definition.TitleEn, s.Operator.Value, name, s.Status.Code(), s.Definition.MethodologyId,
                s.Definition.MethodologyVersion, s.Definition.Region, s.ApplicationId, s.UpdatedAt));
        }

        return TypedResults.Ok(new PublicScenarioListDto(list));
    }

    private static async Task<Ok<PublicNoticeListDto>> Notices(WorkflowStore workflows, CancellationToken ct)
    {
        var notices = new List<PublicNoticeDto>();
        foreach (var a in await workflows.ListAsync(states: ["public-notice"], ct: ct))
        {
            var documents = (await workflows.DocumentsAsync(a.Id, ct)).Select(d => DocumentDto.From(d.Document, d.Seq)).ToList();
            notices.Add(new PublicNoticeDto(a.Id, a.Kind, a.Subject, a.TitleZh, a.TitleEn, a.ApplicantName, a.EnteredOn, a.DueOn!.Value, documents,
                $"/api/v1/public/applications/{a.Id}/objections"));
        }

        return TypedResults.Ok(new PublicNoticeListDto(notices.OrderBy(n => n.NoticeEndsOn).ToList()));
    }

    private static async Task<Ok<PublicObjectionListDto>> Objections(WorkflowStore workflows, CancellationToken ct, long? application = null)
    {
        var titles = new Dictionary<long, (string Zh, string En)>();
        var list = new List<PublicObjectionDto>();
        foreach (var o in await workflows.ObjectionsAsync(application, ct))
        {
            if (!titles.TryGetValue(o.ApplicationId, out var title))
            {
                var a = await workflows.GetAsync(o.ApplicationId, ct);
                titles[o.ApplicationId] = title = (a?.TitleZh ?? "", a?.TitleEn ?? "");
            }

            list.Add(new PublicObjectionDto(o.Id, o.ApplicationId, title.Zh, title.En, o.LodgedAt, o.LodgedBy, o.Text, o.Outcome.ToString().ToLowerInvariant(), o.Response, o.AnsweredAt));
        }

        return TypedResults.Ok(new PublicObjectionListDto(list));
    }

    /// <summary>
    /// An application's public record: its state, deadline, every step on the governance log, objections and opinions.
    /// What was applied for is public only for the kinds whose documents are: a verification body's declaration names
    /// its staff with their degrees and experience, which are personal data.
    /// </summary>
    private static async Task<Results<Ok<ApplicationDetailDto>, ProblemHttpResult>> Application(long id, WorkflowStore workflows, CancellationToken ct)
    {
        var application = await workflows.GetAsync(id, ct);
        if (application is null) return Problems.Of("application-not-found", $"application {id}");
        var detail = await GovernanceEndpoints.DetailAsync(application, workflows, ct);
        if (!DisclosedStates.TryGetValue(application.Kind, out var states)) return TypedResults.Ok(detail with { Payload = WithheldPayload, Documents = [] });
        // Documents are listed once disclosed; before that the public sees their count on the steps, not their names.
        return TypedResults.Ok(states.Contains(application.State, StringComparer.Ordinal) ? detail : detail with { Documents = [] });
    }

    /// <summary>Lodges an objection (异议) during a public notice; anyone may, without logging in (JS 14–15).</summary>
    private static async Task<Results<Created<ObjectionDto>, ProblemHttpResult>> Object(long id, ObjectionRequest request, WorkflowStore workflows, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Text)) return Problems.Of("invalid-argument", "text gives the objection and its grounds");
        if (request.Text.Length > WorkflowDefinition.CommentLengthMax) return Problems.Of("invalid-argument", $"text is at most {WorkflowDefinition.CommentLengthMax} characters");
        if (request.Name is { Length: > Step.ObjectorNameLengthMax }) return Problems.Of("invalid-argument", $"name is at most {Step.ObjectorNameLengthMax} characters");
        var result = await workflows.ActAsync(id, new Step("object", request.Text, ObjectorName: request.Name), new Actor(WorkflowRole.Public, "public"), ct);
        if (!result.Succeeded) return GovernanceEndpoints.StepProblem(result);
        var objection = (await workflows.ObjectionsAsync(id, ct)).Single(o => o.Id == ReadObjectionId(result.Entry!));
        return TypedResults.Created($"/api/v1/public/objections?application={id}", ObjectionDto.From(objection));
    }

    private static long ReadObjectionId(GovernanceEntry entry)
        => System.Text.Json.JsonDocument.Parse(entry.Data).RootElement.GetProperty("objectionId").GetInt64();

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> Document(string sha256, DocumentStore documents, CancellationToken ct)
    {
        if (!DocumentStore.IsSha256(sha256)) return Problems.Of("invalid-argument", "a document is named by its SHA-256 in lower-case hex");
        if (!await documents.IsDisclosedAsync(sha256, DisclosedStates, ct)) return Problems.Of("document-not-found", $"{sha256} is not a disclosed document");
        return await GovernanceEndpoints.DocumentFile(sha256, documents, ct);
    }
}
