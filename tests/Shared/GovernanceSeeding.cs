using Puhui.Governance;
using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Storage.Governance;
using Puhui.Storage.Ingestion;
using Puhui.Storage.Ledger;

namespace Puhui.Testing;

/// <summary>
/// Walks a scenario through its governance application the way the platform does it — applied, accepted for
/// review, passed, filed, started — for tests and benchmarks that need a running scenario. Nothing is skipped:
/// the steps are on the governance log like any other.
/// </summary>
public static class GovernanceSeeding
{
    public static readonly Actor PlatformOperator = new(WorkflowRole.PlatformOperator, "platform-operator:seeding");
    public static readonly Actor Administrator = new(WorkflowRole.Administrator, "admin:seeding");

    /// <summary>A workflow store over <paramref name="store"/> counting working days by the shipped calendar, with panels drawn from the pool.</summary>
    public static WorkflowStore Workflows(LedgerStore store, ScenarioStore scenarios, TimeProvider time, WorkingDayCalendar? calendar = null)
    {
        var days = calendar ?? WorkingDayCalendarData.Shipped();
        return GovernanceSetup.Create(store, scenarios, _ => Task.FromResult(days), time);
    }

    /// <summary>Applies for a scenario; the check's refusal, or the application.</summary>
    public static async Task<(ScenarioRegistration Check, Application? Application)> ApplyAsync(WorkflowStore workflows, ScenarioStore scenarios, AccountId operatorAccount,
        ScenarioDefinition definition, CancellationToken ct = default)
    {
        var (check, result) = await new ScenarioApplications(workflows, scenarios).SubmitAsync(new Actor(WorkflowRole.Applicant, "seeding", operatorAccount), definition, [], "", ct);
        if (result is null) return (check, null);
        if (!result.Succeeded) throw new InvalidOperationException($"The scenario application was refused: {result.Status} {result.Detail}");
        return (check, result.Application);
    }

    /// <summary>Applies for a scenario and takes it to running; throws when any step is refused.</summary>
    public static async Task<Scenario> RunScenarioAsync(LedgerStore store, ScenarioStore scenarios, AccountId operatorAccount, ScenarioDefinition definition, TimeProvider time,
        CancellationToken ct = default)
    {
        var workflows = Workflows(store, scenarios, time);
        var (check, application) = await ApplyAsync(workflows, scenarios, operatorAccount, definition, ct);
        if (application is null) throw new InvalidOperationException($"The scenario {definition.Code} does not check: {check.Status} {check.Problem}");
        await StepAsync(workflows, application.Id, new Step("accept"), PlatformOperator, ct);
        await StepAsync(workflows, application.Id, new Step("pass", "reviewed"), PlatformOperator, ct);
        await StepAsync(workflows, application.Id, new Step("file"), Administrator, ct);
        await StepAsync(workflows, application.Id, new Step("start"), PlatformOperator, ct);
        return await scenarios.GetAsync(definition.Code, ct) ?? throw new InvalidOperationException($"Scenario {definition.Code} vanished.");
    }

    /// <summary>Takes one step; throws when it is refused.</summary>
    public static async Task<StepResult> StepAsync(WorkflowStore workflows, long applicationId, Step step, Actor actor, CancellationToken ct = default)
    {
        var result = await workflows.ActAsync(applicationId, step, actor, ct);
        if (!result.Succeeded) throw new InvalidOperationException($"{step.Action} on application {applicationId} was refused: {result.Status} {result.Detail}");
        return result;
    }
}
