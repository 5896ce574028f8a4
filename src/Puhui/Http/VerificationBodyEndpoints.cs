using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Puhui.Governance;
using Puhui.Storage.Access;
using Puhui.Storage.Governance;

namespace Puhui.Host.Http;

/// <summary>One member of staff as an applicant sends it; every member is required.</summary>
/// <param name="Degree"><c>bachelor</c>, <c>master</c>, <c>doctorate</c> or <c>other</c>.</param>
public sealed record VerificationStaffRequest(string? Name, string? Degree, int? ExperienceYears, bool? FullTime, bool? ContinuingEducation);

/// <summary>One accreditation as an applicant sends it; every member is required.</summary>
/// <param name="Type"><c>ghg-validation-verification</c>, <c>cnas</c> or <c>cma</c>.</param>
/// <param name="ValidUntil">The certificate's last valid day, <c>yyyy-MM-dd</c>.</param>
public sealed record VerificationAccreditationRequest(string? Type, string? Number, string? Scope, DateOnly? ValidUntil);

/// <summary>
/// An application to become a verification body (JS 41): the JS 40 conditions as declared, the SHA-256 of the
/// supporting documents already uploaded, and a covering note. Every member is nullable so a missing one is named
/// in the answer rather than read as false or zero; <c>energyMetrologyReview</c> and <c>comment</c> are optional.
/// </summary>
public sealed record VerificationBodyApplicationRequest(string? OfficeAddress, string? Facilities, bool? ManagementSystem, bool? FinancialSystem, string? SystemsDescription,
    IReadOnlyList<VerificationStaffRequest?>? Staff, IReadOnlyList<VerificationAccreditationRequest?>? Accreditations, bool? EnergyMetrologyReview,
    IReadOnlyList<string>? Documents, string? Comment);

/// <summary>The application as filed; its steps (approve, suspend, rectify …) go through <c>/api/v1/applications/{id}/steps</c>.</summary>
public sealed record VerificationBodyApplicationDto(long Id, long Body, string Name, string State, string TitleZh, string TitleEn, DateOnly ReceivedOn, long Seq);

public sealed record AccreditationDto(string Type, string Number, string Scope, DateOnly ValidUntil);

/// <summary>A verification body as the public sees it (JS 43, DESIGN §11): no staff names, only how many qualify.</summary>
/// <param name="State"><c>approved</c>, <c>suspended</c> or <c>revoked</c>.</param>
/// <param name="ApprovedSince">The day the administrator approved it.</param>
/// <param name="SuspendedUntil">While suspended: the rectification deadline.</param>
/// <param name="QualifiedStaff">Full-time staff with a bachelor's degree, two years' experience and continuing education (JS 40(二)).</param>
public sealed record PublicVerificationBodyDto(long Account, string Name, string State, string StateZh, string StateEn, DateOnly? ApprovedSince, DateOnly? SuspendedUntil,
    DateOnly? RevokedOn, string OfficeAddress, int QualifiedStaff, bool EnergyMetrologyReview, IReadOnlyList<AccreditationDto> Accreditations)
{
    public static PublicVerificationBodyDto From(VerificationBodyListing b)
    {
        var state = Workflows.VerificationBody.State(b.State);
        return new(b.Body.Value, b.Name, b.State, state.NameZh, state.NameEn, b.ApprovedOn, b.SuspendedUntil, b.RevokedOn, b.Summary.OfficeAddress, b.Summary.QualifiedStaff,
            b.Summary.EnergyMetrologyReview, b.Summary.Accreditations.Select(a => new AccreditationDto(a.Type, a.Number, a.Scope, a.ValidUntil)).ToList());
    }
}

public sealed record PublicVerificationBodyListDto(IReadOnlyList<PublicVerificationBodyDto> Bodies);

/// <summary>
/// Verification bodies (核查机构, JS 39–42): an organisation's staff apply with the JS 40 conditions; anyone reads
/// the approved, suspended and revoked bodies without logging in. The administrator's steps go through the
/// applications' generic step endpoint.
/// </summary>
public static class VerificationBodyEndpoints
{
    public static RouteGroupBuilder MapVerificationBodies(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var group = api.MapGroup("").WithTags("Verification bodies");
        group.MapPost("/verification-bodies/applications", Apply).WithName("ApplyAsVerificationBody");
        group.MapGet("/public/verification-bodies", ListPublic).WithName("ListVerificationBodies");
        return group;
    }

