using System.CommandLine;
using System.Globalization;
using System.Text;
using Puhui.Governance;
using Puhui.Registry;
using Puhui.Storage.Governance;
using Puhui.Storage.Ingestion;
using Puhui.Storage.Ledger;
using Puhui.Storage.Registry;

namespace Puhui.Host.Cli;

/// <summary>
/// <c>puhui registry export</c> and <c>puhui project show</c>: the public registry on the command line, read like
/// the API reads it — registered projects only, batch totals from the ledger's balances.
/// </summary>
internal static class RegistryCommand
{
    /// <summary><c>puhui registry export --format csv|json [--out FILE]</c>.</summary>
    public static Command CreateRegistry()
    {
        var db = StoreSetting.CreateOption();
        var format = new Option<string?>("--format") { Description = "导出格式：csv 或 json / Export format: csv or json" };
        var output = new Option<string?>("--out") { Description = "写入文件（默认标准输出）/ Write to this file (default: standard output)" };
        var export = new Command("export", "导出公开登记簿：已登记项目及其签发批次与账本合计 / Export the public registry: registered projects, their batches and ledger totals")
        {
            db, format, output,
        };
        export.SetAction(async (parse, ct) =>
        {
            var text = parse.GetValue(format);
            if (RegistryQueries.ParseFormat(text) is not { } wanted)
            {
                await Console.Error.WriteLineAsync(text is null
                    ? "请用 --format 指定导出格式 csv 或 json / Give the export format with --format csv or --format json"
                    : $"未知的导出格式：{text} / Unknown format {text}: use csv or json");
                return 2;
            }

            var path = parse.GetValue(output);
            if (path is { Length: 0 })
            {
                await Console.Error.WriteLineAsync("--out 需要文件路径 / --out needs a file path");
                return 2;
            }

            await using var store = await StoreSetting.OpenAsync(parse.GetValue(db), ct);
            var queries = Queries(store);
            if (path is null)
            {
                await queries.ExportAsync(wanted, Console.Out, ct);
                return 0;
            }

            await using (var file = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)))
                await queries.ExportAsync(wanted, file, ct);
            await Console.Error.WriteLineAsync($"已导出至 / Exported to {Path.GetFullPath(path)}");
            return 0;
        });

        var command = new Command("registry", "公开登记簿 / The public project registry");
        command.Subcommands.Add(export);
        return command;
    }

    /// <summary><c>puhui project show &lt;id&gt;</c>.</summary>
    public static Command CreateProject()
    {
        var db = StoreSetting.CreateOption();
        var id = new Argument<string>("id") { Description = "项目编号 / project id" };
        var show = new Command("show", "显示已登记项目：监测期、批次及其账本合计、状态记录 / Show a registered project: periods, batches with ledger totals, status history")
        {
            db, id,
        };
        show.SetAction(async (parse, ct) =>
        {
            var text = parse.GetValue(id);
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var projectId) || projectId <= 0)
            {
                await Console.Error.WriteLineAsync($"项目编号无效：{text}，应为正整数 / Invalid project id {text}: expected a positive whole number");
                return 2;
            }

            await using var store = await StoreSetting.OpenAsync(parse.GetValue(db), ct);
            var project = await Queries(store).ProjectAsync(projectId, ct);
            if (project is null)
            {
                await Console.Error.WriteLineAsync($"没有已登记的项目 {projectId} / No registered project {projectId}");
                return 1;
            }

            Print(project);
            return 0;
        });

        var command = new Command("project", "碳普惠项目 / Projects of the registry");
        command.Subcommands.Add(show);
        return command;
    }

    private static RegistryQueries Queries(LedgerStore store)
    {
        var calendar = new CalendarStore(store, TimeProvider.System);
        var workflows = GovernanceSetup.Create(store, new ScenarioStore(store), calendar.GetAsync, TimeProvider.System);
        return new RegistryQueries(store, new ProjectRegistry(workflows), workflows);
    }

    private static void Print(RegistryProject p)
    {
        var d = p.Definition;
        var state = Workflows.Project.State(p.State);
        Console.WriteLine(I($"项目 / Project: {p.Code} (#{p.Id})  {d.NameZh} / {d.NameEn}"));
        Console.WriteLine(I($"状态 / State: {state.NameZh} / {state.NameEn}  申请 / application #{p.ApplicationId}"));
        Console.WriteLine(I($"开发主体 / Developer: {p.DeveloperName} (#{p.Developer})"));
        Console.WriteLine(I($"类型 / Type: {d.Type.Code()}  地区 / Region: {d.Region}  位置 / Location: {d.Latitude}, {d.Longitude}  规模 / Capacity: {d.Capacity} {d.CapacityUnit}"));
        Console.WriteLine(I($"方法学 / Methodology: {d.MethodologyId} {d.MethodologyVersion}  计入期 / Crediting period: {d.CreditingFrom:yyyy-MM-dd} – {d.CreditingTo:yyyy-MM-dd}"));
        if (d.ExternalIds.Count > 0) Console.WriteLine("外部编号 / External ids: " + string.Join(", ", d.ExternalIds.Select(e => e.Scheme + ":" + e.Id)));
        Console.WriteLine(I($"缓冲库欠量 / Buffer debt: {G(p.BufferDebtGrams)}"));

        Console.WriteLine(I($"文件 / Documents: {p.Documents.Count}"));
        foreach (var doc in p.Documents) Console.WriteLine(I($"  {doc.Sha256}  {doc.Name}  {doc.MediaType}  {doc.SizeBytes} B"));

        Console.WriteLine(I($"监测期 / Monitoring periods: {p.Periods.Count}"));
        foreach (var m in p.Periods)
        {
            var s = Workflows.MonitoringPeriod.State(m.State);
            Console.WriteLine(I($"  #{m.ApplicationId}  {m.From:yyyy-MM-dd} – {m.To:yyyy-MM-dd}  {s.NameZh} / {s.NameEn}  申报 / claimed {G(m.ClaimedGrams)}  核证 / verified {G(m.VerifiedGrams)}  签发 / issued {G(m.IssuedGrams)}（开发主体 / developer {G(m.DeveloperGrams)}，缓冲库 / buffer {G(m.BufferGrams)}）  批次 / batch {m.BatchCode ?? "—"}"));
        }

        Console.WriteLine(I($"批次 / Batches: {p.Batches.Count}"));
        foreach (var b in p.Batches)
        {
            var t = b.Totals;
            Console.WriteLine(I($"  {b.Code} (#{b.Id})  {b.MethodologyId} {b.MethodologyVersion}  类别 / class {b.Class}  年份 / vintage {b.Vintage}  地区 / region {b.Region}  交易 / transaction {b.TransactionId}"));
            Console.WriteLine(I($"    签发 / issued {G(t.Issued)} = 持有 / held {G(t.Held)} + 质押 / pledged {G(t.Pledged)} + 注销 / retired {G(t.Retired)} + 作废 / cancelled {G(t.Cancelled)} + 缓冲库 / buffer {G(t.Buffer)}"));
        }

        if (p.Reversals.Count > 0)
        {
            Console.WriteLine(I($"碳汇损失 / Reversals: {p.Reversals.Count}"));
            foreach (var r in p.Reversals) Console.WriteLine(I($"  #{r.Id}  {r.At:yyyy-MM-dd}  损失 / lost {G(r.Grams)}  作废缓冲 / buffer cancelled {G(r.CancelledGrams)}  交易 / transaction {r.TransactionId}"));
        }

        Console.WriteLine(I($"状态记录 / Status history: {p.History.Count}"));
        foreach (var e in p.History)
        {
            var comment = e.Comment.Length == 0 ? "" : "  " + e.Comment.ReplaceLineEndings(" ");
            Console.WriteLine(I($"  #{e.Seq}  {e.At:yyyy-MM-dd HH:mm}  {e.Action}  {e.Role}  {e.Actor}  {e.From} → {e.To}{comment}  {e.Hash[..16]}"));
        }
    }

    private static string I(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string G(long? grams) => grams is { } g ? g.ToString("N0", CultureInfo.InvariantCulture) + " g" : "—";
}
