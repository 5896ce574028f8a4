using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Http.HttpResults;
using Puhui.Ledger;
using Puhui.Storage.Access;
using Puhui.Storage.Ingestion;
using Puhui.Storage.Ledger;

namespace Puhui.Host.Http;

public sealed record PersonRegistration(string DisplayName);
public sealed record PersonCreatedDto(long Account, string Token);
public sealed record OrganisationRequest(string Code, string DisplayName, IReadOnlyList<string> Roles);
public sealed record OrganisationCreatedDto(long Account, string Code, string Roles, string StaffToken);
public sealed record ApiKeyRequest(string? Label);
public sealed record RotateRequest(int OverlapMinutes);
public sealed record ApiKeyCreatedDto(string KeyId, string Secret, ApiKeyDto Key);
public sealed record ApiKeyDto(string KeyId, string Label, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, string? ReplacedBy, bool Active);
public sealed record ApiKeyListDto(IReadOnlyList<ApiKeyDto> Keys);
public sealed record BindingCodeRequest(string Operator);
public sealed record BindingCodeDto(string Code, string Operator, DateTimeOffset ExpiresAt);
public sealed record BindingDto(string Operator, string OperatorName, string UserRef, DateTimeOffset BoundAt);
public sealed record BindingListDto(IReadOnlyList<BindingDto> Bindings);
public sealed record ConsentRequest(string Scenario);
public sealed record ConsentDto(long Id, string Scenario, long Operator, DateTimeOffset GrantedAt, DateTimeOffset? RevokedAt, bool Active);
public sealed record ConsentListDto(IReadOnlyList<ConsentDto> Consents);
public sealed record RecordDto(long Id, string Scenario, string ScenarioTitleZh, string ScenarioTitleEn, string Operator, DateTimeOffset OccurredAt, DateTimeOffset AcceptedAt,
    IReadOnlyDictionary<string, decimal> Inputs, long Grams, long Points, string? MethodologyId, string? MethodologyVersion, long TransactionSequence);
public sealed record RecordPageDto(IReadOnlyList<RecordDto> Records, long? NextBefore);
public sealed record FactorDto(string Name, decimal Value, string Unit, string Source, string? Version, DateOnly? Effective, bool Assumption);
public sealed record FormulaValueDto(string Name, decimal Value, string Unit);
public sealed record RecordExplanationDto(RecordDto Record, string? MethodologyTitleZh, string? MethodologyTitleEn, string Class, IReadOnlyList<FactorDto> Factors,
    IReadOnlyList<FormulaValueDto> Formulas, long? ComputedGrams, string PointsRule, IReadOnlyList<string> Notes);
public sealed record StatisticDto(DateOnly Day, string Scenario, string Outcome, long Records, long Grams, long Points);
public sealed record StatisticsDto(DateOnly From, DateOnly To, IReadOnlyList<StatisticDto> Rows);

/// <summary>
/// People and organisations: registration, organisations' API keys, an operator's statistics, and a person's bindings,
/// consents and accepted records (DESIGN §3, §6, §13).
/// </summary>
public static class AccessEndpoints
{
    public const int RecordsPageDefault = 50;

    public static RouteGroupBuilder MapAccess(this RouteGroupBuilder api)
    {
        var people = api.MapGroup("").WithTags("People");
        people.MapPost("/persons", RegisterPerson).WithName("RegisterPerson").RequireRateLimiting(RateLimits.Registration);
        people.MapPost("/me/binding-codes", IssueBindingCode).WithName("IssueBindingCode");
        people.MapGet("/me/bindings", ListBindings).WithName("ListBindings");
        people.MapDelete("/me/bindings/{operator}", Unbind).WithName("Unbind");
        people.MapPost("/me/consents", GrantConsent).WithName("GrantConsent");
        people.MapGet("/me/consents", ListConsents).WithName("ListConsents");
        people.MapDelete("/me/consents/{id:long}", RevokeConsent).WithName("RevokeConsent");
        people.MapGet("/me/records", ListRecords).WithName("ListRecords");
        people.MapGet("/me/records/{id:long}", ExplainRecord).WithName("ExplainRecord");

        var organisations = api.MapGroup("").WithTags("Organisations");
        organisations.MapPost("/organisations", RegisterOrganisation).WithName("RegisterOrganisation");
        // An organisation's keys act with its roles: an operator's ingest, a provider's use vouchers.
        organisations.MapPost("/organisation/api-keys", IssueKey).WithName("IssueApiKey");
        organisations.MapGet("/organisation/api-keys", ListKeys).WithName("ListApiKeys");
        organisations.MapPost("/organisation/api-keys/{keyId}/rotate", RotateKey).WithName("RotateApiKey");
        organisations.MapDelete("/organisation/api-keys/{keyId}", RevokeKey).WithName("RevokeApiKey");
        // The first name of the same endpoints, from when only operators held keys; kept for existing clients.
        var legacy = organisations.MapGroup("/operator/api-keys").ExcludeFromDescription();
        legacy.MapPost("", IssueKey);
        legacy.MapGet("", ListKeys);
        legacy.MapPost("/{keyId}/rotate", RotateKey);
        legacy.MapDelete("/{keyId}", RevokeKey);
        organisations.MapGet("/operator/statistics", Statistics).WithName("GetIngestionStatistics");
        return api;
    }

