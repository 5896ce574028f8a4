using System.Diagnostics;
using Puhui.Storage;
using Puhui.Storage.Ledger;

namespace Puhui.Tests.Cli;

/// <summary>
/// A workload killed with SIGKILL mid-run loses nothing it acknowledged and leaves a ledger that audits clean.
/// </summary>
public class CrashTests
{
    public const int CommitsBeforeKill = 300;

    public static TheoryData<StoreKind> Stores => TestStores.All;

    [Theory, MemberData(nameof(Stores))]
    public async Task Killing_the_demo_mid_run_keeps_every_reported_commit_and_a_sound_ledger(StoreKind kind)
    {
        var setting = await TestStores.CreateSettingAsync(kind);
        var reported = new List<(string Key, long Seq)>();
        using (var child = Process.Start(PuhuiProcess.StartInfo("demo", "--ledger", "--db", setting, "--report-commits", "--operations", "1000000", "--persons", "300"))!)
        {
            _ = child.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            while (reported.Count < CommitsBeforeKill)
            {
                var line = await child.StandardOutput.ReadLineAsync(timeout.Token);
                Assert.True(line is not null, "the demo ended before it was killed");
                if (!line!.StartsWith("committed ", StringComparison.Ordinal)) continue;
                var parts = line.Split(' ');
                reported.Add((parts[1], long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture)));
            }

            child.Kill(entireProcessTree: true); // SIGKILL on Unix: no chance to flush or clean up
            await child.WaitForExitAsync();
            Assert.NotEqual(0, child.ExitCode);
        }

        await using var store = await LedgerStore.OpenAsync(setting);
        var audit = await store.AuditAsync();
        Assert.True(audit.Passed, string.Join("; ", audit.Problems));
        Assert.True(audit.Transactions >= reported.Count);
        foreach (var (key, seq) in reported)
        {
            var stored = await store.GetTransactionByKeyAsync(key);
            Assert.True(stored is not null, $"transaction {key} was reported committed but is not in the journal");
            Assert.Equal(seq, stored!.Sequence);
        }
    }
}
