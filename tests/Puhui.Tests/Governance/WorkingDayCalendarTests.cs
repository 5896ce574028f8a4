using Puhui.Governance;

namespace Puhui.Tests.Governance;

/// <summary>
/// The shipped working-day calendar against the State Council's schedules for 2025 and 2026 and the statutory days of
/// 2027, deadlines counted across the long holidays, and the calendar's refusals.
/// </summary>
public class WorkingDayCalendarTests
{
    private static readonly WorkingDayCalendar Shipped = WorkingDayCalendarData.Shipped();

    private static DateOnly D(string text) => WorkingDayCalendarData.ParseDate(text) ?? throw new ArgumentException(text, nameof(text));

    /// <summary>Date, whether deadlines count it, and how it is listed (null: an ordinary day).</summary>
    public static TheoryData<string, bool, CalendarDayKind?> KnownDays => new()
    {
        // 2026 (notice of 2025-11-04)
        { "2026-01-01", false, CalendarDayKind.Holiday },
        { "2026-01-03", false, CalendarDayKind.Holiday },
        { "2026-01-04", true, CalendarDayKind.Workday },
        { "2026-02-13", true, null },
        { "2026-02-14", true, CalendarDayKind.Workday },
        { "2026-02-15", false, CalendarDayKind.Holiday },
        { "2026-02-16", false, CalendarDayKind.Holiday },
        { "2026-02-17", false, CalendarDayKind.Holiday },
        { "2026-02-18", false, CalendarDayKind.Holiday },
        { "2026-02-19", false, CalendarDayKind.Holiday },
        { "2026-02-20", false, CalendarDayKind.Holiday },
        { "2026-02-21", false, CalendarDayKind.Holiday },
        { "2026-02-22", false, CalendarDayKind.Holiday },
        { "2026-02-23", false, CalendarDayKind.Holiday },
        { "2026-02-24", true, null },
        { "2026-02-28", true, CalendarDayKind.Workday },
        { "2026-03-01", false, null },
        { "2026-04-06", false, CalendarDayKind.Holiday },
        { "2026-05-05", false, CalendarDayKind.Holiday },
        { "2026-05-09", true, CalendarDayKind.Workday },
        { "2026-06-19", false, CalendarDayKind.Holiday },
        { "2026-09-20", true, CalendarDayKind.Workday },
        { "2026-09-25", false, CalendarDayKind.Holiday },
        { "2026-10-01", false, CalendarDayKind.Holiday },
        { "2026-10-05", false, CalendarDayKind.Holiday },
        { "2026-10-07", false, CalendarDayKind.Holiday },
        { "2026-10-08", true, null },
        { "2026-10-10", true, CalendarDayKind.Workday },
        { "2026-10-11", false, null },
        // 2025 (国办发明电〔2024〕12号)
        { "2025-01-01", false, CalendarDayKind.Holiday },
        { "2025-01-26", true, CalendarDayKind.Workday },
        { "2025-01-27", true, null },
        { "2025-01-28", false, CalendarDayKind.Holiday },
        { "2025-02-04", false, CalendarDayKind.Holiday },
        { "2025-02-08", true, CalendarDayKind.Workday },
        { "2025-04-04", false, CalendarDayKind.Holiday },
        { "2025-04-27", true, CalendarDayKind.Workday },
        { "2025-05-05", false, CalendarDayKind.Holiday },
        { "2025-06-02", false, CalendarDayKind.Holiday },
        { "2025-09-28", true, CalendarDayKind.Workday },
        { "2025-10-06", false, CalendarDayKind.Holiday },
        { "2025-10-08", false, CalendarDayKind.Holiday },
        { "2025-10-11", true, CalendarDayKind.Workday },
        // 2027, provisional: statutory days only
        { "2027-01-01", false, CalendarDayKind.Holiday },
        { "2027-02-05", false, CalendarDayKind.Holiday },
        { "2027-02-08", false, CalendarDayKind.Holiday },
        { "2027-02-09", true, null },
        { "2027-04-05", false, CalendarDayKind.Holiday },
        { "2027-06-09", false, CalendarDayKind.Holiday },
        { "2027-09-15", false, CalendarDayKind.Holiday },
        { "2027-10-04", true, null },
        // ordinary weeks, and years the calendar does not list
        { "2026-03-07", false, null },
        { "2026-03-08", false, null },
        { "2026-03-09", true, null },
        { "2024-10-01", true, null },
        { "2028-01-01", false, null },
    };

