using System.Globalization;
using Puhui.Ledger;
using Puhui.Mall;
using Puhui.Storage.Ledger;

namespace Puhui.Storage.Mall;

/// <summary>What <see cref="MallAudit.RunAsync"/> found; empty problems when the mall agrees with the ledger.</summary>
public sealed record MallAuditReport(long Offers, long Redemptions, long Cancellations, IReadOnlyList<string> Problems)
{
    public bool Passed => Problems.Count == 0;
}

/// <summary>
/// Checks the mall's rows against the journal: every redemption is paid by exactly one Redeem transaction that
/// debits its points and gives its grams to its provider (and retires its sink grams), every Redeem transaction of
/// the mall has its redemption, every cancelled redemption is reversed by exactly one transaction and no other is,
/// the per-batch grams the provider view reads repeat the postings, and each offer's stock left is its total less
/// the redemptions that stand.
/// </summary>
public static class MallAudit
{
    public const string RedeemKeyPrefix = "redeem:";
    public const string CancelKeyPrefix = "cancel:redemption:";

    private sealed record Row(long Id, long Account, string RequestKey, long Offer, long Provider, long Points, long Grams, long SinkGrams, string TxId, VoucherStatus Status, string? CancelTxId)
    {
        public bool SeenRedeem { get; set; }
        public bool SeenCancel { get; set; }
        public Dictionary<long, long> BatchGrams { get; } = [];
    }

    public static async Task<MallAuditReport> RunAsync(LedgerStore store, CancellationToken ct = default)
    {
        var problems = new AuditProblems();

        var retired = await store.SystemAccountAsync(SystemAccounts.Retired, ct);
        var redeemed = await store.SystemAccountAsync(SystemAccounts.Redeemed, ct);
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var snapshot = await store.Dialect.BeginSnapshotAsync(connection, ct);

        var byKey = new Dictionary<string, Row>(StringComparer.Ordinal);
        var byId = new Dictionary<long, Row>();
        await using (var cmd = Sql.Command(connection, snapshot,
            "SELECT id, account_id, request_key, offer_id, provider_id, points, grams, sink_grams, tx_id, status, cancel_tx_id FROM redemptions"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                var row = new Row(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), r.GetInt64(7),
                    r.GetString(8), (VoucherStatus)r.GetInt64(9), r.IsDBNull(10) ? null : r.GetString(10));
                byKey[string.Create(CultureInfo.InvariantCulture, $"{RedeemKeyPrefix}{row.Account}:{row.RequestKey}")] = row;
                byId[row.Id] = row;
                if ((row.Status == VoucherStatus.Cancelled) != (row.CancelTxId is not null))
                    problems.Add($"redemption {row.Id}: status {row.Status} but {(row.CancelTxId is null ? "no" : "a")} reversal transaction");
            }
        }

        await using (var cmd = Sql.Command(connection, snapshot, "SELECT redemption_id, batch_id, grams FROM redemption_grams"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                if (byId.TryGetValue(r.GetInt64(0), out var row)) row.BatchGrams[r.GetInt64(1)] = r.GetInt64(2);
                else problems.Add($"redemption_grams names redemption {r.GetInt64(0)}, which does not exist");
            }
        }

