using Puhui.Storage;
using Puhui.Storage.Ledger;
using Puhui.Testing;

namespace Puhui.Tests;

/// <summary>
/// The stores every storage test runs against: SQLite in a temporary file and a fresh database on the
/// test run's own PostgreSQL cluster, started on first use and stopped when the test process exits.
/// </summary>
public static class TestStores
{
    private static readonly Lazy<Task<TemporaryPostgres>> Server = new(StartServerAsync);

    /// <summary>Theory data: both stores, or SQLite alone when PUHUI_SKIP_POSTGRES=1 was set on purpose.</summary>
    public static TheoryData<StoreKind> All
    {
        get
        {
            var data = new TheoryData<StoreKind> { StoreKind.Sqlite };
            if (!TemporaryPostgres.SkipRequested) data.Add(StoreKind.Postgres);
            return data;
        }
    }

    public static async Task<string> CreateSettingAsync(StoreKind kind) => kind switch
    {
        StoreKind.Sqlite => Path.Combine(Path.GetTempPath(), "puhui-test-" + Guid.NewGuid().ToString("N") + ".db"),
        StoreKind.Postgres => await (await Server.Value).CreateDatabaseAsync(),
    };

    public static async Task<LedgerStore> CreateAsync(StoreKind kind, TimeProvider? time = null)
        => await LedgerStore.OpenAsync(await CreateSettingAsync(kind), time);

    public static Task<TemporaryPostgres> PostgresAsync() => Server.Value;

    private static async Task<TemporaryPostgres> StartServerAsync()
    {
        var server = await TemporaryPostgres.StartAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return server;
    }
}

/// <summary>A fact that needs PostgreSQL: skipped only when PUHUI_SKIP_POSTGRES=1 is set on purpose.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (TemporaryPostgres.SkipRequested) Skip = "PUHUI_SKIP_POSTGRES=1";
    }
}
