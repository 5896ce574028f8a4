namespace Puhui.Governance;

/// <summary>How a listed day departs from the Monday-to-Friday week.</summary>
public enum CalendarDayKind : byte
{
    /// <summary>A public holiday or a day off of one (放假): no work even on a weekday.</summary>
    Holiday = 1,

    /// <summary>An adjusted working day (调休上班): a Saturday or Sunday worked in exchange for a holiday.</summary>
    Workday = 2,
}

/// <summary>One day that departs from the ordinary week, with the holiday it belongs to in both languages.</summary>
public sealed record CalendarDay(DateOnly Date, CalendarDayKind Kind, string NameZh, string NameEn);

/// <summary>
/// The working-day calendar (工作日) deadlines are counted in: Monday to Friday, except the listed holidays, plus the
/// listed adjusted working days. Deadlines follow Chinese administrative practice: the day a period starts on (the
/// receipt date) is not counted, so "within 20 working days of receipt" ends on <c>AddWorkingDays(receipt, 20)</c>.
/// Immutable; outside the listed years every weekday counts as a working day, which <see cref="Covers"/> reveals.
/// </summary>
public sealed class WorkingDayCalendar
{
    /// <summary>The most working days one deadline may span: ten years is far past any period the seeds set.</summary>
    public const int WorkingDaysMax = 2_600;

    /// <summary>The earliest year a calendar may cover.</summary>
    public const int YearMin = 2000;

    /// <summary>The latest year a calendar may cover.</summary>
    public const int YearMax = 2100;

    /// <summary>The longest holiday name, in characters, in either language.</summary>
    public const int NameLengthMax = 100;

    private readonly Dictionary<DateOnly, CalendarDay> _days;

    public WorkingDayCalendar(IEnumerable<CalendarDay> days, int firstYear, int lastYear)
        : this(days, firstYear, lastYear, [])
    {
    }

    /// <param name="provisionalYears">
    /// Covered years whose listing is provisional: only the statutory holidays, before the State Council's notice for
    /// the year sets the days off and the adjusted working days.
    /// </param>
    public WorkingDayCalendar(IEnumerable<CalendarDay> days, int firstYear, int lastYear, IEnumerable<int> provisionalYears)
    {
        ArgumentNullException.ThrowIfNull(days);
        ArgumentNullException.ThrowIfNull(provisionalYears);
        if (firstYear < YearMin || lastYear > YearMax || firstYear > lastYear)
            throw new ArgumentOutOfRangeException(nameof(firstYear), $"The covered years {firstYear}–{lastYear} are not a range within {YearMin}–{YearMax}.");
        var provisional = new SortedSet<int>();
        foreach (var year in provisionalYears)
        {
            if (year < firstYear || year > lastYear)
                throw new ArgumentException($"The provisional year {year} lies outside the covered years {firstYear}–{lastYear}.", nameof(provisionalYears));
            provisional.Add(year);
        }

        ProvisionalYears = provisional;
        _days = [];
        foreach (var day in days)
        {
            if (day.Date.Year < firstYear || day.Date.Year > lastYear)
                throw new ArgumentException($"{day.Date:yyyy-MM-dd} lies outside the covered years {firstYear}–{lastYear}.", nameof(days));
            if (day.Kind == CalendarDayKind.Workday && !IsWeekend(day.Date))
                throw new ArgumentException($"{day.Date:yyyy-MM-dd} is an adjusted working day but not a Saturday or Sunday.", nameof(days));
            if (Problem(day) is { } problem) throw new ArgumentException(problem, nameof(days));
            if (!_days.TryAdd(day.Date, day)) throw new ArgumentException($"{day.Date:yyyy-MM-dd} is listed twice.", nameof(days));
        }

        FirstYear = firstYear;
        LastYear = lastYear;
        Days = [.. _days.Values.OrderBy(d => d.Date)];
    }

    /// <summary>The first year whose holidays are listed.</summary>
    public int FirstYear { get; }

    /// <summary>The last year whose holidays are listed.</summary>
    public int LastYear { get; }

    /// <summary>The listed days, in date order.</summary>
    public IReadOnlyList<CalendarDay> Days { get; }

    /// <summary>The covered years whose listing is provisional (statutory holidays only), in order.</summary>
    public IReadOnlySet<int> ProvisionalYears { get; }

