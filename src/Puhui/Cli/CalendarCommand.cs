using System.CommandLine;
using Puhui.Governance;
using Puhui.Host.Http;
using Puhui.Storage.Governance;

namespace Puhui.Host.Cli;

/// <summary>
/// <c>puhui calendar days|deadline</c>: the working-day calendar deadlines are counted in, as the store holds it or
/// (<c>--shipped</c>) as the platform ships it. Exit codes: 0 success, 2 usage.
/// </summary>
internal static class CalendarCommand
{
    private static readonly string[] WeekdaysZh = ["周日", "周一", "周二", "周三", "周四", "周五", "周六"];

    public static Command Create()
    {
        var command = new Command("calendar", "工作日日历（法定节假日与调休）/ The working-day calendar (public holidays and adjusted working days)");
        command.Subcommands.Add(Days());
        command.Subcommands.Add(Deadline());
        return command;
    }

    private static Option<bool> ShippedOption() => new("--shipped")
    {
        Description = $"读取随平台发布的日历文件，不打开数据库 / Read the calendar the platform ships ({WorkingDayCalendarData.ShippedFileName}) instead of the database",
    };

    private static Command Days()
    {
        var db = StoreSetting.CreateOption();
        var shipped = ShippedOption();
        var from = new Option<string>("--from") { Description = "起始日期（YYYY-MM-DD）/ First day (YYYY-MM-DD)", Required = true };
        var to = new Option<string>("--to") { Description = $"结束日期（YYYY-MM-DD，至多 {CalendarEndpoints.RangeDaysMax} 天）/ Last day (YYYY-MM-DD; at most {CalendarEndpoints.RangeDaysMax} days)", Required = true };
        var command = new Command("days", "逐日列出是否为工作日 / List each day and whether it is a working day") { from, to, db, shipped };
        command.SetAction(async (parse, ct) =>
        {
            if (await DateAsync(parse.GetValue(from), "--from") is not { } start || await DateAsync(parse.GetValue(to), "--to") is not { } end) return 2;
            if (end < start)
            {
                await Console.Error.WriteLineAsync($"结束日期早于起始日期 / The last day (--to {end:yyyy-MM-dd}) comes before the first (--from {start:yyyy-MM-dd})");
                return 2;
            }

            if (end.DayNumber - start.DayNumber >= CalendarEndpoints.RangeDaysMax)
            {
                await Console.Error.WriteLineAsync($"日期范围过长，至多 {CalendarEndpoints.RangeDaysMax} 天 / The range spans more than {CalendarEndpoints.RangeDaysMax} days, both ends included");
                return 2;
            }

            var calendar = await LoadAsync(parse.GetValue(shipped), parse.GetValue(db), ct);
            var working = 0;
            for (var day = start; day <= end; day = day.AddDays(1))
            {
                var isWorking = calendar.IsWorkingDay(day);
                if (isWorking) working++;
                // The shipped names already say which days are adjusted working days (春节调休上班 / … (adjusted working day)).
                var listed = calendar.Find(day) is { } entry ? $"  {entry.NameZh} / {entry.NameEn}" : "";
                Console.WriteLine(($"{day:yyyy-MM-dd}  {WeekdaysZh[(int)day.DayOfWeek]} {day.DayOfWeek.ToString()[..3]}  "
                    + (isWorking ? "工作日 working" : "休息日 rest   ") + listed).TrimEnd());
            }

            Console.WriteLine($"工作日合计 / Working days: {working}（共 {end.DayNumber - start.DayNumber + 1} 天 / of {end.DayNumber - start.DayNumber + 1} days）");
            Caveats(calendar, start, end);
            return 0;
        });
        return command;
    }

    private static Command Deadline()
    {
        var db = StoreSetting.CreateOption();
        var shipped = ShippedOption();
        var from = new Option<string>("--from") { Description = "起算日（收件日，不计入）/ The receipt day, not itself counted (YYYY-MM-DD)", Required = true };
        var workingDays = new Option<string>("--working-days")
        {
            Description = $"工作日数（0–{CalendarEndpoints.DeadlineWorkingDaysMax}）/ Working days (0–{CalendarEndpoints.DeadlineWorkingDaysMax})",
            Required = true,
        };
        var command = new Command("deadline", "计算若干个工作日后的期限 / The deadline a number of working days after a day") { from, workingDays, db, shipped };
        command.SetAction(async (parse, ct) =>
        {
            if (await DateAsync(parse.GetValue(from), "--from") is not { } start) return 2;
            var text = parse.GetValue(workingDays);
            if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n > CalendarEndpoints.DeadlineWorkingDaysMax)
            {
                await Console.Error.WriteLineAsync($"工作日数无效：{text}，应为 0–{CalendarEndpoints.DeadlineWorkingDaysMax} / Invalid --working-days {text}: expected 0–{CalendarEndpoints.DeadlineWorkingDaysMax}");
                return 2;
            }

            var calendar = await LoadAsync(parse.GetValue(shipped), parse.GetValue(db), ct);
            var deadline = calendar.AddWorkingDays(start, n);
            Console.WriteLine($"{start:yyyy-MM-dd} 起 {n} 个工作日 / {n} working days after {start:yyyy-MM-dd}: "
                + $"{deadline:yyyy-MM-dd} {WeekdaysZh[(int)deadline.DayOfWeek]} {deadline.DayOfWeek}");
            Caveats(calendar, start, deadline);
            return 0;
        });
        return command;
    }

    private static async Task<DateOnly?> DateAsync(string? text, string option)
    {
        if (WorkingDayCalendarData.ParseDate(text) is { } date) return date;
        await Console.Error.WriteLineAsync($"日期格式无效：{option} {text}，应为 YYYY-MM-DD / Invalid date {option} {text}: expected YYYY-MM-DD, e.g. 2026-02-14");
        return null;
    }

    private static async Task<WorkingDayCalendar> LoadAsync(bool shipped, string? db, CancellationToken ct)
    {
        if (shipped) return WorkingDayCalendarData.Shipped();
        await using var store = await StoreSetting.OpenAsync(db, ct);
        return await new CalendarStore(store, TimeProvider.System).GetAsync(ct);
    }

    /// <summary>Says when the answer rests on years the calendar does not list, or lists only provisionally.</summary>
    private static void Caveats(WorkingDayCalendar calendar, DateOnly start, DateOnly end)
    {
        if (!calendar.Covers(start) || !calendar.Covers(end))
        {
            Console.WriteLine($"注意：日历只列出 {calendar.FirstYear}–{calendar.LastYear} 年的节假日，其他年份按周一至周五计 / "
                + $"Note: the calendar lists holidays for {calendar.FirstYear}–{calendar.LastYear} only; other years count Monday to Friday");
        }

        var provisional = Enumerable.Range(start.Year, end.Year - start.Year + 1).Where(calendar.ProvisionalYears.Contains).ToList();
        if (provisional.Count > 0)
        {
            var years = string.Join(", ", provisional);
            Console.WriteLine($"注意：{years} 年为暂定，只含法定假日，尚无调休安排 / Note: {years} is provisional: statutory holidays only, no adjusted days yet");
        }
    }
}
