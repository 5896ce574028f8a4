using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Serialization;
using Puhui.Ledger;
using Puhui.Mall;
using Puhui.Storage.Ledger;

namespace Puhui.Storage.Mall;

/// <summary>An offer as the store holds it.</summary>
/// <param name="StockTotal">Units ever put on sale.</param>
/// <param name="StockLeft">Units still for sale: the total less redemptions that are not cancelled.</param>
public sealed record Offer(
    long Id,
    AccountId Provider,
    OfferDefinition Definition,
    BatchId? SinkBatch,
    OfferStatus Status,
    int StockTotal,
    int StockLeft,
    int Revision,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>One recorded status change of an offer.</summary>
public sealed record OfferEvent(int Revision, OfferStatus From, OfferStatus To, string Actor, string Comment, DateTimeOffset At);

public enum OfferWriteStatus
{
    Done,
    NotFound,

    /// <summary>The account is not an organisation with the provider role.</summary>
    NotProvider,

    /// <summary>The offer belongs to another provider.</summary>
    NotYours,

    /// <summary>The definition or the request breaks a rule; see the problem.</summary>
    Invalid,

    /// <summary>The action is not allowed from the offer's status, or not by this actor.</summary>
    NotAllowed,
}

public sealed record OfferWrite(OfferWriteStatus Status, Offer? Offer, string? Problem);

/// <summary>Which offers to list: keyset-paged by id, newest first.</summary>
public sealed record OfferQuery(AccountId? Provider = null, OfferStatus? Status = null, OfferKind? Kind = null, string? Region = null, long? Before = null, int Limit = 50)
{
    public const int LimitMax = 200;
}

public sealed record OfferPage(IReadOnlyList<Offer> Offers, long? NextBefore);

/// <summary>
/// The points mall's offers (JS 35–36): providers draft, publish, pause, resume, restock and end their own offers;
/// the administrator delists any. Every status change is recorded with its actor.
/// </summary>
public sealed class OfferStore(LedgerStore store, TimeProvider? time = null)
{
    public const int CommentLengthMax = 1_000;

    /// <summary>The columns <see cref="Read(DbDataReader, int)"/> reads, in its order.</summary>
    private static readonly string[] ColumnNames = ["id", "provider_id", "definition", "sink_batch_id", "status", "stock_total", "stock_left", "revision", "created_us", "updated_us"];

    private static readonly string Select = $"SELECT {string.Join(", ", ColumnNames)} FROM offers";

    /// <summary>The columns <see cref="Read(DbDataReader, int)"/> reads, qualified by a table alias.</summary>
    internal static string Columns(string alias) => string.Join(", ", ColumnNames.Select(c => $"{alias}.{c}"));

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Creates an offer in draft, owned by <paramref name="provider"/>.</summary>
    public async Task<OfferWrite> CreateAsync(AccountId provider, OfferDefinition definition, string actor, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var checkedDefinition = await CheckAsync(provider, definition, ct);
        if (checkedDefinition.Refusal is { } refusal) return refusal;
        var now = Now();
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        long id;
        await using (var cmd = Sql.Command(connection, tx,
            "INSERT INTO offers (provider_id, kind, definition, price, region, valid_from_us, valid_until_us, sink_batch_id, stock_total, stock_left, status, revision, created_us, updated_us) "
            + "VALUES (@p, @kind, @def, @price, @region, @from, @until, @sink, @stock, @stock, @status, 1, @now, @now) RETURNING id")
            .With("@p", provider.Value).With("@kind", (int)definition.Kind).With("@def", Serialize(definition)).With("@price", definition.Price)
            .With("@region", definition.Region).With("@from", CanonicalEncoding.ToUnixMicroseconds(definition.ValidFrom))
            .With("@until", CanonicalEncoding.ToUnixMicroseconds(definition.ValidUntil)).With("@sink", checkedDefinition.SinkBatch?.Value ?? 0L)
            .With("@stock", (long)definition.Stock).With("@status", (int)OfferStatus.Draft).With("@now", now))
            id = Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        await RecordAsync(connection, tx, id, 1, OfferStatus.Draft, OfferStatus.Draft, actor, "created", now, ct);
        await tx.CommitAsync(ct);
        return new OfferWrite(OfferWriteStatus.Done, await GetAsync(id, ct), null);
    }

    /// <summary>Replaces a draft's definition; once published an offer's terms are what persons redeemed under and never change.</summary>
    public async Task<OfferWrite> UpdateDraftAsync(long id, AccountId provider, OfferDefinition definition, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var offer = await GetAsync(id, ct);
        if (offer is null) return new(OfferWriteStatus.NotFound, null, $"offer {id} does not exist");
        if (offer.Provider != provider) return new(OfferWriteStatus.NotYours, null, $"offer {id} belongs to another provider");
        if (offer.Status != OfferStatus.Draft) return new(OfferWriteStatus.NotAllowed, offer, $"offer {id} is {offer.Status.Code()}: only drafts can be edited");
        var checkedDefinition = await CheckAsync(provider, definition, ct);
        if (checkedDefinition.Refusal is { } refusal) return refusal;
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null,
            "UPDATE offers SET kind = @kind, definition = @def, price = @price, region = @region, valid_from_us = @from, valid_until_us = @until, sink_batch_id = @sink, "
            + "stock_total = @stock, stock_left = @stock, updated_us = @now WHERE id = @id AND status = @draft")
            .With("@kind", (int)definition.Kind).With("@def", Serialize(definition)).With("@price", definition.Price).With("@region", definition.Region)
            .With("@from", CanonicalEncoding.ToUnixMicroseconds(definition.ValidFrom)).With("@until", CanonicalEncoding.ToUnixMicroseconds(definition.ValidUntil))
            .With("@sink", checkedDefinition.SinkBatch?.Value ?? 0L).With("@stock", (long)definition.Stock).With("@now", Now()).With("@id", id).With("@draft", (int)OfferStatus.Draft);
        if (await cmd.ExecuteNonQueryAsync(ct) == 0) return new(OfferWriteStatus.NotAllowed, await GetAsync(id, ct), $"offer {id} is no longer a draft");
        return new(OfferWriteStatus.Done, await GetAsync(id, ct), null);
    }

    /// <summary>Puts <paramref name="units"/> more on sale. Ended and delisted offers are not restocked.</summary>
    public async Task<OfferWrite> RestockAsync(long id, AccountId provider, int units, CancellationToken ct = default)
    {
        if (units is < 1 or > OfferDefinition.StockMax) return new(OfferWriteStatus.Invalid, null, $"units must be 1–{OfferDefinition.StockMax}");
        var offer = await GetAsync(id, ct);
        if (offer is null) return new(OfferWriteStatus.NotFound, null, $"offer {id} does not exist");
        if (offer.Provider != provider) return new(OfferWriteStatus.NotYours, null, $"offer {id} belongs to another provider");
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null,
            "UPDATE offers SET stock_total = stock_total + @n, stock_left = stock_left + @n, updated_us = @now WHERE id = @id AND status IN (@draft, @onSale, @paused) AND stock_total + @n <= @max")
            .With("@n", (long)units).With("@now", Now()).With("@id", id).With("@draft", (int)OfferStatus.Draft).With("@onSale", (int)OfferStatus.OnSale)
            .With("@paused", (int)OfferStatus.Paused).With("@max", (long)OfferDefinition.StockMax);
        if (await cmd.ExecuteNonQueryAsync(ct) == 0)
        {
            offer = await GetAsync(id, ct);
            return offer!.Status is OfferStatus.Ended or OfferStatus.Delisted
                ? new(OfferWriteStatus.NotAllowed, offer, $"offer {id} is {offer.Status.Code()} and cannot be restocked")
                : new(OfferWriteStatus.Invalid, offer, $"an offer holds at most {OfferDefinition.StockMax} units in all");
        }

        return new(OfferWriteStatus.Done, await GetAsync(id, ct), null);
    }

    /// <summary>
    /// Takes <paramref name="action"/> on an offer. A provider acts only on its own offers and never delists;
    /// the administrator (<paramref name="provider"/> null) only delists.
    /// </summary>
    public async Task<OfferWrite> ActAsync(long id, AccountId? provider, OfferAction action, string actor, string? comment, CancellationToken ct = default)
    {
        if (comment is { Length: > CommentLengthMax }) return new(OfferWriteStatus.Invalid, null, $"comment must be at most {CommentLengthMax} characters");
        var offer = await GetAsync(id, ct);
        if (offer is null) return new(OfferWriteStatus.NotFound, null, $"offer {id} does not exist");
        if (provider is { } p && offer.Provider != p) return new(OfferWriteStatus.NotYours, null, $"offer {id} belongs to another provider");
        if (action.IsAdministrators() != provider is null)
            return new(OfferWriteStatus.NotAllowed, offer, action.IsAdministrators() ? "only the administrator delists an offer" : $"the administrator only delists; {action.Code()} is the provider's");
        if (OfferLifecycle.Apply(offer.Status, action) is not { } to)
        {
            var allowed = string.Join(", ", OfferLifecycle.AllowedFrom(offer.Status).Where(a => a.IsAdministrators() == provider is null).Select(a => a.Code()));
            return new(OfferWriteStatus.NotAllowed, offer, $"offer {id} is {offer.Status.Code()}: {action.Code()} is not allowed; allowed: {(allowed.Length == 0 ? "none" : allowed)}");
        }

        var now = Now();
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var cmd = Sql.Command(connection, tx,
            "UPDATE offers SET status = @to, revision = revision + 1, updated_us = @now WHERE id = @id AND revision = @rev")
            .With("@to", (int)to).With("@now", now).With("@id", id).With("@rev", offer.Revision))
        {
            // Someone else changed it since we read it: decide again on what it is now.
            if (await cmd.ExecuteNonQueryAsync(ct) == 0) return await ActAsync(id, provider, action, actor, comment, ct);
        }

        await RecordAsync(connection, tx, id, offer.Revision + 1, offer.Status, to, actor, comment ?? "", now, ct);
        await tx.CommitAsync(ct);
        return new(OfferWriteStatus.Done, await GetAsync(id, ct), null);
    }

    public async Task<Offer?> GetAsync(long id, CancellationToken ct = default)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        return await GetAsync(connection, null, id, ct);
    }

    internal static async Task<Offer?> GetAsync(DbConnection connection, DbTransaction? tx, long id, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, tx, Select + " WHERE id = @id").With("@id", id);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? Read(r) : null;
    }

    public async Task<OfferPage> ListAsync(OfferQuery query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Limit is < 1 or > OfferQuery.LimitMax) throw new ArgumentOutOfRangeException(nameof(query), query.Limit, $"A page holds 1–{OfferQuery.LimitMax} offers.");
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, "");
        var where = new List<string>();
        if (query.Provider is { } p) { where.Add("provider_id = @p"); cmd.With("@p", p.Value); }
        if (query.Status is { } s) { where.Add("status = @s"); cmd.With("@s", (int)s); }
        if (query.Kind is { } k) { where.Add("kind = @k"); cmd.With("@k", (int)k); }
        if (query.Region is { Length: > 0 } region) { where.Add("(region = @r OR region = '')"); cmd.With("@r", region); }
        if (query.Before is { } before) { where.Add("id < @before"); cmd.With("@before", before); }
        cmd.CommandText = Select + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") + " ORDER BY id DESC LIMIT @limit";
        cmd.With("@limit", query.Limit + 1);
        var list = new List<Offer>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(Read(r));
        if (list.Count <= query.Limit) return new OfferPage(list, null);
        list.RemoveAt(list.Count - 1);
        return new OfferPage(list, list[^1].Id);
    }

    public async Task<IReadOnlyList<OfferEvent>> GetEventsAsync(long id, CancellationToken ct = default)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null,
            "SELECT revision, from_status, to_status, actor, comment, at_us FROM offer_events WHERE offer_id = @id ORDER BY revision").With("@id", id);
        var list = new List<OfferEvent>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(new((int)r.GetInt64(0), (OfferStatus)r.GetInt64(1), (OfferStatus)r.GetInt64(2), r.GetString(3), r.GetString(4), CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(5))));
        return list;
    }

    private sealed record Checked(OfferWrite? Refusal, BatchId? SinkBatch);

    private async Task<Checked> CheckAsync(AccountId provider, OfferDefinition definition, CancellationToken ct)
    {
        var account = await store.FindAccountAsync(provider, ct);
        if (account is not { Kind: AccountKind.Organisation } || !account.Roles.HasFlag(OrganisationRoles.Provider))
            return new(new(OfferWriteStatus.NotProvider, null, $"account {provider} is not a provider organisation (a member of the rights alliance)"), null);
        if (definition.Problem() is { } problem) return new(new(OfferWriteStatus.Invalid, null, problem), null);
        if (!definition.IsSink) return new(null, null);
        var batch = await store.FindBatchByCodeAsync(definition.SinkBatch!, ct);
        if (batch is null) return new(new(OfferWriteStatus.Invalid, null, $"batch {definition.SinkBatch} does not exist"), null);
        if (batch.Origin == BatchOrigin.Scenario) return new(new(OfferWriteStatus.Invalid, null, $"batch {batch.Code} holds behaviour reductions; a sink offer retires a carbon-sink project's batch"), null);
        return new(null, batch.Id);
    }

    private static async Task RecordAsync(DbConnection connection, DbTransaction tx, long id, int revision, OfferStatus from, OfferStatus to, string actor, string comment, long at, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, tx,
            "INSERT INTO offer_events (offer_id, revision, from_status, to_status, actor, comment, at_us) VALUES (@id, @rev, @from, @to, @actor, @comment, @at)")
            .With("@id", id).With("@rev", revision).With("@from", (int)from).With("@to", (int)to).With("@actor", actor).With("@comment", comment).With("@at", at);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Reads an offer from the reader's columns starting at <paramref name="at"/>, in the order of <see cref="Columns"/>.</summary>
    internal static Offer Read(DbDataReader r, int at = 0)
    {
        var sink = r.GetInt64(at + 3);
        return new Offer(
            r.GetInt64(at),
            new AccountId(r.GetInt64(at + 1)),
            JsonSerializer.Deserialize(r.GetString(at + 2), OfferJson.Default.OfferDefinition) ?? throw new InvalidOperationException("An offer's definition is empty."),
            sink == 0 ? null : new BatchId(sink),
            (OfferStatus)r.GetInt64(at + 4),
            checked((int)r.GetInt64(at + 5)),
            checked((int)r.GetInt64(at + 6)),
            checked((int)r.GetInt64(at + 7)),
            CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(at + 8)),
            CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(at + 9)));
    }

    private static string Serialize(OfferDefinition definition) => JsonSerializer.Serialize(definition, OfferJson.Default.OfferDefinition);

    private long Now() => CanonicalEncoding.ToUnixMicroseconds(_time.GetUtcNow());
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(OfferDefinition))]
internal sealed partial class OfferJson : JsonSerializerContext;
