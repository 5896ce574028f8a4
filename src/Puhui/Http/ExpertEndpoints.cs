using Microsoft.AspNetCore.Http.HttpResults;
using Puhui.Governance;
using Puhui.Storage.Access;
using Puhui.Storage.Governance;

namespace Puhui.Host.Http;

public sealed record ConflictDto(long? Account, string Organisation, string Reason);

/// <summary>An expert as the administrator and the expert see them, with the reasons of declared conflicts.</summary>
/// <param name="Status"><c>active</c> or <c>inactive</c>.</param>
public sealed record ExpertDto(long Id, string Name, string Organisation, long? OrganisationAccount, IReadOnlyList<string> Fields, string Title, string Status,
    IReadOnlyList<ConflictDto> Conflicts)
{
    public static ExpertDto From(Expert e) => new(e.Id, e.Name, e.Organisation, e.OrganisationAccount, e.Fields, e.Title, ExpertStore.Code(e.Status),
        [.. e.Conflicts.Select(c => new ConflictDto(c.Account, c.Organisation, c.Reason))]);
}

public sealed record ExpertListDto(IReadOnlyList<ExpertDto> Experts);

/// <summary>An expert as the public list shows one (SZ 27): no contact data, no conflicts.</summary>
public sealed record PublicExpertDto(long Id, string Name, string Organisation, IReadOnlyList<string> Fields, string Title, string Status);

public sealed record PublicExpertListDto(IReadOnlyList<PublicExpertDto> Experts);

public sealed record ExpertEventDto(int Revision, string Kind, string Detail, string Actor, string Comment, DateTimeOffset At);
public sealed record ExpertEventListDto(long Expert, IReadOnlyList<ExpertEventDto> Events);

/// <param name="Fields">Field codes such as <c>transport</c>, <c>energy</c>, <c>forestry</c>: 1–8, each once.</param>
/// <param name="OrganisationAccount">The organisation's account, when it has one on the platform.</param>
public sealed record ExpertRequest(string? Name, string? Organisation, long? OrganisationAccount, IReadOnlyList<string>? Fields, string? Title);

/// <param name="Status"><c>active</c> or <c>inactive</c>.</param>
public sealed record ExpertStatusRequest(string? Status, string? Comment);

public sealed record ConflictRequest(long? Account, string? Organisation, string? Reason);

/// <param name="Role"><c>platform-operator</c> or <c>expert</c>.</param>
/// <param name="ExpertId">The expert an expert's token acts as; absent for the platform operator's staff.</param>
public sealed record StaffTokenRequest(string? Role, long? ExpertId, string? Label);

/// <param name="Token">The bearer token, shown this once.</param>
public sealed record StaffTokenDto(string Token, string Role, long? ExpertId, string Label);

/// <summary>A conflict as a draw's candidates disclose it: with whom, not why.</summary>
public sealed record CandidateConflictDto(long? Account, string Organisation);

public sealed record CandidateDto(long Id, string Name, string Organisation, long? OrganisationAccount, IReadOnlyList<string> Fields, string Title, string Status,
    IReadOnlyList<CandidateConflictDto> Conflicts);

public sealed record PanelRequestDto(IReadOnlyList<string> Fields, int Size, long? ApplicantAccount, string ApplicantOrganisation);

/// <param name="Reason"><c>inactive</c>, <c>no-required-field</c>, <c>same-organisation</c> or <c>declared-conflict</c>.</param>
public sealed record ExclusionDto(long Expert, string Reason, string Detail);

/// <summary>A recorded draw, whole: with the algorithm, the seed, the request and the candidates anyone can recompute the exclusions and the panel.</summary>
/// <param name="Seed">The seed's 32 bytes as lower-case hex.</param>
/// <param name="Panel">The drawn experts' ids in the order drawn.</param>
public sealed record PanelDrawDto(long Id, string Subject, string Algorithm, string Seed, PanelRequestDto Request, IReadOnlyList<CandidateDto> Candidates,
    IReadOnlyList<ExclusionDto> Excluded, IReadOnlyList<long> Panel, string DrawnBy, DateTimeOffset At)
{
    public static PanelDrawDto From(StoredPanelDraw draw)
    {
        var r = draw.Record;
        return new(draw.Id, draw.Subject, r.Algorithm, r.SeedHex,
            new PanelRequestDto(r.Request.Fields, r.Request.Size, r.Request.ApplicantAccount, r.Request.ApplicantOrganisation),
            [.. r.Candidates.Select(c => new CandidateDto(c.Id, c.Name, c.Organisation, c.OrganisationAccount, c.Fields, c.Title, ExpertStore.Code(c.Status),
                [.. c.Conflicts.Select(k => new CandidateConflictDto(k.Account, k.Organisation))]))],
            [.. r.Excluded.Select(x => new ExclusionDto(x.ExpertId, ExpertEndpoints.Code(x.Reason), x.Detail))],
            r.Panel, draw.DrawnBy, draw.At);
    }
}