    [Theory, MemberData(nameof(KnownDays))]
    public void A_known_day_is_working_or_rest_as_the_schedule_says(string date, bool working, CalendarDayKind? kind)
    {
        Assert.Equal(working, Shipped.IsWorkingDay(D(date)));
        Assert.Equal(kind, Shipped.Find(D(date))?.Kind);
    }

    [Fact]
    public void The_shipped_file_lists_each_year_s_days_off_and_adjusted_working_days()
    {
        Assert.Equal((2025, 2027), (Shipped.FirstYear, Shipped.LastYear));
        Assert.Equal([2027], Shipped.ProvisionalYears);
        int Count(int year, CalendarDayKind kind) => Shipped.Days.Count(d => d.Date.Year == year && d.Kind == kind);
        // 2025: 1 + 8 + 3 + 5 + 3 + 8 days off; 2026: 3 + 9 + 3 + 5 + 3 + 3 + 7; 2027: the 13 statutory days.
        Assert.Equal((28, 5), (Count(2025, CalendarDayKind.Holiday), Count(2025, CalendarDayKind.Workday)));
        Assert.Equal((33, 6), (Count(2026, CalendarDayKind.Holiday), Count(2026, CalendarDayKind.Workday)));
        Assert.Equal((13, 0), (Count(2027, CalendarDayKind.Holiday), Count(2027, CalendarDayKind.Workday)));
        Assert.Equal("春节", Shipped.Find(D("2026-02-17"))!.NameZh);
        Assert.Equal("National Day", Shipped.Find(D("2026-10-03"))!.NameEn);
        Assert.True(Shipped.IsProvisional(D("2027-06-09")));
        Assert.False(Shipped.IsProvisional(D("2026-06-19")));
    }

    /// <summary>Receipt day, working days, deadline: the receipt day is never counted.</summary>
    public static TheoryData<string, int, string> Deadlines => new()
    {
        { "2026-03-02", 0, "2026-03-02" },
        { "2026-03-02", 5, "2026-03-09" },
        // An expert panel within 20 working days (JS 14), received before the 2026 Spring Festival.
        { "2026-02-10", 20, "2026-03-16" },
        // A public notice of 5 working days (DESIGN §10) over National Day 2026, ending on the Saturday worked.
        { "2026-09-28", 5, "2026-10-10" },
        // A 10-working-day review (JS 19) over Mid-Autumn and National Day 2026, starting with the Sunday worked.
        { "2026-09-18", 10, "2026-10-09" },
        // 20 working days over the 2025 Spring Festival and both its Saturdays and Sundays worked.
        { "2025-01-24", 20, "2025-02-27" },
        // Received on a holiday: the first working day after it.
        { "2026-02-16", 1, "2026-02-24" },
        { "2025-09-30", 1, "2025-10-09" },
    };

    [Theory, MemberData(nameof(Deadlines))]
    public void A_deadline_counts_working_days_after_the_receipt_day(string from, int workingDays, string deadline)
    {
        Assert.Equal(D(deadline), Shipped.AddWorkingDays(D(from), workingDays));
        if (workingDays > 0) Assert.Equal(workingDays, Shipped.WorkingDaysBetween(D(from), D(deadline)));
    }

