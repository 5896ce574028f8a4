using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Puhui.Governance;
using Puhui.Holdings;
using Puhui.Ledger;
using Puhui.Storage.Governance;
using Puhui.Storage.Ledger;

namespace Puhui.Storage.Holdings;

/// <summary>What <see cref="HoldingsAudit.RunAsync"/> found; no problems when the holdings rows agree with the journal.</summary>
public sealed record HoldingsAuditReport(long Transfers, long Pledges, long Retirements, long Bridges, long ClaimMatches, long Certificates, IReadOnlyList<string> Problems)
{
    public bool Passed => Problems.Count == 0;
}

/// <summary>
/// Checks held reductions' rows against the journal: every transfer, pledge, release or enforcement, retirement and
/// bridge names a transaction the journal holds; each batch's retired serial ranges run from 1 without gap or
/// overlap, number exactly the retired kilograms and end where the batch's cursor stands (DESIGN §4, invariant 6);
/// the grams locked in <c>sys:pledged</c> are exactly the open pledges'; every retirement matched to a neutrality
/// claim is the claimant's, for the claim's purpose and beneficiary, matched by the step on the governance log that
/// says so; and every certificate's signature holds under its stored key, for its own claim in a certified or
/// revoked state, naming exactly the retirements matched to the claim.
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
        var (matches, certificates) = await CheckClaimsAsync(connection, snapshot, problems, ct);
        return new HoldingsAuditReport(transfers, pledges, retirements, bridges, matches, certificates, problems);
    }

    private static async Task<(long Matches, long Certificates)> CheckClaimsAsync(DbConnection connection, DbTransaction snapshot, AuditProblems problems, CancellationToken ct)
    {
        var claims = new Dictionary<long, (long Applicant, string State, NeutralityClaimDefinition Definition)>();
        await using (var cmd = Sql.Command(connection, snapshot, "SELECT id, applicant_id, state, payload FROM applications WHERE kind = @k").With("@k", Workflows.NeutralityClaim.Kind))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                var payload = JsonSerializer.Deserialize(r.GetString(3), ClaimJson.Default.ClaimPayload);
                if (payload is null) problems.Add($"claim {r.GetInt64(0)}: no definition");
                else claims[r.GetInt64(0)] = (r.GetInt64(1), r.GetString(2), payload.ToDefinition());
            }
        }

        var matched = new Dictionary<long, SortedSet<long>>();
        long matches = 0;
        await using (var cmd = Sql.Command(connection, snapshot, """
            SELECT m.retirement_id, m.claim_id, m.matched_seq, r.id, r.holder_id, r.purpose, r.beneficiary, g.application_id, g.action, g.data
            FROM claim_retirements m LEFT JOIN retirements r ON r.id = m.retirement_id LEFT JOIN governance_log g ON g.seq = m.matched_seq
            """))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                matches++;
                var (retirement, claim) = (r.GetInt64(0), r.GetInt64(1));
                var where = string.Create(CultureInfo.InvariantCulture, $"claim {claim}, retirement {retirement}");
                if (!claims.TryGetValue(claim, out var c))
                {
                    problems.Add($"{where}: the claim is not a neutrality claim");
                    continue;
                }

                (matched.TryGetValue(claim, out var set) ? set : matched[claim] = []).Add(retirement);
                if (r.IsDBNull(3))
                {
                    problems.Add($"{where}: the retirement is not in the registry");
                    continue;
                }

                if (r.GetInt64(4) != c.Applicant) problems.Add($"{where}: the retirement is not the claimant's");
                if (r.GetString(5) != c.Definition.Kind.Purpose().Code()) problems.Add($"{where}: retired for {r.GetString(5)}, not {c.Definition.Kind.Purpose().Code()}");
                if (r.GetString(6) != c.Definition.Beneficiary) problems.Add($"{where}: retired on behalf of {r.GetString(6)}, not {c.Definition.Beneficiary}");
                var step = r.IsDBNull(7) ? null : JsonSerializer.Deserialize(r.GetString(9), GovernanceJson.Default.StepData);
                if (r.IsDBNull(7) || r.GetInt64(7) != claim || r.GetString(8) != "match" || step?.RetirementId != retirement)
                    problems.Add(string.Create(CultureInfo.InvariantCulture, $"{where}: governance entry {r.GetInt64(2)} is not the step that matched it"));
            }
        }

        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        await using (var cmd = Sql.Command(connection, snapshot, "SELECT key_id, public_key FROM certificate_keys"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct)) keys[r.GetString(0)] = Convert.FromBase64String(r.GetString(1));
        }

        long certificates = 0;
        var certified = new HashSet<long>();
        await using (var cmd = Sql.Command(connection, snapshot, "SELECT code, claim_id, key_id, payload, signature, revoked_us FROM certificates"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                certificates++;
                var (code, claim) = (r.GetString(0), r.GetInt64(1));
                certified.Add(claim);
                var envelope = new CertificateEnvelope(CertificatePayload.CurrentFormat, r.GetString(2), CertificateEnvelope.Es256, r.GetString(3), r.GetString(4));
                var check = CertificateSigning.Verify(CertificateSigning.Serialize(envelope), id => keys.GetValueOrDefault(id));
                if (!check.Valid)
                {
                    problems.Add($"certificate {code}: {check.Problem!.Value.Code()}: {check.Detail}");
                    continue;
                }

                var payload = check.Payload!;
                if (payload.Code != code || payload.ClaimId != claim) problems.Add($"certificate {code}: its payload names {payload.Code} of claim {payload.ClaimId}");
                var state = claims.TryGetValue(claim, out var c) ? c.State : null;
                var revoked = !r.IsDBNull(5);
                if (state != (revoked ? "revoked" : "certified")) problems.Add($"certificate {code}: {(revoked ? "revoked" : "standing")}, but its claim is {state ?? "missing"}");
                var stated = payload.Retirements.Select(x => x.Id).Order().ToList();
                var now = matched.TryGetValue(claim, out var set) ? set.ToList() : [];
                if (!stated.SequenceEqual(now)) problems.Add($"certificate {code}: it names retirements {string.Join(",", stated)}, the claim holds {string.Join(",", now)}");
            }
        }

        foreach (var (claim, c) in claims.Where(c => c.Value.State is "certified" or "revoked" && !certified.Contains(c.Key)))
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"claim {claim}: {c.State} without a certificate"));
        return (matches, certificates);
    }
}
