using System.CommandLine;
using Puhui.Storage;

namespace Puhui.Host.Cli;

internal static class MigrateCommand
{
    public static Command Create()
    {
        var db = StoreSetting.CreateOption();
        var command = new Command("migrate", "创建或升级数据库结构 / Create or upgrade the database schema") { db };
        command.SetAction(async (parse, ct) =>
        {
            // The store owns (and disposes) the dialect; opening it does not migrate, MigrateAsync below does.
            await using var store = new Storage.Ledger.LedgerStore(SqlDialect.FromSetting(StoreSetting.Resolve(parse.GetValue(db))));
            var applied = await store.MigrateAsync(ct);
            Console.WriteLine(applied.Count == 0
                ? $"数据库已是最新 / Up to date: {store.Description}"
                : $"已应用 {applied.Count} 个迁移 / Applied {applied.Count} migration(s) to {store.Description}: {string.Join(", ", applied)}");
            return 0;
        });
        return command;
    }
}
