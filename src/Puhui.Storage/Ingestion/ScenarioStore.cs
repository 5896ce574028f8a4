using System.Collections.Concurrent;
using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Serialization;
using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Methodologies;
using Puhui.Storage.Ledger;
using Puhui.Storage.Methodologies;

namespace Puhui.Storage.Ingestion;

/// <summary>A scenario as the store holds it.</summary>
public sealed record Scenario(
    long Id,
    AccountId Operator,
    ScenarioDefinition Definition,
    ScenarioStatus Status,
    int Revision,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public string Code => Definition.Code;
}

/// <summary>One recorded decision on a scenario.</summary>
public sealed record ScenarioDecisionRecord(int Revision, ScenarioStatus From, ScenarioStatus To, string Actor, string Comment, DateTimeOffset At);

public enum ScenarioRegistrationStatus
{
    Registered,

    /// <summary>Another scenario holds the code.</summary>
    CodeTaken,

    /// <summary>The account is not an organisation with the operator role.</summary>
    NotOperator,

    /// <summary>The methodology version is not in the store.</summary>
    UnknownMethodology,

    /// <summary>The definition breaks a rule; see the problem.</summary>
    Invalid,
}

public sealed record ScenarioRegistration(ScenarioRegistrationStatus Status, Scenario? Scenario, string? Problem);

public enum ScenarioDecisionStatus
{
    Decided,
    NotFound,

    /// <summary>The decision is not allowed from the scenario's current status.</summary>
    NotAllowed,
}

public sealed record ScenarioDecisionResult(ScenarioDecisionStatus Status, Scenario? Scenario, string? Problem);

/// <summary>
/// Scenarios (减排场景): registered by operators, decided by an administrator, read by ingestion. A scenario's
/// definition never changes once registered; its status does, and every change is recorded with its actor.
/// </summary>
public sealed class ScenarioStore(LedgerStore store, TimeProvider? time = null)
{
    public const int CommentLengthMax = 1_000;

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly MethodologyStore _methodologies = new(store.Dialect, time);

    // Compiled rules per scenario id: definitions are immutable, so an entry never goes stale.
    private readonly ConcurrentDictionary<long, ScenarioRules> _rules = new();

    public async Task<ScenarioRegistration> RegisterAsync(AccountId operatorAccount, ScenarioDefinition definition, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var account = await store.FindAccountAsync(operatorAccount, ct);
        if (account is not { Kind: AccountKind.Organisation } || !account.Roles.HasFlag(OrganisationRoles.Operator))
            return new(ScenarioRegistrationStatus.NotOperator, null, $"account {operatorAccount} is not an operator organisation");

        Methodology? methodology = null;
        if (definition.HasMethodology)
        {
            if (string.IsNullOrEmpty(definition.MethodologyVersion))
                return new(ScenarioRegistrationStatus.Invalid, null, "methodologyVersion is required with methodologyId");
            var stored = await _methodologies.GetAsync(definition.MethodologyId!, definition.MethodologyVersion, ct);
            if (stored is null)
                return new(ScenarioRegistrationStatus.UnknownMethodology, null, $"methodology {definition.MethodologyId} {definition.MethodologyVersion} is not in the store");
            methodology = stored.Load();
        }
        else if (!string.IsNullOrEmpty(definition.MethodologyVersion))
        {
            return new(ScenarioRegistrationStatus.Invalid, null, "methodologyVersion without methodologyId");
        }

        if (definition.Problem(methodology) is { } problem) return new(ScenarioRegistrationStatus.Invalid, null, problem);
        try
        {
            _ = new ScenarioRules(definition, methodology);
        }
        catch (MethodologyException e)
        {
            return new(ScenarioRegistrationStatus.Invalid, null, "pointsRule: " + e.Message);
        }

        var now = CanonicalEncoding.ToUnixMicroseconds(_time.GetUtcNow());
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (methodology is not null)
            await MethodologyStore.MarkUsedAsync(connection, tx, methodology.Id, methodology.Version, now, ct);
        await using (var insert = Sql.Command(connection, tx,
            "INSERT INTO scenarios (code, operator_id, methodology_id, methodology_version, definition, status, revision, created_us, updated_us) "
            + "VALUES (@code, @op, @mid, @mver, @def, @status, 0, @now, @now) ON CONFLICT (code) DO NOTHING")
            .With("@code", definition.Code).With("@op", operatorAccount.Value).With("@mid", definition.MethodologyId ?? "")
            .With("@mver", definition.MethodologyVersion ?? "").With("@def", JsonSerializer.Serialize(definition, ScenarioJson.Default.ScenarioDefinition))
            .With("@status", (int)ScenarioStatus.Applied).With("@now", now))
        {
            if (await insert.ExecuteNonQueryAsync(ct) == 0)
                return new(ScenarioRegistrationStatus.CodeTaken, null, $"scenario code {definition.Code} is taken");
        }

        await tx.CommitAsync(ct);
        return new(ScenarioRegistrationStatus.Registered, await GetAsync(definition.Code, ct), null);
    }