    private static async Task<Results<Created<VerificationBodyApplicationDto>, ProblemHttpResult>> Apply(VerificationBodyApplicationRequest request, HttpContext http,
        AccessTokens tokens, VerificationBodies bodies, CancellationToken ct)
    {
        var (principal, problem) = await Callers.AuthenticateAsync(http, tokens, ct);
        if (problem is not null) return problem;
        if (principal!.Role != PrincipalRole.OrganisationStaff || principal.Account is not { } organisation)
            return Problems.Of("forbidden", "an organisation's staff apply for it to be a verification body");
        var (conditions, invalid) = ToConditions(request);
        if (invalid is not null) return Problems.Of("invalid-argument", invalid);

        var actor = new Actor(WorkflowRole.Applicant, "staff:" + organisation, organisation);
        var result = await bodies.SubmitAsync(actor, conditions!, request.Documents ?? [], request.Comment ?? "", ct);
        return result.Status switch
        {
            VerificationBodySubmissionStatus.Submitted => TypedResults.Created($"/api/v1/applications/{result.Application!.Id}", new VerificationBodyApplicationDto(
                result.Application.Id, result.Application.Applicant.Value, result.Application.ApplicantName, result.Application.State, result.Application.TitleZh,
                result.Application.TitleEn, result.Application.ReceivedOn, result.Entry!.Seq)),
            VerificationBodySubmissionStatus.NotOrganisation => Problems.Of("forbidden", result.Detail),
            VerificationBodySubmissionStatus.Invalid => Problems.Of("invalid-argument", result.Detail),
            VerificationBodySubmissionStatus.ConditionsUnmet => Problems.Of("verification-body-conditions-unmet", result.Detail,
                new Dictionary<string, object?> { ["problems"] = result.Problems }),
            VerificationBodySubmissionStatus.AlreadyApplied => Problems.Of("verification-body-application-exists", result.Detail),
            VerificationBodySubmissionStatus.DocumentMissing => Problems.Of("document-not-found", result.Detail),
        };
    }

    private static async Task<Results<Ok<PublicVerificationBodyListDto>, ProblemHttpResult>> ListPublic(VerificationBodies bodies, CancellationToken ct, string? state = null,
        int? limit = null)
    {
        if (state is not null && !VerificationBodies.PublicStates.Contains(state, StringComparer.Ordinal))
            return Problems.Of("invalid-argument", $"state is one of {string.Join(", ", VerificationBodies.PublicStates)}");
        if (limit is not null and (< 1 or > VerificationBodies.ListMax))
            return Problems.Of("invalid-argument", $"limit is 1–{VerificationBodies.ListMax.ToString(CultureInfo.InvariantCulture)}");
        var list = await bodies.ListAsync(state is null ? VerificationBodies.PublicStates : [state], limit ?? VerificationBodies.ListMax, ct);
        return TypedResults.Ok(new PublicVerificationBodyListDto(list.Select(PublicVerificationBodyDto.From).ToList()));
    }

    private static (VerificationBodyConditions? Conditions, string? Problem) ToConditions(VerificationBodyApplicationRequest r)
    {
        var missing = r.OfficeAddress is null ? "officeAddress"
            : r.Facilities is null ? "facilities"
            : r.ManagementSystem is null ? "managementSystem"
            : r.FinancialSystem is null ? "financialSystem"
            : r.SystemsDescription is null ? "systemsDescription"
            : r.Staff is null ? "staff"
            : r.Accreditations is null ? "accreditations"
            : null;
        if (missing is not null) return (null, $"{missing} is required");
        if (r.Staff!.Count > VerificationBodyConditions.StaffMax) return (null, $"staff must list at most {VerificationBodyConditions.StaffMax} people");
        if (r.Accreditations!.Count > VerificationBodyConditions.AccreditationsMax)
            return (null, $"accreditations must list at most {VerificationBodyConditions.AccreditationsMax}");

        var staff = new List<VerificationStaffMember>();
        for (var i = 0; i < r.Staff.Count; i++)
        {
            var s = r.Staff[i];
            var at = $"staff[{i.ToString(CultureInfo.InvariantCulture)}]";
            var absent = s is null ? "" : s.Name is null ? ".name" : s.Degree is null ? ".degree" : s.ExperienceYears is null ? ".experienceYears"
                : s.FullTime is null ? ".fullTime" : s.ContinuingEducation is null ? ".continuingEducation" : null;
            if (absent is not null) return (null, $"{at}{absent} is required");
            staff.Add(new VerificationStaffMember(s!.Name!, s.Degree!, s.ExperienceYears!.Value, s.FullTime!.Value, s.ContinuingEducation!.Value));
        }

        var accreditations = new List<VerificationAccreditation>();
        for (var i = 0; i < r.Accreditations.Count; i++)
        {
            var a = r.Accreditations[i];
            var at = $"accreditations[{i.ToString(CultureInfo.InvariantCulture)}]";
            var absent = a is null ? "" : a.Type is null ? ".type" : a.Number is null ? ".number" : a.Scope is null ? ".scope" : a.ValidUntil is null ? ".validUntil" : null;
            if (absent is not null) return (null, $"{at}{absent} is required");
            accreditations.Add(new VerificationAccreditation(a!.Type!, a.Number!, a.Scope!, a.ValidUntil!.Value));
        }

        var conditions = new VerificationBodyConditions(r.OfficeAddress!, r.Facilities!, r.ManagementSystem!.Value, r.FinancialSystem!.Value, r.SystemsDescription!, staff,
            accreditations, r.EnergyMetrologyReview ?? false);
        return conditions.Problem() is { } problem ? (null, problem) : (conditions, null);
    }
}