    [Fact]
    public void Working_days_between_counts_after_the_first_day_up_to_the_last_and_backwards_negative()
    {
        Assert.Equal(20, Shipped.WorkingDaysBetween(D("2026-02-10"), D("2026-03-16")));
        Assert.Equal(-20, Shipped.WorkingDaysBetween(D("2026-03-16"), D("2026-02-10")));
        Assert.Equal(0, Shipped.WorkingDaysBetween(D("2026-02-17"), D("2026-02-17")));
        Assert.Equal(0, Shipped.WorkingDaysBetween(D("2026-02-14"), D("2026-02-23")));
        Assert.Equal(1, Shipped.WorkingDaysBetween(D("2026-02-13"), D("2026-02-23")));
    }

    [Fact]
    public void Deadlines_beyond_the_limit_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Shipped.AddWorkingDays(D("2026-01-05"), -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Shipped.AddWorkingDays(D("2026-01-05"), WorkingDayCalendar.WorkingDaysMax + 1));
        _ = Shipped.AddWorkingDays(D("2026-01-05"), WorkingDayCalendar.WorkingDaysMax);
    }

    private static CalendarDay Holiday(string date, string zh = "假日", string en = "Holiday") => new(D(date), CalendarDayKind.Holiday, zh, en);

    public static TheoryData<string> RefusedCalendars => new()
    {
        "years before 2000",
        "years after 2100",
        "first year after last",
        "a day outside the years",
        "a workday on a weekday",
        "a date listed twice",
        "an empty name",
        "a name too long",
        "a provisional year not covered",
    };

    [Theory, MemberData(nameof(RefusedCalendars))]
    public void The_constructor_refuses(string what)
    {
        var ok = Holiday("2026-10-01");
        Action build = what switch
        {
            "years before 2000" => () => _ = new WorkingDayCalendar([], 1999, 2026),
            "years after 2100" => () => _ = new WorkingDayCalendar([], 2026, 2101),
            "first year after last" => () => _ = new WorkingDayCalendar([], 2027, 2026),
            "a day outside the years" => () => _ = new WorkingDayCalendar([Holiday("2028-10-01")], 2026, 2027),
            "a workday on a weekday" => () => _ = new WorkingDayCalendar([new CalendarDay(D("2026-10-12"), CalendarDayKind.Workday, "调休", "Adjusted")], 2026, 2026),
            "a date listed twice" => () => _ = new WorkingDayCalendar([ok, ok with { NameEn = "Again" }], 2026, 2026),
            "an empty name" => () => _ = new WorkingDayCalendar([Holiday("2026-10-01", zh: " ")], 2026, 2026),
            "a name too long" => () => _ = new WorkingDayCalendar([Holiday("2026-10-01", en: new string('x', WorkingDayCalendar.NameLengthMax + 1))], 2026, 2026),
            "a provisional year not covered" => () => _ = new WorkingDayCalendar([ok], 2026, 2026, [2027]),
            _ => throw new ArgumentException(what, nameof(what)),
        };
        Assert.ThrowsAny<ArgumentException>(build);
    }

    [Fact]
    public void A_name_of_exactly_the_longest_length_is_accepted()
    {
        var day = Holiday("2026-10-01", zh: new string('节', WorkingDayCalendar.NameLengthMax), en: new string('x', WorkingDayCalendar.NameLengthMax));
        Assert.Null(WorkingDayCalendar.Problem(day));
        Assert.Single(new WorkingDayCalendar([day], 2026, 2026).Days);
    }

    [Fact]
    public void With_and_without_leave_the_original_alone_and_keep_the_provisional_years()
    {
        var extra = Holiday("2026-03-09", "调休", "Extra");
        var with = Shipped.With(extra);
        Assert.False(with.IsWorkingDay(extra.Date));
        Assert.True(Shipped.IsWorkingDay(extra.Date));
        var without = with.Without(D("2026-02-17"));
        Assert.True(without.IsWorkingDay(D("2026-02-17")));
        Assert.False(Shipped.IsWorkingDay(D("2026-02-17")));
        Assert.Equal(Shipped.ProvisionalYears, without.ProvisionalYears);
        Assert.Equal(2028, Shipped.With(Holiday("2028-01-01")).LastYear);
    }
}
