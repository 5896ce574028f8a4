using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Ledger;
using Puhui.Testing;

namespace Puhui.Bench;

/// <summary>
/// Appending two-posting transactions with idempotency keys, in groups, against a raw insert of rows of the
/// journal's width into a table with the journal's unique indexes, measured in the same run on the same
/// database. Target: the ledger reaches at least half of the raw rate on SQLite and on PostgreSQL.
/// </summary>
internal static class LedgerBench
{
    public const double TargetRatio = 0.5;

    public static async Task<int> RunAsync(string[] args)
    {
        var transactions = IntArg(args, "--transactions", 50_000);
        var group = IntArg(args, "--group", 1_000);
        var stores = Arg(args, "--store") is { } s ? [s] : new[] { "sqlite", "postgres" };
        Console.WriteLine($"ledger append benchmark: {transactions:N0} transactions of 2 postings, groups of {group:N0}, durable commits");
        Console.WriteLine("store     | ledger tx/s | raw rows/s | ratio | target");
        var ok = true;
        foreach (var store in stores)
        {
            var (ledger, raw) = store switch
            {
                "sqlite" => await MeasureSqliteAsync(transactions, group),
                "postgres" => await MeasurePostgresAsync(transactions, group),
                _ => throw new ArgumentException($"unknown store {store}: sqlite or postgres"),
            };
            var ratio = ledger / raw;
            ok &= ratio >= TargetRatio;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{store,-9} | {ledger,11:N0} | {raw,10:N0} | {ratio,5:F2} | {(ratio >= TargetRatio ? "met" : "MISSED")} (≥ {TargetRatio:F1})"));
        }

        return ok ? 0 : 1;
    }

    private static async Task<(double, double)> MeasureSqliteAsync(int transactions, int group)
    {
        var dir = Path.Combine(Path.GetTempPath(), "puhui-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            return await MeasureAsync(Path.Combine(dir, "ledger.db"), transactions, group);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<(double, double)> MeasurePostgresAsync(int transactions, int group)
    {
        // A durable cluster: fsync on, as production would run.
        await using var server = await TemporaryPostgres.StartAsync(durable: true);
        var result = await MeasureAsync(await server.CreateDatabaseAsync("bench"), transactions, group);
        // PUHUI_PG_OPTIONS="-c log_min_duration_statement=2" shows where the server spends its time.
        if (Environment.GetEnvironmentVariable("PUHUI_PG_OPTIONS") is not null) Console.WriteLine(server.ReadLog());
        return result;
    }

    private static async Task<(double Ledger, double Raw)> MeasureAsync(string setting, int transactions, int group)
    {
        await using var store = await LedgerStore.OpenAsync(setting);
        var source = await store.SystemAccountAsync(SystemAccounts.ReductionIssuance);
        var batch = (await store.CreateBatchAsync(new NewBatch("BENCH-1", BatchOrigin.Other, "bench"))).Id;
        var holders = new List<AccountId>();
        for (var i = 0; i < 1_000; i++)
            holders.Add((await store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, $"bench:{i}", $"holder {i}", OrganisationRoles.Buyer))).Id);
        await CreateRawTableAsync(store);

        var at = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Transaction Tx(int n) => new TransactionBuilder(TransactionKind.Issue, $"bench:tx:{n:D9}", at.AddMilliseconds(n), "bench") { Reference = "bench" }
            .MoveGrams(source, holders[n % holders.Count], batch, new Grams(1 + n % 997)).Build();
        List<List<Transaction>> Groups(int first, int count) => Enumerable.Range(0, (count + group - 1) / group)
            .Select(g => Enumerable.Range(first + g * group, Math.Min(group, count - g * group)).Select(Tx).ToList()).ToList();

        // Everything either side needs is built before the clocks start: the ledger is timed from a built
        // transaction to its durable commit (encoding, hashing, checks, journal, history, balances), the
        // baseline from a built row to its durable commit.
        var warmLedger = Groups(1_000_000_000, WarmUpGroups * group);
        var warmRaw = RawRows(Groups(1_500_000_000, WarmUpGroups * group));
        var ledgerGroups = Groups(0, transactions);
        var rawGroups = RawRows(Groups(500_000_000, transactions));

        // Warm both paths until the JIT has optimised them (tiered compilation promotes hot code after a while).
        foreach (var g in warmLedger) await store.AppendAsync(g);
        foreach (var g in warmRaw) await InsertRawAsync(store, g);

        // Interleaved group by group, so that whatever the machine does meanwhile (checkpoints, the other core's
        // load, the disk's mood) falls on both sides alike.
        var raw = new Stopwatch();
        var ledger = new Stopwatch();
        for (var i = 0; i < ledgerGroups.Count; i++)
        {
            raw.Start();
            await InsertRawAsync(store, rawGroups[i]);
            raw.Stop();

            ledger.Start();
            var results = await store.AppendAsync(ledgerGroups[i]);
            ledger.Stop();
            if (results.Any(r => r.Status != AppendStatus.Committed)) throw new InvalidOperationException("a benchmark append was refused");
        }

        var audit = await store.AuditAsync();
        if (!audit.Passed) throw new InvalidOperationException("audit failed after the benchmark: " + audit.Problems[0]);
        return (transactions / ledger.Elapsed.TotalSeconds, transactions / raw.Elapsed.TotalSeconds);
    }