public sealed record PanelDrawListDto(string Subject, IReadOnlyList<PanelDrawDto> Draws);

/// <param name="Replays">Whether the exclusions and the panel recomputed from the record are exactly the recorded ones.</param>
/// <param name="Panel">The panel recomputed from the record; empty when the record yields none.</param>
public sealed record PanelVerificationDto(long Id, bool Replays, IReadOnlyList<long> Panel);

/// <summary>
/// The expert pool (专家库, DESIGN §10): the administrator adds experts, changes their status, records conflicts
/// of interest and issues the tokens of experts and of the platform operator's staff; an expert reads their own
/// entry and declares conflicts; anyone reads the pool and every recorded panel draw, and has a draw replayed
/// (SZ 11, SZ 27). Every refusal is a problem from <see cref="Problems"/> and changes nothing.
/// </summary>
public static class ExpertEndpoints
{
    public static RouteGroupBuilder MapExperts(this RouteGroupBuilder api)
    {
        var experts = api.MapGroup("").WithTags("Experts");
        experts.MapPost("/admin/experts", AddExpert).WithName("AddExpert");
        experts.MapGet("/admin/experts", ListExperts).WithName("ListExperts");
        experts.MapGet("/admin/experts/{id:long}", GetExpert).WithName("GetExpert");
        experts.MapGet("/admin/experts/{id:long}/events", ListExpertEvents).WithName("ListExpertEvents");
        experts.MapPost("/admin/experts/{id:long}/status", SetStatus).WithName("SetExpertStatus");
        experts.MapPost("/admin/experts/{id:long}/conflicts", RecordConflict).WithName("RecordExpertConflict");
        experts.MapPost("/admin/tokens", IssueToken).WithName("IssueStaffToken");

        experts.MapGet("/expert/me", GetMe).WithName("GetExpertSelf");
        experts.MapPost("/expert/conflicts", DeclareOwnConflict).WithName("DeclareOwnConflict");

        experts.MapGet("/public/experts", ListPublic).WithName("ListPublicExperts");
        experts.MapGet("/public/panel-draws", ListDraws).WithName("ListPanelDraws");
        experts.MapGet("/public/panel-draws/{id:long}", GetDraw).WithName("GetPanelDraw");
        experts.MapGet("/public/panel-draws/{id:long}/verification", VerifyDraw).WithName("VerifyPanelDraw");
        return experts;
    }

    public static string Code(ExclusionReason reason) => reason switch
    {
        ExclusionReason.Inactive => "inactive",
        ExclusionReason.NoRequiredField => "no-required-field",
        ExclusionReason.SameOrganisation => "same-organisation",
        ExclusionReason.DeclaredConflict => "declared-conflict",
        _ => "unknown",
    };

    // ---- administrator --------------------------------------------------------------------------------------

    private static async Task<Results<Created<ExpertDto>, ProblemHttpResult>> AddExpert(ExpertRequest request, HttpContext http, AccessTokens tokens, ExpertStore experts,
        CancellationToken ct)
    {
        var (actor, problem) = await Callers.AdministratorAsync(http, tokens, ct);
        if (problem is not null) return problem;
        var write = await experts.AddAsync(new NewExpert(request.Name ?? "", request.Organisation ?? "", request.OrganisationAccount, request.Fields ?? [], request.Title ?? ""),
            actor, ct);
        if (write.Status != ExpertWriteStatus.Done) return WriteProblem(write);
        return TypedResults.Created($"/api/v1/admin/experts/{write.Expert!.Id}", ExpertDto.From(write.Expert));
    }

