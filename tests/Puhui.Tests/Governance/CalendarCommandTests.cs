using Puhui.Governance;
using Puhui.Storage;
using Puhui.Storage.Governance;
using Puhui.Storage.Ledger;
using Puhui.Tests.Cli;

namespace Puhui.Tests.Governance;

/// <summary><c>puhui calendar days|deadline</c>, run as the real executable: 0 with the days listed, 2 and nothing printed on bad input.</summary>
public class CalendarCommandTests
{
    [Fact]
    public async Task Days_lists_the_spring_festival_from_the_shipped_file_with_the_working_days_total()
    {
        var (exit, stdout, stderr) = await PuhuiProcess.RunAsync("calendar", "days", "--from", "2026-02-13", "--to", "2026-03-01", "--shipped");
        Assert.True(exit == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(18, lines.Length);
        Assert.StartsWith("2026-02-14  周六 Sat  工作日 working  春节调休上班 / Spring Festival (adjusted working day)", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("2026-02-17  周二 Tue  休息日 rest     春节 / Spring Festival", lines[4], StringComparison.Ordinal);
        Assert.Equal("2026-03-01  周日 Sun  休息日 rest", lines[16]);
        Assert.StartsWith("工作日合计 / Working days: 7", lines[17], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Days_reads_the_calendar_the_database_holds_with_its_edits()
    {
        var setting = await TestStores.CreateSettingAsync(StoreKind.Sqlite);
        await using (var store = await LedgerStore.OpenAsync(setting))
        {
            var extra = new CalendarDay(new DateOnly(2026, 3, 9), CalendarDayKind.Holiday, "临时假日", "Extra holiday");
            Assert.Equal(CalendarWriteStatus.Done, (await new CalendarStore(store, TimeProvider.System).SetDayAsync(extra, "admin:test", "")).Status);
        }

        var (exit, stdout, stderr) = await PuhuiProcess.RunAsync("calendar", "days", "--from", "2026-03-09", "--to", "2026-03-10", "--db", setting);
        Assert.True(exit == 0, stderr);
        Assert.Contains("2026-03-09  周一 Mon  休息日 rest     临时假日 / Extra holiday", stdout, StringComparison.Ordinal);
        Assert.Contains("工作日合计 / Working days: 1", stdout, StringComparison.Ordinal);

        (exit, stdout, stderr) = await PuhuiProcess.RunAsync("calendar", "deadline", "--from", "2026-03-06", "--working-days", "1", "--db", setting);
        Assert.True(exit == 0, stderr);
        Assert.Contains(": 2026-03-10 周二 Tuesday", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deadline_counts_over_national_day()
    {
        var (exit, stdout, stderr) = await PuhuiProcess.RunAsync("calendar", "deadline", "--from", "2026-09-28", "--working-days", "5", "--shipped");
        Assert.True(exit == 0, stderr);
        Assert.Contains("2026-10-10 周六 Saturday", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_input_exits_2_with_a_bilingual_message_and_creates_no_database()
    {
        var setting = await TestStores.CreateSettingAsync(StoreKind.Sqlite);
        string[][] runs =
        [
            ["calendar", "days", "--from", "2026-13-01", "--to", "2026-03-01", "--db", setting],
            ["calendar", "days", "--from", "2026-03-02", "--to", "2026-03-01", "--db", setting],
            ["calendar", "days", "--from", "2026-01-01", "--to", "2027-01-02", "--db", setting],
            ["calendar", "deadline", "--from", "2026/01/01", "--working-days", "5", "--db", setting],
            ["calendar", "deadline", "--from", "2026-01-01", "--working-days", "-3", "--db", setting],
        ];
        foreach (var args in runs)
        {
            var (exit, stdout, stderr) = await PuhuiProcess.RunAsync(args);
            Assert.True(exit == 2, $"{string.Join(' ', args)}: exit {exit}: {stderr}");
            Assert.Equal("", stdout);
            Assert.Matches(@"\p{IsCJKUnifiedIdeographs}.* / [A-Z]", stderr);
        }

        Assert.False(File.Exists(setting), "a refused run created the database");
    }
}
