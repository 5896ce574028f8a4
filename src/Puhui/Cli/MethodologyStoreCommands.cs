using System.CommandLine;
using Puhui.Storage.Methodologies;
using Spectre.Console;

namespace Puhui.Host.Cli;

/// <summary><c>puhui methodology import|versions</c>: methodology versions in the platform's database.</summary>
internal static class MethodologyStoreCommands
{
    public static Command CreateImport()
    {
        var path = new Argument<string>("path") { Description = "方法学文件或目录 / a methodology file or directory" };
        var db = StoreSetting.CreateOption();
        var import = new Command("import", "检查并存入数据库；已使用的版本不可更改 / check and store versions in the database; a used version never changes") { path, db };
        import.SetAction(async (parse, ct) =>
        {
            var resolved = MethodologyCommand.Resolve(parse.GetValue(path)!);
            string[] files = File.Exists(resolved) ? [resolved] : Directory.Exists(resolved) ? MethodologyCommand.MethodologyFiles(resolved) : [];
            if (files.Length == 0)
            {
                Console.Error.WriteLine($"找不到方法学文件 / no methodology files at: {resolved}");
                return 2;
            }

            await using var ledger = await StoreSetting.OpenAsync(parse.GetValue(db), ct);
            var store = new MethodologyStore(ledger.Dialect);
            var table = new Table().AddColumns("文件 / file", "方法学 / methodology", "结果 / result", "说明 / detail");
            var failed = 0;
            foreach (var file in files)
            {
                var registration = await store.RegisterAsync(await File.ReadAllTextAsync(file, ct), ct);
                if (!registration.Succeeded) failed++;
                table.AddRow(Markup.Escape(Path.GetFileName(file)), Markup.Escape($"{registration.MethodologyId} {registration.Version}".Trim()),
                    Describe(registration.Status), Markup.Escape(registration.Problem ?? registration.ContentHash?[..12] ?? ""));
            }

            AnsiConsole.Write(table);
            Console.WriteLine(failed == 0
                ? $"已存入 / stored: {files.Length} 个文件 / files in {ledger.Description}"
                : $"失败 / failed: {failed} / {files.Length}");
            return failed == 0 ? 0 : 1;
        });
        return import;
    }

    public static Command CreateVersions()
    {
        var db = StoreSetting.CreateOption();
        var versions = new Command("versions", "列出数据库中的方法学版本 / list the methodology versions in the database") { db };
        versions.SetAction(async (parse, ct) =>
        {
            await using var ledger = await StoreSetting.OpenAsync(parse.GetValue(db), ct);
            var stored = await new MethodologyStore(ledger.Dialect).ListAsync(ct);
            var table = new Table().AddColumns("方法学 / methodology", "版本 / version", "类 / class", "名称 / title", "哈希 / hash", "首次使用 / first used");
            foreach (var m in stored)
            {
                table.AddRow(Markup.Escape(m.MethodologyId), Markup.Escape(m.Version), m.Class.ToString(), Markup.Escape($"{m.TitleZh} / {m.TitleEn}"),
                    m.ContentHash[..12], m.FirstUsedAt?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) ?? "-");
            }

            AnsiConsole.Write(table);
            return 0;
        });
        return versions;
    }

    private static string Describe(RegistrationStatus status) => status switch
    {
        RegistrationStatus.Stored => "[green]已存入 / stored[/]",
        RegistrationStatus.Unchanged => "未变 / unchanged",
        RegistrationStatus.Replaced => "[yellow]已替换 / replaced[/]",
        RegistrationStatus.VersionInUse => "[red]版本已使用 / version in use[/]",
        RegistrationStatus.Invalid => "[red]无效 / invalid[/]",
    };
}
