using Microsoft.AspNetCore.Http.HttpResults;
using Puhui.Governance;
using Puhui.Storage.Access;
using Puhui.Storage.Governance;

namespace Puhui.Host.Http;

/// <param name="Weekday">The day of the week in English, e.g. <c>Saturday</c>.</param>
/// <param name="Working">Whether deadlines count the day.</param>
/// <param name="Kind"><c>holiday</c> (a day off), <c>workday</c> (an adjusted working Saturday or Sunday), or null for an ordinary day.</param>
public sealed record CalendarDayDto(DateOnly Date, string Weekday, bool Working, string? Kind, string? NameZh, string? NameEn);

/// <param name="WorkingDays">The working days from <paramref name="From"/> to <paramref name="To"/>, both included.</param>
/// <param name="Covered">Whether the calendar lists the holidays of every year in the range; outside them every weekday counts.</param>
/// <param name="Provisional">Whether part of the range lies in a year listed provisionally (statutory holidays only, no adjusted days yet).</param>
public sealed record CalendarRangeDto(DateOnly From, DateOnly To, int WorkingDays, bool Covered, bool Provisional, int FirstYear, int LastYear,
    IReadOnlyList<CalendarDayDto> Days);

/// <param name="Deadline">The <paramref name="WorkingDays"/>-th working day after <paramref name="From"/>, which is itself not counted.</param>
public sealed record DeadlineDto(DateOnly From, int WorkingDays, DateOnly Deadline, bool Covered, bool Provisional);

/// <param name="Kind"><c>holiday</c> or <c>workday</c>.</param>
public sealed record CalendarDayRequest(string? Kind, string? NameZh, string? NameEn, string? Comment);

/// <param name="Kind"><c>holiday</c> or <c>workday</c>.</param>
public sealed record CalendarEntryDto(string Kind, string NameZh, string NameEn);

/// <param name="Previous">What the day was; null for an ordinary day.</param>
/// <param name="Current">What the day became; null for an ordinary day.</param>
public sealed record CalendarEditDto(long Id, DateOnly Date, CalendarEntryDto? Previous, CalendarEntryDto? Current, string Actor, string Comment, DateTimeOffset At);

/// <param name="Changed">False when the day already was what was asked: nothing was recorded.</param>
/// <param name="Edit">The recorded edit; null when nothing changed.</param>
public sealed record CalendarWriteDto(bool Changed, CalendarDayDto Day, CalendarEditDto? Edit);

public sealed record CalendarEditListDto(IReadOnlyList<CalendarEditDto> Edits);

/// <summary>
/// The working-day calendar (DESIGN §10): anyone reads a range of days and computes a deadline in working days; the
/// administrator lists a day as a holiday or an adjusted working day, makes it ordinary again, and reads the edits.
/// </summary>
public static class CalendarEndpoints
{
    /// <summary>The most days one calendar read returns.</summary>
    public const int RangeDaysMax = 366;

    /// <summary>The longest deadline the API computes, in working days: about four years.</summary>
    public const int DeadlineWorkingDaysMax = 1_000;

    public const int EditsPageDefault = 50;

    public static RouteGroupBuilder MapCalendar(this RouteGroupBuilder api)
    {
        var calendar = api.MapGroup("").WithTags("Calendar");
        calendar.MapGet("/public/calendar", GetRange).WithName("GetCalendar");
        calendar.MapGet("/public/calendar/deadline", GetDeadline).WithName("GetDeadline");
        calendar.MapPut("/admin/calendar/days/{date}", SetDay).WithName("SetCalendarDay");
        calendar.MapDelete("/admin/calendar/days/{date}", ResetDay).WithName("ResetCalendarDay");
        calendar.MapGet("/admin/calendar/edits", ListEdits).WithName("ListCalendarEdits");
        return calendar;
    }

    private static async Task<Results<Ok<CalendarRangeDto>, ProblemHttpResult>> GetRange(CalendarStore calendars, CancellationToken ct, string? from = null, string? to = null)
    {
        if (WorkingDayCalendarData.ParseDate(from) is not { } start) return Problems.Of("invalid-argument", $"from is a date written yyyy-MM-dd, not '{from}'");
        if (WorkingDayCalendarData.ParseDate(to) is not { } end) return Problems.Of("invalid-argument", $"to is a date written yyyy-MM-dd, not '{to}'");
        if (end < start) return Problems.Of("invalid-argument", $"to ({end:yyyy-MM-dd}) comes before from ({start:yyyy-MM-dd})");
        if (end.DayNumber - start.DayNumber >= RangeDaysMax) return Problems.Of("invalid-argument", $"a range spans at most {RangeDaysMax} days, both ends included");
        var calendar = await calendars.GetAsync(ct);
        var days = new List<CalendarDayDto>();
        for (var day = start; day <= end; day = day.AddDays(1)) days.Add(Day(calendar, day));
        return TypedResults.Ok(new CalendarRangeDto(start, end, days.Count(d => d.Working), calendar.Covers(start) && calendar.Covers(end),
            calendar.IsProvisional(start) || calendar.IsProvisional(end), calendar.FirstYear, calendar.LastYear, days));
    }

