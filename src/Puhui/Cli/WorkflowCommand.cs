using System.CommandLine;
using System.Globalization;
using Puhui.Governance;
using Puhui.Storage.Governance;
using Puhui.Storage.Ingestion;
using Puhui.Storage.Ledger;

namespace Puhui.Host.Cli;

/// <summary><c>puhui workflow list</c>: the operating body's desk on the command line — open applications with their deadlines.</summary>
internal static class WorkflowCommand
{
    public static Command Create()
    {
        var db = StoreSetting.CreateOption();
        var overdue = new Option<bool>("--overdue") { Description = "只列出逾期的申请 / Only applications past their deadline" };
        var kind = new Option<string?>("--kind")
        {
            Description = "申请类型 / Kind of application: " + string.Join(", ", Workflows.All.Select(w => w.Kind)),
        };
        var all = new Option<bool>("--all") { Description = "包括已办结的申请 / Include closed applications" };
        var list = new Command("list", "列出办理中的申请及其工作日期限，逾期在前 / List open applications with their working-day deadlines, overdue first") { db, overdue, kind, all };
        list.SetAction(async (parse, ct) =>
        {
            var wanted = parse.GetValue(kind);
            if (wanted is not null && Workflows.Find(wanted) is null)
            {
                await Console.Error.WriteLineAsync($"未知的申请类型：{wanted} / Unknown kind {wanted}: use one of {string.Join(", ", Workflows.All.Select(w => w.Kind))}");
                return 2;
            }

            await using var store = await StoreSetting.OpenAsync(parse.GetValue(db), ct);
            var calendar = new CalendarStore(store, TimeProvider.System);
            var workflows = GovernanceSetup.Create(store, new ScenarioStore(store), calendar.GetAsync, TimeProvider.System);
            var rows = await Desk.ListAsync(workflows, wanted, parse.GetValue(all), ct);
            if (parse.GetValue(overdue)) rows = rows.Where(r => r.Overdue).ToList();
            Print(store, rows);
            return 0;
        });

        var command = new Command("workflow", "治理流程：方法学、场景与核查机构申请 / Governance workflows: methodology, scenario and verification body applications");
        command.Subcommands.Add(list);
        return command;
    }

    private static void Print(LedgerStore store, IReadOnlyList<DeskEntry> rows)
    {
        Console.WriteLine($"数据库 / Store: {store.Description}");
        if (rows.Count == 0)
        {
            Console.WriteLine("没有符合条件的申请 / No applications");
            return;
        }

        foreach (var r in rows)
        {
            var a = r.Application;
            var due = a.DueOn is not { } d ? "无期限 / no deadline"
                : r.IsNotice ? $"公示至 / notice until {d:yyyy-MM-dd}"
                : r.Overdue ? $"已逾期 {-r.WorkingDaysLeft} 个工作日 / overdue by {-r.WorkingDaysLeft} working day(s) (due {d:yyyy-MM-dd})"
                : $"期限 / due {d:yyyy-MM-dd}（剩 {r.WorkingDaysLeft} 个工作日 / {r.WorkingDaysLeft} working day(s) left）";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"#{a.Id}  {a.Kind}  {a.Subject}  {r.State.NameZh} / {r.State.NameEn}  {due}  申请人 / applicant: {a.ApplicantName}  收件 / received {a.ReceivedOn:yyyy-MM-dd}"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"共 {rows.Count} 件，逾期 {rows.Count(r => r.Overdue)} 件 / {rows.Count} application(s), {rows.Count(r => r.Overdue)} overdue"));
    }
}
