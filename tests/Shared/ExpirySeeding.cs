using Puhui.Ledger;
using Puhui.Storage;
using Puhui.Storage.Ledger;

namespace Puhui.Testing;

/// <summary>One lot to seed: the points and grams issued into it.</summary>
public readonly record struct SeedLot(AccountId Account, BatchId Batch, DateOnly Day, DateOnly ExpiresOn, long Points, long Grams);

/// <summary>
/// Fills a store with many lots quickly, through the ledger: the lot rows are inserted in bulk (a lot holds nothing
/// until a transaction issues into it), then each Issue transaction fills up to <see cref="LotsPerTransaction"/> lots
/// of one batch from the issuance sources, and transactions are appended in groups.
/// </summary>
public static class ExpirySeeding
{
    /// <summary>Two postings per lot (points and grams) and one per source and asset, within <see cref="Transaction.PostingsMax"/>.</summary>
    public const int LotsPerTransaction = (Transaction.PostingsMax - 2) / 2;

    public const int TransactionsPerAppend = 40;

    /// <summary>Opens person accounts in bulk, codes <c>{prefix}{n}</c>, and returns their ids in order.</summary>
    public static async Task<List<AccountId>> OpenPersonsAsync(LedgerStore store, string prefix, int count, CancellationToken ct = default)
    {
        var ids = new List<AccountId>(count);
        await using var connection = await store.Dialect.OpenAsync(ct);
        foreach (var chunk in Enumerable.Range(0, count).Chunk(10_000))
        {
            var sql = store.Kind == StoreKind.Postgres
                ? "INSERT INTO accounts (kind, code, display_name, roles, is_source, created_us) SELECT @kind, @prefix || n, 'seeded person', 0, false, 0 FROM generate_series(@from, @to) n"
                : "WITH RECURSIVE s(n) AS (SELECT @from UNION ALL SELECT n + 1 FROM s WHERE n < @to) "
                  + "INSERT INTO accounts (kind, code, display_name, roles, is_source, created_us) SELECT @kind, @prefix || n, 'seeded person', 0, 0, 0 FROM s";
            await using (var cmd = Sql.Command(connection, null, sql)
                .With("@kind", (int)AccountKind.Person).With("@prefix", prefix).With("@from", chunk[0]).With("@to", chunk[^1]))
                await cmd.ExecuteNonQueryAsync(ct);

            var found = new Dictionary<string, long>(StringComparer.Ordinal);
            await Sql.LookupAsync(connection, null, "SELECT id, code FROM accounts", ["code"], chunk.Select(n => prefix + n.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList(),
                static (code, _) => code, r => found[r.GetString(1)] = r.GetInt64(0), ct);
            ids.AddRange(chunk.Select(n => new AccountId(found[prefix + n.ToString(System.Globalization.CultureInfo.InvariantCulture)])));
        }

        return ids;
    }

    /// <summary>Seeds the lots, <see cref="LotsPerTransaction"/> to an Issue transaction; returns how many. <paramref name="seeded"/> hears each lot.</summary>
    public static async Task<long> IssueAsync(LedgerStore store, IEnumerable<SeedLot> lots, string keyPrefix, DateTimeOffset at,
        Action<PointLot>? seeded = null, CancellationToken ct = default)
    {
        var pointsSource = await store.SystemAccountAsync(SystemAccounts.PointsIssuance, ct);
        var gramsSource = await store.SystemAccountAsync(SystemAccounts.ReductionIssuance, ct);
        long count = 0, transactions = 0;
        foreach (var chunk in lots.Chunk(LotsPerTransaction * TransactionsPerAppend))
        {
            var opened = await OpenLotsAsync(store, chunk, ct);
            var group = new List<Transaction>();
            foreach (var perTx in chunk.Select((l, i) => (Seed: l, Lot: opened[i])).GroupBy(x => x.Seed.Batch).SelectMany(g => g.Chunk(LotsPerTransaction)))
            {
                var batch = perTx[0].Seed.Batch;
                var builder = new TransactionBuilder(TransactionKind.Issue, $"{keyPrefix}:{transactions++}", at, "seed") { Reference = "seeded lots" };
                var points = perTx.Sum(x => x.Seed.Points);
                var grams = perTx.Sum(x => x.Seed.Grams);
                builder.Add(new Posting(pointsSource, Asset.Pts, batch, null, -points));
                if (grams > 0) builder.Add(new Posting(gramsSource, Asset.Co2, batch, null, -grams));
                foreach (var (seed, lot) in perTx)
                {
                    builder.Add(new Posting(seed.Account, Asset.Pts, batch, lot.Id, seed.Points));
                    if (seed.Grams > 0) builder.Add(new Posting(seed.Account, Asset.Co2, batch, lot.Id, seed.Grams));
                }

                group.Add(builder.Build());
            }

            foreach (var result in await store.AppendAsync(group, ct))
            {
                if (result.Status != AppendStatus.Committed) throw new InvalidOperationException($"seeding was refused: {result.Status} {result.Detail}");
            }

            count += chunk.Length;
            if (seeded is not null) foreach (var lot in opened) seeded(lot);
        }

        return count;
    }

    private static async Task<PointLot[]> OpenLotsAsync(LedgerStore store, SeedLot[] lots, CancellationToken ct)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using (var tx = await connection.BeginTransactionAsync(ct))
        {
            await Sql.InsertRowsAsync(connection, tx, "lots", ["account_id", "batch_id", "day", "expires_on"], lots,
                static (l, c) => c switch
                {
                    0 => l.Account.Value,
                    1 => l.Batch.Value,
                    2 => LedgerStore.Iso(l.Day),
                    _ => LedgerStore.Iso(l.ExpiresOn),
                }, "", ct);
            await tx.CommitAsync(ct);
        }

        var ids = new Dictionary<(long, long, string), long>();
        await Sql.LookupAsync(connection, null, "SELECT id, account_id, batch_id, day FROM lots", ["account_id", "batch_id", "day"], lots,
            static (l, c) => c switch
            {
                0 => l.Account.Value,
                1 => l.Batch.Value,
                _ => LedgerStore.Iso(l.Day),
            }, r => ids[(r.GetInt64(1), r.GetInt64(2), r.GetString(3))] = r.GetInt64(0), ct);
        return lots.Select(l => new PointLot(new LotId(ids[(l.Account.Value, l.Batch.Value, LedgerStore.Iso(l.Day))]), l.Account, l.Batch, l.Day, l.ExpiresOn)).ToArray();
    }
}
