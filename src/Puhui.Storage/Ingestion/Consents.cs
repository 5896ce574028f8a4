using System.Data.Common;
using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Storage.Ledger;

namespace Puhui.Storage.Ingestion;

/// <summary>
/// A person's consent to one scenario (SH 10: each scene separately; JS 25). It covers the records that occurred
/// from <see cref="GrantedAt"/> until <see cref="RevokedAt"/>, so a revoked consent still covers what happened
/// while it was active.
/// </summary>
public sealed record Consent(long Id, AccountId Person, long ScenarioId, string ScenarioCode, AccountId Operator, DateTimeOffset GrantedAt, DateTimeOffset? RevokedAt)
{
    public bool IsActiveAt(DateTimeOffset at) => GrantedAt <= at && (RevokedAt is not { } revoked || at < revoked);
}

public enum GrantOutcome
{
    Granted = 1,

    /// <summary>An active consent to the scenario already exists; it is returned.</summary>
    AlreadyActive = 2,

    UnknownScenario = 3,

    /// <summary>The person has no binding at the scenario's operator, so no record could ever reach them.</summary>
    NotBound = 4,

    /// <summary>The scenario was terminated or refused.</summary>
    ScenarioClosed = 5,
}

/// <param name="Consent">The new or the already active consent; null for the refusals.</param>
public sealed record GrantResult(GrantOutcome Outcome, Consent? Consent);

/// <summary>Persons' consents to scenarios, given and revoked in their accounts.</summary>
public sealed class Consents(LedgerStore store, TimeProvider time)
{
    /// <summary>The most consents <see cref="ListAsync"/> returns: the newest.</summary>
    public const int ListMax = 1_000;

    /// <summary>The most (account, scenario) pairs one <see cref="ResolveAsync"/> call looks up.</summary>
    public const int ResolvePairsMax = 10_000;

    public const int ScenarioCodeLengthMax = 64;

    private const string ConsentSelect = """
        SELECT c.id, c.account_id, c.scenario_id, s.code, s.operator_id, c.granted_us, c.revoked_us
        FROM consents c JOIN scenarios s ON s.id = c.scenario_id
        """;

