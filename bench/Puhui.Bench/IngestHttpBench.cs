using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Puhui.Client;
using Puhui.Host.Http;
using Puhui.Ingestion;
using Puhui.Storage.Ingestion;
using Puhui.Storage.Ledger;

namespace Puhui.Bench;

/// <summary>
/// Ingestion over HTTP: the host on a loopback port in this process, the operator SDK sending signed batches from
/// concurrent senders, each batch timed from the SDK call to its parsed response. The in-process rate of the same
/// workload is measured first in the same run, on another fresh copy of the same store. Targets: HTTP reaches at
/// least 0.7 of the in-process rate on each store, and at least 20,000 records a second on SQLite.
/// </summary>
internal static class IngestHttpBench
{
    public const double TargetRatio = 0.7;
    public const double SqliteTargetRecordsPerSecond = 20_000;

    public static async Task<int> RunAsync(string[] args)
    {
        var records = LedgerBench.IntArg(args, "--records", 200_000);
        var persons = LedgerBench.IntArg(args, "--persons", 10_000);
        var batch = LedgerBench.IntArg(args, "--batch", 1_000);
        var concurrency = LedgerBench.IntArg(args, "--concurrency", 4);
        Profile = args.Contains("--profile");
        var stores = LedgerBench.Arg(args, "--store") is { } s ? [s] : new[] { "sqlite", "postgres" };
        Console.WriteLine($"ingestion over HTTP: {records:N0} metro records over {persons:N0} persons, signed batches of {batch:N0}, {concurrency} concurrent, loopback, durable commits");
        Console.WriteLine("store     | in-process rec/s | HTTP rec/s | p50 batch ms | p99 batch ms | ratio | target");
        var ok = true;
        foreach (var store in stores)
        {
            var (inProcess, http) = await MeasureAsync(store, records, persons, batch, concurrency);
            var ratio = http.RecordsPerSecond / inProcess;
            var met = ratio >= TargetRatio && (store != "sqlite" || http.RecordsPerSecond >= SqliteTargetRecordsPerSecond);
            ok &= met;
            var target = store == "sqlite" ? $"≥ {TargetRatio:F1}, ≥ {SqliteTargetRecordsPerSecond:N0}/s" : $"≥ {TargetRatio:F1}";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{store,-9} | {inProcess,16:N0} | {http.RecordsPerSecond,10:N0} | {http.P50Ms,12:N0} | {http.P99Ms,12:N0} | {ratio,5:F2} | {(met ? "met" : "MISSED")} ({target})"));
        }

        return ok ? 0 : 1;
    }

    /// <summary>Whether to time the host's statements during the HTTP measurement (see <see cref="StatementProfile"/>).</summary>
    private static bool Profile { get; set; }

    private sealed record HttpResult(double RecordsPerSecond, double P50Ms, double P99Ms);

    private static async Task<(double InProcess, HttpResult Http)> MeasureAsync(string kind, int records, int persons, int batch, int concurrency)
    {
        // Signed timestamps must be fresh, so the platform and the client run on the real clock; the persons
        // bound and consented a month ago, and every trip happened on one of the last few days.
        var policy = IngestionPolicy.Default;
        await using var world = await IngestWorld.CreateAsync(kind, persons, BenchClock.SystemPlus(-IngestWorld.SetUpBefore));
        var trips = new Trips(TimeProvider.System.GetUtcNow(), policy);
        var measured = trips.OnePerPerson("h", records, batch, persons, dayOffset: 0);
        var warmUp = trips.OnePerPerson("w", IngestBench.WarmUpBatches * batch, batch, persons, dayOffset: 0, slotOffset: 3);

        var inProcess = await InProcessAsync(await world.CopyAsync(), world, policy, warmUp, measured);
        var http = await OverHttpAsync(await world.CopyAsync(), world, policy, warmUp, measured, concurrency);
        return (inProcess, http);
    }

