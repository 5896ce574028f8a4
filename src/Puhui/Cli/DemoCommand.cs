using System.CommandLine;
using Puhui.Host.Demo;
using Spectre.Console;

namespace Puhui.Host.Cli;

/// <summary><c>puhui demo</c>: a reproducible workload through the real ledger, then an audit.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var db = StoreSetting.CreateOption();
        var seed = new Option<int>("--seed") { Description = "随机种子 / Random seed", DefaultValueFactory = _ => 42 };
        var persons = new Option<int>("--persons") { Description = "居民人数 / Number of persons", DefaultValueFactory = _ => 200 };
        var operations = new Option<int>("--operations") { Description = "操作次数 / Number of operations", DefaultValueFactory = _ => 2_000 };
        var reportCommits = new Option<bool>("--report-commits")
        {
            Description = "每笔提交后输出一行 'committed <key> <seq>'（无进度条）/ Print 'committed <key> <seq>' after each commit (no progress bar)",
        };
        var command = new Command("demo", "生成演示人群并运行可重现的账本负载，然后审计 / Create a demo population, drive a reproducible ledger workload, then audit")
        {
            db, seed, persons, operations, reportCommits,
        };
        command.SetAction(async (parse, ct) =>
        {
            var options = new DemoOptions(parse.GetValue(seed), parse.GetValue(persons), parse.GetValue(operations));
            if (options.Persons is < 1 or > DemoOptions.PersonsMax || options.Operations is < 0 or > DemoOptions.OperationsMax)
            {
                Console.Error.WriteLine($"参数无效 / Invalid arguments: --persons must be 1–{DemoOptions.PersonsMax}, --operations 0–{DemoOptions.OperationsMax}.");
                return 2;
            }

            await using var store = await StoreSetting.OpenAsync(parse.GetValue(db), ct);
            DemoTally tally;
            if (parse.GetValue(reportCommits))
            {
                var workload = new DemoWorkload(store, options) { OnCommitted = s => Console.Out.WriteLine($"committed {s.Transaction.IdempotencyKey} {s.Sequence}") };
                tally = await workload.RunAsync(null, ct);
            }
            else
            {
                tally = await AnsiConsole.Progress().StartAsync(async progress =>
                {
                    var task = progress.AddTask("账本负载 / Ledger workload", maxValue: Math.Max(1, options.Operations));
                    var done = await new DemoWorkload(store, options).RunAsync(new Progress<int>(count => task.Value = count), ct);
                    task.Value = task.MaxValue;
                    return done;
                });
            }

            var table = new Table().Title($"演示负载 / Demo workload (seed {options.Seed}, {options.Persons} persons, {options.Operations} operations)")
                .AddColumns("操作 / Operation", "提交 / Committed", "重放 / Replayed", "拒绝 / Refused");
            foreach (var (operation, (committed, replayed, refused)) in tally.ByOperation.OrderBy(o => o.Key, StringComparer.Ordinal))
                table.AddRow(operation, committed.ToString(System.Globalization.CultureInfo.InvariantCulture), replayed.ToString(System.Globalization.CultureInfo.InvariantCulture), refused.ToString(System.Globalization.CultureInfo.InvariantCulture));
            AnsiConsole.Write(table);

            var report = await store.AuditAsync(null, ct);
            return AuditCommand.Print(store, report);
        });
        return command;
    }
}