    /// <summary>Whether <paramref name="date"/>'s year is covered only provisionally.</summary>
    public bool IsProvisional(DateOnly date) => ProvisionalYears.Contains(date.Year);

    /// <summary>
    /// Why <paramref name="day"/> cannot be listed in any calendar, for people; null when it can. An adjusted working
    /// day is a Saturday or Sunday; both names are non-empty and at most <see cref="NameLengthMax"/> characters.
    /// </summary>
    public static string? Problem(CalendarDay day)
    {
        ArgumentNullException.ThrowIfNull(day);
        var date = day.Date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        if (day.Date.Year is < YearMin or > YearMax) return $"{date} lies outside the years {YearMin}–{YearMax}";
        if (!Enum.IsDefined(day.Kind)) return $"{date}: kind is holiday or workday";
        if (day.Kind == CalendarDayKind.Workday && !IsWeekend(day.Date))
            return $"{date} is a {day.Date.DayOfWeek}: an adjusted working day (workday) is a Saturday or Sunday";
        if (string.IsNullOrWhiteSpace(day.NameZh) || string.IsNullOrWhiteSpace(day.NameEn)) return $"{date}: nameZh and nameEn are both required";
        if (day.NameZh.Length > NameLengthMax || day.NameEn.Length > NameLengthMax) return $"{date}: a name is at most {NameLengthMax} characters";
        if (day.NameZh.Trim().Length != day.NameZh.Length || day.NameEn.Trim().Length != day.NameEn.Length)
            return $"{date}: a name has no leading or trailing spaces";
        return null;
    }

    /// <summary>Whether the calendar lists the holidays of <paramref name="date"/>'s year.</summary>
    public bool Covers(DateOnly date) => date.Year >= FirstYear && date.Year <= LastYear;

    /// <summary>The listed entry for <paramref name="date"/>, or null for an ordinary day.</summary>
    public CalendarDay? Find(DateOnly date) => _days.GetValueOrDefault(date);

    public bool IsWorkingDay(DateOnly date) => _days.TryGetValue(date, out var day) ? day.Kind == CalendarDayKind.Workday : !IsWeekend(date);

    /// <summary>
    /// The <paramref name="workingDays"/>-th working day after <paramref name="from"/>, which is itself not counted;
    /// zero gives <paramref name="from"/>.
    /// </summary>
    public DateOnly AddWorkingDays(DateOnly from, int workingDays)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(workingDays);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(workingDays, WorkingDaysMax);
        var day = from;
        for (var counted = 0; counted < workingDays;)
        {
            day = day.AddDays(1);
            if (IsWorkingDay(day)) counted++;
        }

        return day;
    }

    /// <summary>
    /// The working days after <paramref name="from"/> up to and including <paramref name="to"/>; negative, counted
    /// the same way backwards, when <paramref name="to"/> comes first.
    /// </summary>
    public int WorkingDaysBetween(DateOnly from, DateOnly to)
    {
        if (to < from) return -WorkingDaysBetween(to, from);
        var span = to.DayNumber - from.DayNumber;
        if (span > WorkingDaysMax * 2) throw new ArgumentOutOfRangeException(nameof(to), $"{from:yyyy-MM-dd}–{to:yyyy-MM-dd} spans more than the calendar counts.");
        var count = 0;
        for (var day = from.AddDays(1); day <= to; day = day.AddDays(1))
        {
            if (IsWorkingDay(day)) count++;
        }

        return count;
    }

    /// <summary>A copy with <paramref name="day"/> listed, replacing any entry for its date.</summary>
    public WorkingDayCalendar With(CalendarDay day)
    {
        ArgumentNullException.ThrowIfNull(day);
        return new WorkingDayCalendar(_days.Values.Where(d => d.Date != day.Date).Append(day), Math.Min(FirstYear, day.Date.Year), Math.Max(LastYear, day.Date.Year),
            ProvisionalYears);
    }

    /// <summary>A copy with <paramref name="date"/> back to an ordinary day.</summary>
    public WorkingDayCalendar Without(DateOnly date) => new(_days.Values.Where(d => d.Date != date), FirstYear, LastYear, ProvisionalYears);

    private static bool IsWeekend(DateOnly date) => date.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;
}
