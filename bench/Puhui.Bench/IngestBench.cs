using System.Diagnostics;
using System.Globalization;
using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Ingestion;
using Puhui.Storage.Ledger;

namespace Puhui.Bench;

/// <summary>
/// In-process ingestion of metro records (validate → compute → ledger → commit, one durable commit per batch)
/// against a raw insert of the same records into a table of <c>behaviour_records</c>' definition (same columns,
/// same unique key and index) through the same insert path, one durable commit per batch, measured in the same run
/// on the same database. Target: ingestion reaches at least half of the raw rate, on SQLite and on PostgreSQL.
/// For understanding, the same number of records is also ingested with many records per person in each batch.
/// </summary>
internal static class IngestBench
{
    public const double TargetRatio = 0.5;
    internal const int WarmUpBatches = 10;

    /// <summary>The platform's clock for the in-process benchmark: it stands still.</summary>
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.FromHours(8));

    public static async Task<int> RunAsync(string[] args)
    {
        var records = LedgerBench.IntArg(args, "--records", 200_000);
        var persons = LedgerBench.IntArg(args, "--persons", 10_000);
        var batch = LedgerBench.IntArg(args, "--batch", 1_000);
        var cluster = LedgerBench.IntArg(args, "--cluster", 50);
        var profile = args.Contains("--profile");
        var stores = LedgerBench.Arg(args, "--store") is { } s ? [s] : new[] { "sqlite", "postgres" };
        Console.WriteLine($"ingestion benchmark: {records:N0} metro records per layout, {persons:N0} persons bound and consenting, batches of {batch:N0}, durable commits{(profile ? ", PROFILED" : "")}");
        Console.WriteLine("store     | batch layout                      | ingest rec/s | raw rows/s | ratio | target");
        var ok = true;
        foreach (var store in stores)
        {
            var result = await MeasureAsync(store, records, persons, batch, cluster, profile);
            var ratio = result.OnePerPerson / result.Raw;
            ok &= ratio >= TargetRatio;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{store,-9} | {$"{batch:N0} persons × 1 record",-33} | {result.OnePerPerson,12:N0} | {result.Raw,10:N0} | {ratio,5:F2} | {(ratio >= TargetRatio ? "met" : "MISSED")} (≥ {TargetRatio:F1})"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{store,-9} | {$"{cluster:N0} persons × {batch / cluster:N0} records",-33} | {result.ManyPerPerson,12:N0} | {result.Raw,10:N0} | {result.ManyPerPerson / result.Raw,5:F2} | (for comparison)"));
        }

        return ok ? 0 : 1;
    }

    private sealed record Result(double OnePerPerson, double ManyPerPerson, double Raw);

    private static async Task<Result> MeasureAsync(string kind, int records, int persons, int batch, int cluster, bool profile)
    {
        if (batch is < 1 or > BehaviourIngestion.BatchRecordsMax) throw new ArgumentException($"--batch must be 1–{BehaviourIngestion.BatchRecordsMax}");
        var policy = IngestionPolicy.Default;
        await using var world = await IngestWorld.CreateAsync(kind, persons, BenchClock.At(Now - IngestWorld.SetUpBefore));
        var clock = BenchClock.At(Now);
        await using var store = await LedgerStore.OpenAsync(await world.CopyAsync(), clock);
        var ingestion = new BehaviourIngestion(store, new ScenarioStore(store, clock), policy, clock);

        // Each layout's trips fill their own days, so that neither pushes the other towards a daily cap; the
        // warm-up trips share those days at later hours.
        var trips = new Trips(Now, policy);
        var days = Trips.DaysFor((records + persons - 1) / persons);
        var onePer = trips.OnePerPerson("a", records, batch, persons, dayOffset: 0);
        var manyPer = trips.ManyPerPerson("b", records, batch, persons, cluster, dayOffset: days);
        var warmOnePer = trips.OnePerPerson("wa", WarmUpBatches * batch, batch, persons, dayOffset: 0, slotOffset: 3);
        var warmManyPer = trips.ManyPerPerson("wb", WarmUpBatches * batch, batch, persons, cluster, dayOffset: days, slotOffset: 3);
        await CreateRawTableAsync(store);
        var raw = RawRows(onePer, world, Now);
        var warmRaw = RawRows(warmOnePer, world, Now);

        // Warm every path until the JIT has optimised it.
        for (var i = 0; i < WarmUpBatches; i++)
        {
            await InsertRawAsync(store, warmRaw[i]);
            Check(await ingestion.SubmitAsync(world.Operator, "bench", warmOnePer[i]));
            Check(await ingestion.SubmitAsync(world.Operator, "bench", warmManyPer[i]));
        }

        using var profiler = profile ? new StatementProfile(store) : null;
        // Interleaved batch by batch, so that whatever the machine does meanwhile falls on every side alike.
        var rawWatch = new Stopwatch();
        var oneWatch = new Stopwatch();
        var manyWatch = new Stopwatch();
        for (var i = 0; i < onePer.Count; i++)
        {
            StatementProfile.Phase = "hook";
            if (profiler is not null) await profiler.HookPoolAsync();
            StatementProfile.Phase = "raw";
            rawWatch.Start();
            await InsertRawAsync(store, raw[i]);
            rawWatch.Stop();

            StatementProfile.Phase = "one";
            oneWatch.Start();
            var one = await ingestion.SubmitAsync(world.Operator, "bench", onePer[i]);
            oneWatch.Stop();
            Check(one);

            if (i >= manyPer.Count) continue;
            StatementProfile.Phase = "many";
            manyWatch.Start();
            var many = await ingestion.SubmitAsync(world.Operator, "bench", manyPer[i]);
            manyWatch.Stop();
            Check(many);
        }

        StatementProfile.Phase = "audit";
        profiler?.Print(new Dictionary<string, (TimeSpan, int, int)>
        {
            ["raw"] = (rawWatch.Elapsed, raw.Count, records),
            ["one"] = (oneWatch.Elapsed, onePer.Count, records),
            ["many"] = (manyWatch.Elapsed, manyPer.Count, records),
        });
        if (kind == "postgres" && Environment.GetEnvironmentVariable("PUHUI_PG_OPTIONS") is not null) Console.WriteLine(world.ServerLog);
        await AuditAsync(store, policy);
        return new Result(records / oneWatch.Elapsed.TotalSeconds, records / manyWatch.Elapsed.TotalSeconds, records / rawWatch.Elapsed.TotalSeconds);
    }

    /// <summary>Every record of a benchmark batch must be accepted, or the benchmark measures something else.</summary>
    internal static void Check(IngestionResult result)
    {
        if (result.Refusal != BatchRefusal.None) throw new InvalidOperationException($"a benchmark batch was refused: {result.Refusal} {result.Detail}");
        var problem = result.Records.FirstOrDefault(r => r.Status != RecordStatus.Accepted);
        if (problem is not null) throw new InvalidOperationException($"a benchmark record was not accepted: {problem.Status} {problem.OutcomeCode} {problem.Detail}");
    }

    /// <summary>The ledger's audit and the ingestion audit, after the clocks have stopped.</summary>
    internal static async Task AuditAsync(LedgerStore store, IngestionPolicy policy)
    {
        var ledger = await store.AuditAsync();
        if (!ledger.Passed) throw new InvalidOperationException("ledger audit failed after the benchmark: " + ledger.Problems[0]);
        var ingestion = await IngestionAudit.RunAsync(store, policy);
        if (!ingestion.Passed) throw new InvalidOperationException("ingestion audit failed after the benchmark: " + ingestion.Problems[0]);
    }

    private static async Task CreateRawTableAsync(LedgerStore store)
    {
        // behaviour_records' definition (see the migrations), under another name.
        var integer = store.Kind == StoreKind.Postgres ? "BIGINT" : "INTEGER";
        var id = store.Kind == StoreKind.Postgres ? "BIGSERIAL" : "INTEGER";
        await using var connection = await store.Dialect.OpenAsync(default);
        await using var cmd = Sql.Command(connection, null,
            $"CREATE TABLE bench_raw_records (id {id} PRIMARY KEY, scenario_id {integer} NOT NULL, external_id TEXT NOT NULL, account_id {integer} NOT NULL, "
            + $"occurred_us {integer} NOT NULL, inputs TEXT NOT NULL, attributes TEXT, evidence TEXT, grams {integer} NOT NULL, points {integer} NOT NULL, "
            + $"lot_id {integer} NOT NULL, tx_seq {integer} NOT NULL, accepted_us {integer} NOT NULL, UNIQUE (scenario_id, external_id)); "
            + "CREATE INDEX bench_raw_records_account ON bench_raw_records (account_id, id)");
        await cmd.ExecuteNonQueryAsync();
    }

    private sealed record RawRow(long Scenario, string ExternalId, long Account, long OccurredUs, string Inputs, long Grams, long Points, long Lot, long Seq, long AcceptedUs);

    private static long _rawSeq;

    /// <summary>The rows ingestion would write for these records, built before the clock starts: the computed grams and points, made-up lot and issuance numbers.</summary>
    private static List<List<RawRow>> RawRows(List<List<IncomingRecord>> batches, IngestWorld world, DateTimeOffset now)
    {
        var acceptedUs = CanonicalEncoding.ToUnixMicroseconds(now);
        return batches.Select(b => b.Select(r =>
        {
            var person = int.Parse(r.UserRef.AsSpan(1), CultureInfo.InvariantCulture);
            var (km, minutes) = (r.Inputs!["distance"], r.Inputs["duration"]);
            var grams = Math.Min(7_000L, (long)decimal.Floor(km * 46.7m));
            var seq = ++_rawSeq;
            return new RawRow(world.ScenarioId, r.ExternalId, world.PersonAccounts[person], CanonicalEncoding.ToUnixMicroseconds(r.OccurredAt),
                string.Create(CultureInfo.InvariantCulture, $"{{\"distance\":{km},\"duration\":{minutes}}}"), grams, grams / 10, seq / 2 + 1, seq, acceptedUs);
        }).ToList()).ToList();
    }

    private static readonly string[] RawColumns = ["scenario_id", "external_id", "account_id", "occurred_us", "inputs", "attributes", "evidence", "grams", "points", "lot_id", "tx_seq", "accepted_us"];

    /// <summary>The baseline: the same rows, the same unique key and index, the same insert path, one durable commit per batch; nothing else.</summary>
    private static async Task InsertRawAsync(LedgerStore store, List<RawRow> rows)
    {
        await using var connection = await store.Dialect.OpenAsync(default);
        await using var tx = await connection.BeginTransactionAsync();
        await Sql.InsertRowsAsync(connection, tx, "bench_raw_records", RawColumns, rows, static (r, c) => c switch
        {
            0 => r.Scenario,
            1 => r.ExternalId,
            2 => r.Account,
            3 => r.OccurredUs,
            4 => r.Inputs,
            5 => null,
            6 => null,
            7 => r.Grams,
            8 => r.Points,
            9 => r.Lot,
            10 => r.Seq,
            _ => r.AcceptedUs,
        }, "", default);
        await tx.CommitAsync();
    }
}