    private static async Task CreateRawTableAsync(LedgerStore store)
    {
        await using var connection = await store.Dialect.OpenAsync(default);
        var blob = store.Kind == StoreKind.Postgres ? "BYTEA" : "BLOB";
        await using var cmd = Sql.Command(connection, null,
            $"CREATE TABLE raw_journal (seq BIGINT PRIMARY KEY, tx_id TEXT NOT NULL UNIQUE, idempotency_key TEXT NOT NULL UNIQUE, request_hash {blob} NOT NULL, "
            + $"kind SMALLINT NOT NULL, occurred_us BIGINT NOT NULL, body {blob} NOT NULL, links {blob} NOT NULL, hash {blob} NOT NULL)");
        await cmd.ExecuteNonQueryAsync();
    }

    private const int WarmUpGroups = 20;
    private static long _rawSeq;

    private sealed record RawRow(long Seq, string TxId, string Key, byte[] RequestHash, int Kind, long OccurredUs, byte[] Body, byte[] Links, byte[] Hash);

    private static List<List<RawRow>> RawRows(List<List<Transaction>> groups) => groups.Select(g => g.Select(t =>
    {
        var body = CanonicalEncoding.Encode(t);
        // As wide as the ledger's links for these transactions: one (account, previous) pair for the holder.
        var links = new byte[16];
        return new RawRow(++_rawSeq, t.Id.ToString(), t.IdempotencyKey, CanonicalEncoding.RequestHash(body), (int)t.Kind, CanonicalEncoding.ToUnixMicroseconds(t.OccurredAt), body, links, SHA256.HashData(body));
    }).ToList()).ToList();

    /// <summary>
    /// The baseline: rows as wide as the journal's (the same columns and bytes), the same unique indexes, the same
    /// insert path, one durable commit per group; nothing else — no balances, history, checks or chain.
    /// </summary>
    private static async Task InsertRawAsync(LedgerStore store, List<RawRow> rows)
    {
        await using var connection = await store.Dialect.OpenAsync(default);
        await using var tx = await connection.BeginTransactionAsync();
        await Sql.InsertRowsAsync(connection, tx, "raw_journal", ["seq", "tx_id", "idempotency_key", "request_hash", "kind", "occurred_us", "body", "links", "hash"], rows,
            static (r, c) => c switch
            {
                0 => r.Seq,
                1 => r.TxId,
                2 => r.Key,
                3 => r.RequestHash,
                4 => r.Kind,
                5 => r.OccurredUs,
                6 => r.Body,
                7 => r.Links,
                _ => r.Hash,
            }, "", default);
        await tx.CommitAsync();
    }

    internal static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    internal static int IntArg(string[] args, string name, int fallback)
        => Arg(args, name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
