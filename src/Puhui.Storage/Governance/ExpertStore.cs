using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Puhui.Governance;
using Puhui.Ledger;
using Puhui.Storage.Ledger;

namespace Puhui.Storage.Governance;

public enum ExpertWriteStatus
{
    Done,
    NotFound,

    /// <summary>The expert, the conflict or the change breaks a rule; see the problem.</summary>
    Invalid,
}

/// <param name="Expert">The expert after the change; the expert as it stands when refused and known; null when not found.</param>
/// <param name="Problem">Why it was refused, for people; null when done.</param>
public sealed record ExpertWrite(ExpertWriteStatus Status, Expert? Expert, string? Problem);

/// <summary>One recorded change of an expert.</summary>
/// <param name="Kind"><c>added</c>, <c>status</c> or <c>conflict</c>.</param>
/// <param name="Detail">The change as JSON: the new expert, <c>{"from":…,"to":…}</c>, or the declared conflict.</param>
public sealed record ExpertEvent(int Revision, string Kind, string Detail, string Actor, string Comment, DateTimeOffset At);

/// <summary>
/// The expert pool (专家库, NJ 2, SZ 6): the administrator adds experts, activates and deactivates them, and
/// records conflicts of interest, which experts may also declare themselves. Every change is appended to
/// <c>expert_events</c> with its actor and time; panels are drawn from the pool by <see cref="PanelDraws"/>.
/// </summary>
public sealed class ExpertStore(LedgerStore store, TimeProvider time)
{
    public const int CommentLengthMax = 1_000;

    /// <summary>The columns <see cref="Read"/> reads, in its order.</summary>
    private const string Select = "SELECT id, name, organisation, organisation_account, fields, title, status, conflicts, revision FROM experts";

    /// <summary>Adds an active expert with no conflicts declared.</summary>
    public async Task<ExpertWrite> AddAsync(NewExpert expert, string actor, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(expert);
        CheckActor(actor);
        if (expert.Problem() is { } problem) return new(ExpertWriteStatus.Invalid, null, problem);
        if (expert.OrganisationAccount is { } account && await OrganisationProblemAsync("organisationAccount", account, ct) is { } accountProblem)
            return new(ExpertWriteStatus.Invalid, null, accountProblem);

        var now = Now();
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var count = Sql.Command(connection, tx, "SELECT COUNT(*) FROM experts"))
        {
            if (Convert.ToInt64(await count.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture) >= ExpertRules.PoolMax)
                return new(ExpertWriteStatus.Invalid, null, $"the pool holds at most {ExpertRules.PoolMax} experts; deactivated ones count");
        }

        long id;
        await using (var insert = Sql.Command(connection, tx,
            "INSERT INTO experts (name, organisation, organisation_account, fields, title, status, conflicts, revision, created_us, updated_us) "
            + "VALUES (@name, @org, @account, @fields, @title, @status, @conflicts, 1, @now, @now) RETURNING id")
            .With("@name", expert.Name).With("@org", expert.Organisation).With("@account", expert.OrganisationAccount).With("@fields", Fields(expert.Fields))
            .With("@title", expert.Title).With("@status", (int)ExpertStatus.Active).With("@conflicts", Conflicts([])).With("@now", now))
            id = Convert.ToInt64(await insert.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
        await RecordAsync(connection, tx, id, 1, "added", JsonSerializer.Serialize(expert, ExpertJson.Default.NewExpert), actor, "", now, ct);
        await tx.CommitAsync(ct);
        return new(ExpertWriteStatus.Done, await GetAsync(id, ct), null);
    }

    /// <summary>Activates or deactivates an expert without a comment.</summary>
    public Task<ExpertWrite> SetStatusAsync(long id, ExpertStatus status, string actor, CancellationToken ct) => SetStatusAsync(id, status, actor, null, ct);

