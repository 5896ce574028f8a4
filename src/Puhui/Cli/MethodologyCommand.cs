using System.CommandLine;
using System.Globalization;
using Puhui.Ledger;
using Puhui.Methodologies;
using Spectre.Console;

namespace Puhui.Host.Cli;

/// <summary><c>puhui methodology check|calc|list</c>: load, verify and try methodology files.</summary>
internal static class MethodologyCommand
{
    private const int ExitOk = 0;
    private const int ExitFailed = 1;
    private const int ExitUsage = 2;

    public static Command Create()
    {
        var command = new Command("methodology", "方法学：检查、计算、列出、导入、版本 / methodologies: check, calculate, list, import, versions");
        command.Subcommands.Add(CreateCheck());
        command.Subcommands.Add(CreateCalc());
        command.Subcommands.Add(CreateList());
        command.Subcommands.Add(MethodologyStoreCommands.CreateImport());
        command.Subcommands.Add(MethodologyStoreCommands.CreateVersions());
        return command;
    }

    private static Command CreateCheck()
    {
        var path = new Argument<string>("path") { Description = "方法学文件或目录 / a methodology file or directory" };
        var check = new Command("check", "加载、检查单位并运行全部测试向量 / load, unit-check and run every test vector");
        check.Arguments.Add(path);
        check.SetAction(parseResult => Check(parseResult.GetValue(path)!));
        return check;
    }

    private static Command CreateCalc()
    {
        var id = new Argument<string>("id") { Description = "方法学标识 / methodology id" };
        var values = new Argument<string[]>("inputs") { Description = "输入，形如 name=value / inputs as name=value", Arity = ArgumentArity.ZeroOrMore };
        var dir = DirOption();
        var history = new Option<string[]>("--history")
        {
            Description = "历史日合计，形如 name=昨天,前天,… / daily totals as name=yesterday,day-before,… (empty for no data)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var acceptedToday = new Option<long>("--accepted-today") { Description = "今日已计入克数 / grams already credited today" };
        var calc = new Command("calc", "计算一条记录并显示各中间值 / calculate one record and show every intermediate value");
        calc.Arguments.Add(id);
        calc.Arguments.Add(values);
        calc.Options.Add(dir);
        calc.Options.Add(history);
        calc.Options.Add(acceptedToday);
        calc.SetAction(parseResult => Calc(
            parseResult.GetValue(id)!,
            parseResult.GetValue(values) ?? [],
            parseResult.GetValue(history) ?? [],
            parseResult.GetValue(acceptedToday),
            parseResult.GetValue(dir)));
        return calc;
    }

    private static Command CreateList()
    {
        var dir = DirOption();
        var list = new Command("list", "列出方法学库 / list the methodology library");
        list.Options.Add(dir);
        list.SetAction(parseResult => List(parseResult.GetValue(dir)));
        return list;
    }

    private static Option<string> DirOption() => new("--dir")
    {
        Description = "方法学目录（默认从当前目录向上查找 methodologies/）/ methodology directory (default: methodologies/ found walking up from the current directory)",
    };

    private static int Check(string path)
    {
        path = Resolve(path);
        string[] files;
        if (File.Exists(path)) files = [path];
        else if (Directory.Exists(path)) files = MethodologyFiles(path);
        else return Usage($"找不到文件或目录 / no such file or directory: {path}");
        if (files.Length == 0) return Usage($"目录中没有方法学文件 / no methodology files in {path}");

        var table = new Table().AddColumns("文件 / file", "方法学 / methodology", "测试向量 / vectors", "结果 / result");
        var problems = new List<string>();
        foreach (var file in files)
        {
            var name = Path.GetFileName(file);
            Methodology methodology;
            try
            {
                methodology = MethodologyLoader.Parse(File.ReadAllText(file));
            }
            catch (MethodologyException e)
            {
                table.AddRow(Esc(name), "—", "—", "[red]无效 / invalid[/]");
                problems.Add($"{name}: {e.Message}");
                continue;
            }
            var results = methodology.RunTestVectors();
            var passed = results.Count(r => r.Passed);
            foreach (var failure in results.Where(r => !r.Passed))
                problems.Add($"{name}: 测试向量 / test vector '{failure.Vector.Name}': {failure.Problem}");
            table.AddRow(
                Esc(name),
                Esc($"{methodology.Id} {methodology.Version}"),
                $"{passed}/{results.Count}",
                passed == results.Count ? "[green]通过 / passed[/]" : "[red]失败 / failed[/]");
        }
        AnsiConsole.Write(table);
        if (problems.Count == 0)
        {
            AnsiConsole.MarkupLine($"[green]全部通过 / all passed[/]: {files.Length} 个文件 / files");
            return ExitOk;
        }
        foreach (var problem in problems) AnsiConsole.MarkupLine($"[red]✗[/] {Esc(problem)}");
        AnsiConsole.MarkupLine($"[red]{problems.Count} 个问题 / problems[/]");
        return ExitFailed;
    }

    private static int Calc(string id, string[] assignments, string[] historyTexts, long acceptedToday, string? dir)
    {
        var directory = dir ?? FindLibrary();
        if (directory is null || !Directory.Exists(directory))
            return Usage("找不到 methodologies/ 目录，请用 --dir 指定 / no methodologies/ directory found; pass --dir");
        var methodology = Find(directory, id, out var loadProblem);
        if (methodology is null) return Usage(loadProblem ?? $"找不到方法学 / no methodology with id '{id}' in {directory}");

        var inputs = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var assignment in assignments)
        {
            if (!TrySplit(assignment, out var name, out var text) || !TryNumber(text, out var value))
                return Usage($"输入应形如 name=value / an input must look like name=value: '{assignment}'");
            if (methodology.InputIndex(name) < 0)
                return Usage($"未知输入 / unknown input '{name}'; 可用 / declared: {string.Join(", ", methodology.Inputs.Select(i => i.Name))}");
            inputs[name] = value;
        }
        var day = DateOnly.FromDateTime(DateTime.Today);
        var history = new DailyTotals();
        foreach (var historyText in historyTexts)
        {
            if (!TrySplit(historyText, out var name, out var list) || methodology.InputIndex(name) < 0)
                return Usage($"--history 应形如 input=v1,v2 / --history must look like input=v1,v2: '{historyText}'");
            var back = 0;
            foreach (var item in list.Split(','))
            {
                back++;
                if (item.Length == 0) continue;
                if (!TryNumber(item, out var total)) return Usage($"不是数字 / not a number: '{item}'");
                history.Add(name, day.AddDays(-back), total);
            }
        }

        var report = methodology.Calculate(inputs, day, history, new Grams(acceptedToday));
        AnsiConsole.MarkupLine($"[bold]{Esc(methodology.Title.Zh)} / {Esc(methodology.Title.En)}[/] ({Esc(methodology.Id)} {Esc(methodology.Version)})");
        var table = new Table().AddColumns("公式 / formula", "值 / value", "单位 / unit", "表达式 / expression");
        for (var i = 0; i < report.Values.Count; i++)
        {
            var value = report.Values[i];
            table.AddRow(Esc(value.Name), Esc(value.Value.ToString(CultureInfo.InvariantCulture)), Esc(value.Unit.ToString()), Esc(methodology.Formulas[i].Expression));
        }
        if (report.Values.Count > 0) AnsiConsole.Write(table);
        var result = report.Result;
        switch (result.Status)
        {
            case CalculationStatus.Accepted:
                AnsiConsole.MarkupLine($"[green]接受 / accepted[/]: 减排量 / reduction {result.Reduction.Value} g, 积分 / points {result.Points.Value}");
                return ExitOk;
            case CalculationStatus.Rejected:
                AnsiConsole.MarkupLine($"[yellow]拒绝 / rejected[/]: {result.Reason.Code()}{(result.Subject is null ? "" : $" ({Esc(result.Subject)})")}");
                return ExitFailed;
            default:
                AnsiConsole.MarkupLine($"[red]方法学错误 / methodology fault[/]: {result.Reason.Code()} ({Esc(result.Subject ?? "")}, position {result.Position})");
                return ExitFailed;
        }
    }

