using Puhui.Storage;
using Puhui.Storage.Ledger;

namespace Puhui.Tests.Cli;

/// <summary>Several processes writing one ledger at once, as several servers or jobs would.</summary>
public class MultiProcessTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    [Theory, MemberData(nameof(Stores))]
    public async Task Concurrent_demo_processes_on_one_database_leave_a_sound_ledger(StoreKind kind)
    {
        var setting = await TestStores.CreateSettingAsync(kind);
        // Two share a seed, so they race for the same keys, accounts and balances; the third works beside them.
        string[] seeds = ["7", "7", "8"];
        var runs = seeds.Select(seed => PuhuiProcess.RunAsync("demo", "--ledger", "--db", setting, "--seed", seed, "--operations", "400", "--persons", "30")).ToList();
        var results = await Task.WhenAll(runs);
        foreach (var (exitCode, output, error) in results)
            Assert.True(exitCode == 0, output + error);

        await using var store = await LedgerStore.OpenAsync(setting);
        var audit = await store.AuditAsync();
        Assert.True(audit.Passed, string.Join("; ", audit.Problems));
        // Each seed's keys were committed once, whichever process got there first.
        Assert.NotNull(await store.GetTransactionByKeyAsync("demo:7:issue-project"));
        Assert.NotNull(await store.GetTransactionByKeyAsync("demo:8:issue-project"));
    }

    [PostgresFact]
    public async Task Demo_then_audit_succeed_on_postgres()
    {
        var setting = await TestStores.CreateSettingAsync(StoreKind.Postgres);
        var demo = await PuhuiProcess.RunAsync("demo", "--ledger", "--db", setting, "--operations", "300", "--persons", "40");
        Assert.True(demo.ExitCode == 0, demo.Output + demo.Error);
        var audit = await PuhuiProcess.RunAsync("audit", "--db", setting);
        Assert.True(audit.ExitCode == 0, audit.Output + audit.Error);
        Assert.Contains("审计通过 / Audit passed", audit.Output, StringComparison.Ordinal);
    }
}
