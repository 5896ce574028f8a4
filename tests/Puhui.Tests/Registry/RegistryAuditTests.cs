using Puhui.Storage;
using Puhui.Storage.Registry;
using Puhui.Tests.Governance;

namespace Puhui.Tests.Registry;

/// <summary>The registry audit passes on real issuances and a reversal, and names each tampered row.</summary>
public sealed class RegistryAuditTests
{
    public static TheoryData<StoreKind> Stores => TestStores.All;

    [Theory, MemberData(nameof(Stores))]
    public async Task The_registry_audit_passes_on_real_work_and_names_each_tampered_row(StoreKind kind)
    {
        await using var w = await ProjectWorld.CreateAsync(kind);
        var project = await w.ProjectInStateAsync(w.Forestry());
        var period = await w.PeriodInStateAsync(project.Id, ProjectWorld.H1From, ProjectWorld.H1To, new Dictionary<string, decimal> { ["volume_growth"] = 10m });
        Assert.True((await w.Registry.IssueAsync(period.Id, GovernanceWorld.Administrator, "签发", default)).Succeeded);
        Assert.True((await w.Registry.ReportReversalAsync(project.Id, 50_000_000, "fire", GovernanceWorld.PlatformOperator, "山火 / fire", [w.G.Report], default)).Succeeded);

        var clean = await RegistryAudit.RunAsync(w.Store);
        Assert.True(clean.Passed, string.Join('\n', clean.Problems));
        Assert.Equal((1L, 1L, 1L, 1L), (clean.Projects, clean.Periods, clean.Issued, clean.Reversals));

        await Tampered($"UPDATE monitoring_periods SET issued_grams = issued_grams + 1 WHERE application_id = {period.Id}", $"monitoring period {period.Id}: issued",
            $"UPDATE monitoring_periods SET issued_grams = issued_grams - 1 WHERE application_id = {period.Id}");
        await Tampered($"UPDATE monitoring_periods SET developer_grams = developer_grams - 5 WHERE application_id = {period.Id}", "do not add up",
            $"UPDATE monitoring_periods SET developer_grams = developer_grams + 5 WHERE application_id = {period.Id}");
        await Tampered($"UPDATE monitoring_periods SET tx_id = 'forged' WHERE application_id = {period.Id}", "names transaction forged", null);
        await Tampered("DELETE FROM project_reversals", "has no registry row", null);

        async Task Tampered(string sql, string expected, string? undo)
        {
            await ExecuteAsync(sql);
            var tampered = await RegistryAudit.RunAsync(w.Store);
            Assert.False(tampered.Passed, sql);
            Assert.True(tampered.Problems.Any(p => p.Contains(expected, StringComparison.Ordinal)), $"{sql}: expected \"{expected}\" among\n{string.Join('\n', tampered.Problems)}");
            if (undo is null) return;
            await ExecuteAsync(undo);
            Assert.True((await RegistryAudit.RunAsync(w.Store)).Passed, undo);
        }

        async Task ExecuteAsync(string sql)
        {
            await using var connection = await w.Store.Dialect.OpenAsync(CancellationToken.None);
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            await cmd.ExecuteNonQueryAsync();
        }
    }
}