    private static int List(string? dir)
    {
        var directory = dir ?? FindLibrary();
        if (directory is null || !Directory.Exists(directory))
            return Usage("找不到 methodologies/ 目录，请用 --dir 指定 / no methodologies/ directory found; pass --dir");
        var table = new Table().AddColumns("标识 / id", "版本 / version", "类别 / class", "类型 / kind", "名称 / title", "SHA-256");
        var failed = false;
        foreach (var file in MethodologyFiles(directory))
        {
            try
            {
                var m = MethodologyLoader.Parse(File.ReadAllText(file));
                var kind = m.Kind == MethodologyKind.Project ? "项目 / project" : "行为 / behaviour";
                var cls = m.Class == MethodologyClass.None ? "仅积分 / points only" : m.Class.ToString();
                table.AddRow(Esc(m.Id), Esc(m.Version), Esc(cls), Esc(kind), Esc($"{m.Title.Zh} / {m.Title.En}"), m.ContentHash[..12]);
            }
            catch (MethodologyException e)
            {
                failed = true;
                table.AddRow(Esc(Path.GetFileName(file)), "—", "—", "—", $"[red]{Esc(e.Message)}[/]", "—");
            }
        }
        AnsiConsole.Write(table);
        return failed ? ExitFailed : ExitOk;
    }

    private static Methodology? Find(string directory, string id, out string? problem)
    {
        problem = null;
        var direct = Path.Combine(directory, id + ".yaml");
        var candidates = File.Exists(direct) ? [direct] : MethodologyFiles(directory);
        foreach (var file in candidates)
        {
            try
            {
                var methodology = MethodologyLoader.Parse(File.ReadAllText(file));
                if (methodology.Id == id) return methodology;
            }
            catch (MethodologyException e) when (file == direct)
            {
                problem = e.Message;
                return null;
            }
            catch (MethodologyException)
            {
                // Another file's problem is not this calculation's; `check` reports it.
            }
        }
        return null;
    }

    /// <summary>
    /// A relative path that does not exist here is looked for above the current directory too, because
    /// <c>dotnet run --project src/Puhui</c> runs in the project's directory, not the repository root.
    /// </summary>
    internal static string Resolve(string path)
    {
        if (File.Exists(path) || Directory.Exists(path) || Path.IsPathRooted(path)) return path;
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()).Parent; dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, path);
            if (File.Exists(candidate) || Directory.Exists(candidate)) return candidate;
        }
        return path;
    }

    /// <summary>The nearest <c>methodologies/</c> directory at or above the current directory.</summary>
    internal static string? FindLibrary()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "methodologies");
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }

    internal static string[] MethodologyFiles(string directory) =>
        Directory.GetFiles(directory, "*.yaml").Concat(Directory.GetFiles(directory, "*.yml")).Order(StringComparer.Ordinal).ToArray();

    private static bool TrySplit(string text, out string name, out string value)
    {
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        name = equals > 0 ? text[..equals].Trim() : "";
        value = equals > 0 ? text[(equals + 1)..].Trim() : "";
        return equals > 0;
    }

    private static bool TryNumber(string text, out decimal value) =>
        decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value);

    private static int Usage(string message)
    {
        AnsiConsole.MarkupLine($"[red]{Esc(message)}[/]");
        return ExitUsage;
    }

    private static string Esc(string text) => Markup.Escape(text);
}
