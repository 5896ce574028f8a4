using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Puhui.Certificates;
using Puhui.Governance;
using Puhui.Holdings;
using Puhui.Ledger;
using Puhui.Storage.Access;
using Puhui.Storage.Governance;
using Puhui.Storage.Holdings;
using Puhui.Storage.Ledger;

namespace Puhui.Host.Http;

/// <param name="Kind"><c>event</c> or <c>period</c>.</param>
/// <param name="Beneficiary">The event or organisation made neutral: every matching retirement is made on its behalf.</param>
/// <param name="Accountant">The third party that accounted the emissions (JS 28); its report goes in <paramref name="Documents"/>.</param>
public sealed record NeutralityClaimRequest(string? Kind, string? Title, string? Beneficiary, DateOnly? From, DateOnly? To, long EmissionsGrams, string? Accountant,
    string? Jurisdiction, IReadOnlyList<string>? Documents, string? Comment);

public sealed record ClaimRetirementRequest(long Batch, long Grams, string? RequestKey);

public sealed record ClaimMatchRequest(long Retirement);

public sealed record NeutralityClaimDto(long Id, string State, string StateZh, string StateEn, long Organisation, string OrganisationName, string Kind, string Title,
    string Beneficiary, DateOnly From, DateOnly To, long EmissionsGrams, long RequiredGrams, long MatchedGrams, bool Covered, string Accountant, string Jurisdiction,
    IReadOnlyList<RetirementDto> Retirements, string? Certificate, DateOnly? DueOn)
{
    public static NeutralityClaimDto Of(NeutralityClaim c)
    {
        var a = c.Application;
        var d = c.Definition;
        var state = a.Definition.State(a.State);
        return new NeutralityClaimDto(a.Id, a.State, state.NameZh, state.NameEn, a.Applicant.Value, a.ApplicantName, d.Kind.Code(), d.Title, d.Beneficiary, d.From, d.To,
            d.EmissionsGrams, d.RequiredGrams, c.MatchedGrams, c.Covered, d.Accountant, d.Jurisdiction, c.Retirements.Select(RetirementDto.From).ToList(),
            c.Certificate?.Code, a.DueOn);
    }
}

/// <summary>What checking a certificate found, for people: the status, the reason when it is not valid, and what it certifies.</summary>
/// <param name="Status"><c>valid</c>, <c>revoked</c> or <c>invalid</c>.</param>
/// <param name="Problem">Why it is not valid, as a stable code: malformed, unknown-key, bad-signature, not-issued, revoked, retirement-missing, retirement-changed, retirement-detached.</param>
public sealed record CertificateCheckDto(string? Code, string Status, bool Valid, string? Problem, string? Reason, CertificatePayload? Certificate, string? KeyId,
    DateTimeOffset? IssuedAt, DateTimeOffset? RevokedAt, string? RevokedReason, string? Pdf, string? Signed)
{
    public static CertificateCheckDto From(CertificateVerification v)
    {
        var code = v.Payload?.Code ?? v.Issued?.Code;
        var links = code is null ? null : "/api/v1/public/certificates/" + Uri.EscapeDataString(code);
        return new CertificateCheckDto(code, v.Status, v.Valid, v.Problem?.Code(), v.Detail, v.Payload, v.Issued?.KeyId, v.Issued?.IssuedAt, v.Issued?.RevokedAt,
            v.Issued?.RevokedReason, links is null ? null : links + "/pdf", links is null ? null : links + "/signed");
    }
}

public sealed record CertificateSummaryDto(string Code, long Claim, string Status, DateTimeOffset IssuedAt, DateTimeOffset? RevokedAt, string Title, string Beneficiary,
    string Kind, long EmissionsGrams, long RetiredGrams);

public sealed record CertificateListDto(IReadOnlyList<CertificateSummaryDto> Certificates, long? NextAfter);

