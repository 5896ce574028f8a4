using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Puhui.Holdings;
using Puhui.Ledger;
using Puhui.Storage.Ledger;

namespace Puhui.Storage.Holdings;

/// <summary>
/// Reductions in motion (DESIGN §4, §8): transfers between organisations, pledges to lenders, retirements with
/// purpose, beneficiary and serial ranges, and bridges out to other registries. Every write is one ledger transaction
/// appended with its rows in one database transaction under the ledger's write lock, so a serial cursor, a cap or a
/// holding read while deciding cannot change before the write. Each write is idempotent on the caller's request key
/// (per holder and kind of write): a retry returns the first result, the same key for another request is refused.
/// Expected refusals are <see cref="HoldingStatus"/> values, and a refusal changes nothing.
/// </summary>
public sealed class ReductionHoldings
{
    public const int RetirementPageMax = 200;
    public const int PledgeListMax = 1_000;

    /// <summary>Compliance years are counted in China Standard Time (UTC+8, no daylight saving).</summary>
    public static readonly TimeSpan ComplianceOffset = TimeSpan.FromHours(8);

    private const string KeyPrefix = "holdings:";
    private readonly LedgerStore _store;
    private readonly TimeProvider _time;

    public ReductionHoldings(LedgerStore store, TimeProvider time)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _time = time ?? throw new ArgumentNullException(nameof(time));
    }

    // ---- transfers ---------------------------------------------------------------------------------------

    /// <summary>Moves whole kilograms of a batch from one organisation's unlocked holding to another's.</summary>
    public async Task<HoldingResult<HoldingTransfer>> TransferAsync(AccountId from, AccountId to, BatchId batch, long grams, string requestKey, string actor,
        CancellationToken ct = default)
    {
        if (Problem(grams, requestKey, actor) is { } problem) return Refuse<HoldingTransfer>(HoldingStatus.Invalid, problem);
        if (from == to) return Refuse<HoldingTransfer>(HoldingStatus.Invalid, "转出方与转入方相同 / the holder cannot transfer to itself");
        if ((await OrganisationProblemAsync(from, "转出方 / the holder", ct) ?? await OrganisationProblemAsync(to, "转入方 / the recipient", ct)) is { } who)
            return Refuse<HoldingTransfer>(who.Status, who.Detail);
        if (await _store.FindBatchAsync(batch, ct) is null) return Refuse<HoldingTransfer>(HoldingStatus.NotFound, $"批次 {batch} 不存在 / batch {batch} does not exist");

        var hash = Hash("transfer", from, to, batch, grams);
        var unit = new Unit<HoldingTransfer>(
            async (connection, tx, token) =>
            {
                if (await ReplayAsync(connection, tx, "holding_transfers", "from_id", from, requestKey, hash, ReadTransferAsync, token) is { } replay) return (null, replay);
                if (await ShortfallAsync(connection, tx, from, batch, grams, token) is { } shortfall) return (null, Refuse<HoldingTransfer>(HoldingStatus.InsufficientHolding, shortfall));
                var builder = new TransactionBuilder(TransactionKind.Transfer, Key("transfer", from, requestKey), _time.GetUtcNow(), actor) { Reference = "transfer:" + batch };
                builder.MoveGrams(from, to, batch, new Grams(grams));
                return (builder.Build(), null);
            },
            async (connection, tx, appended, token) =>
            {
                var at = appended.Transaction.OccurredAt;
                await using var insert = Sql.Command(connection, tx, """
                    INSERT INTO holding_transfers (from_id, request_key, request_hash, to_id, batch_id, grams, tx_id, actor, at_us)
                    VALUES (@from, @key, @hash, @to, @batch, @grams, @tx, @actor, @at) RETURNING id
                    """).With("@from", from.Value).With("@key", requestKey).With("@hash", hash).With("@to", to.Value).With("@batch", batch.Value).With("@grams", grams)
                    .With("@tx", appended.Transaction.Id.ToString()).With("@actor", actor).With("@at", CanonicalEncoding.ToUnixMicroseconds(at));
                var id = Convert.ToInt64(await insert.ExecuteScalarAsync(token), CultureInfo.InvariantCulture);
                return new HoldingTransfer(id, from, to, batch, grams, requestKey, appended.Transaction.Id.ToString(), actor, at);
            });
        return await RunAsync(unit, ct);
    }

    public async Task<IReadOnlyList<HoldingTransfer>> TransfersAsync(AccountId account, CancellationToken ct = default)
    {
        await using var connection = await _store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, TransferSelect + " WHERE from_id = @a OR to_id = @a ORDER BY id").With("@a", account.Value);
        var list = new List<HoldingTransfer>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(ReadTransfer(r));
        return list;
    }

    private const string TransferSelect = "SELECT id, from_id, to_id, batch_id, grams, request_key, tx_id, actor, at_us FROM holding_transfers";

    private static HoldingTransfer ReadTransfer(DbDataReader r) => new(r.GetInt64(0), new AccountId(r.GetInt64(1)), new AccountId(r.GetInt64(2)), new BatchId(r.GetInt64(3)),
        r.GetInt64(4), r.GetString(5), r.GetString(6), r.GetString(7), CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(8)));

    private static async Task<HoldingTransfer?> ReadTransferAsync(DbConnection connection, DbTransaction? tx, long id, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, tx, TransferSelect + " WHERE id = @id").With("@id", id);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? ReadTransfer(r) : null;
    }

    // ---- pledges -----------------------------------------------------------------------------------------

    /// <summary>Locks whole kilograms of the holder's batch in <c>sys:pledged</c> for a lender (SH 15, JL 3).</summary>
    public async Task<HoldingResult<Pledge>> PledgeAsync(AccountId holder, AccountId lender, BatchId batch, long grams, string requestKey, string actor,
        CancellationToken ct = default)
    {
        if (Problem(grams, requestKey, actor) is { } problem) return Refuse<Pledge>(HoldingStatus.Invalid, problem);
        if (holder == lender) return Refuse<Pledge>(HoldingStatus.Invalid, "出质人与质权人相同 / the holder cannot pledge to itself");
        if ((await OrganisationProblemAsync(holder, "出质人 / the holder", ct) ?? await OrganisationProblemAsync(lender, "质权人 / the lender", ct)) is { } who)
            return Refuse<Pledge>(who.Status, who.Detail);
        if (await _store.FindBatchAsync(batch, ct) is null) return Refuse<Pledge>(HoldingStatus.NotFound, $"批次 {batch} 不存在 / batch {batch} does not exist");
        var pledged = await _store.SystemAccountAsync(SystemAccounts.Pledged, ct);

        var hash = Hash("pledge", holder, lender, batch, grams);
        var unit = new Unit<Pledge>(
            async (connection, tx, token) =>
            {
                if (await ReplayAsync(connection, tx, "pledges", "holder_id", holder, requestKey, hash, ReadPledgeAsync, token) is { } replay) return (null, replay);
                if (await ShortfallAsync(connection, tx, holder, batch, grams, token) is { } shortfall) return (null, Refuse<Pledge>(HoldingStatus.InsufficientHolding, shortfall));
                var builder = new TransactionBuilder(TransactionKind.Pledge, Key("pledge", holder, requestKey), _time.GetUtcNow(), actor)
                {
                    Reference = "pledge:lender:" + lender,
                };
                builder.MoveGrams(holder, pledged, batch, new Grams(grams));
                return (builder.Build(), null);
            },
            async (connection, tx, appended, token) =>
            {
                await using var insert = Sql.Command(connection, tx, """
                    INSERT INTO pledges (holder_id, request_key, request_hash, lender_id, batch_id, grams, status, tx_id, actor, at_us)
                    VALUES (@holder, @key, @hash, @lender, @batch, @grams, 'open', @tx, @actor, @at) RETURNING id
                    """).With("@holder", holder.Value).With("@key", requestKey).With("@hash", hash).With("@lender", lender.Value).With("@batch", batch.Value)
                    .With("@grams", grams).With("@tx", appended.Transaction.Id.ToString()).With("@actor", actor)
                    .With("@at", CanonicalEncoding.ToUnixMicroseconds(appended.Transaction.OccurredAt));
                var id = Convert.ToInt64(await insert.ExecuteScalarAsync(token), CultureInfo.InvariantCulture);
                return (await ReadPledgeAsync(connection, tx, id, token))!;
            });
        return await RunAsync(unit, ct);
    }

    /// <summary>The lender releases an open pledge: its grams return to the holder (TransactionKind.Release). A retried release returns the first.</summary>
    public Task<HoldingResult<Pledge>> ReleaseAsync(long pledgeId, AccountId lender, string actor, CancellationToken ct = default)
        => ClosePledgeAsync(pledgeId, lender, actor, PledgeStatus.Released, ct);

    /// <summary>The lender enforces an open pledge: its grams pass to the lender. A retried enforcement returns the first.</summary>
    public Task<HoldingResult<Pledge>> EnforceAsync(long pledgeId, AccountId lender, string actor, CancellationToken ct = default)
        => ClosePledgeAsync(pledgeId, lender, actor, PledgeStatus.Enforced, ct);

    private async Task<HoldingResult<Pledge>> ClosePledgeAsync(long pledgeId, AccountId lender, string actor, PledgeStatus close, CancellationToken ct)
    {
        if (ActorProblem(actor) is { } problem) return Refuse<Pledge>(HoldingStatus.Invalid, problem);
        var pledgedAccount = await _store.SystemAccountAsync(SystemAccounts.Pledged, ct);
        var verb = close == PledgeStatus.Released ? "release" : "enforce";
        Pledge? pledge = null;
        var unit = new Unit<Pledge>(
            async (connection, tx, token) =>
            {
                pledge = await ReadPledgeAsync(connection, tx, pledgeId, token);
                if (pledge is null) return (null, Refuse<Pledge>(HoldingStatus.NotFound, $"质押 {pledgeId} 不存在 / pledge {pledgeId} does not exist"));
                if (pledge.Lender != lender) return (null, Refuse<Pledge>(HoldingStatus.NotLender, $"只有质权人可以{(close == PledgeStatus.Released ? "解押" : "处置")} / only the lender may {verb} pledge {pledgeId}"));
                if (pledge.Status == close) return (null, new HoldingResult<Pledge>(HoldingStatus.Replayed, pledge, null));
                if (pledge.Status != PledgeStatus.Open)
                    return (null, Refuse<Pledge>(HoldingStatus.NotOpen, $"质押已{(pledge.Status == PledgeStatus.Released ? "解除" : "处置")} / pledge {pledgeId} was {StatusCode(pledge.Status)} already"));
                var builder = new TransactionBuilder(close == PledgeStatus.Released ? TransactionKind.Release : TransactionKind.Transfer,
                    KeyPrefix + verb + ":pledge:" + pledgeId.ToString(CultureInfo.InvariantCulture), _time.GetUtcNow(), actor)
                {
                    Reference = verb + ":pledge:" + pledgeId.ToString(CultureInfo.InvariantCulture),
                };
                builder.MoveGrams(pledgedAccount, close == PledgeStatus.Released ? pledge.Holder : pledge.Lender, pledge.Batch, new Grams(pledge.Grams));
                return (builder.Build(), null);
            },
            async (connection, tx, appended, token) =>
            {
                await using var update = Sql.Command(connection, tx, """
                    UPDATE pledges SET status = @status, closed_tx_id = @tx, closed_by = @actor, closed_us = @at WHERE id = @id AND status = 'open'
                    """).With("@status", StatusCode(close)).With("@tx", appended.Transaction.Id.ToString()).With("@actor", actor)
                    .With("@at", CanonicalEncoding.ToUnixMicroseconds(appended.Transaction.OccurredAt)).With("@id", pledgeId);
                if (await update.ExecuteNonQueryAsync(token) != 1) throw new InvalidOperationException($"Pledge {pledgeId} was decided open but is not.");
                return (await ReadPledgeAsync(connection, tx, pledgeId, token))!;
            });
        return await RunAsync(unit, ct);
    }

    /// <summary>Pledges the account gave or took (all when null), newest first, at most <see cref="PledgeListMax"/>.</summary>
    public async Task<IReadOnlyList<Pledge>> PledgesAsync(AccountId? account = null, PledgeStatus? status = null, CancellationToken ct = default)
    {
        await using var connection = await _store.Dialect.OpenAsync(ct);
        var where = new List<string>();
        await using var cmd = Sql.Command(connection, null, "");
        if (account is { } a)
        {
            where.Add("(holder_id = @a OR lender_id = @a)");
            cmd.With("@a", a.Value);
        }

        if (status is { } s)
        {
            where.Add("status = @s");
            cmd.With("@s", StatusCode(s));
        }

        cmd.CommandText = PledgeSelect + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") + " ORDER BY id DESC LIMIT "
            + PledgeListMax.ToString(CultureInfo.InvariantCulture);
        var list = new List<Pledge>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(ReadPledge(r));
        return list;
    }

    public async Task<Pledge?> GetPledgeAsync(long id, CancellationToken ct = default)
    {
        await using var connection = await _store.Dialect.OpenAsync(ct);
        return await ReadPledgeAsync(connection, null, id, ct);
    }

    private const string PledgeSelect = """
        SELECT id, holder_id, lender_id, batch_id, grams, status, request_key, tx_id, actor, at_us, closed_tx_id, closed_by, closed_us FROM pledges
        """;

    private static Pledge ReadPledge(DbDataReader r) => new(r.GetInt64(0), new AccountId(r.GetInt64(1)), new AccountId(r.GetInt64(2)), new BatchId(r.GetInt64(3)), r.GetInt64(4),
        ParseStatus(r.GetString(5)), r.GetString(6), r.GetString(7), r.GetString(8), CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(9)),
        r.IsDBNull(10) ? null : r.GetString(10), r.IsDBNull(11) ? null : r.GetString(11), r.IsDBNull(12) ? null : CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(12)));

    private static async Task<Pledge?> ReadPledgeAsync(DbConnection connection, DbTransaction? tx, long id, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, tx, PledgeSelect + " WHERE id = @id").With("@id", id);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? ReadPledge(r) : null;
    }

    private static string StatusCode(PledgeStatus status) => status switch
    {
        PledgeStatus.Open => "open",
        PledgeStatus.Released => "released",
        PledgeStatus.Enforced => "enforced",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown pledge status."),
    };

    private static PledgeStatus ParseStatus(string code) => code switch
    {
        "open" => PledgeStatus.Open,
        "released" => PledgeStatus.Released,
        "enforced" => PledgeStatus.Enforced,
        _ => throw new InvalidOperationException($"Unknown pledge status '{code}' in the store."),
    };

    // ---- retirements -------------------------------------------------------------------------------------

    /// <summary>
    /// Retires whole kilograms of the holder's batch for good (holder → <c>sys:retired</c>, TransactionKind.Retire),
    /// numbering them with the next serials of the batch's cursor. A compliance offset counts against the cap the
    /// administrator set for the holder as covered entity in the current year (UTC+8) and is refused beyond it, or
    /// when no cap was set.
    /// </summary>
    public Task<HoldingResult<Retirement>> RetireAsync(AccountId holder, BatchId batch, long grams, RetirementPurpose purpose, string beneficiary, string usingEntity,
        string reason, string jurisdiction, string requestKey, string actor, CancellationToken ct = default)
        => RetireAsync(holder, batch, grams, purpose, beneficiary, usingEntity, reason, jurisdiction, requestKey, actor, null, ct);

    /// <summary>
    /// As the public overload, with work of another feature done in the same database transaction: <paramref name="hook"/>
    /// may refuse before anything is written (a neutrality claim no longer open), and then records what the
    /// retirement is for (its match to the claim) before the commit.
    /// </summary>
    internal async Task<HoldingResult<Retirement>> RetireAsync(AccountId holder, BatchId batch, long grams, RetirementPurpose purpose, string beneficiary, string usingEntity,
        string reason, string jurisdiction, string requestKey, string actor, RetirementHook? hook, CancellationToken ct)
    {
        var problem = Problem(grams, requestKey, actor)
            ?? (Enum.IsDefined(purpose) ? null : "未知的注销用途 / unknown retirement purpose")
            ?? HoldingRules.TextProblem("beneficiary", beneficiary, HoldingRules.NameLengthMax, required: true)
            ?? HoldingRules.TextProblem("usingEntity", usingEntity, HoldingRules.NameLengthMax, required: true)
            ?? HoldingRules.TextProblem("reason", reason, HoldingRules.ReasonLengthMax, required: false)
            ?? HoldingRules.TextProblem("jurisdiction", jurisdiction, HoldingRules.JurisdictionLengthMax, required: false);
        if (problem is not null) return Refuse<Retirement>(HoldingStatus.Invalid, problem);
        if (await OrganisationProblemAsync(holder, "注销方 / the holder", ct) is { } who) return Refuse<Retirement>(who.Status, who.Detail);
        var found = await _store.FindBatchAsync(batch, ct);
        if (found is null) return Refuse<Retirement>(HoldingStatus.NotFound, $"批次 {batch} 不存在 / batch {batch} does not exist");
        var retired = await _store.SystemAccountAsync(SystemAccounts.Retired, ct);
        var region = SerialRange.RegionOf(found.Region);
        reason ??= "";
        jurisdiction ??= "";

        var hash = Hash("retire", holder, batch, grams, purpose.Code(), beneficiary, usingEntity, reason, jurisdiction);
        int? year = null;
        var unit = new Unit<Retirement>(
            async (connection, tx, token) =>
            {
                if (await ReplayAsync(connection, tx, "retirements", "holder_id", holder, requestKey, hash, ReadRetirementAsync, token) is { } replay) return (null, replay);
                if (hook is not null && await hook.CheckAsync(connection, tx, token) is { } refused) return (null, Refuse<Retirement>(refused.Status, refused.Detail));
                if (await ShortfallAsync(connection, tx, holder, batch, grams, token) is { } shortfall) return (null, Refuse<Retirement>(HoldingStatus.InsufficientHolding, shortfall));
                var now = _time.GetUtcNow();
                year = null;
                if (purpose == RetirementPurpose.ComplianceOffset)
                {
                    year = now.ToOffset(ComplianceOffset).Year;
                    if (await CapProblemAsync(connection, tx, year.Value, holder, grams, token) is { } over) return (null, Refuse<Retirement>(HoldingStatus.OverComplianceCap, over));
                }

                var builder = new TransactionBuilder(TransactionKind.Retire, Key("retire", holder, requestKey), now, actor) { Reference = "retire:" + purpose.Code() };
                builder.MoveGrams(holder, retired, batch, new Grams(grams));
                return (builder.Build(), null);
            },
            async (connection, tx, appended, token) =>
            {
                // Still under the ledger's write lock: nobody else reads or moves this cursor until the commit.
                long next;
                await using (var cursor = Sql.Command(connection, tx, "SELECT next_kg FROM serial_cursors WHERE batch_id = @b").With("@b", batch.Value))
                    next = await cursor.ExecuteScalarAsync(token) is { } v and not DBNull ? Convert.ToInt64(v, CultureInfo.InvariantCulture) : SerialCursor.First;
                var (from, to, after) = SerialCursor.Allocate(next, grams / HoldingRules.GramsPerKilogram);
                await using (var move = Sql.Command(connection, tx, """
                    INSERT INTO serial_cursors (batch_id, next_kg) VALUES (@b, @n) ON CONFLICT (batch_id) DO UPDATE SET next_kg = excluded.next_kg
                    """).With("@b", batch.Value).With("@n", after))
                    await move.ExecuteNonQueryAsync(token);

                await using var insert = Sql.Command(connection, tx, """
                    INSERT INTO retirements (holder_id, request_key, request_hash, batch_id, grams, purpose, beneficiary, using_entity, reason, jurisdiction, compliance_year,
                        serial_region, serial_from, serial_to, tx_id, actor, at_us)
                    VALUES (@holder, @key, @hash, @batch, @grams, @purpose, @beneficiary, @using, @reason, @jurisdiction, @year, @region, @from, @to, @tx, @actor, @at) RETURNING id
                    """).With("@holder", holder.Value).With("@key", requestKey).With("@hash", hash).With("@batch", batch.Value).With("@grams", grams)
                    .With("@purpose", purpose.Code()).With("@beneficiary", beneficiary).With("@using", usingEntity).With("@reason", reason).With("@jurisdiction", jurisdiction)
                    .With("@year", year).With("@region", region).With("@from", from).With("@to", to).With("@tx", appended.Transaction.Id.ToString()).With("@actor", actor)
                    .With("@at", CanonicalEncoding.ToUnixMicroseconds(appended.Transaction.OccurredAt));
                var id = Convert.ToInt64(await insert.ExecuteScalarAsync(token), CultureInfo.InvariantCulture);
                var done = (await ReadRetirementAsync(connection, tx, id, token))!;
                if (hook is not null) await hook.AfterAsync(connection, tx, done, token);
                return done;
            });
        return await RunAsync(unit, ct);
    }

    /// <summary>Why a compliance offset of <paramref name="grams"/> passes the entity's cap for the year, or null.</summary>
    private static async Task<string?> CapProblemAsync(DbConnection connection, DbTransaction tx, int year, AccountId entity, long grams, CancellationToken ct)
    {
        long? capKg = null;
        await using (var cap = Sql.Command(connection, tx, "SELECT kilograms FROM compliance_caps WHERE year = @y AND entity_id = @e").With("@y", year).With("@e", entity.Value))
        {
            if (await cap.ExecuteScalarAsync(ct) is { } v and not DBNull) capKg = Convert.ToInt64(v, CultureInfo.InvariantCulture);
        }

        if (capKg is null)
            return string.Create(CultureInfo.InvariantCulture, $"主管部门未公布 {year} 年该控排单位的抵消上限 / no compliance-offset cap is published for account {entity} in {year}");
        long usedGrams;
        await using (var used = Sql.Command(connection, tx, "SELECT COALESCE(SUM(grams), 0) FROM retirements WHERE holder_id = @e AND compliance_year = @y")
            .With("@e", entity.Value).With("@y", year))
            usedGrams = Convert.ToInt64(await used.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
        var capGrams = checked(capKg.Value * HoldingRules.GramsPerKilogram);
        return checked(usedGrams + grams) <= capGrams ? null
            : string.Create(CultureInfo.InvariantCulture,
                $"超过 {year} 年履约抵消上限 {capKg} 千克（已用 {usedGrams / HoldingRules.GramsPerKilogram} 千克）/ over the {year} compliance-offset cap of {capKg} kg for account {entity} ({usedGrams / HoldingRules.GramsPerKilogram} kg used)");
    }

    /// <summary>Sets (or replaces) the compliance-offset cap of a covered entity for a year, in kilograms (SZ 25).</summary>
    public async Task<HoldingResult<ComplianceCap>> SetComplianceCapAsync(int year, AccountId entity, long kilograms, string actor, CancellationToken ct = default)
    {
        if (year is < 2000 or > 9999) return Refuse<ComplianceCap>(HoldingStatus.Invalid, "year must be 2000–9999");
        if (kilograms < 0 || kilograms > HoldingRules.ComplianceCapKilogramsMax)
            return Refuse<ComplianceCap>(HoldingStatus.Invalid, string.Create(CultureInfo.InvariantCulture, $"the cap is 0–{HoldingRules.ComplianceCapKilogramsMax} kg"));
        if (ActorProblem(actor) is { } problem) return Refuse<ComplianceCap>(HoldingStatus.Invalid, problem);
        if (await OrganisationProblemAsync(entity, "控排单位 / the covered entity", ct) is { } who) return Refuse<ComplianceCap>(who.Status, who.Detail);
        var at = _time.GetUtcNow();
        await using var connection = await _store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, """
            INSERT INTO compliance_caps (year, entity_id, kilograms, actor, set_us) VALUES (@y, @e, @kg, @actor, @at)
            ON CONFLICT (year, entity_id) DO UPDATE SET kilograms = excluded.kilograms, actor = excluded.actor, set_us = excluded.set_us
            """).With("@y", year).With("@e", entity.Value).With("@kg", kilograms).With("@actor", actor).With("@at", CanonicalEncoding.ToUnixMicroseconds(at));
        await cmd.ExecuteNonQueryAsync(ct);
        return new HoldingResult<ComplianceCap>(HoldingStatus.Done, new ComplianceCap(year, entity, kilograms, actor, at), null);
    }

    /// <summary>Appends a note to a retirement; a retirement itself is never edited.</summary>
    public async Task<HoldingResult<RetirementNote>> NoteAsync(long retirementId, string text, string actor, CancellationToken ct = default)
    {
        if ((HoldingRules.TextProblem("text", text, HoldingRules.NoteLengthMax, required: true) ?? ActorProblem(actor)) is { } problem)
            return Refuse<RetirementNote>(HoldingStatus.Invalid, problem);
        var at = _time.GetUtcNow();
        await using var connection = await _store.Dialect.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var exists = Sql.Command(connection, tx, "SELECT id FROM retirements WHERE id = @id").With("@id", retirementId))
        {
            if (await exists.ExecuteScalarAsync(ct) is null)
                return Refuse<RetirementNote>(HoldingStatus.NotFound, $"注销记录 {retirementId} 不存在 / retirement {retirementId} does not exist");
        }

        await using var insert = Sql.Command(connection, tx, "INSERT INTO retirement_notes (retirement_id, text, actor, at_us) VALUES (@r, @text, @actor, @at) RETURNING id")
            .With("@r", retirementId).With("@text", text).With("@actor", actor).With("@at", CanonicalEncoding.ToUnixMicroseconds(at));
        var id = Convert.ToInt64(await insert.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
        await tx.CommitAsync(ct);
        return new HoldingResult<RetirementNote>(HoldingStatus.Done, new RetirementNote(id, retirementId, text, actor, at), null);
    }

    public async Task<Retirement?> GetRetirementAsync(long id, CancellationToken ct = default)
    {
        await using var connection = await _store.Dialect.OpenAsync(ct);
        return await ReadRetirementAsync(connection, null, id, ct);
    }

    /// <summary>Retirements by id, optionally of one holder or batch, after <paramref name="afterId"/>; at most <see cref="RetirementPageMax"/>.</summary>
    public async Task<RetirementPage> RetirementsAsync(AccountId? holder = null, BatchId? batch = null, long? afterId = null, int limit = 100, CancellationToken ct = default)
    {
        if (limit is < 1 or > RetirementPageMax) throw new ArgumentOutOfRangeException(nameof(limit), limit, $"A page holds 1–{RetirementPageMax} retirements.");
        await using var connection = await _store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, "");
        var where = new List<string> { "id > @after" };
        cmd.With("@after", afterId ?? 0);
        if (holder is { } h)
        {
            where.Add("holder_id = @h");
            cmd.With("@h", h.Value);
        }

        if (batch is { } b)
        {
            where.Add("batch_id = @b");
            cmd.With("@b", b.Value);
        }

        cmd.CommandText = RetirementSelect + " WHERE " + string.Join(" AND ", where) + " ORDER BY id LIMIT " + (limit + 1).ToString(CultureInfo.InvariantCulture);
        var list = new List<Retirement>();
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct)) list.Add(ReadRetirement(r, []));
        }

        var more = list.Count > limit;
        if (more) list.RemoveAt(list.Count - 1);
        var notes = await ReadNotesAsync(connection, null, list.Select(x => x.Id).ToList(), ct);
        var page = list.Select(x => x with { Notes = notes.GetValueOrDefault(x.Id) ?? [] }).ToList();
        return new RetirementPage(page, more ? page[^1].Id : null);
    }

    /// <summary>The retirement whose serial range contains a serial (<c>{region}-{batch}-{kg}</c>) or a whole range; null when none does.</summary>
    public async Task<Retirement?> FindSerialAsync(string serial, CancellationToken ct = default)
    {
        if (!SerialRange.TryParse(serial, out var range)) return null;
        await using var connection = await _store.Dialect.OpenAsync(ct);
        long? id;
        await using (var cmd = Sql.Command(connection, null, """
            SELECT id FROM retirements WHERE batch_id = @b AND serial_region = @region AND serial_from <= @from AND serial_to >= @to
            """).With("@b", range!.BatchId).With("@region", range.Region).With("@from", range.FromKg).With("@to", range.ToKg))
            id = await cmd.ExecuteScalarAsync(ct) is { } v and not DBNull ? Convert.ToInt64(v, CultureInfo.InvariantCulture) : null;
        return id is { } found ? await ReadRetirementAsync(connection, null, found, ct) : null;
    }

    private const string RetirementSelect = """
        SELECT id, holder_id, batch_id, grams, purpose, beneficiary, using_entity, reason, jurisdiction, compliance_year, serial_region, serial_from, serial_to,
            request_key, tx_id, actor, at_us FROM retirements
        """;

    private static Retirement ReadRetirement(DbDataReader r, IReadOnlyList<RetirementNote> notes)
    {
        if (!RetirementPurposes.TryParse(r.GetString(4), out var purpose)) throw new InvalidOperationException($"Unknown retirement purpose '{r.GetString(4)}' in the store.");
        var batch = r.GetInt64(2);
        return new Retirement(r.GetInt64(0), new AccountId(r.GetInt64(1)), new BatchId(batch), r.GetInt64(3), purpose, r.GetString(5), r.GetString(6), r.GetString(7),
            r.GetString(8), r.IsDBNull(9) ? null : Convert.ToInt32(r.GetValue(9), CultureInfo.InvariantCulture),
            [new SerialRange(r.GetString(10), batch, r.GetInt64(11), r.GetInt64(12))], r.GetString(13), r.GetString(14), r.GetString(15),
            CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(16)), notes);
    }

    internal static async Task<Retirement?> ReadRetirementAsync(DbConnection connection, DbTransaction? tx, long id, CancellationToken ct)
    {
        Retirement? retirement;
        await using (var cmd = Sql.Command(connection, tx, RetirementSelect + " WHERE id = @id").With("@id", id))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            retirement = await r.ReadAsync(ct) ? ReadRetirement(r, []) : null;
        if (retirement is null) return null;
        var notes = await ReadNotesAsync(connection, tx, [id], ct);
        return retirement with { Notes = notes.GetValueOrDefault(id) ?? [] };
    }

    private static async Task<Dictionary<long, List<RetirementNote>>> ReadNotesAsync(DbConnection connection, DbTransaction? tx, IReadOnlyList<long> ids, CancellationToken ct)
    {
        var notes = new Dictionary<long, List<RetirementNote>>();
        if (ids.Count == 0) return notes;
        await using var cmd = Sql.Command(connection, tx, "SELECT id, retirement_id, text, actor, at_us FROM retirement_notes WHERE retirement_id >= @lo AND retirement_id <= @hi ORDER BY id")
            .With("@lo", ids.Min()).With("@hi", ids.Max());
        var wanted = ids.ToHashSet();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var retirement = r.GetInt64(1);
            if (!wanted.Contains(retirement)) continue;
            if (!notes.TryGetValue(retirement, out var list)) notes[retirement] = list = [];
            list.Add(new RetirementNote(r.GetInt64(0), retirement, r.GetString(2), r.GetString(3), CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(4))));
        }

        return notes;
    }

    // ---- bridges -----------------------------------------------------------------------------------------

    /// <summary>Exports whole kilograms to another registry: holder → <c>sys:cancelled</c>, never to be used here again (NJ 12–13, SH 12–13).</summary>
    public async Task<HoldingResult<Bridge>> BridgeOutAsync(AccountId holder, BatchId batch, long grams, string destinationRegistry, string destinationReference,
        string requestKey, string actor, CancellationToken ct = default)
    {
        var problem = Problem(grams, requestKey, actor)
            ?? HoldingRules.TextProblem("destinationRegistry", destinationRegistry, HoldingRules.NameLengthMax, required: true)
            ?? HoldingRules.TextProblem("destinationReference", destinationReference, HoldingRules.ReferenceLengthMax, required: true);
        if (problem is not null) return Refuse<Bridge>(HoldingStatus.Invalid, problem);
        if (await OrganisationProblemAsync(holder, "转出方 / the holder", ct) is { } who) return Refuse<Bridge>(who.Status, who.Detail);
        if (await _store.FindBatchAsync(batch, ct) is null) return Refuse<Bridge>(HoldingStatus.NotFound, $"批次 {batch} 不存在 / batch {batch} does not exist");
        var cancelled = await _store.SystemAccountAsync(SystemAccounts.Cancelled, ct);

        var hash = Hash("bridge", holder, batch, grams, destinationRegistry, destinationReference);
        var unit = new Unit<Bridge>(
            async (connection, tx, token) =>
            {
                if (await ReplayAsync(connection, tx, "bridges", "holder_id", holder, requestKey, hash, ReadBridgeAsync, token) is { } replay) return (null, replay);
                if (await ShortfallAsync(connection, tx, holder, batch, grams, token) is { } shortfall) return (null, Refuse<Bridge>(HoldingStatus.InsufficientHolding, shortfall));
                var builder = new TransactionBuilder(TransactionKind.Transfer, Key("bridge", holder, requestKey), _time.GetUtcNow(), actor) { Reference = "bridge-out" };
                builder.MoveGrams(holder, cancelled, batch, new Grams(grams));
                return (builder.Build(), null);
            },
            async (connection, tx, appended, token) =>
            {
                await using var insert = Sql.Command(connection, tx, """
                    INSERT INTO bridges (holder_id, request_key, request_hash, batch_id, grams, destination_registry, destination_reference, tx_id, actor, at_us)
                    VALUES (@holder, @key, @hash, @batch, @grams, @registry, @reference, @tx, @actor, @at) RETURNING id
                    """).With("@holder", holder.Value).With("@key", requestKey).With("@hash", hash).With("@batch", batch.Value).With("@grams", grams)
                    .With("@registry", destinationRegistry).With("@reference", destinationReference).With("@tx", appended.Transaction.Id.ToString()).With("@actor", actor)
                    .With("@at", CanonicalEncoding.ToUnixMicroseconds(appended.Transaction.OccurredAt));
                var id = Convert.ToInt64(await insert.ExecuteScalarAsync(token), CultureInfo.InvariantCulture);
                return (await ReadBridgeAsync(connection, tx, id, token))!;
            });
        return await RunAsync(unit, ct);
    }

    public async Task<IReadOnlyList<Bridge>> BridgesAsync(AccountId? holder = null, CancellationToken ct = default)
    {
        await using var connection = await _store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, BridgeSelect + (holder is null ? "" : " WHERE holder_id = @h") + " ORDER BY id");
        if (holder is { } h) cmd.With("@h", h.Value);
        var list = new List<Bridge>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(ReadBridge(r));
        return list;
    }

    private const string BridgeSelect = "SELECT id, holder_id, batch_id, grams, destination_registry, destination_reference, request_key, tx_id, actor, at_us FROM bridges";

    private static Bridge ReadBridge(DbDataReader r) => new(r.GetInt64(0), new AccountId(r.GetInt64(1)), new BatchId(r.GetInt64(2)), r.GetInt64(3), r.GetString(4), r.GetString(5),
        r.GetString(6), r.GetString(7), r.GetString(8), CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(9)));

    private static async Task<Bridge?> ReadBridgeAsync(DbConnection connection, DbTransaction? tx, long id, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, tx, BridgeSelect + " WHERE id = @id").With("@id", id);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? ReadBridge(r) : null;
    }

    // ---- holdings ----------------------------------------------------------------------------------------

    /// <summary>Per batch, the grams the account holds and the grams of its own it has locked in open pledges.</summary>
    public async Task<IReadOnlyList<Holding>> HoldingsAsync(AccountId account, CancellationToken ct = default)
    {
        await using var connection = await _store.Dialect.OpenAsync(ct);
        var rows = new SortedDictionary<long, (long Held, long Pledged)>();
        await using (var held = Sql.Command(connection, null, "SELECT batch_id, SUM(amount) FROM balances WHERE account_id = @a AND asset = @co2 GROUP BY batch_id")
            .With("@a", account.Value).With("@co2", (int)Asset.Co2))
        await using (var r = await held.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct)) rows[r.GetInt64(0)] = (Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture), 0);
        }

        await using (var pledged = Sql.Command(connection, null, "SELECT batch_id, SUM(grams) FROM pledges WHERE holder_id = @a AND status = 'open' GROUP BY batch_id")
            .With("@a", account.Value))
        await using (var r = await pledged.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct)) rows[r.GetInt64(0)] = (rows.GetValueOrDefault(r.GetInt64(0)).Held, Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture));
        }

        var list = new List<Holding>();
        foreach (var (batch, (h, p)) in rows)
        {
            if (h == 0 && p == 0) continue;
            var found = await _store.FindBatchAsync(new BatchId(batch), ct);
            list.Add(new Holding(new BatchId(batch), found?.Code ?? "", h, p));
        }

        return list;
    }

    // ---- machinery ---------------------------------------------------------------------------------------

    private delegate Task<(Transaction? Transaction, HoldingResult<T>? Result)> Decide<T>(DbConnection connection, DbTransaction tx, CancellationToken ct)
        where T : class;

    private delegate Task<T> Complete<T>(DbConnection connection, DbTransaction tx, StoredTransactionView appended, CancellationToken ct)
        where T : class;

    /// <summary>The committed transaction a completion writes its rows for.</summary>
    private sealed record StoredTransactionView(Transaction Transaction);

    private sealed class Unit<T>(Decide<T> decide, Complete<T> complete) : LedgerStore.IAppendUnit
        where T : class
    {
        public HoldingResult<T>? Result { get; private set; }

        public async Task<IReadOnlyList<Transaction>> PrepareAsync(DbConnection connection, DbTransaction tx, CancellationToken ct)
        {
            Result = null;
            var (transaction, result) = await decide(connection, tx, ct);
            if (result is not null)
            {
                Result = result;
                return [];
            }

            return [transaction ?? throw new InvalidOperationException("A holdings write decided neither a transaction nor a refusal.")];
        }

        public async Task CompleteAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<AppendResult> results, CancellationToken ct)
        {
            if (results.Count == 0) return;
            var appended = results[0];
            Result = appended.Status switch
            {
                AppendStatus.Committed => new HoldingResult<T>(HoldingStatus.Done, await complete(connection, tx, new StoredTransactionView(appended.Transaction!.Transaction), ct), null),
                AppendStatus.InsufficientBalance => Refuse<T>(HoldingStatus.InsufficientHolding, appended.Detail ?? ""),
                // The unit read its rows under the lock before deciding: any other refusal means the store and its rows disagree.
                _ => throw new InvalidOperationException($"The ledger refused a holdings write the holdings decided ({appended.Status}): {appended.Detail}"),
            };
        }
    }

    private async Task<HoldingResult<T>> RunAsync<T>(Unit<T> unit, CancellationToken ct)
        where T : class
    {
        await _store.AppendWithinAsync(unit, ct);
        return unit.Result ?? throw new InvalidOperationException("A holdings write ended without a result.");
    }

    /// <summary>A replay of an earlier request under the same key, its conflict, or null when the key is new.</summary>
    private static async Task<HoldingResult<T>?> ReplayAsync<T>(DbConnection connection, DbTransaction tx, string table, string holderColumn, AccountId holder, string requestKey,
        string hash, Func<DbConnection, DbTransaction?, long, CancellationToken, Task<T?>> read, CancellationToken ct)
        where T : class
    {
        long id;
        string recorded;
        await using (var cmd = Sql.Command(connection, tx, $"SELECT id, request_hash FROM {table} WHERE {holderColumn} = @h AND request_key = @k")
            .With("@h", holder.Value).With("@k", requestKey))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            if (!await r.ReadAsync(ct)) return null;
            (id, recorded) = (r.GetInt64(0), r.GetString(1));
        }

        return recorded == hash
            ? new HoldingResult<T>(HoldingStatus.Replayed, await read(connection, tx, id, ct), null)
            : Refuse<T>(HoldingStatus.KeyConflict, $"请求键 {requestKey} 已用于另一请求 / request key {requestKey} was used for a different request");
    }

    /// <summary>Why the account's unlocked holding of the batch cannot cover the grams, or null. Pledged grams are not in it.</summary>
    private static async Task<string?> ShortfallAsync(DbConnection connection, DbTransaction tx, AccountId account, BatchId batch, long grams, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, tx, "SELECT COALESCE(SUM(amount), 0) FROM balances WHERE account_id = @a AND asset = @co2 AND batch_id = @b AND lot_id = 0")
            .With("@a", account.Value).With("@co2", (int)Asset.Co2).With("@b", batch.Value);
        var held = Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
        return held >= grams ? null
            : string.Create(CultureInfo.InvariantCulture, $"持有量不足：批次 {batch} 可用 {held} 克，需 {grams} 克 / account {account} holds {held} g of batch {batch} unlocked, not {grams} g");
    }

    private async Task<(HoldingStatus Status, string Detail)?> OrganisationProblemAsync(AccountId account, string role, CancellationToken ct)
    {
        var found = await _store.FindAccountAsync(account, ct);
        if (found is null) return (HoldingStatus.NotFound, $"{role} {account} 不存在 / account {account} does not exist");
        return found.Kind == AccountKind.Organisation ? null
            : (HoldingStatus.NotOrganisation, $"{role} {account} 不是机构：个人不持有项目减排量 / account {account} is not an organisation: persons never hold project batches");
    }

    private static string? Problem(long grams, string requestKey, string actor) => HoldingRules.AmountProblem(grams) ?? HoldingRules.RequestKeyProblem(requestKey) ?? ActorProblem(actor);

    private static string? ActorProblem(string actor)
        => string.IsNullOrWhiteSpace(actor) || actor.Length > Transaction.ActorLengthMax ? $"actor is 1–{Transaction.ActorLengthMax} characters" : null;

    private static string Key(string kind, AccountId holder, string requestKey) => KeyPrefix + kind + ":" + holder + ":" + requestKey;

    private static string Hash(params object[] fields)
    {
        var text = string.Join('\u001f', fields.Select(f => Convert.ToString(f, CultureInfo.InvariantCulture)));
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    private static HoldingResult<T> Refuse<T>(HoldingStatus status, string detail)
        where T : class => new(status, null, detail);
}

/// <summary>Work another feature does inside a retirement's transaction: a check before it is decided, and a record after it is written.</summary>
internal sealed record RetirementHook(
    Func<DbConnection, DbTransaction, CancellationToken, Task<(HoldingStatus Status, string Detail)?>> CheckAsync,
    Func<DbConnection, DbTransaction, Retirement, CancellationToken, Task> AfterAsync);