    /// <summary>Takes an administrator's decision on a scenario and records it with its actor and comment.</summary>
    public async Task<ScenarioDecisionResult> DecideAsync(string code, ScenarioDecision decision, string actor, string comment, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(actor);
        comment ??= "";
        if (comment.Length > CommentLengthMax) throw new ArgumentException($"A comment is at most {CommentLengthMax} characters.", nameof(comment));
        for (var attempt = 0; ; attempt++)
        {
            var current = await GetAsync(code, ct);
            if (current is null) return new(ScenarioDecisionStatus.NotFound, null, $"scenario {code} does not exist");
            if (ScenarioLifecycle.Apply(current.Status, decision) is not { } next)
                return new(ScenarioDecisionStatus.NotAllowed, current, $"a {current.Status.Code()} scenario cannot be given the decision {decision.ToString().ToLowerInvariant()}");

            var now = CanonicalEncoding.ToUnixMicroseconds(_time.GetUtcNow());
            await using var connection = await store.Dialect.OpenAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(ct);
            // Compare-and-set on the revision: two administrators deciding at once cannot both move the same status.
            await using (var update = Sql.Command(connection, tx,
                "UPDATE scenarios SET status = @to, revision = revision + 1, updated_us = @now WHERE id = @id AND revision = @rev")
                .With("@to", (int)next).With("@now", now).With("@id", current.Id).With("@rev", current.Revision))
            {
                if (await update.ExecuteNonQueryAsync(ct) == 0)
                {
                    await tx.RollbackAsync(ct);
                    if (attempt < 8) continue;
                    throw new InvalidOperationException($"Scenario {code} keeps changing under concurrent decisions.");
                }
            }

            await using (var record = Sql.Command(connection, tx,
                "INSERT INTO scenario_decisions (scenario_id, revision, from_status, to_status, actor, comment, at_us) VALUES (@id, @rev, @from, @to, @actor, @comment, @now)")
                .With("@id", current.Id).With("@rev", current.Revision + 1).With("@from", (int)current.Status).With("@to", (int)next)
                .With("@actor", actor).With("@comment", comment).With("@now", now))
                await record.ExecuteNonQueryAsync(ct);
            await tx.CommitAsync(ct);
            return new(ScenarioDecisionStatus.Decided, await GetAsync(code, ct), null);
        }
    }

    public async Task<Scenario?> GetAsync(string code, CancellationToken ct = default)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, Select + " WHERE code = @code").With("@code", code);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    /// <summary>Scenarios by code, optionally only one operator's or only those in one status.</summary>
    public async Task<IReadOnlyList<Scenario>> ListAsync(AccountId? operatorAccount = null, ScenarioStatus? status = null, CancellationToken ct = default)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        var where = new List<string>();
        await using var cmd = Sql.Command(connection, null, "");
        if (operatorAccount is { } op) { where.Add("operator_id = @op"); cmd.With("@op", op.Value); }
        if (status is { } s) { where.Add("status = @status"); cmd.With("@status", (int)s); }
        cmd.CommandText = Select + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") + " ORDER BY code";
        var list = new List<Scenario>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(Read(reader));
        return list;
    }

    public async Task<IReadOnlyList<ScenarioDecisionRecord>> GetDecisionsAsync(long scenarioId, CancellationToken ct = default)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null,
            "SELECT revision, from_status, to_status, actor, comment, at_us FROM scenario_decisions WHERE scenario_id = @id ORDER BY revision").With("@id", scenarioId);
        var list = new List<ScenarioDecisionRecord>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(new((int)r.GetInt64(0), (ScenarioStatus)r.GetInt64(1), (ScenarioStatus)r.GetInt64(2), r.GetString(3), r.GetString(4), CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(5))));
        return list;
    }

    /// <summary>The compiled rules of a scenario; compiled once per scenario and process.</summary>
    public async Task<ScenarioRules> RulesAsync(Scenario scenario, CancellationToken ct = default)
    {
        if (_rules.TryGetValue(scenario.Id, out var rules)) return rules;
        Methodology? methodology = null;
        if (scenario.Definition.HasMethodology)
        {
            var stored = await _methodologies.GetAsync(scenario.Definition.MethodologyId!, scenario.Definition.MethodologyVersion!, ct)
                ?? throw new InvalidOperationException($"Scenario {scenario.Code} names methodology {scenario.Definition.MethodologyId} {scenario.Definition.MethodologyVersion}, which the store lost.");
            methodology = stored.Load();
        }

        return _rules.GetOrAdd(scenario.Id, new ScenarioRules(scenario.Definition, methodology));
    }

    /// <summary>The scenarios named by <paramref name="codes"/>, in one statement; codes the store does not hold are absent.</summary>
    internal static async Task<Dictionary<string, Scenario>> FindManyAsync(DbConnection connection, IReadOnlyList<string> codes, CancellationToken ct)
    {
        var found = new Dictionary<string, Scenario>(StringComparer.Ordinal);
        await Sql.LookupAsync(connection, null, Select, ["code"], codes, static (c, _) => c, r =>
        {
            var s = Read(r);
            found[s.Code] = s;
        }, ct);
        return found;
    }

    private const string Select = "SELECT id, operator_id, definition, status, revision, created_us, updated_us, code FROM scenarios";

    private static Scenario Read(DbDataReader r) => new(
        r.GetInt64(0),
        new AccountId(r.GetInt64(1)),
        JsonSerializer.Deserialize(r.GetString(2), ScenarioJson.Default.ScenarioDefinition)
            ?? throw new InvalidOperationException($"Scenario {r.GetInt64(0)} has no definition."),
        (ScenarioStatus)r.GetInt64(3),
        (int)r.GetInt64(4),
        CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(5)),
        CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(6)));
}

/// <summary>How scenario definitions are stored: camelCase JSON, nulls left out.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ScenarioDefinition))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
internal sealed partial class ScenarioJson : JsonSerializerContext;
