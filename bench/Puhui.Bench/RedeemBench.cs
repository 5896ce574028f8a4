using System.Diagnostics;
using System.Globalization;
using Puhui.Ledger;
using Puhui.Mall;
using Puhui.Storage;
using Puhui.Storage.Ledger;
using Puhui.Storage.Mall;
using Puhui.Testing;

namespace Puhui.Bench;

/// <summary>
/// Redemptions in the points mall: persons each holding many lots (half of them reduction-bearing), several offers
/// with ample stock, and redemptions of random offers by random persons from concurrent clients sharing one store, as
/// an HTTP host's requests would. Each redemption is timed from the call to its durable commit (the person's lots
/// read and planned, the Redeem transaction appended, stock and voucher written, all under the write lock). No target:
/// the figures say what one writer sustains. The ledger is audited afterwards.
/// </summary>
internal static class RedeemBench
{
    /// <summary>The platform's clock for the benchmark: it stands still.</summary>
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.FromHours(8));

    private const int WarmUpRedemptions = 500;
    private const int IssueGroup = 500;
    private static readonly long[] Prices = [10, 20, 30, 40, 50];

    public static async Task<int> RunAsync(string[] args)
    {
        var redemptions = LedgerBench.IntArg(args, "--redemptions", 20_000);
        var clients = LedgerBench.IntArg(args, "--clients", 8);
        var persons = LedgerBench.IntArg(args, "--persons", 10_000);
        var lots = LedgerBench.IntArg(args, "--lots", 20);
        var profile = args.Contains("--profile");
        var stores = LedgerBench.Arg(args, "--store") is { } s ? [s] : new[] { "sqlite", "postgres" };
        if (lots is < 1 or > 100) throw new ArgumentException("--lots must be 1–100");
        Console.WriteLine($"redemption benchmark: {persons:N0} persons × {lots} lots, {Prices.Length} offers, {redemptions:N0} redemptions from {clients} concurrent clients on one store, durable commits{(profile ? ", PROFILED" : "")}");
        Console.WriteLine("store     | set-up lots/s | redemptions/s | p50 ms | p99 ms | max ms | audit");
        foreach (var store in stores)
        {
            var r = store switch
            {
                "sqlite" => await OnSqliteAsync(redemptions, clients, persons, lots, profile),
                "postgres" => await OnPostgresAsync(redemptions, clients, persons, lots, profile),
                _ => throw new ArgumentException($"unknown store {store}: sqlite or postgres"),
            };
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{store,-9} | {r.LotsPerSecond,13:N0} | {r.PerSecond,13:N0} | {r.P50Ms,6:F1} | {r.P99Ms,6:F1} | {r.MaxMs,6:F1} | passed ({r.Transactions:N0} transactions)"));
        }

        return 0;
    }

    private sealed record Result(double LotsPerSecond, double PerSecond, double P50Ms, double P99Ms, double MaxMs, long Transactions);

    private static async Task<Result> OnSqliteAsync(int redemptions, int clients, int persons, int lots, bool profile)
    {
        var dir = Path.Combine(Path.GetTempPath(), "puhui-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            return await MeasureAsync(Path.Combine(dir, "mall.db"), redemptions, clients, persons, lots, profile);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<Result> OnPostgresAsync(int redemptions, int clients, int persons, int lots, bool profile)
    {
        // A durable cluster: fsync on, as production would run.
        await using var server = await TemporaryPostgres.StartAsync(durable: true);
        return await MeasureAsync(await server.CreateDatabaseAsync("bench"), redemptions, clients, persons, lots, profile);
    }

    private static async Task<Result> MeasureAsync(string setting, int redemptions, int clients, int persons, int lotsEach, bool profile)
    {
        var clock = BenchClock.At(Now);
        await using var store = await LedgerStore.OpenAsync(setting, clock);
        var setUp = Stopwatch.StartNew();
        var people = await PersonsAsync(store, persons);
        var totalLots = await IssueLotsAsync(store, people, lotsEach);
        var lotsPerSecond = totalLots / setUp.Elapsed.TotalSeconds;

        var provider = (await store.OpenAccountAsync(new NewAccount(AccountKind.Organisation, "bench:provider", "权益联盟 / bench provider", OrganisationRoles.Provider))).Id;
        var offerStore = new OfferStore(store, clock);
        var offers = new List<long>();
        foreach (var price in Prices)
        {
            var definition = new OfferDefinition(OfferKind.Goods, $"商品 {price}", $"Goods for {price}", "", "", null, price, OfferDefinition.StockMax, OfferDefinition.PerPersonLimitMax,
                Now.AddDays(-1), Now.AddDays(365), VoucherValidDays: 30, CancellationHours: 24, Region: "");
            var created = await offerStore.CreateAsync(provider, definition, "bench");
            if (created.Status != OfferWriteStatus.Done) throw new InvalidOperationException($"offer: {created.Status} {created.Problem}");
            var published = await offerStore.ActAsync(created.Offer!.Id, provider, OfferAction.Publish, "bench", null);
            if (published.Status != OfferWriteStatus.Done) throw new InvalidOperationException($"publish: {published.Status} {published.Problem}");
            offers.Add(created.Offer.Id);
        }

        var mall = new PointsMall(store, clock);
        // Warm the JIT and the caches on the same path.
        await RunClientsAsync(mall, people, offers, "warm", WarmUpRedemptions, clients, seed: 1);
        using var profiler = profile ? new StatementProfile(store) : null;
        if (profiler is not null) await profiler.HookPoolAsync();
        StatementProfile.Phase = "redeem";
        var latencies = await RunClientsAsync(mall, people, offers, "bench", redemptions, clients, seed: 2, out var elapsed);
        StatementProfile.Phase = "audit";
        profiler?.Print(new Dictionary<string, (TimeSpan, int, int)> { ["redeem"] = (elapsed(), redemptions, redemptions) });

        var audit = await store.AuditAsync();
        if (!audit.Passed) throw new InvalidOperationException("audit failed after the benchmark: " + audit.Problems[0]);
        Array.Sort(latencies);
        double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        return new Result(lotsPerSecond, redemptions / elapsed().TotalSeconds, Ms(latencies[latencies.Length / 2]), Ms(latencies[(int)(latencies.Length * 0.99)]),
            Ms(latencies[^1]), audit.Transactions);
    }

    private static Task<long[]> RunClientsAsync(PointsMall mall, AccountId[] people, List<long> offers, string prefix, int count, int clients, int seed)
        => RunClientsAsync(mall, people, offers, prefix, count, clients, seed, out _);

    /// <summary>
    /// <paramref name="clients"/> loops taking the next of <paramref name="count"/> redemptions until none is left, each
    /// of a random offer by a random person; returns every redemption's latency in stopwatch ticks.
    /// </summary>
    private static Task<long[]> RunClientsAsync(PointsMall mall, AccountId[] people, List<long> offers, string prefix, int count, int clients, int seed, out Func<TimeSpan> elapsed)
    {
        var latencies = new long[count];
        var next = -1;
        var watch = new Stopwatch();
        elapsed = () => watch.Elapsed;
        async Task ClientAsync(int client)
        {
            var random = new Random(seed * 1_000 + client);
            for (var n = Interlocked.Increment(ref next); n < count; n = Interlocked.Increment(ref next))
            {
                var person = people[random.Next(people.Length)];
                var offer = offers[random.Next(offers.Count)];
                var started = Stopwatch.GetTimestamp();
                var result = await mall.RedeemAsync(person, offer, $"{prefix}-{n.ToString(CultureInfo.InvariantCulture)}", "bench");
                latencies[n] = Stopwatch.GetTimestamp() - started;
                if (result.Outcome != MallOutcome.Done) throw new InvalidOperationException($"a benchmark redemption was not done: {result.Outcome} {result.Refusal} {result.Detail}");
            }
        }

        async Task<long[]> AllAsync()
        {
            watch.Start();
            await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() => ClientAsync(c))));
            watch.Stop();
            return latencies;
        }

        return AllAsync();
    }

    /// <summary>Person accounts, inserted as rows in one transaction: opening 10,000 one by one would take longer than the benchmark.</summary>
    private static async Task<AccountId[]> PersonsAsync(LedgerStore store, int persons)
    {
        var createdUs = CanonicalEncoding.ToUnixMicroseconds(Now.AddDays(-100));
        await using var connection = await store.Dialect.OpenAsync(default);
        if (store.Kind == StoreKind.Postgres)
        {
            // The bulk insert maps no booleans, and is_source is one on PostgreSQL: let the server number the rows.
            await using var insert = Sql.Command(connection, null,
                "INSERT INTO accounts (kind, code, display_name, roles, is_source, created_us) "
                + "SELECT @kind, 'bench:p:' || lpad(g::text, 6, '0'), '居民 ' || g, 0, FALSE, @at FROM generate_series(0, @n - 1) g")
                .With("@kind", (int)AccountKind.Person).With("@at", createdUs).With("@n", persons);
            await insert.ExecuteNonQueryAsync();
        }
        else
        {
            await using var tx = await connection.BeginTransactionAsync();
            await Sql.InsertRowsAsync(connection, tx, "accounts", ["kind", "code", "display_name", "roles", "is_source", "created_us"], Enumerable.Range(0, persons).ToList(), (i, c) => c switch
            {
                0 => (int)AccountKind.Person,
                1 => $"bench:p:{i:D6}",
                2 => $"居民 {i}",
                3 => 0,
                4 => 0,
                _ => createdUs,
            }, "", default);
            await tx.CommitAsync();
        }

        var ids = new List<AccountId>(persons);
        await using var cmd = Sql.Command(connection, null, "SELECT id FROM accounts WHERE kind = @kind AND code LIKE 'bench:p:%' ORDER BY code").With("@kind", (int)AccountKind.Person);
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) ids.Add(new AccountId(r.GetInt64(0)));
        return [.. ids];
    }

    /// <summary>
    /// Issues <paramref name="lotsEach"/> lots to every person through the ledger: the lots' rows inserted in bulk, then
    /// one Issue transaction per person filling all of them (points everywhere, 10 g a point in the metro lots), appended
    /// in groups of <see cref="IssueGroup"/>. Returns the number of lots.
    /// </summary>
    private static async Task<long> IssueLotsAsync(LedgerStore store, AccountId[] people, int lotsEach)
    {
        var metro = (await store.CreateBatchAsync(new NewBatch("SCN-METRO-BENCH", BatchOrigin.Scenario, "metro", "metro", "1.0.0", MethodologyClass.II, 2026, "320100"))).Id;
        var egov = (await store.CreateBatchAsync(new NewBatch("SCN-EGOV-BENCH", BatchOrigin.Scenario, "egov"))).Id;
        var today = DateOnly.FromDateTime(Now.DateTime);
        BatchId BatchOf(int lot) => lot % 2 == 0 ? metro : egov;
        DateOnly DayOf(int lot) => today.AddDays(-(lot / 2));

        await using (var connection = await store.Dialect.OpenAsync(default))
        await using (var tx = await connection.BeginTransactionAsync())
        {
            var rows = people.SelectMany(p => Enumerable.Range(0, lotsEach).Select(l => (Person: p, Lot: l))).ToList();
            foreach (var chunk in rows.Chunk(2_000))
            {
                await Sql.InsertRowsAsync(connection, tx, "lots", ["account_id", "batch_id", "day", "expires_on"], chunk, (row, c) => c switch
                {
                    0 => row.Person.Value,
                    1 => BatchOf(row.Lot).Value,
                    2 => LedgerStore.Iso(DayOf(row.Lot)),
                    _ => LedgerStore.Iso(DayOf(row.Lot).AddYears(2)),
                }, "", default);
            }

            await tx.CommitAsync();
        }

        var lotsOf = new Dictionary<long, List<(LotId Lot, BatchId Batch)>>(people.Length);
        await using (var connection = await store.Dialect.OpenAsync(default))
        await using (var cmd = Sql.Command(connection, null, "SELECT id, account_id, batch_id FROM lots ORDER BY id"))
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                if (!lotsOf.TryGetValue(r.GetInt64(1), out var list)) lotsOf[r.GetInt64(1)] = list = new List<(LotId, BatchId)>(lotsEach);
                list.Add((new LotId(r.GetInt64(0)), new BatchId(r.GetInt64(2))));
            }
        }

        var points = await store.SystemAccountAsync(SystemAccounts.PointsIssuance);
        var grams = await store.SystemAccountAsync(SystemAccounts.ReductionIssuance);
        long issued = 0;
        foreach (var group in people.Chunk(IssueGroup))
        {
            var transactions = new List<Transaction>(group.Length);
            foreach (var person in group)
            {
                var builder = new TransactionBuilder(TransactionKind.Issue, $"bench:issue:{person}", Now, "bench") { Reference = "bench set-up" };
                foreach (var (lot, batch) in lotsOf[person.Value])
                {
                    var lotPoints = 40 + lot.Value % 21;
                    builder.MovePoints(points, person, new Points(lotPoints), batch, toLot: lot);
                    if (batch == metro) builder.MoveGrams(grams, person, batch, new Grams(lotPoints * 10), toLot: lot);
                    issued++;
                }

                transactions.Add(builder.Build());
            }

            var results = await store.AppendAsync(transactions);
            if (results.Any(r => r.Status != AppendStatus.Committed)) throw new InvalidOperationException("a set-up issuance was refused: " + results.First(r => r.Status != AppendStatus.Committed).Detail);
        }

        return issued;
    }
}