    private static async Task<Results<Ok<DeadlineDto>, ProblemHttpResult>> GetDeadline(CalendarStore calendars, CancellationToken ct, string? from = null, int? workingDays = null)
    {
        if (WorkingDayCalendarData.ParseDate(from) is not { } start) return Problems.Of("invalid-argument", $"from is a date written yyyy-MM-dd, not '{from}'");
        if (workingDays is not { } n || n < 0 || n > DeadlineWorkingDaysMax)
            return Problems.Of("invalid-argument", $"workingDays is a whole number from 0 to {DeadlineWorkingDaysMax}");
        var calendar = await calendars.GetAsync(ct);
        var deadline = calendar.AddWorkingDays(start, n);
        return TypedResults.Ok(new DeadlineDto(start, n, deadline, calendar.Covers(start) && calendar.Covers(deadline),
            Enumerable.Range(start.Year, deadline.Year - start.Year + 1).Any(calendar.ProvisionalYears.Contains)));
    }

    private static async Task<Results<Ok<CalendarWriteDto>, ProblemHttpResult>> SetDay(string date, CalendarDayRequest request, HttpContext http, AccessTokens tokens,
        CalendarStore calendars, CancellationToken ct)
    {
        var (actor, problem) = await Callers.AdministratorAsync(http, tokens, ct);
        if (problem is not null) return problem;
        if (WorkingDayCalendarData.ParseDate(date) is not { } day) return Problems.Of("invalid-argument", $"the date in the path is written yyyy-MM-dd, not '{date}'");
        if (WorkingDayCalendarData.ParseKind(request.Kind) is not { } kind) return Problems.Of("calendar-day-invalid", "kind is holiday or workday");
        var write = await calendars.SetDayAsync(new CalendarDay(day, kind, request.NameZh ?? "", request.NameEn ?? ""), actor, request.Comment ?? "", ct);
        return await WrittenAsync(write, day, calendars, ct);
    }

    private static async Task<Results<Ok<CalendarWriteDto>, ProblemHttpResult>> ResetDay(string date, HttpContext http, AccessTokens tokens, CalendarStore calendars,
        CancellationToken ct, string? comment = null)
    {
        var (actor, problem) = await Callers.AdministratorAsync(http, tokens, ct);
        if (problem is not null) return problem;
        if (WorkingDayCalendarData.ParseDate(date) is not { } day) return Problems.Of("invalid-argument", $"the date in the path is written yyyy-MM-dd, not '{date}'");
        return await WrittenAsync(await calendars.ResetDayAsync(day, actor, comment ?? "", ct), day, calendars, ct);
    }

    private static async Task<Results<Ok<CalendarEditListDto>, ProblemHttpResult>> ListEdits(HttpContext http, AccessTokens tokens, CalendarStore calendars, CancellationToken ct,
        int limit = EditsPageDefault)
    {
        var (_, problem) = await Callers.AdministratorAsync(http, tokens, ct);
        if (problem is not null) return problem;
        if (limit is < 1 or > CalendarStore.EditsLimitMax) return Problems.Of("invalid-argument", $"limit is 1–{CalendarStore.EditsLimitMax}");
        return TypedResults.Ok(new CalendarEditListDto([.. (await calendars.ListEditsAsync(limit, ct)).Select(Edit)]));
    }

    private static async Task<Results<Ok<CalendarWriteDto>, ProblemHttpResult>> WrittenAsync(CalendarWrite write, DateOnly date, CalendarStore calendars, CancellationToken ct)
    {
        if (write.Status == CalendarWriteStatus.Invalid) return Problems.Of("calendar-day-invalid", write.Problem);
        var calendar = await calendars.GetAsync(ct);
        return TypedResults.Ok(new CalendarWriteDto(write.Status == CalendarWriteStatus.Done, Day(calendar, date), write.Edit is null ? null : Edit(write.Edit)));
    }

    private static CalendarDayDto Day(WorkingDayCalendar calendar, DateOnly date)
    {
        var listed = calendar.Find(date);
        return new CalendarDayDto(date, date.DayOfWeek.ToString(), calendar.IsWorkingDay(date), listed is null ? null : WorkingDayCalendarData.KindCode(listed.Kind),
            listed?.NameZh, listed?.NameEn);
    }

    private static CalendarEditDto Edit(CalendarEdit e) => new(e.Id, e.Date, Entry(e.Previous), Entry(e.Current), e.Actor, e.Comment, e.At);

    private static CalendarEntryDto? Entry(CalendarDay? day) => day is null ? null : new(WorkingDayCalendarData.KindCode(day.Kind), day.NameZh, day.NameEn);
}
