using System.Diagnostics;
using System.Globalization;
using System.Text;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Ledger;
using Puhui.Testing;

namespace Puhui.Bench;

/// <summary>
/// The expiry clearing over a store holding many due lots: seeds them through the ledger (bulk lot rows, then Issue
/// transactions of 255 lots each, 40 to an append), then times one <c>ExpiryClearing.RunAsync</c> that clears
/// them all, sampling the process's working set and GC heap while it runs to show that memory stays flat. Prints the
/// query plans of the due-lot query on a full run's first page and on a daily run's window.
/// </summary>
internal static class ExpiryBench
{
    /// <summary>Lots per person: one a day for this many days.</summary>
    public const int LotsPerPerson = 100;

    private static readonly DateOnly FirstDay = new(2026, 1, 1);

    public static async Task<int> RunAsync(string[] args)
    {
        var lots = LongArg(args, "--lots", 10_000_000);
        var stores = LedgerBench.Arg(args, "--store") is { } s ? [s] : new[] { "postgres" };
        foreach (var store in stores)
        {
            switch (store)
            {
                case "postgres":
                {
                    await using var server = await TemporaryPostgres.StartAsync(durable: true);
                    await MeasureAsync(await server.CreateDatabaseAsync("bench"), lots);
                    break;
                }

                case "sqlite":
                {
                    var dir = Path.Combine(Path.GetTempPath(), "puhui-bench-" + Guid.NewGuid().ToString("N")[..8]);
                    Directory.CreateDirectory(dir);
                    try
                    {
                        await MeasureAsync(Path.Combine(dir, "expiry.db"), lots);
                    }
                    finally
                    {
                        Directory.Delete(dir, recursive: true);
                    }

                    break;
                }

                default:
                    throw new ArgumentException($"unknown store {store}: sqlite or postgres");
            }
        }

        return 0;
    }

