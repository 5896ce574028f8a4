using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Governance;
using Puhui.Storage.Ingestion;
using Puhui.Storage.Ledger;
using Puhui.Storage.Methodologies;
using Puhui.Testing;
using Puhui.Tests.Methodologies;

namespace Puhui.Tests.Cli;

/// <summary><c>puhui workflow list</c>: the operating body's desk, overdue applications first, in working days from today.</summary>
public class WorkflowCommandTests
{
    [Fact]
    public async Task The_desk_lists_open_applications_overdue_first_and_filters_the_overdue()
    {
        var setting = await TestStores.CreateSettingAsync(StoreKind.Sqlite);
        var today = DateOnly.FromDateTime(DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8)).DateTime);
        // Received two months ago, a month ago and today: the first two are past their 10 working days of review (JS 19).
        var receipts = new[] { today.AddDays(-30), today.AddDays(-60), today };
        var clock = new ManualClock(new DateTimeOffset(receipts[0].ToDateTime(new TimeOnly(10, 0)), TimeSpan.FromHours(8)));
        await using (var store = await LedgerStore.OpenAsync(setting, clock))
        {
            await store.MigrateAsync();
            Assert.True((await new MethodologyStore(store.Dialect, clock).RegisterAsync(await File.ReadAllTextAsync(Path.Combine(MethodologyText.LibraryDirectory(), "metro.yaml")))).Succeeded);
            var op = (await store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "org:metro", "深圳地铁", OrganisationRoles.Operator))).Id;
            var scenarios = new ScenarioStore(store, clock);
            var workflows = GovernanceSeeding.Workflows(store, scenarios, clock);
            for (var i = 0; i < receipts.Length; i++)
            {
                clock.Set(new DateTimeOffset(receipts[i].ToDateTime(new TimeOnly(10, 0)), TimeSpan.FromHours(8)));
                (_, var application) = await GovernanceSeeding.ApplyAsync(workflows, scenarios, op, new ScenarioDefinition
                {
                    Code = $"sz-metro-{i}", TitleZh = "地铁", TitleEn = "Metro", MethodologyId = "metro", MethodologyVersion = "1.0.0",
                });
                Assert.NotNull(application);
            }

            // A closed application is not on the desk.
            (_, var refused) = await GovernanceSeeding.ApplyAsync(workflows, scenarios, op, new ScenarioDefinition
            {
                Code = "sz-metro-refused", TitleZh = "地铁", TitleEn = "Metro", MethodologyId = "metro", MethodologyVersion = "1.0.0",
            });
            await GovernanceSeeding.StepAsync(workflows, refused!.Id, new Step("refuse", "材料不全"), GovernanceSeeding.PlatformOperator);
        }

        var desk = await PuhuiProcess.RunAsync("workflow", "list", "--db", setting);
        Assert.True(desk.ExitCode == 0, desk.Output + desk.Error);
        var rows = desk.Output.Split('\n').Where(l => l.StartsWith('#')).ToList();
        Assert.Equal(3, rows.Count);
        // The longest overdue first (received 60 days ago), then the other overdue one, then today's with its deadline.
        Assert.Contains("sz-metro-1 ", rows[0], StringComparison.Ordinal);
        Assert.Contains("sz-metro-0 ", rows[1], StringComparison.Ordinal);
        Assert.Contains("sz-metro-2 ", rows[2], StringComparison.Ordinal);
        Assert.Contains("已逾期", rows[0], StringComparison.Ordinal);
        Assert.Contains("剩 10 个工作日 / 10 working day(s) left", rows[2], StringComparison.Ordinal);
        Assert.Contains("共 3 件，逾期 2 件 / 3 application(s), 2 overdue", desk.Output, StringComparison.Ordinal);

        var overdue = await PuhuiProcess.RunAsync("workflow", "list", "--overdue", "--db", setting);
        Assert.Equal(2, overdue.Output.Split('\n').Count(l => l.StartsWith('#')));
        Assert.DoesNotContain("sz-metro-2 ", overdue.Output, StringComparison.Ordinal);

        var all = await PuhuiProcess.RunAsync("workflow", "list", "--all", "--db", setting);
        Assert.Contains("sz-metro-refused", all.Output, StringComparison.Ordinal);

        var bad = await PuhuiProcess.RunAsync("workflow", "list", "--kind", "trading", "--db", setting);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("Unknown kind trading", bad.Error, StringComparison.Ordinal);
    }
}
