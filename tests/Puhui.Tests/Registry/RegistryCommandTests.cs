using System.Text.Json;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Registry;
using Puhui.Tests.Cli;

namespace Puhui.Tests.Registry;

/// <summary><c>puhui registry export</c> and <c>puhui project show</c> on a store with a registered PV project and forestry sink.</summary>
public class RegistryCommandTests
{
    [Fact]
    public async Task Registry_export_and_project_show_print_the_public_registry()
    {
        var setting = await TestStores.CreateSettingAsync(StoreKind.Sqlite);
        var clock = new ManualClock(PublicRegistryWorld.T0);
        long pvId, forestId, draftId;
        string csvExpected, batchCode;
        await using (var w = await PublicRegistryWorld.CreateAsync(await Puhui.Storage.Ledger.LedgerStore.OpenAsync(setting, clock), clock))
        {
            var pv = await w.RegisterAsync(w.Solar, w.Pv());
            var forest = await w.RegisterAsync(w.Forester, w.Forest());
            draftId = (await w.RegisterAsync(w.Solar, w.Pv("草稿光伏"), until: "submitted")).Id;
            var period = await w.IssueAsync(forest, new DateOnly(2025, 1, 1), new DateOnly(2025, 12, 31), PublicRegistryWorld.Growth(10));
            Assert.Equal(AppendStatus.Committed, (await w.MoveAsync(TransactionKind.Transfer, w.Forester, w.Buyer, period.Batch!.Value.Value, 100_000_000, "t")).Status);
            (pvId, forestId) = (pv.Id, forest.Id);
            batchCode = (await w.Queries.BatchesAsync()).Single().Code;
            var csv = new StringWriter();
            await w.Queries.ExportAsync(RegistryExportFormat.Csv, csv);
            csvExpected = csv.ToString();
        }

        var csvRun = await PuhuiProcess.RunAsync("registry", "export", "--format", "csv", "--db", setting);
        Assert.True(csvRun.ExitCode == 0, csvRun.Output + csvRun.Error);
        Assert.Equal(csvExpected, csvRun.Output);

        var file = Path.Combine(Path.GetTempPath(), "puhui-registry-" + Guid.NewGuid().ToString("N") + ".json");
        var jsonRun = await PuhuiProcess.RunAsync("registry", "export", "--format", "json", "--out", file, "--db", setting);
        Assert.True(jsonRun.ExitCode == 0, jsonRun.Output + jsonRun.Error);
        using (var json = JsonDocument.Parse(await File.ReadAllTextAsync(file)))
        {
            Assert.Equal([pvId, forestId], json.RootElement.GetProperty("projects").EnumerateArray().Select(p => p.GetProperty("id").GetInt64()));
            var totals = json.RootElement.GetProperty("batches")[0].GetProperty("totals");
            Assert.Equal((1_443_750_000L, 1_155_000_000L, 288_750_000L), (totals.GetProperty("issued").GetInt64(), totals.GetProperty("held").GetInt64(), totals.GetProperty("buffer").GetInt64()));
        }

        File.Delete(file);

        var show = await PuhuiProcess.RunAsync("project", "show", forestId.ToString(System.Globalization.CultureInfo.InvariantCulture), "--db", setting);
        Assert.True(show.ExitCode == 0, show.Output + show.Error);
        Assert.Contains("紫金山林业碳汇 / Zijinshan forestry sink", show.Output, StringComparison.Ordinal);
        Assert.Contains("状态 / State: 已登记 / Registered", show.Output, StringComparison.Ordinal);
        Assert.Contains("开发主体 / Developer: 紫金山林场 / Zijinshan Forest Farm", show.Output, StringComparison.Ordinal);
        Assert.Contains(batchCode, show.Output, StringComparison.Ordinal);
        Assert.Contains("签发 / issued 1,443,750,000 g = 持有 / held 1,155,000,000 g + 质押 / pledged 0 g + 注销 / retired 0 g + 作废 / cancelled 0 g + 缓冲库 / buffer 288,750,000 g",
            show.Output, StringComparison.Ordinal);
        Assert.Contains("状态记录 / Status history: 9", show.Output, StringComparison.Ordinal);
        Assert.Contains("expert-review → registered", show.Output, StringComparison.Ordinal);

        var hidden = await PuhuiProcess.RunAsync("project", "show", draftId.ToString(System.Globalization.CultureInfo.InvariantCulture), "--db", setting);
        Assert.Equal(1, hidden.ExitCode);
        Assert.Contains("No registered project", hidden.Error, StringComparison.Ordinal);

        var badId = await PuhuiProcess.RunAsync("project", "show", "abc", "--db", setting);
        Assert.Equal(2, badId.ExitCode);
        Assert.Contains("项目编号无效", badId.Error, StringComparison.Ordinal);
        Assert.Contains("Invalid project id abc", badId.Error, StringComparison.Ordinal);

        var badFormat = await PuhuiProcess.RunAsync("registry", "export", "--format", "xml", "--db", setting);
        Assert.Equal(2, badFormat.ExitCode);
        Assert.Contains("Unknown format xml", badFormat.Error, StringComparison.Ordinal);
        var noFormat = await PuhuiProcess.RunAsync("registry", "export", "--db", setting);
        Assert.Equal(2, noFormat.ExitCode);
        Assert.Contains("--format csv", noFormat.Error, StringComparison.Ordinal);
    }
}