    /// <summary>Activates or deactivates an expert; an inactive expert is never drawn. Setting the status it already has is refused.</summary>
    public async Task<ExpertWrite> SetStatusAsync(long id, ExpertStatus status, string actor, string? comment = null, CancellationToken ct = default)
    {
        CheckActor(actor);
        if (!Enum.IsDefined(status)) return new(ExpertWriteStatus.Invalid, null, "status must be active or inactive");
        if (comment is { Length: > CommentLengthMax }) return new(ExpertWriteStatus.Invalid, null, $"comment must be at most {CommentLengthMax} characters");
        while (true)
        {
            var (expert, revision) = await GetWithRevisionAsync(id, ct);
            if (expert is null) return new(ExpertWriteStatus.NotFound, null, $"expert {id} does not exist");
            if (expert.Status == status) return new(ExpertWriteStatus.Invalid, expert, $"expert {id} is already {Code(status)}");
            var change = JsonSerializer.Serialize(new StatusChange(Code(expert.Status), Code(status)), ExpertJson.Default.StatusChange);
            if (await UpdateAsync(id, revision, "status = @status", cmd => cmd.With("@status", (int)status), "status", change, actor, comment ?? "", ct))
                return new(ExpertWriteStatus.Done, await GetAsync(id, ct), null);
            // Someone else changed the expert since we read it: decide again on what it is now.
        }
    }

    /// <summary>
    /// Records a conflict of interest with an organisation. A second declaration for the same organisation
    /// (<see cref="ExpertRules.SameOrganisation"/>) is refused; a declaration is never withdrawn.
    /// </summary>
    public async Task<ExpertWrite> DeclareConflictAsync(long id, ExpertConflict conflict, string actor, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(conflict);
        CheckActor(actor);
        if (conflict.Problem() is { } problem) return new(ExpertWriteStatus.Invalid, null, problem);
        if (conflict.Account is { } account && await OrganisationProblemAsync("account", account, ct) is { } accountProblem)
            return new(ExpertWriteStatus.Invalid, null, accountProblem);
        while (true)
        {
            var (expert, revision) = await GetWithRevisionAsync(id, ct);
            if (expert is null) return new(ExpertWriteStatus.NotFound, null, $"expert {id} does not exist");
            if (expert.Conflicts.Count >= ExpertRules.ConflictsMax)
                return new(ExpertWriteStatus.Invalid, expert, $"expert {id} has declared the most conflicts an expert may, {ExpertRules.ConflictsMax}");
            if (expert.Conflicts.FirstOrDefault(c => ExpertRules.SameOrganisation(c.Account, c.Organisation, conflict.Account, conflict.Organisation)) is { } declared)
                return new(ExpertWriteStatus.Invalid, expert, $"expert {id} has already declared a conflict with {declared.Organisation}");
            var conflicts = Conflicts([.. expert.Conflicts, conflict]);
            var change = JsonSerializer.Serialize(conflict, ExpertJson.Default.ExpertConflict);
            if (await UpdateAsync(id, revision, "conflicts = @conflicts", cmd => cmd.With("@conflicts", conflicts), "conflict", change, actor, "", ct))
                return new(ExpertWriteStatus.Done, await GetAsync(id, ct), null);
        }
    }

    public async Task<Expert?> GetAsync(long id, CancellationToken ct = default) => (await GetWithRevisionAsync(id, ct)).Expert;

