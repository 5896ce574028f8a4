using System.Data.Common;
using System.Globalization;
using Npgsql;
using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Mall;
using Puhui.Storage.Ledger;

namespace Puhui.Storage.Mall;

/// <summary>One redemption and its voucher, as the store holds it.</summary>
/// <param name="Grams">Reduction grams that passed from the person's lots to the provider (JS 37).</param>
/// <param name="SinkGrams">Carbon-sink grams retired in the person's name (sink offers, NJ annex 2).</param>
/// <param name="TransactionId">The Redeem transaction that paid for it.</param>
/// <param name="CancelTransactionId">The transaction that reversed it, once cancelled.</param>
public sealed record Redemption(
    long Id,
    AccountId Person,
    string RequestKey,
    long OfferId,
    AccountId Provider,
    long Points,
    long Grams,
    long SinkGrams,
    string TransactionId,
    string VoucherCode,
    VoucherStatus Status,
    DateTimeOffset RedeemedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? CancellableUntil,
    DateTimeOffset? UsedAt,
    string? UsedBy,
    DateTimeOffset? CancelledAt,
    string? CancelTransactionId)
{
    /// <summary>What the voucher's QR code carries.</summary>
    public string QrPayload => VoucherCodes.QrPayload(VoucherCode);
}

public enum MallOutcome
{
    /// <summary>Done now.</summary>
    Done,

    /// <summary>The same request was done before: its original result is returned.</summary>
    Replayed,

    /// <summary>Refused for a business reason; see <see cref="MallResult.Refusal"/>. Nothing changed.</summary>
    Refused,

    NotFound,

    /// <summary>The redemption, voucher or offer belongs to someone else. Nothing changed.</summary>
    NotYours,
}

public sealed record MallResult(MallOutcome Outcome, MallRefusal Refusal, Redemption? Redemption, string? Detail)
{
    public bool Succeeded => Outcome is MallOutcome.Done or MallOutcome.Replayed;
}

/// <summary>The mall's settings a policy profile sets (DESIGN §12).</summary>
/// <param name="Order">The order a redemption consumes lots in (JS 37: reduction-bearing first).</param>
public sealed record MallPolicy(LotOrder Order = LotOrder.ReductionBearingFirst)
{
    public static MallPolicy Default { get; } = new();

    /// <summary>The local calendar the lots' expiry days are counted in.</summary>
    public IngestionPolicy Days { get; init; } = IngestionPolicy.Default;
}

public sealed record RedemptionPage(IReadOnlyList<Redemption> Redemptions, long? NextBefore);

/// <summary>
/// The points mall's value side (JS 35–38, NJ 8–9): redemptions that consume a person's lots in the policy's order,
/// give the grams inside them to the provider, retire the points and take one unit of stock, all in one ledger
/// transaction; vouchers that the provider marks used or the person cancels within the offer's window, a
/// cancellation reversing the redemption exactly; and sink donations that retire reductions in the person's name.
/// </summary>
/// <remarks>
/// Every decision runs under the ledger's write lock, inside the append's database transaction
/// (<see cref="LedgerStore.AppendWithinAsync"/>): stock, limits, lots and voucher states are read and written in the
/// same transaction as the value moves, so concurrent redemptions of the last unit or the last points, on any number
/// of processes, can never oversell or overspend, and a redemption is never half done.
/// </remarks>
public sealed class PointsMall(LedgerStore store, TimeProvider? time = null, MallPolicy? policy = null)
{
    public const int RequestKeyLengthMax = 64;

    /// <summary>The retirement purpose of a sink donation (DESIGN §8: <c>Donation</c>), as its Redeem transaction's reference names it.</summary>
    public const string RetirementPurposeDonation = "Donation";
    public const int PageMax = 200;

    private const string Select = "SELECT id, account_id, request_key, offer_id, provider_id, points, grams, sink_grams, tx_id, voucher_code, status, "
        + "redeemed_us, expires_us, cancellable_us, used_us, used_by, cancelled_us, cancel_tx_id FROM redemptions";

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly MallPolicy _policy = policy ?? MallPolicy.Default;