/// <summary>
/// Carbon-neutrality claims and certificates (JS 28–29, SZ 26): an organisation files a claim with its third-party
/// report, retires against it or matches earlier retirements, and asks for certification through the claim's
/// governance steps (<c>/applications/{id}/steps</c>); the administrator certifies it and the platform signs the
/// certificate. Anyone checks a certificate by its code or by sending the file, and downloads its PDF.
/// </summary>
public static class CertificateEndpoints
{
    public static RouteGroupBuilder MapCertificates(this RouteGroupBuilder api)
    {
        var org = api.MapGroup("/organisation/neutrality-claims").WithTags("Carbon neutrality");
        org.MapPost("", File).WithName("FileNeutralityClaim");
        org.MapGet("", Mine).WithName("ListNeutralityClaims");
        org.MapPost("/{id:long}/retirements", RetireAgainst).WithName("RetireAgainstNeutralityClaim");
        org.MapPost("/{id:long}/matches", Match).WithName("MatchRetirementToNeutralityClaim");
        api.MapGet("/neutrality-claims/{id:long}", Get).WithTags("Carbon neutrality").WithName("GetNeutralityClaim");

        var open = api.MapGroup("/public").WithTags("Public disclosure");
        open.MapGet("/certificates", List).WithName("ListCertificates");
        open.MapGet("/certificates.csv", CertificatesCsv).WithName("ExportCertificatesCsv");
        open.MapGet("/certificates/{code}", Check).WithName("CheckCertificate");
        open.MapGet("/certificates/{code}/signed", Signed).WithName("GetSignedCertificate");
        open.MapGet("/certificates/{code}/pdf", Pdf).WithName("GetCertificatePdf");
        open.MapPost("/certificates/verify", VerifyFile).WithName("VerifyCertificateFile");
        open.MapGet("/certificate-keys", Keys).WithName("ListCertificateKeys");
        return org;
    }

    private static async Task<Results<Created<NeutralityClaimDto>, ProblemHttpResult>> File(NeutralityClaimRequest request, HttpContext http, AccessTokens tokens,
        LedgerStore store, NeutralityClaims claims, CancellationToken ct)
    {
        var (account, actor, problem) = await HoldingEndpoints.OrganisationAsync(http, tokens, store, ct);
        if (problem is not null) return problem;
        if (!NeutralityKinds.TryParse(request.Kind, out var kind)) return Problems.Of("claim-invalid", "kind is event or period");
        if (request.From is not { } from || request.To is not { } to) return Problems.Of("claim-invalid", "from and to are ISO dates (yyyy-MM-dd)");
        var definition = new NeutralityClaimDefinition(kind, request.Title ?? "", request.Beneficiary ?? "", from, to, request.EmissionsGrams, request.Accountant ?? "",
            request.Jurisdiction ?? "");
        var name = (await store.FindAccountAsync(account, ct))!.DisplayName;
        var result = await claims.FileAsync(new Actor(WorkflowRole.Applicant, actor, account), name, definition, request.Documents ?? [], request.Comment ?? "", ct);
        if (!result.Succeeded)
            return result.Status == StepStatus.Invalid ? Problems.Of("claim-invalid", result.Detail) : GovernanceEndpoints.StepProblem(result);
        var claim = (await claims.GetAsync(result.Application!.Id, ct))!;
        return TypedResults.Created($"/api/v1/neutrality-claims/{claim.Application.Id}", NeutralityClaimDto.Of(claim));
    }

    private static async Task<Results<Ok<IReadOnlyList<NeutralityClaimDto>>, ProblemHttpResult>> Mine(HttpContext http, AccessTokens tokens, LedgerStore store,
        NeutralityClaims claims, CancellationToken ct)
    {
        var (account, _, problem) = await HoldingEndpoints.OrganisationAsync(http, tokens, store, ct);
        if (problem is not null) return problem;
        IReadOnlyList<NeutralityClaimDto> list = (await claims.ListAsync(account, ct)).Select(NeutralityClaimDto.Of).ToList();
        return TypedResults.Ok(list);
    }