    /// <summary>The whole pool, active and inactive, in id order (at most <see cref="ExpertRules.PoolMax"/>).</summary>
    public async Task<IReadOnlyList<Expert>> ListAsync(CancellationToken ct = default)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        return await ReadPoolAsync(connection, null, ct);
    }

    /// <summary>Every recorded change of an expert, in order.</summary>
    public async Task<IReadOnlyList<ExpertEvent>> GetEventsAsync(long id, CancellationToken ct = default)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null,
            "SELECT revision, kind, detail, actor, comment, at_us FROM expert_events WHERE expert_id = @id ORDER BY revision").With("@id", id);
        var list = new List<ExpertEvent>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(new(checked((int)r.GetInt64(0)), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(5))));
        return list;
    }

    /// <summary>The pool in id order, read inside the caller's transaction when it gives one.</summary>
    internal static async Task<IReadOnlyList<Expert>> ReadPoolAsync(DbConnection connection, DbTransaction? tx, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, tx, Select + " ORDER BY id LIMIT @limit").With("@limit", ExpertRules.PoolMax + 1);
        var list = new List<Expert>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(Read(r).Expert);
        if (list.Count > ExpertRules.PoolMax) throw new InvalidOperationException($"The expert pool holds more than {ExpertRules.PoolMax} experts.");
        return list;
    }

    private async Task<(Expert? Expert, int Revision)> GetWithRevisionAsync(long id, CancellationToken ct)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, Select + " WHERE id = @id").With("@id", id);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? Read(r) : (null, 0);
    }

    /// <summary>Applies <paramref name="set"/> when the expert is still at <paramref name="revision"/>, and records the change; false when it was not.</summary>
    private async Task<bool> UpdateAsync(long id, int revision, string set, Action<DbCommand> bind, string kind, string change, string actor, string comment, CancellationToken ct)
    {
        var now = Now();
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var cmd = Sql.Command(connection, tx, $"UPDATE experts SET {set}, revision = revision + 1, updated_us = @now WHERE id = @id AND revision = @rev")
            .With("@now", now).With("@id", id).With("@rev", revision))
        {
            bind(cmd);
            if (await cmd.ExecuteNonQueryAsync(ct) == 0) return false;
        }

        await RecordAsync(connection, tx, id, checked(revision + 1), kind, change, actor, comment, now, ct);
        await tx.CommitAsync(ct);
        return true;
    }

    private static async Task RecordAsync(DbConnection connection, DbTransaction tx, long id, int revision, string kind, string detail, string actor, string comment, long at,
        CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, tx,
            "INSERT INTO expert_events (expert_id, revision, kind, detail, actor, comment, at_us) VALUES (@id, @rev, @kind, @detail, @actor, @comment, @at)")
            .With("@id", id).With("@rev", revision).With("@kind", kind).With("@detail", detail).With("@actor", actor).With("@comment", comment).With("@at", at);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>An account an expert or a conflict names must be an organisation's.</summary>
    private async Task<string?> OrganisationProblemAsync(string member, long account, CancellationToken ct)
    {
        var found = await store.FindAccountAsync(new AccountId(account), ct);
        if (found is null) return $"{member}: account {account} does not exist";
        return found.Kind == AccountKind.Organisation ? null : $"{member}: account {account} is not an organisation's";
    }

    private static (Expert Expert, int Revision) Read(DbDataReader r)
    {
        var expert = new Expert(
            r.GetInt64(0),
            r.GetString(1),
            r.GetString(2),
            r.IsDBNull(3) ? null : r.GetInt64(3),
            JsonSerializer.Deserialize(r.GetString(4), ExpertJson.Default.ListString) ?? throw new InvalidOperationException("An expert's fields are empty."),
            r.GetString(5),
            (ExpertStatus)r.GetInt64(6),
            JsonSerializer.Deserialize(r.GetString(7), ExpertJson.Default.ListExpertConflict) ?? throw new InvalidOperationException("An expert's conflicts are empty."));
        return (expert, checked((int)r.GetInt64(8)));
    }

    public static string Code(ExpertStatus status) => status switch
    {
        ExpertStatus.Active => "active",
        ExpertStatus.Inactive => "inactive",
        _ => "unknown",
    };

    public static ExpertStatus? ParseStatus(string? code) => code switch
    {
        "active" => ExpertStatus.Active,
        "inactive" => ExpertStatus.Inactive,
        _ => null,
    };

    private static void CheckActor(string actor) => ArgumentException.ThrowIfNullOrWhiteSpace(actor);

    private static string Fields(IReadOnlyList<string> fields) => JsonSerializer.Serialize(fields.ToList(), ExpertJson.Default.ListString);

    private static string Conflicts(List<ExpertConflict> conflicts) => JsonSerializer.Serialize(conflicts, ExpertJson.Default.ListExpertConflict);

    private long Now() => CanonicalEncoding.ToUnixMicroseconds(time.GetUtcNow());

}

/// <summary>A status change as <c>expert_events</c> records it.</summary>
internal sealed record StatusChange(string From, string To);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(NewExpert))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(List<ExpertConflict>))]
[JsonSerializable(typeof(ExpertConflict))]
[JsonSerializable(typeof(StatusChange))]
[JsonSerializable(typeof(PanelDrawRecord))]
internal sealed partial class ExpertJson : JsonSerializerContext;
