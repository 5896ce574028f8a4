using System.Text.Json;
using Puhui.Governance;
using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Storage.Ingestion;

namespace Puhui.Storage.Governance;

/// <summary>
/// Scenario applications (JS 18–22): an operator applies with the scenario's definition; the scenario is stored at
/// once, status applied, so its code is reserved; every step of the application moves the scenario's status with
/// it, in the same transaction, so ingestion (which reads the status) never disagrees with the workflow.
/// </summary>
public sealed class ScenarioApplications(WorkflowStore workflows, ScenarioStore scenarios) : IApplicationEffects
{
    /// <summary>Checks and submits a scenario application; a refused one carries the check's status and problem.</summary>
    public async Task<(ScenarioRegistration Check, StepResult? Result)> SubmitAsync(Actor applicant, ScenarioDefinition definition, IReadOnlyList<string> documents, string comment,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(applicant);
        ArgumentNullException.ThrowIfNull(definition);
        if (applicant.Account is not { } operatorAccount) throw new ArgumentException("An applicant acts for an account.", nameof(applicant));
        var check = await scenarios.CheckAsync(operatorAccount, definition, ct);
        if (check.Status != ScenarioRegistrationStatus.Registered) return (check, null);
        var account = await workflows.Ledger.FindAccountAsync(operatorAccount, ct);
        var payload = JsonSerializer.Serialize(definition, ScenarioJson.Default.ScenarioDefinition);
        // The code is checked above, and again when the scenario is inserted holding the governance log's head.
        var codeTaken = false;
        var result = await workflows.SubmitAsync(Workflows.Scenario, definition.Code, definition.TitleZh, definition.TitleEn, applicant, account!.DisplayName, payload, documents,
            comment, async (connection, tx, applicationId, token) =>
            {
                codeTaken = !await ScenarioStore.InsertWithinAsync(connection, tx, operatorAccount, definition, applicationId,
                    CanonicalEncoding.ToUnixMicroseconds(workflows.Time.GetUtcNow()), token);
                return codeTaken ? $"scenario code {definition.Code} is taken" : null;
            }, ct);
        return codeTaken ? (new ScenarioRegistration(ScenarioRegistrationStatus.CodeTaken, null, result.Detail), null) : (check, result);
    }

    public async Task<string?> ApplyAsync(StepContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var to = ScenarioStatuses.Parse(context.Transition.To) ?? throw new InvalidOperationException($"Scenario state {context.Transition.To} has no scenario status.");
        return await ScenarioStore.SetStatusWithinAsync(context.Connection, context.Transaction, context.Application.Id, to, context.Actor.Name, context.Step.Comment,
            CanonicalEncoding.ToUnixMicroseconds(context.At), ct)
            ? null
            : $"application {context.Application.Id} has no scenario";
    }
}
