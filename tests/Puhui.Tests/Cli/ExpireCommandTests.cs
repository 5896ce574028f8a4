using System.Diagnostics;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Ledger;
using Puhui.Testing;
using Xunit.Abstractions;

namespace Puhui.Tests.Cli;

/// <summary>
/// <c>puhui expire</c>: a bad date changes nothing; a run killed with SIGKILL and started again clears every due lot
/// exactly once, its record counts exactly what it cleared, and <c>puhui audit</c> passes.
/// </summary>
public class ExpireCommandTests(ITestOutputHelper output)
{
    public const int Persons = 2_000;
    public const int DaysPerPerson = 10;
    public const int Lots = Persons * DaysPerPerson;

    public static TheoryData<StoreKind> Stores => TestStores.All;

    private static readonly DateOnly FirstDay = new(2026, 3, 1);
    private static readonly DateOnly AsOf = FirstDay.AddYears(2).AddDays(DaysPerPerson);

    [Fact]
    public async Task A_malformed_date_is_refused_with_exit_code_2_and_changes_nothing()
    {
        var setting = await TestStores.CreateSettingAsync(StoreKind.Sqlite);
        foreach (var bad in new[] { "2028-13-01", "01/03/2028", "tomorrow" })
        {
            var (exit, stdout, stderr) = await PuhuiProcess.RunAsync("expire", "--as-of", bad, "--db", setting);
            Assert.Equal(2, exit);
            Assert.Contains("日期格式无效", stderr, StringComparison.Ordinal);
            Assert.Contains($"Invalid date {bad}: expected YYYY-MM-DD", stderr, StringComparison.Ordinal);
            Assert.Equal("", stdout);
        }

        Assert.False(File.Exists(setting), "a refused run created the database");
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task Killed_mid_run_and_run_again_every_due_lot_is_cleared_exactly_once(StoreKind kind)
    {
        var setting = await TestStores.CreateSettingAsync(kind);
        long points = 0, grams = 0;
        await using (var store = await LedgerStore.OpenAsync(setting))
        {
            var batch = (await store.CreateBatchAsync(new NewBatch("METRO-202603", BatchOrigin.Scenario, "metro", "metro", "1.0.0", MethodologyClass.II, 2026, "320100"))).Id;
            var persons = await ExpirySeeding.OpenPersonsAsync(store, "person:", Persons);
            var seeds = persons.SelectMany((p, i) => Enumerable.Range(0, DaysPerPerson).Select(d =>
                new SeedLot(p, batch, FirstDay.AddDays(d), FirstDay.AddDays(d).AddYears(2), 1 + (i + d) % 50, 10 * ((i + d) % 7)))).ToList();
            (points, grams) = (seeds.Sum(s => s.Points), seeds.Sum(s => s.Grams));
            Assert.Equal(Lots, await ExpirySeeding.IssueAsync(store, seeds, "seed", new DateTimeOffset(2026, 3, 10, 0, 0, 0, TimeSpan.Zero)));
        }

        var asOf = AsOf.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        using (var child = Process.Start(PuhuiProcess.StartInfo("expire", "--as-of", asOf, "--db", setting))!)
        {
            _ = child.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            while (true)
            {
                var line = await child.StandardOutput.ReadLineAsync(timeout.Token);
                Assert.True(line is not null, "the run ended before it was killed");
                Assert.DoesNotContain("清零完成", line!, StringComparison.Ordinal);
                if (line!.StartsWith("进度 / Progress:", StringComparison.Ordinal)) break;
            }

            child.Kill(entireProcessTree: true); // SIGKILL on Unix: no chance to finish the group or the run's record
            await child.WaitForExitAsync();
            Assert.NotEqual(0, child.ExitCode);
        }

        ExpiryReport killed;
        await using (var store = await LedgerStore.OpenAsync(setting))
        {
            killed = Assert.Single(await ExpiryClearing.ListRunsAsync(store));
            Assert.False(killed.Finished);
            Assert.InRange(killed.LotsCleared, ExpiryClearing.GroupSize, Lots - 1);
        }

        var again = await PuhuiProcess.RunAsync("expire", "--as-of", asOf, "--db", setting);
        Assert.True(again.ExitCode == 0, again.Output + again.Error);
        Assert.Contains("清零完成 / Clearing finished", again.Output, StringComparison.Ordinal);
        output.WriteLine($"{kind}: killed after {killed.LotsCleared:N0} of {Lots:N0} lots\n{again.Output}");

        await using (var store = await LedgerStore.OpenAsync(setting))
        {
            var runs = await ExpiryClearing.ListRunsAsync(store);
            Assert.Equal(2, runs.Count);
            Assert.True(runs[0].Finished);
            Assert.Equal(Lots, runs[0].LotsCleared + killed.LotsCleared);
            Assert.Equal(points, runs[0].PointsCleared + killed.PointsCleared);
            Assert.Equal(grams, runs[0].GramsCleared + killed.GramsCleared);
            Assert.Equal(0, runs[0].LotsSkipped);

            var expired = await store.GetBalancesAsync(await store.SystemAccountAsync(SystemAccounts.Expired));
            Assert.Equal(points, expired.Where(b => b.Asset == Asset.Pts).Sum(b => b.Amount));
            var retired = await store.GetBalancesAsync(await store.SystemAccountAsync(SystemAccounts.Retired));
            Assert.Equal(grams, retired.Where(b => b.Asset == Asset.Co2).Sum(b => b.Amount));
            Assert.Empty(await store.GetLotsDueAsync(null, AsOf, null, 1));

            // One Expire transaction per lot: the journal holds the seeding and exactly one more transaction a lot.
            var seeding = (Lots + ExpirySeeding.LotsPerTransaction - 1) / ExpirySeeding.LotsPerTransaction;
            Assert.Equal(seeding + Lots, (await store.GetHeadAsync()).Sequence);
        }

        var audit = await PuhuiProcess.RunAsync("audit", "--db", setting);
        Assert.True(audit.ExitCode == 0, audit.Output + audit.Error);
        Assert.Contains("审计通过 / Audit passed", audit.Output, StringComparison.Ordinal);
    }
}
