using System.Globalization;
using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Storage.Ledger;

namespace Puhui.Storage.Ingestion;

/// <summary>What <see cref="IngestionAudit.RunAsync"/> found; empty problems when ingestion agrees with the ledger.</summary>
public sealed record IngestionAuditReport(long Records, long IssuanceTransactions, IReadOnlyList<string> Problems)
{
    public bool Passed => Problems.Count == 0;
}

/// <summary>
/// Checks accepted behaviour records against the ledger: every ingestion issuance pays exactly the points and
/// grams of the records that name it, lot by lot, and no record claims an issuance that does not pay it; and each
/// person's daily tallies (which the caps read) equal the sums of their records.
/// </summary>
public static class IngestionAudit
{
    /// <summary>The prefix of the idempotency keys of ingestion issuances.</summary>
    public const string IssuanceKeyPrefix = "ingest:";

    public static async Task<IngestionAuditReport> RunAsync(LedgerStore store, IngestionPolicy? policy = null, CancellationToken ct = default)
    {
        policy ??= IngestionPolicy.Default;
        var problems = new AuditProblems();

        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var snapshot = await store.Dialect.BeginSnapshotAsync(connection, ct);

        // What the records say each issuance paid into each lot, and what each person's day adds up to.
        var claimed = new Dictionary<(long Seq, long Lot), (long Points, long Grams)>();
        var days = new Dictionary<(long Account, long Scenario, string Day), (long Records, long Grams, long Points)>();
        long records = 0;
        await using (var cmd = Sql.Command(connection, snapshot, "SELECT id, account_id, scenario_id, occurred_us, grams, points, lot_id, tx_seq FROM behaviour_records"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                records++;
                var (id, grams, points, lot, seq) = (r.GetInt64(0), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), r.GetInt64(7));
                if (grams < 0 || points < 0) problems.Add($"record {id}: negative grams or points");
                if ((grams > 0 || points > 0) && (lot == 0 || seq == 0)) problems.Add($"record {id}: credits {points} points and {grams} g but names no lot or issuance");
                if (seq != 0)
                {
                    var c = claimed.GetValueOrDefault((seq, lot));
                    claimed[(seq, lot)] = (c.Points + points, c.Grams + grams);
                }

                var day = LedgerStore.Iso(policy.LocalDay(CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(3))));
                var key = (r.GetInt64(1), r.GetInt64(2), day);
                var d = days.GetValueOrDefault(key);
                days[key] = (d.Records + 1, d.Grams + grams, d.Points + points);
            }
        }

        // What the ingestion issuances in the journal actually paid.
        var paid = new Dictionary<(long Seq, long Lot), (long Points, long Grams)>();
        long issuances = 0;
        await using (var cmd = Sql.Command(connection, snapshot, "SELECT seq, body FROM journal WHERE idempotency_key LIKE @prefix ORDER BY seq")
            .With("@prefix", IssuanceKeyPrefix + "%"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                issuances++;
                var seq = r.GetInt64(0);
                Transaction tx;
                try
                {
                    tx = CanonicalEncoding.Decode((byte[])r.GetValue(1));
                }
                catch (CanonicalEncodingException e)
                {
                    problems.Add($"transaction {seq}: does not decode ({e.Message})");
                    continue;
                }

                foreach (var p in tx.Postings)
                {
                    if (p.Amount <= 0 || p.Lot is not { } lot) continue;
                    var c = paid.GetValueOrDefault((seq, lot.Value));
                    paid[(seq, lot.Value)] = p.Asset == Asset.Pts ? (c.Points + p.Amount, c.Grams) : (c.Points, c.Grams + p.Amount);
                }
            }
        }

        foreach (var (key, want) in claimed.OrderBy(k => k.Key))
        {
            var got = paid.GetValueOrDefault(key);
            if (got != want)
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"transaction {key.Seq}, lot {key.Lot}: records credit {want.Points} points and {want.Grams} g, the ledger paid {got.Points} and {got.Grams}"));
        }

        foreach (var key in paid.Keys.Where(k => !claimed.ContainsKey(k)).Order())
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"transaction {key.Seq}, lot {key.Lot}: an ingestion issuance that no record names"));

        var stored = new Dictionary<(long, long, string), (long, long, long)>();
        await using (var cmd = Sql.Command(connection, snapshot, "SELECT account_id, scenario_id, day, records, grams, points FROM behaviour_days WHERE records > 0"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct)) stored[(r.GetInt64(0), r.GetInt64(1), r.GetString(2))] = (r.GetInt64(3), r.GetInt64(4), r.GetInt64(5));
        }

        foreach (var (key, want) in days)
        {
            if (stored.GetValueOrDefault(key) != want)
                problems.Add($"account {key.Account}, scenario {key.Scenario}, day {key.Day}: the daily tally is {stored.GetValueOrDefault(key)}, the records sum to {want}");
        }

        foreach (var key in stored.Keys.Where(k => !days.ContainsKey(k)))
            problems.Add($"account {key.Item1}, scenario {key.Item2}, day {key.Item3}: a daily tally without records");
        return new IngestionAuditReport(records, issuances, problems);
    }
}