        long cancellations = 0;
        await using (var cmd = Sql.Command(connection, snapshot,
            "SELECT seq, idempotency_key, body FROM journal WHERE idempotency_key LIKE @redeem OR idempotency_key LIKE @cancel ORDER BY seq")
            .With("@redeem", RedeemKeyPrefix + "%").With("@cancel", CancelKeyPrefix + "%"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                var (seq, key) = (r.GetInt64(0), r.GetString(1));
                Transaction tx;
                try
                {
                    tx = CanonicalEncoding.Decode((byte[])r.GetValue(2));
                }
                catch (CanonicalEncodingException e)
                {
                    problems.Add($"transaction {seq}: does not decode ({e.Message})");
                    continue;
                }

                if (key.StartsWith(RedeemKeyPrefix, StringComparison.Ordinal))
                {
                    if (!byKey.TryGetValue(key, out var row))
                    {
                        problems.Add($"transaction {seq} ({key}): a mall redemption that no redemption row names");
                        continue;
                    }

                    row.SeenRedeem = true;
                    CheckRedeem(row, seq, tx, redeemed, retired, problems.Add);
                }
                else
                {
                    cancellations++;
                    if (!long.TryParse(key.AsSpan(CancelKeyPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id) || !byId.TryGetValue(id, out var row))
                    {
                        problems.Add($"transaction {seq} ({key}): a reversal of a redemption that does not exist");
                        continue;
                    }

                    row.SeenCancel = true;
                    if (row.CancelTxId != tx.Id.ToString()) problems.Add($"redemption {row.Id}: reversed by transaction {tx.Id}, but the row names {row.CancelTxId ?? "none"}");
                    var returned = tx.Postings.Where(p => p.Account.Value == row.Account && p.Asset == Asset.Pts).Sum(p => p.Amount);
                    if (returned != row.Points) problems.Add($"redemption {row.Id}: the reversal returned {returned} points, not {row.Points}");
                }
            }
        }

        foreach (var row in byId.Values)
        {
            if (!row.SeenRedeem) problems.Add($"redemption {row.Id}: no Redeem transaction in the journal pays for it");
            if (row.Status == VoucherStatus.Cancelled && !row.SeenCancel) problems.Add($"redemption {row.Id}: cancelled, but no reversal is in the journal");
        }

        var standing = byId.Values.Where(r => r.Status != VoucherStatus.Cancelled).GroupBy(r => r.Offer).ToDictionary(g => g.Key, g => (long)g.Count());
        long offers = 0;
        await using (var cmd = Sql.Command(connection, snapshot, "SELECT id, stock_total, stock_left FROM offers"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                offers++;
                var (id, total, left) = (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
                var taken = standing.GetValueOrDefault(id);
                if (left != total - taken) problems.Add($"offer {id}: {left} units left, but {total} were put on sale and {taken} redemptions stand");
            }
        }

        return new MallAuditReport(offers, byId.Count, cancellations, problems);
    }

    private static void CheckRedeem(Row row, long seq, Transaction tx, AccountId redeemed, AccountId retired, Action<string> problem)
    {
        if (tx.Id.ToString() != row.TxId) problem($"redemption {row.Id}: paid by transaction {tx.Id}, but the row names {row.TxId}");
        long points = 0, sink = 0;
        var toProvider = new Dictionary<long, long>();
        foreach (var p in tx.Postings)
        {
            if (p.Account.Value == row.Account && p.Asset == Asset.Pts) points -= p.Amount;
            else if (p.Account.Value == row.Provider && p.Asset == Asset.Co2 && p.Amount > 0) toProvider[p.Batch!.Value.Value] = toProvider.GetValueOrDefault(p.Batch!.Value.Value) + p.Amount;
            else if (p.Account == retired && p.Asset == Asset.Co2) sink += p.Amount;
            else if (p.Asset == Asset.Pts && p.Account != redeemed) problem($"transaction {seq}: redemption {row.Id} moves points to account {p.Account}");
        }

        var grams = toProvider.Values.Sum();
        if (points != row.Points || grams != row.Grams || sink != row.SinkGrams)
            problem(string.Create(CultureInfo.InvariantCulture,
                $"redemption {row.Id}: the row says {row.Points} points, {row.Grams} g to the provider, {row.SinkGrams} g retired; transaction {seq} moved {points}, {grams}, {sink}"));
        if (!toProvider.OrderBy(k => k.Key).SequenceEqual(row.BatchGrams.OrderBy(k => k.Key)))
            problem($"redemption {row.Id}: the provider's per-batch grams do not repeat transaction {seq}'s postings");
    }
}
