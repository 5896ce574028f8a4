using Puhui.Governance;

namespace Puhui.Storage.Governance;

/// <summary>An application as the operating body's desk shows it: its state, and where it stands against its deadline today.</summary>
/// <param name="IsNotice">The due day is the last day of a public notice, a term that must run, not a deadline to meet.</param>
/// <param name="WorkingDaysLeft">Working days from today to the due day; negative once it has passed.</param>
public sealed record DeskEntry(Application Application, WorkflowState State, bool IsNotice, bool Overdue, int? WorkingDaysLeft);

/// <summary>The operating body's desk (DESIGN §10: overdue steps are listed for the operator).</summary>
public static class Desk
{
    /// <summary>Where <paramref name="application"/> stands on <paramref name="today"/>: overdue once an open state's deadline has passed.</summary>
    public static DeskEntry Assess(Application application, WorkingDayCalendar calendar, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(application);
        ArgumentNullException.ThrowIfNull(calendar);
        var state = application.Definition.State(application.State);
        var notice = state.Deadline?.Minimum == true;
        var overdue = application.DueOn is { } due && !notice && application.IsOpen && today > due;
        return new DeskEntry(application, state, notice, overdue, application.DueOn is { } d ? calendar.WorkingDaysBetween(today, d) : null);
    }

    /// <summary>Overdue first (the longest overdue at the top), then by the nearest due day, then those without one, oldest first.</summary>
    public static IReadOnlyList<DeskEntry> Order(IEnumerable<DeskEntry> entries) => entries
        .OrderByDescending(e => e.Overdue)
        .ThenBy(e => e.Application.DueOn is null)
        .ThenBy(e => e.Application.DueOn)
        .ThenBy(e => e.Application.Id)
        .ToList();

    /// <summary>The open applications (or every one), of one kind or all, assessed today and in desk order.</summary>
    public static async Task<IReadOnlyList<DeskEntry>> ListAsync(WorkflowStore workflows, string? kind, bool includeClosed, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(workflows);
        var calendar = await workflows.CalendarAsync(ct);
        var today = workflows.LocalDay(workflows.Time.GetUtcNow());
        return Order((await workflows.ListAsync(kind, openOnly: !includeClosed, ct: ct)).Select(a => Assess(a, calendar, today)));
    }
}
