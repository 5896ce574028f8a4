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
    DateTimeOffset UpdatedAt,
    long? ApplicationId = null)
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

/// <summary>
/// Scenarios (减排场景): applied for by operators through the governance workflow, which moves their status
/// (<see cref="Storage.Governance.ScenarioApplications"/>); read by ingestion. A scenario's definition never changes
/// once applied for; its status does, and every change is recorded with its actor.
/// </summary>
public sealed class ScenarioStore(LedgerStore store, TimeProvider? time = null)
{
    private readonly MethodologyStore _methodologies = new(store.Dialect, time);

    // Compiled rules per scenario id: definitions are immutable, so an entry never goes stale.
    private readonly ConcurrentDictionary<long, ScenarioRules> _rules = new();

    /// <summary>
    /// Checks a definition an operator applies with: the account is an operator, the methodology version is in the
    /// store and filed (not revised or withdrawn), and the rules compile. Registered means valid here; the scenario
    /// is stored by its governance application (<see cref="InsertWithinAsync"/>).
    /// </summary>
    public async Task<ScenarioRegistration> CheckAsync(AccountId operatorAccount, ScenarioDefinition definition, CancellationToken ct = default)
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
            if (stored.Standing != MethodologyStanding.Filed)
                return new(ScenarioRegistrationStatus.UnknownMethodology, null,
                    $"methodology {definition.MethodologyId} {definition.MethodologyVersion} is {StoredMethodology.Code(stored.Standing)}; apply with a filed version");
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

        if (await GetAsync(definition.Code, ct) is not null) return new(ScenarioRegistrationStatus.CodeTaken, null, $"scenario code {definition.Code} is taken");
        return new(ScenarioRegistrationStatus.Registered, null, null);
    }

    /// <summary>
    /// Stores a checked scenario, status applied, inside its application's transaction; false when the code was
    /// taken meanwhile. Freezes the methodology version it names.
    /// </summary>
    public static async Task<bool> InsertWithinAsync(DbConnection connection, DbTransaction tx, AccountId operatorAccount, ScenarioDefinition definition, long applicationId,
        long atMicroseconds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(definition);
        await using var insert = Sql.Command(connection, tx,
            "INSERT INTO scenarios (code, operator_id, methodology_id, methodology_version, definition, status, revision, created_us, updated_us, application_id) "
            + "VALUES (@code, @op, @mid, @mver, @def, @status, 0, @now, @now, @app) ON CONFLICT (code) DO NOTHING")
            .With("@code", definition.Code).With("@op", operatorAccount.Value).With("@mid", definition.MethodologyId ?? "")
            .With("@mver", definition.MethodologyVersion ?? "").With("@def", JsonSerializer.Serialize(definition, ScenarioJson.Default.ScenarioDefinition))
            .With("@status", (int)ScenarioStatus.Applied).With("@now", atMicroseconds).With("@app", applicationId);
        if (await insert.ExecuteNonQueryAsync(ct) == 0) return false;
        if (definition.HasMethodology)
            await MethodologyStore.MarkUsedAsync(connection, tx, definition.MethodologyId!, definition.MethodologyVersion!, atMicroseconds, ct);
        return true;
    }

    /// <summary>
    /// Moves the scenario of an application to <paramref name="to"/> inside the application's step, and records the
    /// change with its actor. False when no scenario belongs to the application.
    /// </summary>
    public static async Task<bool> SetStatusWithinAsync(DbConnection connection, DbTransaction tx, long applicationId, ScenarioStatus to, string actor, string comment,
        long atMicroseconds, CancellationToken ct)
    {
        long id;
        ScenarioStatus from;
        int revision;
        await using (var read = Sql.Command(connection, tx, "SELECT id, status, revision FROM scenarios WHERE application_id = @app").With("@app", applicationId))
        await using (var r = await read.ExecuteReaderAsync(ct))
        {
            if (!await r.ReadAsync(ct)) return false;
            (id, from, revision) = (r.GetInt64(0), (ScenarioStatus)r.GetInt64(1), (int)r.GetInt64(2));
        }

        if (from == to) return true;
        await using (var update = Sql.Command(connection, tx, "UPDATE scenarios SET status = @to, revision = revision + 1, updated_us = @now WHERE id = @id")
            .With("@to", (int)to).With("@now", atMicroseconds).With("@id", id))
            await update.ExecuteNonQueryAsync(ct);
        await using (var record = Sql.Command(connection, tx,
            "INSERT INTO scenario_decisions (scenario_id, revision, from_status, to_status, actor, comment, at_us) VALUES (@id, @rev, @from, @to, @actor, @comment, @now)")
            .With("@id", id).With("@rev", revision + 1).With("@from", (int)from).With("@to", (int)to).With("@actor", actor).With("@comment", comment).With("@now", atMicroseconds))
            await record.ExecuteNonQueryAsync(ct);
        return true;
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

    private const string Select = "SELECT id, operator_id, definition, status, revision, created_us, updated_us, code, application_id FROM scenarios";

    private static Scenario Read(DbDataReader r) => new(
        r.GetInt64(0),
        new AccountId(r.GetInt64(1)),
        JsonSerializer.Deserialize(r.GetString(2), ScenarioJson.Default.ScenarioDefinition)
            ?? throw new InvalidOperationException($"Scenario {r.GetInt64(0)} has no definition."),
        (ScenarioStatus)r.GetInt64(3),
        (int)r.GetInt64(4),
        CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(5)),
        CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(6)),
        r.IsDBNull(8) ? null : r.GetInt64(8));
}

/// <summary>How scenario definitions are stored: camelCase JSON, nulls left out.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ScenarioDefinition))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
internal sealed partial class ScenarioJson : JsonSerializerContext;
