using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Puhui.Holdings;
using Puhui.Ledger;
using Puhui.Storage.Access;
using Puhui.Storage.Holdings;
using Puhui.Storage.Ledger;

namespace Puhui.Host.Http;

public sealed record HoldingDto(long Batch, string BatchCode, long HeldGrams, long PledgedGrams);

public sealed record HoldingListDto(long Account, IReadOnlyList<HoldingDto> Holdings);

public sealed record TransferRequest(long To, long Batch, long Grams, string? RequestKey);

public sealed record PledgeRequest(long Lender, long Batch, long Grams, string? RequestKey);

/// <param name="Purpose">voluntary-offset, voluntary-cancellation, donation, event-neutrality, eco-damage-compensation or compliance-offset.</param>
public sealed record RetirementRequest(long Batch, long Grams, string? Purpose, string? Beneficiary, string? UsingEntity, string? Reason, string? Jurisdiction, string? RequestKey);

public sealed record BridgeRequest(long Batch, long Grams, string? DestinationRegistry, string? DestinationReference, string? RequestKey);

public sealed record ComplianceCapRequest(long Kilograms);

public sealed record NoteRequest(string? Text);

public sealed record RetirementDto(long Id, long Holder, long Batch, long Grams, string Purpose, string PurposeTitle, string Beneficiary, string UsingEntity, string Reason,
    string Jurisdiction, int? ComplianceYear, IReadOnlyList<string> Serials, string TransactionId, DateTimeOffset At, IReadOnlyList<RetirementNoteDto> Notes)
{
    public static RetirementDto From(Retirement r) => new(r.Id, r.Holder.Value, r.Batch.Value, r.Grams, r.Purpose.Code(), r.Purpose.Title(), r.Beneficiary, r.UsingEntity, r.Reason,
        r.Jurisdiction, r.ComplianceYear, r.Serials.Select(s => s.ToString()).ToList(), r.TransactionId, r.At, r.Notes.Select(n => new RetirementNoteDto(n.Text, n.At)).ToList());
}

/// <summary>A note on a retirement as the public sees it: its text and time, not who typed it.</summary>
public sealed record RetirementNoteDto(string Text, DateTimeOffset At);

public sealed record RetirementListDto(IReadOnlyList<RetirementDto> Retirements, long? NextAfter);

/// <summary>
/// Reductions in motion (DESIGN §8, issue 9's core): an organisation's holdings, transfers, pledges, retirements with
/// purpose, beneficiary and serial ranges, and bridges out; the administrator's compliance caps and retirement notes;
/// and the public retirement report with serial lookup. Every write is one ledger transaction with its rows,
/// idempotent on the caller's <c>requestKey</c>.
/// </summary>
public static class HoldingEndpoints
{
    public static RouteGroupBuilder MapHoldings(this RouteGroupBuilder api)
    {
        var org = api.MapGroup("/organisation").WithTags("Holdings");
        org.MapGet("/holdings", Holdings).WithName("GetHoldings");
        org.MapPost("/transfers", Transfer).WithName("TransferReductions");
        org.MapPost("/pledges", Pledge).WithName("PledgeReductions");
        org.MapGet("/pledges", Pledges).WithName("ListPledges");
        org.MapPost("/pledges/{id:long}/release", (long id, HttpContext http, AccessTokens tokens, LedgerStore store, ReductionHoldings holdings, CancellationToken ct)
            => ClosePledge(id, release: true, http, tokens, store, holdings, ct)).WithName("ReleasePledge");
        org.MapPost("/pledges/{id:long}/enforce", (long id, HttpContext http, AccessTokens tokens, LedgerStore store, ReductionHoldings holdings, CancellationToken ct)
            => ClosePledge(id, release: false, http, tokens, store, holdings, ct)).WithName("EnforcePledge");
        org.MapPost("/retirements", Retire).WithName("RetireReductions");
        org.MapPost("/bridges", Bridge).WithName("BridgeOut");

        var admin = api.MapGroup("/admin").WithTags("Holdings");
        admin.MapPut("/compliance-caps/{year:int}/{entity:long}", SetCap).WithName("SetComplianceCap");
        admin.MapPost("/retirements/{id:long}/notes", Note).WithName("NoteRetirement");

        var open = api.MapGroup("/public").WithTags("Public disclosure");
        open.MapGet("/retirements", PublicRetirements).WithName("ListPublicRetirements");
        open.MapGet("/retirements.csv", RetirementsCsv).WithName("ExportRetirementsCsv");
        open.MapGet("/retirements/{id:long}", PublicRetirement).WithName("GetPublicRetirement");
        open.MapGet("/serials/{serial}", Serial).WithName("FindSerial");
        return org;
    }

