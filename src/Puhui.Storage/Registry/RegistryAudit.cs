using System.Globalization;
using Puhui.Ledger;
using Puhui.Storage.Ledger;

namespace Puhui.Storage.Registry;

/// <summary>What <see cref="RegistryAudit.RunAsync"/> found; no problems when the registry agrees with the ledger.</summary>
public sealed record RegistryAuditReport(long Projects, long Periods, long Issued, long Reversals, IReadOnlyList<string> Problems)
{
    public bool Passed => Problems.Count == 0;
}

/// <summary>
/// Checks the registry against the journal: every issued monitoring period names the one Issue transaction its
/// key (<c>issue:application:&lt;id&gt;</c>) stands for and the batch it created, whose issued grams (read from
/// the issuance account's balance) and split repeat the period's row; no Issue transaction of that kind exists
/// for a period that is not issued; every reversal names its Correct transaction; and every batch's grams are all
/// somewhere: issued = held + retired + cancelled + buffer (+ pledged).
/// </summary>
public static class RegistryAudit
{
    public static async Task<RegistryAuditReport> RunAsync(LedgerStore store, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var problems = new AuditProblems();

        var issuance = await store.SystemAccountAsync(SystemAccounts.ReductionIssuance, ct);
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var snapshot = await store.Dialect.BeginSnapshotAsync(connection, ct);

        var journal = new Dictionary<string, (string TxId, TransactionKind Kind)>(StringComparer.Ordinal);
        await using (var cmd = Sql.Command(connection, snapshot,
            "SELECT idempotency_key, tx_id, kind FROM journal WHERE idempotency_key LIKE 'issue:application:%' OR idempotency_key LIKE 'reversal:project:%'"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct)) journal[r.GetString(0)] = (r.GetString(1), (TransactionKind)r.GetInt64(2));
        }

        var issuedByBatch = new Dictionary<long, long>();
        var sums = new Dictionary<long, long>();
        await using (var cmd = Sql.Command(connection, snapshot, """
            SELECT b.batch_id, b.account_id, b.amount FROM balances b JOIN batches bt ON bt.id = b.batch_id WHERE b.asset = @co2 AND bt.origin = @origin
            """).With("@co2", (int)Asset.Co2).With("@origin", (int)BatchOrigin.ProjectPeriod))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                var (batch, account, amount) = (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
                if (account == issuance.Value) issuedByBatch[batch] = issuedByBatch.GetValueOrDefault(batch) - amount;
                else sums[batch] = sums.GetValueOrDefault(batch) + amount;
            }
        }

        foreach (var (batch, issued) in issuedByBatch)
        {
            if (sums.GetValueOrDefault(batch) != issued)
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"batch {batch}: issued {issued} g but {sums.GetValueOrDefault(batch)} g are held, retired, cancelled or in the buffer"));
        }

        long periods = 0, issuedPeriods = 0;
        var keysSeen = new HashSet<string>(StringComparer.Ordinal);
        await using (var cmd = Sql.Command(connection, snapshot, """
            SELECT m.application_id, a.state, m.batch_id, m.tx_id, m.issued_grams, m.developer_grams, m.buffer_grams FROM monitoring_periods m
            JOIN applications a ON a.id = m.application_id ORDER BY m.application_id
            """))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                periods++;
                var application = r.GetInt64(0);
                var key = ProjectRegistry.IssueKeyPrefix + application.ToString(CultureInfo.InvariantCulture);
                keysSeen.Add(key);
                var issued = r.GetString(1) == "issued";
                var inJournal = journal.TryGetValue(key, out var tx);
                if (!issued)
                {
                    if (inJournal) problems.Add($"monitoring period {application}: {r.GetString(1)}, but transaction {tx.TxId} issued it");
                    if (!r.IsDBNull(2)) problems.Add($"monitoring period {application}: {r.GetString(1)}, but it names batch {r.GetInt64(2)}");
                    continue;
                }

                issuedPeriods++;
                if (!inJournal || tx.Kind != TransactionKind.Issue) { problems.Add($"monitoring period {application}: issued, but no Issue transaction has key {key}"); continue; }
                if (r.IsDBNull(3) || r.GetString(3) != tx.TxId) problems.Add($"monitoring period {application}: names transaction {(r.IsDBNull(3) ? "none" : r.GetString(3))}, the journal {tx.TxId}");
                if (r.IsDBNull(2) || r.IsDBNull(4)) { problems.Add($"monitoring period {application}: issued without a batch or figure"); continue; }
                var (batch, total) = (r.GetInt64(2), r.GetInt64(4));
                if (issuedByBatch.GetValueOrDefault(batch) != total)
                    problems.Add(string.Create(CultureInfo.InvariantCulture, $"monitoring period {application}: issued {total} g, but batch {batch} issued {issuedByBatch.GetValueOrDefault(batch)} g"));
                if (r.IsDBNull(5) || r.IsDBNull(6) || r.GetInt64(5) + r.GetInt64(6) != total)
                    problems.Add($"monitoring period {application}: the developer's and the buffer's grams do not add up to the issuance");
            }
        }

        long reversals = 0;
        await using (var cmd = Sql.Command(connection, snapshot, "SELECT id, project_id, tx_id FROM project_reversals ORDER BY id"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                reversals++;
                var txId = r.GetString(2);
                var match = journal.Where(j => j.Value.TxId == txId).Select(j => j.Key).FirstOrDefault();
                if (match is null || !match.StartsWith(ProjectRegistry.ReversalKeyPrefix + r.GetInt64(1).ToString(CultureInfo.InvariantCulture) + ":", StringComparison.Ordinal))
                    problems.Add($"reversal {r.GetInt64(0)}: transaction {txId} is not a reversal of project {r.GetInt64(1)} in the journal");
                else keysSeen.Add(match);
            }
        }

        foreach (var key in journal.Keys.Where(k => !keysSeen.Contains(k))) problems.Add($"journal: transaction {journal[key].TxId} ({key}) has no registry row");

        long projects;
        await using (var cmd = Sql.Command(connection, snapshot, "SELECT COUNT(*) FROM projects"))
            projects = Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
        return new RegistryAuditReport(projects, periods, issuedPeriods, reversals, problems);
    }
}
