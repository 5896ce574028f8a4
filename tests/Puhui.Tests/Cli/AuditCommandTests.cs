using Puhui.Storage;
using Puhui.Storage.Ledger;

namespace Puhui.Tests.Cli;

public class AuditCommandTests
{
    [Fact]
    public async Task Demo_then_audit_succeed_and_a_tampered_row_makes_audit_exit_non_zero_naming_it()
    {
        var db = await TestStores.CreateSettingAsync(StoreKind.Sqlite);
        var demo = await PuhuiProcess.RunAsync("demo", "--db", db, "--operations", "300", "--persons", "40");
        Assert.True(demo.ExitCode == 0, demo.Output + demo.Error);
        Assert.Contains("审计通过 / Audit passed", demo.Output, StringComparison.Ordinal);

        var clean = await PuhuiProcess.RunAsync("audit", "--db", db);
        Assert.True(clean.ExitCode == 0, clean.Output + clean.Error);

        await using (var store = await LedgerStore.OpenAsync(db))
        await using (var connection = await store.Dialect.OpenAsync(default))
        await using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "UPDATE journal SET occurred_us = occurred_us + 1 WHERE seq = 17";
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        }

        var tampered = await PuhuiProcess.RunAsync("audit", "--db", db);
        Assert.Equal(1, tampered.ExitCode);
        Assert.Contains("transaction 17 (", tampered.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_arguments_get_a_readable_message_and_a_non_zero_exit()
    {
        var result = await PuhuiProcess.RunAsync("demo", "--persons", "0", "--db", await TestStores.CreateSettingAsync(StoreKind.Sqlite));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--persons", result.Error, StringComparison.Ordinal);

        var unknown = await PuhuiProcess.RunAsync("no-such-command");
        Assert.NotEqual(0, unknown.ExitCode);
    }
}
