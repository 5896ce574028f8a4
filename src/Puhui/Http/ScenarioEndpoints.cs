using Microsoft.AspNetCore.Http.HttpResults;
using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Storage.Access;
using Puhui.Storage.Ingestion;
using Puhui.Storage.Ledger;

namespace Puhui.Host.Http;

public sealed record ScenarioDecisionDto(int Revision, string From, string To, string Actor, string Comment, DateTimeOffset At);
public sealed record ScenarioDto(string Code, long Operator, string Status, int Revision, ScenarioDefinition Definition, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    IReadOnlyList<ScenarioDecisionDto>? Decisions)
{
    public static ScenarioDto From(Scenario s, IReadOnlyList<ScenarioDecisionRecord>? decisions = null) => new(s.Code, s.Operator.Value, s.Status.Code(), s.Revision, s.Definition, s.CreatedAt, s.UpdatedAt,
        decisions?.Select(d => new ScenarioDecisionDto(d.Revision, d.From.Code(), d.To.Code(), d.Actor, d.Comment, d.At)).ToList());
}

public sealed record ScenarioListDto(IReadOnlyList<ScenarioDto> Scenarios);

/// <param name="Decision"><c>approve</c>, <c>refuse</c>, <c>suspend</c> or <c>terminate</c>.</param>
public sealed record DecisionRequest(string Decision, string? Comment);

/// <summary>
/// Scenarios: an operator's staff register them, the administrator decides on them (directly until the governance
/// workflow arrives), and anyone may read them (public disclosure, SZ 27).
/// </summary>
public static class ScenarioEndpoints
{
    public static RouteGroupBuilder MapScenarios(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/scenarios").WithTags("Scenarios");
        group.MapPost("", Register).WithName("RegisterScenario");
        group.MapGet("", List).WithName("ListScenarios");
        group.MapGet("/{code}", Get).WithName("GetScenario");
        group.MapPost("/{code}/decisions", Decide).WithName("DecideScenario");
        return group;
    }

    private static async Task<Results<Created<ScenarioDto>, ProblemHttpResult>> Register(ScenarioDefinition definition, HttpContext http, AccessTokens tokens, LedgerStore store,
        ScenarioStore scenarios, CancellationToken ct)
    {
        var (operatorAccount, problem) = await Callers.StaffAsync(http, tokens, store, OrganisationRoles.Operator, ct);
        if (problem is not null) return problem;
        var result = await scenarios.RegisterAsync(operatorAccount, definition, ct);
        return result.Status switch
        {
            ScenarioRegistrationStatus.Registered => TypedResults.Created($"/api/v1/scenarios/{result.Scenario!.Code}", ScenarioDto.From(result.Scenario)),
            ScenarioRegistrationStatus.CodeTaken => Problems.Of("scenario-code-taken", result.Problem),
            ScenarioRegistrationStatus.UnknownMethodology => Problems.Of("methodology-not-found", result.Problem),
            ScenarioRegistrationStatus.NotOperator => Problems.Of("forbidden", result.Problem),
            ScenarioRegistrationStatus.Invalid => Problems.Of("scenario-invalid", result.Problem),
        };
    }

    private static async Task<Results<Ok<ScenarioListDto>, ProblemHttpResult>> List(ScenarioStore scenarios, CancellationToken ct, string? status = null, long? @operator = null)
    {
        ScenarioStatus? wanted = null;
        if (status is not null)
        {
            var match = Enum.GetValues<ScenarioStatus>().Where(s => s.Code() == status).ToList();
            if (match.Count == 0) return Problems.Of("invalid-argument", "status is one of applied, running, suspended, terminated, refused");
            wanted = match[0];
        }

        if (@operator is <= 0) return Problems.Of("invalid-argument", "operator is an account id");
        var list = await scenarios.ListAsync(@operator is { } op ? new AccountId(op) : null, wanted, ct);
        return TypedResults.Ok(new ScenarioListDto(list.Select(s => ScenarioDto.From(s)).ToList()));
    }

    private static async Task<Results<Ok<ScenarioDto>, ProblemHttpResult>> Get(string code, ScenarioStore scenarios, CancellationToken ct)
    {
        var scenario = await scenarios.GetAsync(code, ct);
        if (scenario is null) return Problems.Of("scenario-not-found", $"scenario {code}");
        return TypedResults.Ok(ScenarioDto.From(scenario, await scenarios.GetDecisionsAsync(scenario.Id, ct)));
    }

    private static async Task<Results<Ok<ScenarioDto>, ProblemHttpResult>> Decide(string code, DecisionRequest request, HttpContext http, AccessTokens tokens, ScenarioStore scenarios, CancellationToken ct)
    {
        var (actor, problem) = await Callers.AdministratorAsync(http, tokens, ct);
        if (problem is not null) return problem;
        ScenarioDecision? decision = request.Decision switch
        {
            "approve" => ScenarioDecision.Approve,
            "refuse" => ScenarioDecision.Refuse,
            "suspend" => ScenarioDecision.Suspend,
            "terminate" => ScenarioDecision.Terminate,
            _ => null,
        };
        if (decision is null) return Problems.Of("invalid-argument", "decision is one of approve, refuse, suspend, terminate");
        if (request.Comment is { Length: > ScenarioStore.CommentLengthMax }) return Problems.Of("invalid-argument", $"a comment is at most {ScenarioStore.CommentLengthMax} characters");
        var result = await scenarios.DecideAsync(code, decision.Value, actor, request.Comment ?? "", ct);
        return result.Status switch
        {
            ScenarioDecisionStatus.Decided => TypedResults.Ok(ScenarioDto.From(result.Scenario!, await scenarios.GetDecisionsAsync(result.Scenario!.Id, ct))),
            ScenarioDecisionStatus.NotFound => Problems.Of("scenario-not-found", result.Problem),
            ScenarioDecisionStatus.NotAllowed => Problems.Of("decision-not-allowed", result.Problem),
        };
    }
}