    private static async Task<Results<Ok<ExpertListDto>, ProblemHttpResult>> ListExperts(HttpContext http, AccessTokens tokens, ExpertStore experts, CancellationToken ct)
    {
        var (_, problem) = await Callers.AdministratorAsync(http, tokens, ct);
        if (problem is not null) return problem;
        return TypedResults.Ok(new ExpertListDto([.. (await experts.ListAsync(ct)).Select(ExpertDto.From)]));
    }

    private static async Task<Results<Ok<ExpertDto>, ProblemHttpResult>> GetExpert(long id, HttpContext http, AccessTokens tokens, ExpertStore experts, CancellationToken ct)
    {
        var (_, problem) = await Callers.AdministratorAsync(http, tokens, ct);
        if (problem is not null) return problem;
        var expert = await experts.GetAsync(id, ct);
        return expert is null ? Problems.Of("expert-not-found", $"expert {id}") : TypedResults.Ok(ExpertDto.From(expert));
    }

    private static async Task<Results<Ok<ExpertEventListDto>, ProblemHttpResult>> ListExpertEvents(long id, HttpContext http, AccessTokens tokens, ExpertStore experts,
        CancellationToken ct)
    {
        var (_, problem) = await Callers.AdministratorAsync(http, tokens, ct);
        if (problem is not null) return problem;
        if (await experts.GetAsync(id, ct) is null) return Problems.Of("expert-not-found", $"expert {id}");
        var events = await experts.GetEventsAsync(id, ct);
        return TypedResults.Ok(new ExpertEventListDto(id, [.. events.Select(e => new ExpertEventDto(e.Revision, e.Kind, e.Detail, e.Actor, e.Comment, e.At))]));
    }

    private static async Task<Results<Ok<ExpertDto>, ProblemHttpResult>> SetStatus(long id, ExpertStatusRequest request, HttpContext http, AccessTokens tokens,
        ExpertStore experts, CancellationToken ct)
    {
        var (actor, problem) = await Callers.AdministratorAsync(http, tokens, ct);
        if (problem is not null) return problem;
        if (ExpertStore.ParseStatus(request.Status) is not { } status) return Problems.Of("expert-invalid", "status must be active or inactive");
        return Written(await experts.SetStatusAsync(id, status, actor, request.Comment, ct));
    }

    private static async Task<Results<Ok<ExpertDto>, ProblemHttpResult>> RecordConflict(long id, ConflictRequest request, HttpContext http, AccessTokens tokens,
        ExpertStore experts, CancellationToken ct)
    {
        var (actor, problem) = await Callers.AdministratorAsync(http, tokens, ct);
        if (problem is not null) return problem;
        return Written(await experts.DeclareConflictAsync(id, new ExpertConflict(request.Account, request.Organisation ?? "", request.Reason ?? ""), actor, ct));
    }

    /// <summary>Issues the token of an expert or of the platform operator's staff; it is shown this once.</summary>
    private static async Task<Results<Created<StaffTokenDto>, ProblemHttpResult>> IssueToken(StaffTokenRequest request, HttpContext http, AccessTokens tokens,
        ExpertStore experts, CancellationToken ct)
    {
        var (_, problem) = await Callers.AdministratorAsync(http, tokens, ct);
        if (problem is not null) return problem;
        if (string.IsNullOrWhiteSpace(request.Label) || request.Label.Length > AccessTokens.LabelLengthMax || request.Label.Any(char.IsControl))
            return Problems.Of("invalid-argument", $"label must be 1–{AccessTokens.LabelLengthMax} characters: whom the token is for, shown in audit trails");
        switch (request.Role)
        {
            case "platform-operator":
                if (request.ExpertId is not null) return Problems.Of("invalid-argument", "a platform operator's token names no expert: leave expertId out");
                var token = await tokens.IssueAsync(PrincipalRole.PlatformOperator, null, request.Label, ct);
                return TypedResults.Created("/api/v1/admin/tokens", new StaffTokenDto(token, request.Role, null, request.Label));
            case "expert":
                if (request.ExpertId is not { } id) return Problems.Of("invalid-argument", "an expert's token names the expert: send expertId");
                var expert = await experts.GetAsync(id, ct);
                if (expert is null) return Problems.Of("expert-not-found", $"expert {id}");
                if (expert.Status != ExpertStatus.Active) return Problems.Of("expert-invalid", $"expert {id} is inactive; activate them before issuing a token");
                var expertToken = await tokens.IssueAsync(PrincipalRole.Expert, null, id, request.Label, ct);
                return TypedResults.Created("/api/v1/admin/tokens", new StaffTokenDto(expertToken, request.Role, id, request.Label));
            default:
                return Problems.Of("invalid-argument", "role is one of platform-operator, expert");
        }
    }