    private static async Task<Results<Ok<HoldingListDto>, ProblemHttpResult>> Holdings(HttpContext http, AccessTokens tokens, LedgerStore store, ReductionHoldings holdings,
        CancellationToken ct)
    {
        var (account, actor, problem) = await OrganisationAsync(http, tokens, store, ct);
        if (problem is not null) return problem;
        var list = await holdings.HoldingsAsync(account, ct);
        return TypedResults.Ok(new HoldingListDto(account.Value, list.Select(h => new HoldingDto(h.Batch.Value, h.BatchCode, h.HeldGrams, h.PledgedGrams)).ToList()));
    }

    private static async Task<Results<Created<HoldingTransfer>, Ok<HoldingTransfer>, ProblemHttpResult>> Transfer(TransferRequest request, HttpContext http, AccessTokens tokens,
        LedgerStore store, ReductionHoldings holdings, CancellationToken ct)
    {
        var (account, actor, problem) = await OrganisationAsync(http, tokens, store, ct);
        if (problem is not null) return problem;
        var result = await holdings.TransferAsync(account, new AccountId(request.To), new BatchId(request.Batch), request.Grams, request.RequestKey ?? "", actor, ct);
        return Answer(result, "/api/v1/organisation/holdings");
    }

    private static async Task<Results<Created<Pledge>, Ok<Pledge>, ProblemHttpResult>> Pledge(PledgeRequest request, HttpContext http, AccessTokens tokens, LedgerStore store,
        ReductionHoldings holdings, CancellationToken ct)
    {
        var (account, actor, problem) = await OrganisationAsync(http, tokens, store, ct);
        if (problem is not null) return problem;
        var result = await holdings.PledgeAsync(account, new AccountId(request.Lender), new BatchId(request.Batch), request.Grams, request.RequestKey ?? "", actor, ct);
        return Answer(result, "/api/v1/organisation/pledges");
    }

    private static async Task<Results<Ok<IReadOnlyList<Pledge>>, ProblemHttpResult>> Pledges(HttpContext http, AccessTokens tokens, LedgerStore store, ReductionHoldings holdings,
        CancellationToken ct)
    {
        var (account, actor, problem) = await OrganisationAsync(http, tokens, store, ct);
        if (problem is not null) return problem;
        return TypedResults.Ok(await holdings.PledgesAsync(account, null, ct));
    }

    private static async Task<Results<Ok<Pledge>, ProblemHttpResult>> ClosePledge(long id, bool release, HttpContext http, AccessTokens tokens, LedgerStore store,
        ReductionHoldings holdings, CancellationToken ct)
    {
        var (account, actor, problem) = await OrganisationAsync(http, tokens, store, ct);
        if (problem is not null) return problem;
        var result = release ? await holdings.ReleaseAsync(id, account, actor, ct) : await holdings.EnforceAsync(id, account, actor, ct);
        return result.Succeeded ? TypedResults.Ok(result.Value!) : Problem(result.Status, result.Detail);
    }

