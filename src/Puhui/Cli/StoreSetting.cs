using System.CommandLine;
using Puhui.Storage.Ledger;

namespace Puhui.Host.Cli;

/// <summary>Where the platform's data lives: <c>--db</c>, else the <c>PUHUI_DB</c> setting, else <c>./data/puhui.db</c> (SQLite).</summary>
internal static class StoreSetting
{
    public const string EnvironmentVariable = "PUHUI_DB";
    public static string DefaultSqlitePath => Path.Combine(Environment.CurrentDirectory, "data", "puhui.db");

    public static Option<string?> CreateOption() => new("--db")
    {
        Description = "数据库：SQLite 文件路径或 PostgreSQL 连接串 / Database: a SQLite file path or a PostgreSQL connection string (Host=…). Default: $PUHUI_DB, else ./data/puhui.db",
    };

    public static string Resolve(string? option)
    {
        if (!string.IsNullOrWhiteSpace(option)) return option;
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrWhiteSpace(env) ? DefaultSqlitePath : env;
    }

    public static Task<LedgerStore> OpenAsync(string? option, CancellationToken ct) => LedgerStore.OpenAsync(Resolve(option), TimeProvider.System, ct);
}
