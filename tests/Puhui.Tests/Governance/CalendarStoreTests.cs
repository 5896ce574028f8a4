using System.Globalization;
using Puhui.Governance;
using Puhui.Storage;
using Puhui.Storage.Governance;
using Puhui.Storage.Ledger;

namespace Puhui.Tests.Governance;

/// <summary>The calendar in the database, on both stores: seeded once, edited with a history, refusals change nothing.</summary>
public class CalendarStoreTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    private static readonly DateTimeOffset T0 = new(2026, 11, 2, 9, 0, 0, TimeSpan.FromHours(8));

    private static DateOnly D(string text) => WorkingDayCalendarData.ParseDate(text) ?? throw new ArgumentException(text, nameof(text));

    private static CalendarDay Extra => new(D("2026-03-09"), CalendarDayKind.Holiday, "临时假日", "Extra holiday");

    private static async Task<long> CountAsync(LedgerStore store, string table)
    {
        await using var connection = await store.Dialect.OpenAsync(default);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM " + table;
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task The_first_read_seeds_the_shipped_calendar_once_even_when_readers_race(StoreKind kind)
    {
        await using var store = await TestStores.CreateAsync(kind);
        var clock = new ManualClock(T0);
        var readers = Enumerable.Range(0, 8).Select(_ => new CalendarStore(store, clock)).ToList();
        var calendars = await Task.WhenAll(readers.Select(r => r.GetAsync()));
        var shipped = WorkingDayCalendarData.Shipped();
        foreach (var calendar in calendars)
        {
            Assert.Equal(shipped.Days, calendar.Days);
            Assert.Equal((shipped.FirstYear, shipped.LastYear), (calendar.FirstYear, calendar.LastYear));
            Assert.Equal(shipped.ProvisionalYears, calendar.ProvisionalYears);
        }

        Assert.Equal(shipped.Days.Count, await CountAsync(store, "calendar_days"));
        Assert.Equal(1, await CountAsync(store, "calendar_meta"));
        Assert.Equal(0, await CountAsync(store, "calendar_edits"));
        Assert.Equal(shipped.Days, (await new CalendarStore(store, clock).GetAsync()).Days);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task An_edit_persists_across_a_reopened_store_and_is_recorded_once(StoreKind kind)
    {
        var setting = await TestStores.CreateSettingAsync(kind);
        var clock = new ManualClock(T0);
        await using (var store = await LedgerStore.OpenAsync(setting, clock))
        {
            var calendars = new CalendarStore(store, clock);
            var set = await calendars.SetDayAsync(Extra, "admin:test", "临时放假 / extra day off");
            Assert.Equal(CalendarWriteStatus.Done, set.Status);
            Assert.Equal((null, Extra), (set.Edit!.Previous, set.Edit.Current));
            Assert.False((await calendars.GetAsync()).IsWorkingDay(Extra.Date));

            clock.Advance(TimeSpan.FromMinutes(1));
            var again = await calendars.SetDayAsync(Extra, "admin:test", "again");
            Assert.Equal(CalendarWriteStatus.Unchanged, again.Status);
            Assert.Null(again.Edit);
        }

        await using (var store = await LedgerStore.OpenAsync(setting, clock))
        {
            var calendars = new CalendarStore(store, clock);
            var calendar = await calendars.GetAsync();
            Assert.Equal(Extra, calendar.Find(Extra.Date));
            Assert.False(calendar.IsWorkingDay(Extra.Date));
            Assert.Equal(WorkingDayCalendarData.Shipped().Days.Count + 1, calendar.Days.Count);
            var edit = Assert.Single(await calendars.ListEditsAsync(10));
            Assert.Equal((Extra.Date, "admin:test", "临时放假 / extra day off", T0), (edit.Date, edit.Actor, edit.Comment, edit.At));

            // A holiday renamed, then made ordinary: each recorded with what it replaced, newest first.
            var festival = calendar.Find(D("2026-02-17"))!;
            Assert.Equal(CalendarWriteStatus.Done, (await calendars.SetDayAsync(festival with { NameEn = "Chinese New Year" }, "admin:test", "renamed")).Status);
            var reset = await calendars.ResetDayAsync(festival.Date, "admin:test", "made ordinary");
            Assert.Equal(CalendarWriteStatus.Done, reset.Status);
            Assert.Equal("Chinese New Year", reset.Edit!.Previous!.NameEn);
            Assert.Null(reset.Edit.Current);
            Assert.Equal(CalendarWriteStatus.Unchanged, (await calendars.ResetDayAsync(festival.Date, "admin:test", "again")).Status);
            Assert.True((await calendars.GetAsync()).IsWorkingDay(festival.Date));

            var edits = await calendars.ListEditsAsync(10);
            Assert.Equal(["made ordinary", "renamed", "临时放假 / extra day off"], edits.Select(e => e.Comment));
            Assert.Equal(festival, edits[1].Previous);
            Assert.Single(await calendars.ListEditsAsync(1));
        }

        // Reopened, the store does not seed again over the edits.
        await using (var store = await LedgerStore.OpenAsync(setting, clock))
        {
            var calendar = await new CalendarStore(store, clock).GetAsync();
            Assert.True(calendar.IsWorkingDay(D("2026-02-17")));
            Assert.False(calendar.IsWorkingDay(Extra.Date));
        }
    }

    public static TheoryData<StoreKind, string> Refusals
    {
        get
        {
            var data = new TheoryData<StoreKind, string>();
            foreach (var kind in TestStores.All)
            {
                foreach (var what in new[] { "workday on a weekday", "empty name", "name too long", "comment too long", "year not next to the covered ones", "year before 2000" })
                    data.Add(kind, what);
            }

            return data;
        }
    }

    [Theory, MemberData(nameof(Refusals))]
    public async Task An_invalid_edit_is_refused_and_changes_nothing(StoreKind kind, string what)
    {
        await using var store = await TestStores.CreateAsync(kind);
        var calendars = new CalendarStore(store, new ManualClock(T0));
        var before = await calendars.GetAsync();
        var write = what switch
        {
            "workday on a weekday" => await calendars.SetDayAsync(new CalendarDay(D("2026-03-04"), CalendarDayKind.Workday, "调休", "Adjusted"), "admin:test", ""),
            "empty name" => await calendars.SetDayAsync(Extra with { NameZh = "" }, "admin:test", ""),
            "name too long" => await calendars.SetDayAsync(Extra with { NameEn = new string('x', WorkingDayCalendar.NameLengthMax + 1) }, "admin:test", ""),
            "comment too long" => await calendars.SetDayAsync(Extra, "admin:test", new string('x', CalendarStore.CommentLengthMax + 1)),
            "year not next to the covered ones" => await calendars.SetDayAsync(Extra with { Date = D("2029-10-01") }, "admin:test", ""),
            "year before 2000" => await calendars.ResetDayAsync(D("1999-10-01"), "admin:test", ""),
            _ => throw new ArgumentException(what, nameof(what)),
        };
        Assert.Equal(CalendarWriteStatus.Invalid, write.Status);
        Assert.False(string.IsNullOrEmpty(write.Problem));
        Assert.Null(write.Edit);
        Assert.Equal(before.Days, (await new CalendarStore(store, new ManualClock(T0)).GetAsync()).Days);
        Assert.Empty(await calendars.ListEditsAsync(10));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task The_next_year_can_be_listed_and_extends_the_covered_years(StoreKind kind)
    {
        await using var store = await TestStores.CreateAsync(kind);
        var calendars = new CalendarStore(store, new ManualClock(T0));
        var newYear = new CalendarDay(D("2028-01-03"), CalendarDayKind.Holiday, "元旦", "New Year's Day");
        Assert.Equal(CalendarWriteStatus.Done, (await calendars.SetDayAsync(newYear, "admin:test", "2028 notice")).Status);
        var calendar = await new CalendarStore(store, new ManualClock(T0)).GetAsync();
        Assert.Equal(2028, calendar.LastYear);
        Assert.True(calendar.Covers(newYear.Date));
        Assert.False(calendar.IsWorkingDay(newYear.Date));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Another_process_s_edit_is_seen_once_the_cache_lifetime_has_passed(StoreKind kind)
    {
        await using var store = await TestStores.CreateAsync(kind);
        var clock = new ManualClock(T0);
        var reader = new CalendarStore(store, clock);
        var writer = new CalendarStore(store, clock);
        Assert.True((await reader.GetAsync()).IsWorkingDay(Extra.Date));
        Assert.Equal(CalendarWriteStatus.Done, (await writer.SetDayAsync(Extra, "admin:test", "")).Status);
        Assert.False((await writer.GetAsync()).IsWorkingDay(Extra.Date));

        clock.Advance(CalendarStore.CacheLifetime - TimeSpan.FromSeconds(1));
        Assert.True((await reader.GetAsync()).IsWorkingDay(Extra.Date));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False((await reader.GetAsync()).IsWorkingDay(Extra.Date));
    }
}