    private static async Task<Results<Created<RetirementDto>, Ok<RetirementDto>, ProblemHttpResult>> Retire(RetirementRequest request, HttpContext http, AccessTokens tokens,
        LedgerStore store, ReductionHoldings holdings, CancellationToken ct)
    {
        var (account, actor, problem) = await OrganisationAsync(http, tokens, store, ct);
        if (problem is not null) return problem;
        if (!RetirementPurposes.TryParse(request.Purpose, out var purpose))
            return Problems.Of("holding-invalid", "purpose is one of " + string.Join(", ", RetirementPurposes.All.Select(p => p.Code())));
        var result = await holdings.RetireAsync(account, new BatchId(request.Batch), request.Grams, purpose, request.Beneficiary ?? "", request.UsingEntity ?? "",
            request.Reason ?? "", request.Jurisdiction ?? "", request.RequestKey ?? "", actor, ct);
        if (!result.Succeeded) return Problem(result.Status, result.Detail);
        var dto = RetirementDto.From(result.Value!);
        return result.Status == HoldingStatus.Replayed ? TypedResults.Ok(dto) : TypedResults.Created($"/api/v1/public/retirements/{dto.Id}", dto);
    }

    private static async Task<Results<Created<Bridge>, Ok<Bridge>, ProblemHttpResult>> Bridge(BridgeRequest request, HttpContext http, AccessTokens tokens, LedgerStore store,
        ReductionHoldings holdings, CancellationToken ct)
    {
        var (account, actor, problem) = await OrganisationAsync(http, tokens, store, ct);
        if (problem is not null) return problem;
        var result = await holdings.BridgeOutAsync(account, new BatchId(request.Batch), request.Grams, request.DestinationRegistry ?? "", request.DestinationReference ?? "",
            request.RequestKey ?? "", actor, ct);
        return Answer(result, "/api/v1/organisation/holdings");
    }

    private static async Task<Results<Ok<ComplianceCap>, ProblemHttpResult>> SetCap(int year, long entity, ComplianceCapRequest request, HttpContext http, AccessTokens tokens,
        ReductionHoldings holdings, CancellationToken ct)
    {
        var (actor, problem) = await Callers.AdministratorAsync(http, tokens, ct);
        if (problem is not null) return problem;
        var result = await holdings.SetComplianceCapAsync(year, new AccountId(entity), request.Kilograms, actor, ct);
        return result.Succeeded ? TypedResults.Ok(result.Value!) : Problem(result.Status, result.Detail);
    }

    private static async Task<Results<Ok<RetirementDto>, ProblemHttpResult>> Note(long id, NoteRequest request, HttpContext http, AccessTokens tokens, ReductionHoldings holdings,
        CancellationToken ct)
    {
        var (actor, problem) = await Callers.AdministratorAsync(http, tokens, ct);
        if (problem is not null) return problem;
        var result = await holdings.NoteAsync(id, request.Text ?? "", actor, ct);
        if (!result.Succeeded) return Problem(result.Status, result.Detail);
        return TypedResults.Ok(RetirementDto.From((await holdings.GetRetirementAsync(id, ct))!));
    }

    private static async Task<Results<Ok<RetirementListDto>, ProblemHttpResult>> PublicRetirements(ReductionHoldings holdings, CancellationToken ct, long? after = null,
        int limit = 100, long? batch = null)
    {
        if (limit is < 1 or > ReductionHoldings.RetirementPageMax) return Problems.Of("invalid-argument", $"limit is 1–{ReductionHoldings.RetirementPageMax}");
        var page = await holdings.RetirementsAsync(null, batch is { } b ? new BatchId(b) : null, after, limit, ct);
        return TypedResults.Ok(new RetirementListDto(page.Retirements.Select(RetirementDto.From).ToList(), page.NextAfter));
    }

