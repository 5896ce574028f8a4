using Puhui.Storage;
using Puhui.Storage.Ledger;

namespace Puhui.Tests.Cli;

public class AuditCommandTests
{
    [Fact]
    public async Task Demo_then_audit_succeed_and_a_tampered_row_makes_audit_exit_non_zero_naming_it()
    {
        var db = await TestStores.CreateSettingAsync(StoreKind.Sqlite);
        var demo = await PuhuiProcess.RunAsync("demo", "--ledger", "--db", db, "--operations", "300", "--persons", "40");
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

        var ledgerOnly = await PuhuiProcess.RunAsync("demo", "--operations", "10", "--db", await TestStores.CreateSettingAsync(StoreKind.Sqlite));
        Assert.Equal(2, ledgerOnly.ExitCode);
        Assert.Contains("--ledger", ledgerOnly.Error, StringComparison.Ordinal);

        var unknown = await PuhuiProcess.RunAsync("no-such-command");
        Assert.NotEqual(0, unknown.ExitCode);
    }
}

public class MethodologyImportCommandTests
{
    [Fact]
    public async Task Importing_the_library_stores_every_version_and_a_second_import_changes_nothing()
    {
        var db = await TestStores.CreateSettingAsync(StoreKind.Sqlite);
        var library = Methodologies.MethodologyText.LibraryDirectory();
        var first = await PuhuiProcess.RunAsync("methodology", "import", library, "--db", db);
        Assert.True(first.ExitCode == 0, first.Output + first.Error);
        Assert.Contains("已存入 / stored", first.Output, StringComparison.Ordinal);

        var again = await PuhuiProcess.RunAsync("methodology", "import", library, "--db", db);
        Assert.True(again.ExitCode == 0, again.Output + again.Error);
        Assert.DoesNotContain("已存入 / stored  ", again.Output, StringComparison.Ordinal);
        Assert.Contains("未变 / unchanged", again.Output, StringComparison.Ordinal);

        var versions = await PuhuiProcess.RunAsync("methodology", "versions", "--db", db);
        Assert.True(versions.ExitCode == 0, versions.Output + versions.Error);
        await using var ledger = await LedgerStore.OpenAsync(db);
        var stored = await new Puhui.Storage.Methodologies.MethodologyStore(ledger.Dialect).ListAsync();
        Assert.Equal(Directory.GetFiles(library, "*.yaml").Length, stored.Count);
        Assert.Contains(stored, m => m.MethodologyId == "household-electricity" && m.FirstUsedAt is null);
    }
}