    /// <summary>A claim with its matched retirements: for its claimant, the operating body and the administrator.</summary>
    private static async Task<Results<Ok<NeutralityClaimDto>, ProblemHttpResult>> Get(long id, HttpContext http, AccessTokens tokens, NeutralityClaims claims,
        CancellationToken ct)
    {
        var (principal, problem) = await Callers.AuthenticateAsync(http, tokens, ct);
        if (problem is not null) return problem;
        var claim = await claims.GetAsync(id, ct);
        var allowed = principal!.Role is PrincipalRole.Administrator or PrincipalRole.PlatformOperator
            || (principal.Role == PrincipalRole.OrganisationStaff && claim is not null && principal.Account == claim.Application.Applicant);
        if (claim is null || !allowed) return Problems.Of("claim-not-found", $"neutrality claim {id}");
        return TypedResults.Ok(NeutralityClaimDto.Of(claim));
    }

    private static async Task<Results<Created<RetirementDto>, Ok<RetirementDto>, ProblemHttpResult>> RetireAgainst(long id, ClaimRetirementRequest request, HttpContext http,
        AccessTokens tokens, LedgerStore store, NeutralityClaims claims, CancellationToken ct)
    {
        var (account, actor, problem) = await HoldingEndpoints.OrganisationAsync(http, tokens, store, ct);
        if (problem is not null) return problem;
        var result = await claims.RetireAgainstAsync(id, account, new BatchId(request.Batch), request.Grams, request.RequestKey ?? "", actor, ct);
        if (!result.Succeeded) return HoldingEndpoints.Problem(result.Status, result.Detail);
        var dto = RetirementDto.From(result.Value!);
        return result.Status == HoldingStatus.Replayed ? TypedResults.Ok(dto) : TypedResults.Created($"/api/v1/public/retirements/{dto.Id}", dto);
    }

    private static async Task<Results<Ok<NeutralityClaimDto>, ProblemHttpResult>> Match(long id, ClaimMatchRequest request, HttpContext http, AccessTokens tokens,
        LedgerStore store, NeutralityClaims claims, CancellationToken ct)
    {
        var (account, actor, problem) = await HoldingEndpoints.OrganisationAsync(http, tokens, store, ct);
        if (problem is not null) return problem;
        var result = await claims.MatchAsync(id, request.Retirement, new Actor(WorkflowRole.Applicant, actor, account), ct);
        if (!result.Succeeded)
            return result.Status == StepStatus.Conflict ? Problems.Of("retirement-not-matchable", result.Detail) : GovernanceEndpoints.StepProblem(result);
        return TypedResults.Ok(NeutralityClaimDto.Of((await claims.GetAsync(id, ct))!));
    }

    private static async Task<Results<Ok<CertificateListDto>, ProblemHttpResult>> List(NeutralityClaims claims, CancellationToken ct, long after = 0, int limit = 100)
    {
        if (limit is < 1 or > NeutralityClaims.CertificateListMax) return Problems.Of("invalid-argument", $"limit is 1–{NeutralityClaims.CertificateListMax}");
        var page = await claims.CertificatesAsync(after, limit, ct);
        var list = new List<CertificateSummaryDto>();
        foreach (var certificate in page)
        {
            var p = CertificateSigning.ReadPayload(certificate.Payload);
            list.Add(new CertificateSummaryDto(certificate.Code, certificate.ClaimId, certificate.RevokedAt is null ? "issued" : "revoked", certificate.IssuedAt,
                certificate.RevokedAt, p.Title, p.Beneficiary, p.Kind, p.EmissionsGrams, p.RetiredGrams));
        }

        return TypedResults.Ok(new CertificateListDto(list, page.Count == limit ? page[^1].ClaimId : null));
    }