    /// <summary>Every retirement with its beneficiary, purpose and serial ranges, as CSV (RFC 4180), oldest first.</summary>
    private static async Task<ContentHttpResult> RetirementsCsv(ReductionHoldings holdings, CancellationToken ct)
    {
        var text = new StringBuilder("id,batch,grams,purpose,beneficiary,using_entity,reason,jurisdiction,compliance_year,serials,transaction,retired_at\r\n");
        long? after = null;
        do
        {
            var page = await holdings.RetirementsAsync(null, null, after, ReductionHoldings.RetirementPageMax, ct);
            foreach (var r in page.Retirements)
            {
                text.AppendJoin(',', new[]
                {
                    r.Id.ToString(CultureInfo.InvariantCulture), r.Batch.Value.ToString(CultureInfo.InvariantCulture), r.Grams.ToString(CultureInfo.InvariantCulture),
                    r.Purpose.Code(), r.Beneficiary, r.UsingEntity, r.Reason, r.Jurisdiction, r.ComplianceYear?.ToString(CultureInfo.InvariantCulture) ?? "",
                    string.Join(' ', r.Serials), r.TransactionId, r.At.ToString("O", CultureInfo.InvariantCulture),
                }.Select(Csv)).Append("\r\n");
            }

            after = page.NextAfter;
        }
        while (after is not null);

        return TypedResults.Text(text.ToString(), "text/csv; charset=utf-8");
    }

    internal static string Csv(string field) => field.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;

    private static async Task<Results<Ok<RetirementDto>, ProblemHttpResult>> PublicRetirement(long id, ReductionHoldings holdings, CancellationToken ct)
        => await holdings.GetRetirementAsync(id, ct) is { } r ? TypedResults.Ok(RetirementDto.From(r)) : Problems.Of("retirement-not-found", $"retirement {id}");

    /// <summary>A serial (<c>{region}-{batch}-{kg}</c> or a range) to the retirement that holds it: anyone can check a kilogram was retired once.</summary>
    private static async Task<Results<Ok<RetirementDto>, ProblemHttpResult>> Serial(string serial, ReductionHoldings holdings, CancellationToken ct)
        => await holdings.FindSerialAsync(serial, ct) is { } r ? TypedResults.Ok(RetirementDto.From(r)) : Problems.Of("serial-not-found", $"no retirement holds serial {serial}");

    private static Results<Created<T>, Ok<T>, ProblemHttpResult> Answer<T>(HoldingResult<T> result, string location) where T : class
    {
        if (!result.Succeeded) return Problem(result.Status, result.Detail);
        return result.Status == HoldingStatus.Replayed ? TypedResults.Ok(result.Value!) : TypedResults.Created(location, result.Value!);
    }

    internal static ProblemHttpResult Problem(HoldingStatus status, string? detail) => Problems.Of(status switch
    {
        HoldingStatus.Invalid => "holding-invalid",
        HoldingStatus.NotFound => "holding-not-found",
        HoldingStatus.NotOrganisation => "not-organisation",
        HoldingStatus.InsufficientHolding => "insufficient-holding",
        HoldingStatus.OverComplianceCap => "over-compliance-cap",
        HoldingStatus.NotLender => "not-lender",
        HoldingStatus.NotOpen => "pledge-not-open",
        HoldingStatus.KeyConflict => "request-key-reused",
        HoldingStatus.ClaimNotOpen => "claim-not-open",
        HoldingStatus.NotClaimant => "not-claimant",
        _ => "internal",
    }, detail);

    /// <summary>The organisation the caller's staff token acts for, and the caller's name for the record.</summary>
    internal static async Task<(AccountId Account, string Actor, ProblemHttpResult? Problem)> OrganisationAsync(HttpContext http, AccessTokens tokens, LedgerStore store,
        CancellationToken ct)
    {
        var (principal, problem) = await Callers.AuthenticateAsync(http, tokens, ct);
        if (problem is not null) return (default, "", problem);
        if (principal!.Role != PrincipalRole.OrganisationStaff || principal.Account is not { } account)
            return (default, "", Problems.Of("forbidden", "reductions are held, moved and retired by organisations' staff; persons never hold project batches"));
        return await store.FindAccountAsync(account, ct) is { Kind: AccountKind.Organisation }
            ? (account, GovernanceEndpoints.ActorName(principal), null)
            : (default, "", Problems.Of("forbidden", "not an organisation"));
    }
}