    /// <summary>The same batches through <see cref="BehaviourIngestion"/> directly, one after another.</summary>
    private static async Task<double> InProcessAsync(string setting, IngestWorld world, IngestionPolicy policy, List<List<IncomingRecord>> warmUp, List<List<IncomingRecord>> measured)
    {
        await using var store = await LedgerStore.OpenAsync(setting);
        var ingestion = new BehaviourIngestion(store, new ScenarioStore(store), policy);
        foreach (var b in warmUp) IngestBench.Check(await ingestion.SubmitAsync(world.Operator, "bench", b));
        var slowestMs = 0d;
        var watch = Stopwatch.StartNew();
        foreach (var b in measured)
        {
            var start = Stopwatch.GetTimestamp();
            IngestBench.Check(await ingestion.SubmitAsync(world.Operator, "bench", b));
            slowestMs = Math.Max(slowestMs, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        watch.Stop();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {store.Kind}: in process, slowest batch {slowestMs:N0} ms"));
        await IngestBench.AuditAsync(store, policy);
        return measured.Sum(b => b.Count) / watch.Elapsed.TotalSeconds;
    }

    private static async Task<HttpResult> OverHttpAsync(string setting, IngestWorld world, IngestionPolicy policy, List<List<IncomingRecord>> warmUp,
        List<List<IncomingRecord>> measured, int concurrency)
    {
        await using var store = await LedgerStore.OpenAsync(setting);
        var url = $"http://127.0.0.1:{FreePort()}";
        // Request logging off: the benchmark measures the platform, not the console.
        await using var app = PuhuiHost.Build(store, ["--Logging:LogLevel:Default=Warning"], url, new PuhuiHostOptions(TimeProvider.System, IngestWorld.Master, Policy: policy, ExpiryJob: false));
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(2) };
        // One attempt: a retried batch would hide a failure inside the figures.
        var client = new PuhuiClient(http, world.Key, new PuhuiClientOptions { BatchSize = measured[0].Count, MaxAttempts = 1 });

        // The wire records are built before the clock starts; serialising and signing them is the SDK's work and is timed.
        var warmWire = warmUp.Select(b => b.Select(Trips.ToWire).ToList()).ToList();
        var wire = measured.Select(b => b.Select(Trips.ToWire).ToList()).ToList();
        await SendAllAsync(client, warmWire, concurrency);
        using var profiler = Profile ? new StatementProfile(store) : null;
        if (profiler is not null) await profiler.HookPoolAsync();
        StatementProfile.Phase = "http";
        var (pauseBefore, gen2Before) = (GC.GetTotalPauseDuration(), GC.CollectionCount(2));
        var watch = Stopwatch.StartNew();
        var latencies = await SendAllAsync(client, wire, concurrency);
        watch.Stop();
        // The tail has causes worth naming: garbage collection pauses of this process (client and host alike), or the store.
        var slowest = latencies.Select((ms, i) => (ms, i)).OrderByDescending(l => l.ms).Take(3);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {store.Kind}: slowest batches {string.Join(", ", slowest.Select(l => $"#{l.i} {l.ms:N0} ms"))}; GC paused {(GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds:N0} ms, {GC.CollectionCount(2) - gen2Before} gen2 collections"));
        StatementProfile.Phase = "audit";
        profiler?.Print(new Dictionary<string, (TimeSpan, int, int)> { ["http"] = (watch.Elapsed, wire.Count, wire.Sum(b => b.Count)) });
        await app.StopAsync();
        await IngestBench.AuditAsync(store, policy);

        Array.Sort(latencies);
        return new HttpResult(wire.Sum(b => b.Count) / watch.Elapsed.TotalSeconds, Percentile(latencies, 0.50), Percentile(latencies, 0.99));
    }

    /// <summary>Sends every batch from <paramref name="concurrency"/> senders, each taking the next unsent batch; returns each batch's latency in milliseconds.</summary>
    private static async Task<double[]> SendAllAsync(PuhuiClient client, List<List<BehaviourRecord>> batches, int concurrency)
    {
        var latencies = new double[batches.Count];
        var next = -1;
        async Task SenderAsync()
        {
            for (var i = Interlocked.Increment(ref next); i < batches.Count; i = Interlocked.Increment(ref next))
            {
                var start = Stopwatch.GetTimestamp();
                var response = await client.SendBatchAsync(batches[i]);
                latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (response.Accepted != batches[i].Count)
                {
                    var problem = response.Results.First(r => r.Outcome != Outcomes.Accepted);
                    throw new InvalidOperationException($"a benchmark record was not accepted: {problem.Outcome} {problem.Reason} {problem.Detail}");
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(SenderAsync)));
        return latencies;
    }

    /// <summary>The nearest-rank percentile of sorted values.</summary>
    private static double Percentile(double[] sorted, double p) => sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