    // ---- expert ---------------------------------------------------------------------------------------------

    private static async Task<Results<Ok<ExpertDto>, ProblemHttpResult>> GetMe(HttpContext http, AccessTokens tokens, ExpertStore experts, CancellationToken ct)
    {
        var (id, _, problem) = await Callers.ExpertAsync(http, tokens, ct);
        if (problem is not null) return problem;
        var expert = await experts.GetAsync(id, ct);
        return expert is null ? Problems.Of("expert-not-found", $"expert {id}") : TypedResults.Ok(ExpertDto.From(expert));
    }

    private static async Task<Results<Ok<ExpertDto>, ProblemHttpResult>> DeclareOwnConflict(ConflictRequest request, HttpContext http, AccessTokens tokens, ExpertStore experts,
        CancellationToken ct)
    {
        var (id, actor, problem) = await Callers.ExpertAsync(http, tokens, ct);
        if (problem is not null) return problem;
        return Written(await experts.DeclareConflictAsync(id, new ExpertConflict(request.Account, request.Organisation ?? "", request.Reason ?? ""), actor, ct));
    }

    // ---- public ---------------------------------------------------------------------------------------------

    private static async Task<Ok<PublicExpertListDto>> ListPublic(ExpertStore experts, CancellationToken ct)
        => TypedResults.Ok(new PublicExpertListDto([.. (await experts.ListAsync(ct)).Select(e => new PublicExpertDto(e.Id, e.Name, e.Organisation, e.Fields, e.Title,
            ExpertStore.Code(e.Status)))]));

    private static async Task<Results<Ok<PanelDrawListDto>, ProblemHttpResult>> ListDraws(PanelDraws draws, CancellationToken ct, string? subject = null)
    {
        if (PanelDraws.SubjectProblem(subject) is { } problem) return Problems.Of("invalid-argument", problem);
        var list = await draws.ListDrawsAsync(subject!, ct);
        return TypedResults.Ok(new PanelDrawListDto(subject!, [.. list.Select(PanelDrawDto.From)]));
    }

    private static async Task<Results<Ok<PanelDrawDto>, ProblemHttpResult>> GetDraw(long id, PanelDraws draws, CancellationToken ct)
    {
        var draw = await draws.GetDrawAsync(id, ct);
        return draw is null ? Problems.Of("panel-draw-not-found", $"panel draw {id}") : TypedResults.Ok(PanelDrawDto.From(draw));
    }

    private static async Task<Results<Ok<PanelVerificationDto>, ProblemHttpResult>> VerifyDraw(long id, PanelDraws draws, CancellationToken ct)
    {
        var draw = await draws.GetDrawAsync(id, ct);
        if (draw is null) return Problems.Of("panel-draw-not-found", $"panel draw {id}");
        return TypedResults.Ok(new PanelVerificationDto(id, PanelDraw.Verify(draw.Record), PanelDraw.Replay(draw.Record)));
    }

    private static Results<Ok<ExpertDto>, ProblemHttpResult> Written(ExpertWrite write)
        => write.Status == ExpertWriteStatus.Done ? TypedResults.Ok(ExpertDto.From(write.Expert!)) : WriteProblem(write);

    private static ProblemHttpResult WriteProblem(ExpertWrite write) => write.Status switch
    {
        ExpertWriteStatus.NotFound => Problems.Of("expert-not-found", write.Problem),
        ExpertWriteStatus.Invalid => Problems.Of("expert-invalid", write.Problem),
        ExpertWriteStatus.Done => throw new InvalidOperationException("A write that was done is no problem."),
        _ => throw new InvalidOperationException($"Unknown expert write status {write.Status}."),
    };
}
