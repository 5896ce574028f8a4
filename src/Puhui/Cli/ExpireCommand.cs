using System.CommandLine;
using System.Globalization;
using Puhui.Ingestion;
using Puhui.Storage.Ledger;

namespace Puhui.Host.Cli;

/// <summary><c>puhui expire</c>: clear the point lots due on a day (JS 37) and print what the run did.</summary>
internal static class ExpireCommand
{
    public const string Actor = "cli:expire";

    /// <summary>Progress lines printed at most this often, after the first group's.</summary>
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

    public static Command Create()
    {
        var db = StoreSetting.CreateOption();
        var asOf = new Option<string?>("--as-of")
        {
            Description = "清零截至日（YYYY-MM-DD，默认为北京时间今天）/ Clear lots expiring on or before this day (YYYY-MM-DD; default: today in UTC+8)",
        };
        var command = new Command("expire", "清零到期积分，积分内的减排量作自愿注销 / Clear expired points; the reductions inside them are retired as voluntary cancellation") { db, asOf };
        command.SetAction(async (parse, ct) =>
        {
            var text = parse.GetValue(asOf);
            DateOnly day;
            if (text is null) day = IngestionPolicy.Default.LocalDay(TimeProvider.System.GetUtcNow());
            else if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day))
            {
                await Console.Error.WriteLineAsync($"日期格式无效：{text}，应为 YYYY-MM-DD / Invalid date {text}: expected YYYY-MM-DD, e.g. 2028-03-01");
                return 2;
            }

            await using var store = await StoreSetting.OpenAsync(parse.GetValue(db), ct);
            Console.WriteLine($"数据库 / Store: {store.Description}");
            Console.WriteLine($"清零截至 / Clearing lots expiring on or before: {day:yyyy-MM-dd}");
            var report = await ExpiryClearing.RunAsync(store, day, Actor, TimeProvider.System, new ProgressLines(), ct);
            Print(report);
            return 0;
        });
        return command;
    }

    /// <summary>The report of a run, for people: Chinese first, then English.</summary>
    public static void Print(ExpiryReport report)
    {
        Console.WriteLine($"清零运行 / Expiry run: #{report.Id}, 截至 / as of {report.AsOf:yyyy-MM-dd}, "
            + (report.ScannedAfter is { } after ? $"读取 {after:yyyy-MM-dd} 之后到期的批次 / read lots expiring after {after:yyyy-MM-dd}" : "读取全部批次 / read every lot"));
        Console.WriteLine($"清零批次 / Lots cleared: {N(report.LotsCleared)}");
        Console.WriteLine($"清零积分 / Points expired: {N(report.PointsCleared)}");
        Console.WriteLine($"注销减排量 / Reductions retired: {N(report.GramsCleared)} g");
        Console.WriteLine(report.LotsSkipped == 0
            ? "跳过批次 / Lots skipped: 0"
            : $"跳过批次 / Lots skipped: {N(report.LotsSkipped)}（运行期间有变动，下次运行清零 / changed during the run; the next run clears them）");
        Console.WriteLine(report.Finished ? "清零完成 / Clearing finished" : "清零未完成 / Clearing not finished");
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Prints the first group's counters, then at most one line a second.</summary>
    private sealed class ProgressLines : IProgress<ExpiryReport>
    {
        private long _lastTicks;

        public void Report(ExpiryReport value)
        {
            if (value.Finished) return;
            var now = Environment.TickCount64;
            if (_lastTicks != 0 && now - _lastTicks < ProgressInterval.TotalMilliseconds) return;
            _lastTicks = now == 0 ? 1 : now;
            Console.WriteLine($"进度 / Progress: {N(value.LotsCleared)} 个批次已清零 / lots cleared, {N(value.LotsSkipped)} 跳过 / skipped");
        }
    }
}
