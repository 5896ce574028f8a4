using Microsoft.AspNetCore.Http.HttpResults;
using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Storage.Access;
using Puhui.Storage.Governance;
using Puhui.Storage.Ingestion;
using Puhui.Storage.Ledger;

namespace Puhui.Host.Http;

public sealed record ScenarioDecisionDto(int Revision, string From, string To, string Actor, string Comment, DateTimeOffset At);
/// <param name="ApplicationId">The governance application the scenario moves through (<c>/api/v1/applications/{id}</c>).</param>
public sealed record ScenarioDto(string Code, long Operator, string Status, int Revision, ScenarioDefinition Definition, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    long? ApplicationId, IReadOnlyList<ScenarioDecisionDto>? Decisions)
{
    public static ScenarioDto From(Scenario s, IReadOnlyList<ScenarioDecisionRecord>? decisions = null) => new(s.Code, s.Operator.Value, s.Status.Code(), s.Revision, s.Definition,
        s.CreatedAt, s.UpdatedAt, s.ApplicationId, decisions?.Select(d => new ScenarioDecisionDto(d.Revision, d.From.Code(), d.To.Code(), d.Actor, d.Comment, d.At)).ToList());
}

public sealed record ScenarioListDto(IReadOnlyList<ScenarioDto> Scenarios);

/// <summary>
/// Scenarios: an operator's staff apply for them, and each moves through its governance application
/// (<see cref="GovernanceEndpoints"/>); anyone may read them (public disclosure, SZ 27).
/// </summary>
public static class ScenarioEndpoints
{
    public static RouteGroupBuilder MapScenarios(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/scenarios").WithTags("Scenarios");
        group.MapPost("", Register).WithName("RegisterScenario");
        group.MapGet("", List).WithName("ListScenarios");
        group.MapGet("/{code}", Get).WithName("GetScenario");
        return group;
    }

    /// <summary>Applies for a scenario with its definition alone; <c>/scenarios/applications</c> takes documents and a comment too.</summary>
    private static async Task<Results<Created<ScenarioDto>, ProblemHttpResult>> Register(ScenarioDefinition definition, HttpContext http, AccessTokens tokens, LedgerStore store,
        ScenarioApplications applications, ScenarioStore scenarios, WorkflowStore workflows, CancellationToken ct)
    {
        var applied = await GovernanceEndpoints.ApplyForScenario(new ScenarioApplicationRequest(definition, [], ""), http, tokens, store, applications, workflows, ct);
        if (applied.Result is ProblemHttpResult problem) return problem;
        var scenario = await scenarios.GetAsync(definition.Code, ct);
        return TypedResults.Created($"/api/v1/scenarios/{definition.Code}", ScenarioDto.From(scenario!));
    }

    internal static ProblemHttpResult CheckProblem(ScenarioRegistration check) => check.Status switch
    {
        ScenarioRegistrationStatus.CodeTaken => Problems.Of("scenario-code-taken", check.Problem),
        ScenarioRegistrationStatus.UnknownMethodology => Problems.Of("methodology-not-found", check.Problem),
        ScenarioRegistrationStatus.NotOperator => Problems.Of("forbidden", check.Problem),
        _ => Problems.Of("scenario-invalid", check.Problem),
    };

    private static async Task<Results<Ok<ScenarioListDto>, ProblemHttpResult>> List(ScenarioStore scenarios, CancellationToken ct, string? status = null, long? @operator = null)
    {
        ScenarioStatus? wanted = null;
        if (status is not null)
        {
            wanted = ScenarioStatuses.Parse(status);
            if (wanted is null) return Problems.Of("invalid-argument", "status is one of " + string.Join(", ", Enum.GetValues<ScenarioStatus>().Select(s => s.Code())));
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
}