    public MallPolicy Policy => _policy;

    /// <summary>
    /// Redeems one unit of an offer for <paramref name="person"/>. Idempotent on (person, <paramref name="requestKey"/>):
    /// a retried request returns the first redemption, whatever happened since.
    /// </summary>
    public async Task<MallResult> RedeemAsync(AccountId person, long offerId, string requestKey, string actor, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(requestKey) || requestKey.Length > RequestKeyLengthMax || requestKey.Any(char.IsControl))
            throw new ArgumentException($"A request key is 1–{RequestKeyLengthMax} printable characters.", nameof(requestKey));
        var account = await store.FindAccountAsync(person, ct);
        if (account is not { Kind: AccountKind.Person }) return new(MallOutcome.NotFound, MallRefusal.None, null, $"account {person} is not a person");
        var unit = new RedeemUnit(this, person, offerId, requestKey, actor, _time.GetUtcNow(), await HonourAccountsAsync(ct));
        await store.AppendWithinAsync(unit, ct);
        return unit.Result!;
    }

    /// <summary>Cancels an unused voucher within its offer's window, reversing the redemption exactly and restoring the stock.</summary>
    public async Task<MallResult> CancelAsync(AccountId person, long redemptionId, string actor, CancellationToken ct = default)
    {
        var redemption = await GetAsync(redemptionId, ct);
        if (redemption is null || redemption.Person != person) return new(MallOutcome.NotFound, MallRefusal.None, null, $"redemption {redemptionId} does not exist");
        var original = await store.GetTransactionByKeyAsync(RedeemKey(person, redemption.RequestKey), ct)
            ?? throw new InvalidOperationException($"Redemption {redemptionId} names transaction {redemption.TransactionId}, which the journal does not hold.");
        var unit = new CancelUnit(redemptionId, original.Transaction, actor, _time.GetUtcNow());
        await store.AppendWithinAsync(unit, ct);
        return unit.Result!;
    }

    /// <summary>The provider marks a voucher used, at its counter or through its API key. Each voucher is used once.</summary>
    public async Task<MallResult> UseVoucherAsync(AccountId provider, string voucherCode, string actor, CancellationToken ct = default)
    {
        if (VoucherCodes.Normalise(voucherCode) is not { } code) return new(MallOutcome.NotFound, MallRefusal.None, null, "not a voucher code");
        var unit = new UseUnit(provider, code, actor, _time.GetUtcNow());
        await store.AppendWithinAsync(unit, ct);
        return unit.Result!;
    }

    public async Task<Redemption?> GetAsync(long id, CancellationToken ct = default)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        return await FindAsync(connection, null, "id = @k", id, ct);
    }

    public async Task<Redemption?> FindByVoucherAsync(string voucherCode, CancellationToken ct = default)
    {
        if (VoucherCodes.Normalise(voucherCode) is not { } code) return null;
        await using var connection = await store.Dialect.OpenAsync(ct);
        return await FindAsync(connection, null, "voucher_code = @k", code, ct);
    }

    /// <summary>The redemption a transaction paid for or reversed, if any.</summary>
    public async Task<Redemption?> FindByTransactionAsync(string transactionId, CancellationToken ct = default)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        return await FindAsync(connection, null, "tx_id = @k", transactionId, ct) ?? await FindAsync(connection, null, "cancel_tx_id = @k", transactionId, ct);
    }

    /// <summary>A person's redemptions, newest first, keyset-paged by id.</summary>
    public Task<RedemptionPage> ListForPersonAsync(AccountId person, long? before, int limit, CancellationToken ct = default)
        => ListAsync("account_id = @owner", person.Value, null, before, limit, ct);

    /// <summary>A provider's redemptions, newest first, keyset-paged by id, optionally only those in one voucher status.</summary>
    public Task<RedemptionPage> ListForProviderAsync(AccountId provider, VoucherStatus? status, long? before, int limit, CancellationToken ct = default)
        => ListAsync("provider_id = @owner", provider.Value, status, before, limit, ct);

    private async Task<RedemptionPage> ListAsync(string owner, long ownerId, VoucherStatus? status, long? before, int limit, CancellationToken ct)
    {
        if (limit is < 1 or > PageMax) throw new ArgumentOutOfRangeException(nameof(limit), limit, $"A page holds 1–{PageMax} redemptions.");
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, "").With("@owner", ownerId).With("@limit", limit + 1);
        var where = owner;
        if (status is { } s) { where += " AND status = @status"; cmd.With("@status", (int)s); }
        if (before is { } b) { where += " AND id < @before"; cmd.With("@before", b); }
        cmd.CommandText = $"{Select} WHERE {where} ORDER BY id DESC LIMIT @limit";
        var list = new List<Redemption>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(Read(r));
        if (list.Count <= limit) return new(list, null);
        list.RemoveAt(list.Count - 1);
        return new(list, list[^1].Id);
    }

    /// <summary>The platform accounts the mall and honour read.</summary>
    public async Task<HonourAccounts> HonourAccountsAsync(CancellationToken ct = default)
        => _accounts ??= new HonourAccounts(
            await store.SystemAccountAsync(SystemAccounts.PointsIssuance, ct),
            await store.SystemAccountAsync(SystemAccounts.ReductionIssuance, ct),
            await store.SystemAccountAsync(SystemAccounts.Redeemed, ct),
            await store.SystemAccountAsync(SystemAccounts.Expired, ct),
            await store.SystemAccountAsync(SystemAccounts.Retired, ct));

    private HonourAccounts? _accounts;

    /// <summary>The idempotency key of a person's redemption in the journal.</summary>
    private static string RedeemKey(AccountId person, string requestKey) => $"redeem:{person}:{requestKey}";

    private static async Task<Redemption?> FindAsync(DbConnection connection, DbTransaction? tx, string where, object key, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, tx, $"{Select} WHERE {where}").With("@k", key);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? Read(r) : null;
    }

    private static Redemption Read(DbDataReader r) => new(
        r.GetInt64(0),
        new AccountId(r.GetInt64(1)),
        r.GetString(2),
        r.GetInt64(3),
        new AccountId(r.GetInt64(4)),
        r.GetInt64(5),
        r.GetInt64(6),
        r.GetInt64(7),
        r.GetString(8),
        r.GetString(9),
        (VoucherStatus)r.GetInt64(10),
        CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(11)),
        CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(12)),
        r.IsDBNull(13) ? null : CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(13)),
        r.IsDBNull(14) ? null : CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(14)),
        r.IsDBNull(15) ? null : r.GetString(15),
        r.IsDBNull(16) ? null : CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(16)),
        r.IsDBNull(17) ? null : r.GetString(17));

    private static async Task<long> ScalarAsync(DbConnection connection, DbTransaction tx, string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await using var cmd = Sql.Command(connection, tx, sql);
        foreach (var (name, value) in parameters) cmd.With(name, value);
        var scalar = await cmd.ExecuteScalarAsync(ct);
        return scalar is null or DBNull ? 0 : Convert.ToInt64(scalar, CultureInfo.InvariantCulture);
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction tx, string sql, int expectedRows, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var cmd = Sql.Command(connection, tx, sql);
        foreach (var (name, value) in parameters) cmd.With(name, value);
        var rows = await cmd.ExecuteNonQueryAsync(ct);
        // Every row these statements change was read under the same write lock, so a mismatch is a bug: roll it all back.
        if (rows != expectedRows) throw new InvalidOperationException($"Expected {expectedRows} row(s) changed, not {rows}: {sql}");
    }

    /// <summary>
    /// A redemption's request key, the person's standing redemptions of the offer and the offer itself, in one statement;
    /// the outer join keeps the row when the offer does not exist.
    /// </summary>
    private static readonly string StateSql =
        "SELECT (SELECT id FROM redemptions WHERE account_id = @a AND request_key = @key), "
        + "(SELECT COUNT(*) FROM redemptions WHERE offer_id = @o AND account_id = @a AND status <> @cancelled), "
        + OfferStore.Columns("o") + " FROM (SELECT 1 AS one) AS x LEFT JOIN offers o ON o.id = @o";

    /// <summary>A redemption, decided and written under the write lock in the append's transaction.</summary>
    private sealed class RedeemUnit(PointsMall mall, AccountId person, long offerId, string requestKey, string actor, DateTimeOffset now, HonourAccounts accounts)
        : LedgerStore.IAppendUnit
    {
        private Offer? _offer;
        private long _grams;
        private Dictionary<long, long> _gramsByBatch = [];
        private string _code = "";

        public MallResult? Result { get; private set; }

        public async Task<IReadOnlyList<Transaction>> PrepareAsync(DbConnection connection, DbTransaction tx, CancellationToken ct)
        {
            Result = null;
            // One round trip for the request key, the offer and the person's standing redemptions of it.
            long? earlierId;
            long held;
            await using (var cmd = Sql.Command(connection, tx, StateSql)
                .With("@a", person.Value).With("@key", requestKey).With("@o", offerId).With("@cancelled", (int)VoucherStatus.Cancelled))
            await using (var r = await cmd.ExecuteReaderAsync(ct))
            {
                await r.ReadAsync(ct);
                earlierId = r.IsDBNull(0) ? null : r.GetInt64(0);
                held = r.GetInt64(1);
                _offer = r.IsDBNull(2) ? null : OfferStore.Read(r, 2);
            }

            if (earlierId is { } id && await PointsMall.FindAsync(connection, tx, "id = @k", id, ct) is { } earlier)
            {
                Result = earlier.OfferId == offerId
                    ? new(MallOutcome.Replayed, MallRefusal.None, earlier, null)
                    : new(MallOutcome.Refused, MallRefusal.RequestKeyReused, earlier, $"request key {requestKey} was used for offer {earlier.OfferId}");
                return [];
            }

            if (_offer is null)
            {
                Result = new(MallOutcome.NotFound, MallRefusal.None, null, $"offer {offerId} does not exist");
                return [];
            }

            var refusal = MallRules.CheckRedemption(_offer.Status, _offer.Definition, _offer.StockLeft, checked((int)held), now);
            if (refusal != MallRefusal.None) return Refuse(refusal, Explain(refusal, _offer, held));

            var definition = _offer.Definition;
            var lots = await LedgerStore.ReadLotsAsync(connection, tx, person, includeEmpty: false, ct);
            var draws = PointLots.PlanDraws(lots, new Points(definition.Price), mall._policy.Order, mall._policy.Days.LocalDay(now));
            if (draws is null)
            {
                var spendable = lots.Where(l => !l.IsExpiredOn(mall._policy.Days.LocalDay(now))).Sum(l => l.Points.Value);
                return Refuse(MallRefusal.InsufficientPoints, $"the offer costs {definition.Price} points; {spendable} are spendable");
            }

            if (_offer.SinkBatch is { } sinkBatch)
            {
                var holding = await ScalarAsync(connection, tx, "SELECT SUM(amount) FROM balances WHERE account_id = @p AND asset = @asset AND batch_id = @b", ct,
                    ("@p", _offer.Provider.Value), ("@asset", (int)Asset.Co2), ("@b", sinkBatch.Value));
                if (holding < definition.SinkGrams)
                    return Refuse(MallRefusal.SinkExhausted, $"the provider holds {holding} g of {definition.SinkBatch}; a donation retires {definition.SinkGrams} g");
            }

            _grams = draws.Sum(d => d.Grams.Value);
            _gramsByBatch = draws.Where(d => d.Grams.Value > 0).GroupBy(d => d.Lot.Batch.Value).ToDictionary(g => g.Key, g => g.Sum(d => d.Grams.Value));
            _code = VoucherCodes.New();
            // A sink donation's retirement is recorded in the journal itself: its purpose and on whose behalf (NJ annex 2).
            var reference = _offer.SinkBatch is null ? $"offer:{offerId}" : $"offer:{offerId} retirement:{RetirementPurposeDonation} beneficiary:{person}";
            var builder = new TransactionBuilder(TransactionKind.Redeem, RedeemKey(person, requestKey), now, actor) { Reference = reference };
            foreach (var d in draws)
            {
                builder.MovePoints(person, accounts.Redeemed, d.Points, d.Lot.Batch, fromLot: d.Lot.Id);
                if (d.Grams.Value > 0) builder.MoveGrams(person, _offer.Provider, d.Lot.Batch, d.Grams, fromLot: d.Lot.Id);
            }

            if (_offer.SinkBatch is { } batch) builder.MoveGrams(_offer.Provider, accounts.Retired, batch, new Grams(definition.SinkGrams));
            return [builder.Build()];
        }

        public async Task CompleteAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<AppendResult> results, CancellationToken ct)
        {
            if (results.Count == 0) return;
            var result = results[0];
            if (result.Status == AppendStatus.InsufficientBalance)
            {
                // The lots and holdings were read under the same lock, so this is a race the lock rules out; say so plainly.
                Result = new(MallOutcome.Refused, _offer!.SinkBatch is null ? MallRefusal.InsufficientPoints : MallRefusal.SinkExhausted, null, result.Detail);
                return;
            }

            if (result.Status != AppendStatus.Committed)
                throw new InvalidOperationException($"The ledger refused a redemption it was built for ({result.Status}): {result.Detail}");

            var definition = _offer!.Definition;
            var redeemedAt = result.Transaction!.Transaction.OccurredAt;
            var cancellable = MallRules.CancellableUntil(definition, redeemedAt);
            var expiresAt = MallRules.VoucherExpiresAt(definition, redeemedAt);
            var sinkGrams = definition.IsSink ? definition.SinkGrams : 0L;
            var txId = result.Transaction.Transaction.Id.ToString();
            const string columns = "account_id, request_key, offer_id, provider_id, points, grams, sink_grams, tx_id, voucher_code, status, redeemed_us, expires_us, cancellable_us";
            const string values = "@a, @key, @o, @p, @points, @grams, @sink, @tx, @code, @status, @at, @expires, @cancellable";
            var batches = _gramsByBatch.Keys.Order().ToArray();
            long id;
            // PostgreSQL: the stock, the redemption and its grams per batch in one statement, one round trip under the lock.
            var sql = connection is NpgsqlConnection
                ? $"WITH stock AS (UPDATE offers SET stock_left = stock_left - 1 WHERE id = @o AND stock_left > 0 RETURNING id), "
                    + $"r AS (INSERT INTO redemptions ({columns}) SELECT {values} FROM stock RETURNING id), "
                    + "g AS (INSERT INTO redemption_grams (redemption_id, provider_id, batch_id, grams) SELECT r.id, @p, t.b, t.g FROM r, unnest(@batches, @batchGrams) AS t(b, g)) "
                    + "SELECT id FROM r"
                : $"INSERT INTO redemptions ({columns}) VALUES ({values}) RETURNING id";
            await using (var cmd = Sql.Command(connection, tx, sql)
                .With("@a", person.Value).With("@key", requestKey).With("@o", offerId).With("@p", _offer.Provider.Value).With("@points", definition.Price)
                .With("@grams", _grams).With("@sink", sinkGrams).With("@tx", txId).With("@code", _code).With("@status", (int)VoucherStatus.Issued)
                .With("@at", CanonicalEncoding.ToUnixMicroseconds(redeemedAt)).With("@expires", CanonicalEncoding.ToUnixMicroseconds(expiresAt))
                .With("@cancellable", cancellable is { } c ? CanonicalEncoding.ToUnixMicroseconds(c) : null))
            {
                if (connection is NpgsqlConnection) cmd.With("@batches", batches).With("@batchGrams", batches.Select(b => _gramsByBatch[b]).ToArray());
                // The stock was read under the same lock, so a missing row (no unit left) is a bug: it rolls everything back.
                id = await cmd.ExecuteScalarAsync(ct) is { } value and not DBNull ? Convert.ToInt64(value, CultureInfo.InvariantCulture)
                    : throw new InvalidOperationException($"Offer {offerId} had no unit left for a redemption decided under the write lock.");
            }

            if (connection is not NpgsqlConnection)
            {
                await ExecuteAsync(connection, tx, "UPDATE offers SET stock_left = stock_left - 1 WHERE id = @id AND stock_left > 0", 1, ct, ("@id", offerId));
                foreach (var batch in batches)
                {
                    await ExecuteAsync(connection, tx, "INSERT INTO redemption_grams (redemption_id, provider_id, batch_id, grams) VALUES (@r, @p, @b, @g)", 1, ct,
                        ("@r", id), ("@p", _offer.Provider.Value), ("@b", batch), ("@g", _gramsByBatch[batch]));
                }
            }

            var redemption = new Redemption(id, person, requestKey, offerId, _offer.Provider, definition.Price, _grams, sinkGrams, txId, _code, VoucherStatus.Issued,
                redeemedAt, expiresAt, cancellable, null, null, null, null);
            Result = new(MallOutcome.Done, MallRefusal.None, redemption, null);
        }

        private IReadOnlyList<Transaction> Refuse(MallRefusal refusal, string detail)
        {
            Result = new(MallOutcome.Refused, refusal, null, detail);
            return [];
        }

        private static string Explain(MallRefusal refusal, Offer offer, long held) => refusal switch
        {
            MallRefusal.NotOnSale => $"offer {offer.Id} is {offer.Status.Code()}",
            MallRefusal.OutsideWindow => $"offer {offer.Id} can be redeemed from {offer.Definition.ValidFrom:O} until {offer.Definition.ValidUntil:O}",
            MallRefusal.SoldOut => $"offer {offer.Id} is sold out",
            MallRefusal.PerPersonLimit => $"offer {offer.Id} allows {offer.Definition.PerPersonLimit} per person; you hold {held}",
            _ => refusal.ToString(),
        };

    }

    /// <summary>A cancellation: the voucher's state is decided and changed under the write lock with the reversal.</summary>
    private sealed class CancelUnit(long redemptionId, Transaction original, string actor, DateTimeOffset now) : LedgerStore.IAppendUnit
    {
        private Redemption? _redemption;

        public MallResult? Result { get; private set; }

        public async Task<IReadOnlyList<Transaction>> PrepareAsync(DbConnection connection, DbTransaction tx, CancellationToken ct)
        {
            Result = null;
            _redemption = await PointsMall.FindAsync(connection, tx, "id = @k", redemptionId, ct);
            var refusal = MallRules.CheckCancellation(_redemption!.Status, _redemption.CancellableUntil, now);
            if (refusal != MallRefusal.None)
            {
                Result = new(MallOutcome.Refused, refusal, _redemption, refusal switch
                {
                    MallRefusal.VoucherUsed => $"voucher {_redemption.VoucherCode} was used at {_redemption.UsedAt:O}",
                    MallRefusal.VoucherCancelled => $"redemption {redemptionId} was cancelled at {_redemption.CancelledAt:O}",
                    _ when _redemption.CancellableUntil is { } until => $"redemption {redemptionId} could be cancelled until {until:O}",
                    _ => $"redemption {redemptionId} cannot be cancelled: the offer allows no cancellation",
                });
                return [];
            }

            return [MallRules.Reverse(original, $"cancel:redemption:{redemptionId}", now, actor, $"cancel:redemption:{redemptionId}")];
        }

        public async Task CompleteAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<AppendResult> results, CancellationToken ct)
        {
            if (results.Count == 0) return;
            var result = results[0];
            if (result.Status == AppendStatus.InsufficientBalance)
            {
                Result = new(MallOutcome.Refused, MallRefusal.ReversalImpossible, _redemption,
                    $"the provider no longer holds the reductions redemption {redemptionId} gave it, so it cannot be reversed exactly: {result.Detail}");
                return;
            }

            if (result.Status != AppendStatus.Committed)
                throw new InvalidOperationException($"The ledger refused a reversal it was built for ({result.Status}): {result.Detail}");
            await ExecuteAsync(connection, tx, "UPDATE redemptions SET status = @cancelled, cancelled_us = @at, cancel_tx_id = @tx WHERE id = @id AND status = @issued", 1, ct,
                ("@cancelled", (int)VoucherStatus.Cancelled), ("@at", CanonicalEncoding.ToUnixMicroseconds(result.Transaction!.Transaction.OccurredAt)),
                ("@tx", result.Transaction.Transaction.Id.ToString()), ("@id", redemptionId), ("@issued", (int)VoucherStatus.Issued));
            await ExecuteAsync(connection, tx, "UPDATE offers SET stock_left = stock_left + 1 WHERE id = @id", 1, ct, ("@id", _redemption!.OfferId));
            Result = new(MallOutcome.Done, MallRefusal.None, await PointsMall.FindAsync(connection, tx, "id = @k", redemptionId, ct), null);
        }
    }

    /// <summary>A voucher's use: no value moves, but it is decided under the same lock as cancellations, so a voucher is never both.</summary>
    private sealed class UseUnit(AccountId provider, string code, string actor, DateTimeOffset now) : LedgerStore.IAppendUnit
    {
        private Redemption? _redemption;

        public MallResult? Result { get; private set; }

        public async Task<IReadOnlyList<Transaction>> PrepareAsync(DbConnection connection, DbTransaction tx, CancellationToken ct)
        {
            Result = null;
            _redemption = await PointsMall.FindAsync(connection, tx, "voucher_code = @k", code, ct);
            if (_redemption is null)
            {
                Result = new(MallOutcome.NotFound, MallRefusal.None, null, $"voucher {code} does not exist");
            }
            else if (_redemption.Provider != provider)
            {
                Result = new(MallOutcome.NotYours, MallRefusal.None, null, $"voucher {code} was issued for another provider's offer");
            }
            else if (MallRules.CheckUse(_redemption.Status, _redemption.ExpiresAt, now) is var refusal and not MallRefusal.None)
            {
                Result = new(MallOutcome.Refused, refusal, _redemption, refusal switch
                {
                    MallRefusal.VoucherUsed => $"voucher {code} was used at {_redemption.UsedAt:O} by {_redemption.UsedBy}",
                    MallRefusal.VoucherCancelled => $"voucher {code} was cancelled at {_redemption.CancelledAt:O}",
                    _ => $"voucher {code} expired at {_redemption.ExpiresAt:O}",
                });
            }

            return [];
        }

        public async Task CompleteAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<AppendResult> results, CancellationToken ct)
        {
            if (Result is not null) return;
            await ExecuteAsync(connection, tx, "UPDATE redemptions SET status = @used, used_us = @at, used_by = @by WHERE id = @id AND status = @issued", 1, ct,
                ("@used", (int)VoucherStatus.Used), ("@at", CanonicalEncoding.ToUnixMicroseconds(now)), ("@by", actor), ("@id", _redemption!.Id), ("@issued", (int)VoucherStatus.Issued));
            Result = new(MallOutcome.Done, MallRefusal.None, await PointsMall.FindAsync(connection, tx, "id = @k", _redemption.Id, ct), null);
        }
    }
}
