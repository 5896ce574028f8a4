using Puhui.Governance;
using Puhui.Storage.Ingestion;
using Puhui.Storage.Ledger;

namespace Puhui.Storage.Governance;

/// <summary>Builds the workflow store with every kind's effects and panels drawn from the expert pool.</summary>
public static class GovernanceSetup
{
    public static WorkflowStore Create(LedgerStore store, ScenarioStore scenarios, Func<CancellationToken, Task<WorkingDayCalendar>> calendar, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(scenarios);
        var workflows = new WorkflowStore(store, calendar, time, DrawFromPoolAsync);
        workflows.Register(Workflows.Methodology.Kind, new MethodologyApplications(workflows));
        workflows.Register(Workflows.Scenario.Kind, new ScenarioApplications(workflows, scenarios));
        VerificationBodies.RegisterEffects(workflows);
        return workflows;
    }

    /// <summary>
    /// Draws an application's panel from the expert pool inside the step's transaction (SZ 11), excluding the
    /// applicant's organisation and declared conflicts; the draw is recorded under <c>application:&lt;id&gt;</c>.
    /// </summary>
    public static async Task<(long? DrawId, IReadOnlyList<long> Panel, string? Shortfall)> DrawFromPoolAsync(System.Data.Common.DbConnection connection,
        System.Data.Common.DbTransaction transaction, Application application, PanelSpec spec, string actor, long atMicroseconds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(application);
        ArgumentNullException.ThrowIfNull(spec);
        var request = new PanelRequest(spec.Fields ?? [], spec.Size, application.Applicant.Value, application.ApplicantName);
        var outcome = await PanelDraws.DrawAsync(connection, transaction, "application:" + application.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            request, actor, atMicroseconds, ct);
        return outcome.Status switch
        {
            PanelDrawStatus.Drawn => (outcome.DrawId, outcome.Record!.Panel, null),
            PanelDrawStatus.Shortfall => (null, [], Describe(outcome.Shortfall!)),
            _ => (null, [], outcome.Problem ?? "the panel request is not valid"),
        };
    }

    private static string Describe(PanelShortfall shortfall)
    {
        var uncovered = shortfall.UncoveredFields.Count == 0 ? "" : $"; no eligible expert covers {string.Join(", ", shortfall.UncoveredFields)}";
        return $"the pool has {shortfall.Eligible} eligible expert(s) for a panel of {shortfall.Size} ({shortfall.Excluded.Count} excluded){uncovered}";
    }
}