    /// <summary>
    /// Gives the person's consent to a scenario, or returns the active one. Refused when the scenario is unknown,
    /// terminated or refused, or when the person is not bound at its operator. A scenario not yet running may be
    /// consented to, so records flow from its first day.
    /// </summary>
    public async Task<GrantResult> GrantAsync(AccountId person, string scenarioCode, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(scenarioCode) || scenarioCode.Length > ScenarioCodeLengthMax) return new GrantResult(GrantOutcome.UnknownScenario, null);
        var now = CanonicalEncoding.ToUnixMicroseconds(time.GetUtcNow());
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);

        long scenarioId, operatorId;
        ScenarioStatus status;
        await using (var find = Sql.Command(connection, tx, "SELECT id, operator_id, status FROM scenarios WHERE code = @c").With("@c", scenarioCode))
        await using (var r = await find.ExecuteReaderAsync(ct))
        {
            if (!await r.ReadAsync(ct)) return new GrantResult(GrantOutcome.UnknownScenario, null);
            (scenarioId, operatorId, status) = (r.GetInt64(0), r.GetInt64(1), (ScenarioStatus)r.GetInt64(2));
        }

        if (status.IsClosed()) return new GrantResult(GrantOutcome.ScenarioClosed, null);

        // A write that changes nothing: it proves the binding exists and locks its row, so that concurrent grants of
        // the same person at the same operator queue here and the second sees the first's consent, and an unbind
        // cannot slip in between.
        await using (var lockBinding = Sql.Command(connection, tx, "UPDATE bindings SET bound_us = bound_us WHERE operator_id = @o AND account_id = @p")
            .With("@o", operatorId).With("@p", person.Value))
        {
            if (await lockBinding.ExecuteNonQueryAsync(ct) == 0) return new GrantResult(GrantOutcome.NotBound, null);
        }

        await using (var active = Sql.Command(connection, tx, ConsentSelect + " WHERE c.account_id = @p AND c.scenario_id = @s AND c.revoked_us IS NULL ORDER BY c.id LIMIT 1")
            .With("@p", person.Value).With("@s", scenarioId))
        await using (var r = await active.ExecuteReaderAsync(ct))
        {
            if (await r.ReadAsync(ct)) return new GrantResult(GrantOutcome.AlreadyActive, ReadConsent(r));
        }

        long id;
        await using (var insert = Sql.Command(connection, tx, "INSERT INTO consents (account_id, scenario_id, granted_us) VALUES (@p, @s, @at) RETURNING id")
            .With("@p", person.Value).With("@s", scenarioId).With("@at", now))
            id = (long)(await insert.ExecuteScalarAsync(ct))!;
        await tx.CommitAsync(ct);
        return new GrantResult(GrantOutcome.Granted,
            new Consent(id, person, scenarioId, scenarioCode, new AccountId(operatorId), CanonicalEncoding.FromUnixMicroseconds(now), null));
    }

    /// <summary>Revokes one of the person's active consents from now on. False when it is not theirs or not active.</summary>
    public async Task<bool> RevokeAsync(AccountId person, long consentId, CancellationToken ct)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, "UPDATE consents SET revoked_us = @now WHERE id = @id AND account_id = @p AND revoked_us IS NULL")
            .With("@now", CanonicalEncoding.ToUnixMicroseconds(time.GetUtcNow())).With("@id", consentId).With("@p", person.Value);
        return await cmd.ExecuteNonQueryAsync(ct) > 0;
    }

    /// <summary>The person's consents, newest first, at most <see cref="ListMax"/>; revoked ones only when asked for.</summary>
    public async Task<IReadOnlyList<Consent>> ListAsync(AccountId person, bool includeRevoked, CancellationToken ct)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null,
            ConsentSelect + " WHERE c.account_id = @p" + (includeRevoked ? "" : " AND c.revoked_us IS NULL") + " ORDER BY c.granted_us DESC, c.id DESC LIMIT @n")
            .With("@p", person.Value).With("@n", ListMax);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<Consent>();
        while (await r.ReadAsync(ct)) list.Add(ReadConsent(r));
        return list;
    }

    /// <summary>
    /// Every consent interval (granted, revoked) of the given (account, scenario) pairs, in one statement; pairs
    /// without any consent are absent. For the ingestion hot path, with <see cref="CoversAt"/>.
    /// </summary>
    public async Task<IReadOnlyDictionary<(long Account, long Scenario), IReadOnlyList<(long GrantedUs, long? RevokedUs)>>> ResolveAsync(
        IReadOnlyCollection<(long Account, long Scenario)> pairs, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count > ResolvePairsMax) throw new ArgumentException($"At most {ResolvePairsMax} pairs are resolved at once.", nameof(pairs));
        var keys = pairs.Distinct().ToList();
        var found = new Dictionary<(long, long), List<(long, long?)>>(keys.Count);
        if (keys.Count > 0)
        {
            await using var connection = await store.Dialect.OpenAsync(ct);
            await Sql.LookupAsync(connection, null, "SELECT account_id, scenario_id, granted_us, revoked_us FROM consents", ["account_id", "scenario_id"], keys,
                (pair, column) => column == 0 ? pair.Account : pair.Scenario,
                r =>
                {
                    var key = (r.GetInt64(0), r.GetInt64(1));
                    if (!found.TryGetValue(key, out var list)) found[key] = list = [];
                    list.Add((r.GetInt64(2), r.IsDBNull(3) ? null : r.GetInt64(3)));
                }, ct);
        }

        return found.ToDictionary(e => e.Key, e => (IReadOnlyList<(long GrantedUs, long? RevokedUs)>)e.Value);
    }

    /// <summary>True when one of the intervals covers <paramref name="occurredUs"/>: granted at or before it, and not revoked by then.</summary>
    public static bool CoversAt(IReadOnlyList<(long GrantedUs, long? RevokedUs)> intervals, long occurredUs)
    {
        ArgumentNullException.ThrowIfNull(intervals);
        for (var i = 0; i < intervals.Count; i++)
        {
            var (granted, revoked) = intervals[i];
            if (granted <= occurredUs && (revoked is not { } r || occurredUs < r)) return true;
        }

        return false;
    }

    private static Consent ReadConsent(DbDataReader r) => new(
        r.GetInt64(0), new AccountId(r.GetInt64(1)), r.GetInt64(2), r.GetString(3), new AccountId(r.GetInt64(4)),
        CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(5)), r.IsDBNull(6) ? null : CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(6)));
}
