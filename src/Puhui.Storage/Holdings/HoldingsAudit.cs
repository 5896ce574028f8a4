using System.Globalization;
using Puhui.Ledger;
using Puhui.Storage.Ledger;

namespace Puhui.Storage.Holdings;

/// <summary>What <see cref="HoldingsAudit.RunAsync"/> found; no problems when the holdings rows agree with the journal.</summary>
public sealed record HoldingsAuditReport(long Transfers, long Pledges, long Retirements, long Bridges, IReadOnlyList<string> Problems)
{
    public bool Passed => Problems.Count == 0;
}

/// <summary>
/// Checks held reductions' rows against the journal: every transfer, pledge, release or enforcement, retirement and
/// bridge names a transaction the journal holds; each batch's retired serial ranges run from 1 without gap or
/// overlap, number exactly the retired kilograms and end where the batch's cursor stands (DESIGN §4, invariant 6);
/// and the grams locked in <c>sys:pledged</c> are exactly the open pledges'.
/// </summary>
public static class HoldingsAudit
{
    public static async Task<HoldingsAuditReport> RunAsync(LedgerStore store, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var problems = new AuditProblems();

        var pledgedAccount = await store.SystemAccountAsync(SystemAccounts.Pledged, ct);
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var snapshot = await store.Dialect.BeginSnapshotAsync(connection, ct);

        var journal = new HashSet<string>(StringComparer.Ordinal);
        await using (var cmd = Sql.Command(connection, snapshot, "SELECT tx_id FROM journal WHERE idempotency_key LIKE 'holdings:%'"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct)) journal.Add(r.GetString(0));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        async Task<long> CheckAsync(string table, string sql)
        {
            long rows = 0;
            await using var cmd = Sql.Command(connection, snapshot, sql);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                rows++;
                for (var i = 1; i < r.FieldCount; i++)
                {
                    if (r.IsDBNull(i)) continue;
                    var tx = r.GetString(i);
                    if (!journal.Contains(tx)) problems.Add($"{table} {r.GetInt64(0)}: transaction {tx} is not in the journal");
                    seen.Add(tx);
                }
            }

            return rows;
        }

        var transfers = await CheckAsync("transfer", "SELECT id, tx_id FROM holding_transfers");
        var pledges = await CheckAsync("pledge", "SELECT id, tx_id, closed_tx_id FROM pledges");
        var retirements = await CheckAsync("retirement", "SELECT id, tx_id FROM retirements");
        var bridges = await CheckAsync("bridge", "SELECT id, tx_id FROM bridges");
        foreach (var tx in journal.Where(t => !seen.Contains(t))) problems.Add($"journal: transaction {tx} of held reductions has no row");

        // Serial ranges per batch: from 1, contiguous, exactly the retired kilograms, ending at the cursor.
        var next = new Dictionary<long, long>();
        await using (var cmd = Sql.Command(connection, snapshot, "SELECT id, batch_id, grams, serial_from, serial_to FROM retirements ORDER BY batch_id, serial_from"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                var (id, batch, grams, from, to) = (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4));
                var expected = next.GetValueOrDefault(batch, 1);
                if (from != expected) problems.Add(string.Create(CultureInfo.InvariantCulture, $"retirement {id}: serials of batch {batch} start at {from}, the range before ends at {expected - 1}"));
                if (checked((to - from + 1) * 1_000) != grams) problems.Add(string.Create(CultureInfo.InvariantCulture, $"retirement {id}: serials {from}–{to} do not number its {grams} g"));
                next[batch] = to + 1;
            }
        }

        await using (var cmd = Sql.Command(connection, snapshot, "SELECT batch_id, next_kg FROM serial_cursors"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                if (r.GetInt64(1) != next.GetValueOrDefault(r.GetInt64(0), 1))
                    problems.Add(string.Create(CultureInfo.InvariantCulture, $"batch {r.GetInt64(0)}: the serial cursor stands at {r.GetInt64(1)}, the retirements end at {next.GetValueOrDefault(r.GetInt64(0), 1) - 1}"));
            }
        }

        // Open pledges are exactly what sys:pledged holds, per batch.
        var open = new Dictionary<long, long>();
        await using (var cmd = Sql.Command(connection, snapshot, "SELECT batch_id, grams FROM pledges WHERE status = 'open'"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct)) open[r.GetInt64(0)] = open.GetValueOrDefault(r.GetInt64(0)) + r.GetInt64(1);
        }

        await using (var cmd = Sql.Command(connection, snapshot, "SELECT batch_id, amount FROM balances WHERE account_id = @a AND asset = @co2 AND amount <> 0")
            .With("@a", pledgedAccount.Value).With("@co2", (int)Asset.Co2))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                if (open.Remove(r.GetInt64(0), out var grams) ? grams != r.GetInt64(1) : true)
                    problems.Add(string.Create(CultureInfo.InvariantCulture, $"batch {r.GetInt64(0)}: {r.GetInt64(1)} g are pledged in the ledger, not what the open pledges lock"));
            }
        }

        foreach (var (batch, grams) in open) problems.Add(string.Create(CultureInfo.InvariantCulture, $"batch {batch}: open pledges lock {grams} g the ledger does not hold as pledged"));
        return new HoldingsAuditReport(transfers, pledges, retirements, bridges, problems);
    }
}