    // ---- people ---------------------------------------------------------------------------------------------

    private static async Task<Results<Created<PersonCreatedDto>, ProblemHttpResult>> RegisterPerson(PersonRegistration request, LedgerStore store, AccessTokens tokens, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.DisplayName) || request.DisplayName.Length > NewAccount.DisplayNameLengthMax)
            return Problems.Of("invalid-argument", $"displayName must be 1–{NewAccount.DisplayNameLengthMax} characters");
        // A pseudonymous code: the ledger never carries a person's name or phone (DESIGN §13).
        var account = await store.OpenAccountAsync(new NewAccount(AccountKind.Person, "person:" + Guid.CreateVersion7().ToString("N"), request.DisplayName), ct);
        var token = await tokens.IssueAsync(PrincipalRole.Person, account.Id, "self-registered", ct);
        return TypedResults.Created($"/api/v1/accounts/{account.Id}", new PersonCreatedDto(account.Id.Value, token));
    }

    private static async Task<Results<Created<BindingCodeDto>, ProblemHttpResult>> IssueBindingCode(BindingCodeRequest request, HttpContext http, AccessTokens tokens,
        LedgerStore store, [FromServices] Bindings bindings, CancellationToken ct)
    {
        var (person, problem) = await Callers.PersonAsync(http, tokens, ct);
        if (problem is not null) return problem;
        if (await OperatorAsync(store, request.Operator, ct) is not { } op) return Problems.Of("operator-not-found", $"operator {request.Operator}");
        var code = await bindings.IssueCodeAsync(person, op.Id, ct);
        return TypedResults.Created("/api/v1/me/bindings", new BindingCodeDto(code.Code, op.Code, code.ExpiresAt));
    }

    private static async Task<Results<Ok<BindingListDto>, ProblemHttpResult>> ListBindings(HttpContext http, AccessTokens tokens, LedgerStore store, [FromServices] Bindings bindings, CancellationToken ct)
    {
        var (person, problem) = await Callers.PersonAsync(http, tokens, ct);
        if (problem is not null) return problem;
        var list = new List<BindingDto>();
        foreach (var b in await bindings.ListAsync(person, ct))
            list.Add(new BindingDto((await store.FindAccountAsync(b.Operator, ct))!.Code, b.OperatorName, b.UserRef, b.BoundAt));
        return TypedResults.Ok(new BindingListDto(list));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Unbind(string @operator, HttpContext http, AccessTokens tokens, LedgerStore store, [FromServices] Bindings bindings, CancellationToken ct)
    {
        var (person, problem) = await Callers.PersonAsync(http, tokens, ct);
        if (problem is not null) return problem;
        if (await OperatorAsync(store, @operator, ct) is not { } op) return Problems.Of("operator-not-found", $"operator {@operator}");
        return await bindings.UnbindAsync(person, op.Id, ct) ? TypedResults.NoContent() : Problems.Of("binding-not-found", null);
    }

    private static async Task<Results<Created<ConsentDto>, Ok<ConsentDto>, ProblemHttpResult>> GrantConsent(ConsentRequest request, HttpContext http, AccessTokens tokens,
        Consents consents, CancellationToken ct)
    {
        var (person, problem) = await Callers.PersonAsync(http, tokens, ct);
        if (problem is not null) return problem;
        var result = await consents.GrantAsync(person, request.Scenario ?? "", ct);
        return result.Outcome switch
        {
            GrantOutcome.Granted => TypedResults.Created("/api/v1/me/consents", ToDto(result.Consent!, DateTimeOffset.MaxValue)),
            GrantOutcome.AlreadyActive => TypedResults.Ok(ToDto(result.Consent!, DateTimeOffset.MaxValue)),
            GrantOutcome.UnknownScenario => Problems.Of("scenario-not-found", $"scenario {request.Scenario}"),
            GrantOutcome.NotBound => Problems.Of("not-bound", "bind your account at the scenario's operator first"),
            GrantOutcome.ScenarioClosed => Problems.Of("scenario-closed", $"scenario {request.Scenario}"),
        };
    }

    private static async Task<Results<Ok<ConsentListDto>, ProblemHttpResult>> ListConsents(HttpContext http, AccessTokens tokens, Consents consents, TimeProvider time,
        CancellationToken ct, bool includeRevoked = false)
    {
        var (person, problem) = await Callers.PersonAsync(http, tokens, ct);
        if (problem is not null) return problem;
        var now = time.GetUtcNow();
        return TypedResults.Ok(new ConsentListDto((await consents.ListAsync(person, includeRevoked, ct)).Select(c => ToDto(c, now)).ToList()));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeConsent(long id, HttpContext http, AccessTokens tokens, Consents consents, CancellationToken ct)
    {
        var (person, problem) = await Callers.PersonAsync(http, tokens, ct);
        if (problem is not null) return problem;
        return await consents.RevokeAsync(person, id, ct) ? TypedResults.NoContent() : Problems.Of("consent-not-found", null);
    }

    private static async Task<Results<Ok<RecordPageDto>, ProblemHttpResult>> ListRecords(HttpContext http, AccessTokens tokens, IngestionQueries queries, CancellationToken ct,
        long? before = null, int limit = RecordsPageDefault)
    {
        var (person, problem) = await Callers.PersonAsync(http, tokens, ct);
        if (problem is not null) return problem;
        if (limit is < 1 or > IngestionQueries.PageMax) return Problems.Of("invalid-argument", $"limit must be 1–{IngestionQueries.PageMax}");
        var page = await queries.GetRecordsAsync(person, before, limit, ct);
        return TypedResults.Ok(new RecordPageDto(page.Records.Select(ToDto).ToList(), page.NextBefore));
    }

    private static async Task<Results<Ok<RecordExplanationDto>, ProblemHttpResult>> ExplainRecord(long id, HttpContext http, AccessTokens tokens, IngestionQueries queries, CancellationToken ct)
    {
        var (person, problem) = await Callers.PersonAsync(http, tokens, ct);
        if (problem is not null) return problem;
        var why = await queries.ExplainAsync(person, id, ct);
        if (why is null) return Problems.Of("record-not-found", $"record {id}");
        return TypedResults.Ok(new RecordExplanationDto(ToDto(why.Record), why.MethodologyTitle?.Zh, why.MethodologyTitle?.En, why.Class.ToString(),
            why.Factors.Select(f => new FactorDto(f.Name, f.Value, f.Unit.ToString(), f.Source, f.Version, f.Effective, f.Assumption)).ToList(),
            why.Formulas.Select(f => new FormulaValueDto(f.Name, f.Value, f.Unit.ToString())).ToList(), why.ComputedGrams, why.PointsRule, why.Notes));
    }

    // ---- organisations --------------------------------------------------------------------------------------

    private static async Task<Results<Created<OrganisationCreatedDto>, ProblemHttpResult>> RegisterOrganisation(OrganisationRequest request, HttpContext http, AccessTokens tokens,
        LedgerStore store, CancellationToken ct)
    {
        var (_, problem) = await Callers.AdministratorAsync(http, tokens, ct);
        if (problem is not null) return problem;
        var roles = OrganisationRoles.None;
        foreach (var name in request.Roles ?? [])
        {
            if (!Enum.TryParse<OrganisationRoles>(name, ignoreCase: true, out var role) || role == OrganisationRoles.None || !Enum.IsDefined(role))
                return Problems.Of("invalid-argument", $"unknown role {name}; roles are {string.Join(", ", Enum.GetNames<OrganisationRoles>().Skip(1))}");
            roles |= role;
        }

        var candidate = new NewAccount(AccountKind.Organisation, request.Code ?? "", request.DisplayName ?? "", roles);
        if (candidate.Problem() is { } invalid) return Problems.Of("invalid-argument", invalid);
        if (await store.FindAccountByCodeAsync(candidate.Code, ct) is not null) return Problems.Of("account-code-taken", $"account code {candidate.Code}");
        var account = await store.OpenAccountAsync(candidate, ct);
        var token = await tokens.IssueAsync(PrincipalRole.OrganisationStaff, account.Id, "first staff token", ct);
        return TypedResults.Created($"/api/v1/accounts/{account.Id}", new OrganisationCreatedDto(account.Id.Value, account.Code, account.Roles.ToString(), token));
    }

    private static async Task<Results<Created<ApiKeyCreatedDto>, ProblemHttpResult>> IssueKey(ApiKeyRequest request, HttpContext http, AccessTokens tokens, LedgerStore store,
        ApiKeys keys, CancellationToken ct)
    {
        var (op, problem) = await Callers.StaffOfAnyAsync(http, tokens, store, ApiKeys.KeyRoles, ct);
        if (problem is not null) return problem;
        if (request.Label is { Length: > ApiKeys.LabelLengthMax }) return Problems.Of("invalid-argument", $"a label is at most {ApiKeys.LabelLengthMax} characters");
        var issued = await keys.IssueAsync(op, request.Label ?? "", ct);
        return TypedResults.Created("/api/v1/organisation/api-keys", new ApiKeyCreatedDto(issued.KeyId, issued.Secret, ToDto(issued.Info, issued.Info.CreatedAt)));
    }

    private static async Task<Results<Ok<ApiKeyListDto>, ProblemHttpResult>> ListKeys(HttpContext http, AccessTokens tokens, LedgerStore store, ApiKeys keys, TimeProvider time, CancellationToken ct)
    {
        var (op, problem) = await Callers.StaffOfAnyAsync(http, tokens, store, ApiKeys.KeyRoles, ct);
        if (problem is not null) return problem;
        var now = time.GetUtcNow();
        return TypedResults.Ok(new ApiKeyListDto((await keys.ListAsync(op, ct)).Select(k => ToDto(k, now)).ToList()));
    }

    private static async Task<Results<Created<ApiKeyCreatedDto>, ProblemHttpResult>> RotateKey(string keyId, RotateRequest request, HttpContext http, AccessTokens tokens,
        LedgerStore store, ApiKeys keys, CancellationToken ct)
    {
        var (op, problem) = await Callers.StaffOfAnyAsync(http, tokens, store, ApiKeys.KeyRoles, ct);
        if (problem is not null) return problem;
        var overlap = TimeSpan.FromMinutes(request.OverlapMinutes);
        if (request.OverlapMinutes < 0 || overlap > ApiKeys.RotationOverlapMax)
            return Problems.Of("invalid-argument", $"overlapMinutes must be 0–{ApiKeys.RotationOverlapMax.TotalMinutes}");
        var issued = await keys.RotateAsync(op, keyId, overlap, ct);
        return issued is null
            ? Problems.Of("key-not-found", $"key {keyId}")
            : TypedResults.Created("/api/v1/organisation/api-keys", new ApiKeyCreatedDto(issued.KeyId, issued.Secret, ToDto(issued.Info, issued.Info.CreatedAt)));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeKey(string keyId, HttpContext http, AccessTokens tokens, LedgerStore store, ApiKeys keys, CancellationToken ct)
    {
        var (op, problem) = await Callers.StaffOfAnyAsync(http, tokens, store, ApiKeys.KeyRoles, ct);
        if (problem is not null) return problem;
        return await keys.RevokeAsync(op, keyId, ct) ? TypedResults.NoContent() : Problems.Of("key-not-found", $"key {keyId}");
    }

    private static async Task<Results<Ok<StatisticsDto>, ProblemHttpResult>> Statistics(HttpContext http, AccessTokens tokens, LedgerStore store, IngestionQueries queries,
        BehaviourIngestion ingestion, TimeProvider time, CancellationToken ct, DateOnly? from = null, DateOnly? to = null)
    {
        var (op, problem) = await Callers.StaffAsync(http, tokens, store, OrganisationRoles.Operator, ct);
        if (problem is not null) return problem;
        var last = to ?? ingestion.Policy.LocalDay(time.GetUtcNow());
        var first = from ?? last.AddDays(-29);
        if (last < first || last.DayNumber - first.DayNumber >= IngestionQueries.StatisticsDaysMax)
            return Problems.Of("invalid-argument", $"from must not be after to, and the range is at most {IngestionQueries.StatisticsDaysMax} days");
        var rows = await queries.GetStatisticsAsync(op, first, last, ct);
        return TypedResults.Ok(new StatisticsDto(first, last, rows.Select(r => new StatisticDto(r.Day, r.ScenarioCode, r.Outcome, r.Records, r.Grams, r.Points)).ToList()));
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    private static async Task<Account?> OperatorAsync(LedgerStore store, string? code, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(code)) return null;
        var account = await store.FindAccountByCodeAsync(code, ct);
        return account is { Kind: AccountKind.Organisation } && account.Roles.HasFlag(OrganisationRoles.Operator) ? account : null;
    }

    private static ConsentDto ToDto(Consent c, DateTimeOffset now) => new(c.Id, c.ScenarioCode, c.Operator.Value, c.GrantedAt, c.RevokedAt, c.RevokedAt is null || c.RevokedAt > now);

    private static ApiKeyDto ToDto(ApiKeyInfo k, DateTimeOffset now) => new(k.KeyId, k.Label, k.CreatedAt, k.ExpiresAt, k.RevokedAt, k.ReplacedBy, k.IsActiveAt(now));

    private static RecordDto ToDto(PersonRecord r) => new(r.Id, r.ScenarioCode, r.ScenarioTitleZh, r.ScenarioTitleEn, r.OperatorName, r.OccurredAt, r.AcceptedAt, r.Inputs,
        r.Grams, r.Points, r.MethodologyId, r.MethodologyVersion, r.TransactionSequence);
}
