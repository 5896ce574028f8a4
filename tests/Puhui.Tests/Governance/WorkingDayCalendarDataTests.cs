using Puhui.Governance;

namespace Puhui.Tests.Governance;

/// <summary>The calendar file: what is written reads back the same, and a malformed file is refused naming what is wrong.</summary>
public class WorkingDayCalendarDataTests
{
    [Fact]
    public void The_shipped_calendar_written_and_read_again_is_the_same()
    {
        var shipped = WorkingDayCalendarData.Shipped();
        var written = WorkingDayCalendarData.Write(shipped, "注释 / comment");
        var read = WorkingDayCalendarData.Parse(written);
        Assert.Equal(shipped.Days, read.Days);
        Assert.Equal((shipped.FirstYear, shipped.LastYear), (read.FirstYear, read.LastYear));
        Assert.Equal(shipped.ProvisionalYears, read.ProvisionalYears);
        Assert.Equal(written, WorkingDayCalendarData.Write(read, "注释 / comment"));
        Assert.Contains("\"zh\": \"春节\"", written, StringComparison.Ordinal);
    }

    [Fact]
    public void The_shipped_file_names_its_sources_and_reads_like_the_writer_writes_its_days()
    {
        var json = WorkingDayCalendarData.ShippedJson();
        Assert.Contains("国务院办公厅关于2025年部分节假日安排的通知", json, StringComparison.Ordinal);
        Assert.Contains("国务院办公厅关于2026年部分节假日安排的通知", json, StringComparison.Ordinal);
        var written = WorkingDayCalendarData.Write(WorkingDayCalendarData.Shipped());
        foreach (var line in written.Split('\n').Where(l => l.Contains("\"date\"", StringComparison.Ordinal)))
            Assert.Contains(line.TrimEnd(','), json, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_calendar_round_trips()
    {
        var empty = new WorkingDayCalendar([], 2030, 2030);
        var read = WorkingDayCalendarData.Parse(WorkingDayCalendarData.Write(empty));
        Assert.Empty(read.Days);
        Assert.Equal(2030, read.FirstYear);
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "not json", "not JSON" },
        { "[]", "JSON object" },
        { """{"lastYear": 2026, "days": []}""", "firstYear" },
        { """{"firstYear": 2026, "lastYear": 2026}""", "days" },
        { """{"firstYear": 2026, "lastYear": 2026, "days": [{"date": "2026/10/01", "kind": "holiday", "zh": "国庆节", "en": "National Day"}]}""", "days[0].date" },
        { """{"firstYear": 2026, "lastYear": 2026, "days": [{"date": "2026-10-01", "kind": "off", "zh": "国庆节", "en": "National Day"}]}""", "days[0].kind" },
        { """{"firstYear": 2026, "lastYear": 2026, "days": [{"date": "2026-10-01", "kind": "holiday", "zh": "国庆节"}]}""", "days[0].en" },
        { """{"firstYear": 2026, "lastYear": 2026, "days": [{"date": "2026-10-12", "kind": "workday", "zh": "调休", "en": "Adjusted"}]}""", "Saturday or Sunday" },
        { """{"firstYear": 2026, "lastYear": 2026, "provisionalYears": [2027], "days": []}""", "provisional year 2027" },
    };

    [Theory, MemberData(nameof(Malformed))]
    public void A_malformed_file_is_refused_naming_what_is_wrong(string json, string named)
    {
        var e = Assert.Throws<FormatException>(() => WorkingDayCalendarData.Parse(json));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }
}