    private static async Task MeasureAsync(string setting, long lots)
    {
        await using var store = await LedgerStore.OpenAsync(setting);
        Console.WriteLine($"expiry benchmark on {store.Description}: {lots:N0} due lots, {LotsPerPerson} per person");
        var batch = (await store.CreateBatchAsync(new NewBatch("BENCH-METRO", BatchOrigin.Scenario, "metro", "metro", "1.0.0", MethodologyClass.II, 2026, "320100"))).Id;
        var personCount = (int)((lots + LotsPerPerson - 1) / LotsPerPerson);

        var seedClock = Stopwatch.StartNew();
        var persons = await ExpirySeeding.OpenPersonsAsync(store, "bench:", personCount);
        var seeded = 0L;
        var lastPrint = Stopwatch.StartNew();
        // Day by day across all persons, so that lots expiring on one day are neighbours in id as they would be.
        IEnumerable<SeedLot> Seeds()
        {
            for (var d = 0; d < LotsPerPerson; d++)
            {
                var day = FirstDay.AddDays(d);
                for (var p = 0; p < persons.Count; p++)
                {
                    if ((long)d * persons.Count + p >= lots) yield break;
                    var points = 1 + (p + d) % 50;
                    yield return new SeedLot(persons[p], batch, day, day.AddYears(2), points, points * 10L);
                }
            }
        }

        await ExpirySeeding.IssueAsync(store, Seeds(), "bench:seed", new DateTimeOffset(2026, 4, 15, 0, 0, 0, TimeSpan.Zero), _ =>
        {
            seeded++;
            if (lastPrint.Elapsed.TotalSeconds >= 30)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  seeded {seeded:N0} lots in {seedClock.Elapsed.TotalSeconds:F0} s"));
                lastPrint.Restart();
            }
        });
        seedClock.Stop();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"seeded {seeded:N0} lots for {persons.Count:N0} persons in {seedClock.Elapsed.TotalSeconds:F1} s ({seeded / seedClock.Elapsed.TotalSeconds:N0} lots/s)"));

        var asOf = FirstDay.AddDays(LotsPerPerson).AddYears(2);
        await AnalyzeAsync(store);
        await PrintPlanAsync(store, "first page of a full run (no finished run yet)", null, asOf);
        await PrintPlanAsync(store, "a daily run's window (floor = as-of - 31 days)", asOf.AddDays(-ExpiryClearing.RefillWindowDays), asOf);

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var before = (Ws: process.WorkingSet64, Heap: GC.GetTotalMemory(false));
        Console.WriteLine($"before the run: working set {Mb(before.Ws)}, GC heap {Mb(before.Heap)}");

        var samples = new List<(double Seconds, long Lots, long WorkingSet, long Heap)>();
        long maxWs = 0, maxHeap = 0, clearedSoFar = 0;
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            var nextRecord = 0.0;
            while (!stop.IsCancellationRequested)
            {
                process.Refresh();
                var ws = process.WorkingSet64;
                var heap = GC.GetTotalMemory(false);
                maxWs = Math.Max(maxWs, ws);
                maxHeap = Math.Max(maxHeap, heap);
                if (clock.Elapsed.TotalSeconds >= nextRecord)
                {
                    lock (samples) samples.Add((clock.Elapsed.TotalSeconds, Interlocked.Read(ref clearedSoFar), ws, heap));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {clock.Elapsed.TotalSeconds,6:F0} s: {Interlocked.Read(ref clearedSoFar),12:N0} lots cleared, working set {Mb(ws)}, GC heap {Mb(heap)}"));
                    nextRecord += 30;
                }

                try
                {
                    await Task.Delay(250, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        });

        var report = await ExpiryClearing.RunAsync(store, asOf, "bench:expiry", TimeProvider.System,
            new Progress(r => Interlocked.Exchange(ref clearedSoFar, r.LotsCleared)));
        clock.Stop();
        await stop.CancelAsync();
        await sampler;
        process.Refresh();

        if (report.LotsCleared != seeded || report.LotsSkipped != 0)
            throw new InvalidOperationException($"the run cleared {report.LotsCleared:N0} of {seeded:N0} lots and skipped {report.LotsSkipped:N0}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cleared {report.LotsCleared:N0} lots ({report.PointsCleared:N0} points, {report.GramsCleared:N0} g) in {clock.Elapsed.TotalSeconds:F1} s: {report.LotsCleared / clock.Elapsed.TotalSeconds:N0} lots/s"));
        Console.WriteLine($"during the run: working set max {Mb(maxWs)}, GC heap max {Mb(maxHeap)}; process peak working set {Mb(process.PeakWorkingSet64)} (includes seeding)");

        var daily = Stopwatch.StartNew();
        var again = await ExpiryClearing.RunAsync(store, asOf.AddDays(1), "bench:expiry", TimeProvider.System);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"the next day's run: read lots expiring after {again.ScannedAfter:yyyy-MM-dd}, cleared {again.LotsCleared:N0}, in {daily.Elapsed.TotalSeconds:F1} s"));

        if (Environment.GetEnvironmentVariable("PUHUI_BENCH_AUDIT") == "1")
        {
            var audit = await store.AuditAsync();
            if (!audit.Passed) throw new InvalidOperationException("audit failed after the benchmark: " + audit.Problems[0]);
            Console.WriteLine("audit passed");
        }
    }

    private static async Task AnalyzeAsync(LedgerStore store)
    {
        await using var connection = await store.Dialect.OpenAsync(default);
        await using var cmd = Sql.Command(connection, null, store.Kind == StoreKind.Postgres ? "ANALYZE lots; ANALYZE balances" : "ANALYZE");
        cmd.CommandTimeout = 0;
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task PrintPlanAsync(LedgerStore store, string title, DateOnly? floor, DateOnly asOf)
    {
        await using var connection = await store.Dialect.OpenAsync(default);
        var explain = store.Kind == StoreKind.Postgres ? "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " : "EXPLAIN QUERY PLAN ";
        // The parameters GetLotsDueAsync binds for a run's first page: the floor as the keyset's start.
        await using var cmd = Sql.Command(connection, null, explain + LedgerStore.DueLotsSql)
            .With("@asOf", asOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
            .With("@afterDay", floor is { } f ? f.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "")
            .With("@afterId", floor is null ? 0L : long.MaxValue).With("@limit", ExpiryClearing.GroupSize);
        await using var r = await cmd.ExecuteReaderAsync();
        var plan = new StringBuilder();
        while (await r.ReadAsync())
            plan.AppendLine("    " + (store.Kind == StoreKind.Postgres ? r.GetString(0) : r.GetValue(r.FieldCount - 1)));
        Console.WriteLine($"plan, {title}:");
        Console.Write(plan);
    }

    private static string Mb(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0 / 1024.0:N0} MB");

    private static long LongArg(string[] args, string name, long fallback)
        => LedgerBench.Arg(args, name) is { } v ? long.Parse(v, NumberStyles.AllowThousands, CultureInfo.InvariantCulture) : fallback;

    private sealed class Progress(Action<ExpiryReport> report) : IProgress<ExpiryReport>
    {
        public void Report(ExpiryReport value) => report(value);
    }
}