    /// <summary>Every certificate with what it certifies and the serial ranges it rests on, as CSV (RFC 4180), by claim.</summary>
    private static async Task<ContentHttpResult> CertificatesCsv(NeutralityClaims claims, CancellationToken ct)
    {
        var text = new StringBuilder("code,claim,status,issued_at,revoked_at,kind,title,beneficiary,organisation,from,to,emissions_grams,retired_grams,serials,key_id\r\n");
        long after = 0;
        while (true)
        {
            var page = await claims.CertificatesAsync(after, NeutralityClaims.CertificateListMax, ct);
            foreach (var c in page)
            {
                var p = CertificateSigning.ReadPayload(c.Payload);
                text.AppendJoin(',', new[]
                {
                    c.Code, c.ClaimId.ToString(CultureInfo.InvariantCulture), c.RevokedAt is null ? "issued" : "revoked", c.IssuedAt.ToString("O", CultureInfo.InvariantCulture),
                    c.RevokedAt?.ToString("O", CultureInfo.InvariantCulture) ?? "", p.Kind, p.Title, p.Beneficiary, p.OrganisationName, p.From, p.To,
                    p.EmissionsGrams.ToString(CultureInfo.InvariantCulture), p.RetiredGrams.ToString(CultureInfo.InvariantCulture),
                    string.Join(' ', p.Retirements.Select(r => r.Serials)), c.KeyId,
                }.Select(HoldingEndpoints.Csv)).Append("\r\n");
            }

            if (page.Count < NeutralityClaims.CertificateListMax) break;
            after = page[^1].ClaimId;
        }

        return TypedResults.Text(text.ToString(), "text/csv; charset=utf-8");
    }

    /// <summary>The certificate issued under a code, checked now: its signature, its standing and every retirement it rests on.</summary>
    private static async Task<Results<Ok<CertificateCheckDto>, ProblemHttpResult>> Check(string code, NeutralityClaims claims, CancellationToken ct)
    {
        if (await claims.CertificateAsync(code, ct) is null) return Problems.Of("certificate-not-found", $"no certificate {code} was issued here");
        return TypedResults.Ok(CertificateCheckDto.From(await claims.VerifyCodeAsync(code, ct)));
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> Signed(string code, NeutralityClaims claims, CancellationToken ct)
    {
        if (await claims.CertificateAsync(code, ct) is not { } certificate) return Problems.Of("certificate-not-found", $"no certificate {code} was issued here");
        return TypedResults.File(Encoding.UTF8.GetBytes(certificate.File), "application/json", certificate.Code + ".json");
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> Pdf(string code, NeutralityClaims claims, CancellationToken ct)
    {
        if (await claims.CertificateAsync(code, ct) is not { } certificate) return Problems.Of("certificate-not-found", $"no certificate {code} was issued here");
        var check = await claims.VerifyCodeAsync(code, ct);
        return TypedResults.File(CertificateDocument.Render(certificate, check), "application/pdf", certificate.Code + ".pdf");
    }

    /// <summary>Checks a certificate file someone received (the body is the file as downloaded): 200 with the finding, valid or not.</summary>
    private static async Task<Results<Ok<CertificateCheckDto>, ProblemHttpResult>> VerifyFile(HttpRequest request, NeutralityClaims claims, CancellationToken ct)
    {
        if (request.ContentLength > CertificateEnvelope.FileLengthMax) return Problems.Of("invalid-argument", "the file is too large to be a certificate");
        var buffer = new char[CertificateEnvelope.FileLengthMax + 1];
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await reader.ReadAsync(buffer.AsMemory(length), ct)) > 0) length += read;
        if (length > CertificateEnvelope.FileLengthMax) return Problems.Of("invalid-argument", "the file is too large to be a certificate");
        return TypedResults.Ok(CertificateCheckDto.From(await claims.VerifyAsync(new string(buffer, 0, length), ct)));
    }

    private static async Task<Ok<IReadOnlyList<CertificateKey>>> Keys(NeutralityClaims claims, CancellationToken ct) => TypedResults.Ok(await claims.KeysAsync(ct));
}
