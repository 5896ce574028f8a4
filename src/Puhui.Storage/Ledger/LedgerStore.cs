using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using Puhui.Ledger;

namespace Puhui.Storage.Ledger;

/// <summary>The result of appending one transaction.</summary>
/// <param name="Transaction">The stored transaction: the new one, or the original on a replay; null when refused.</param>
/// <param name="Detail">Why it was refused, for people; null when stored.</param>
public sealed record AppendResult(AppendStatus Status, StoredTransaction? Transaction, string? Detail)
{
    public bool Succeeded => Status is AppendStatus.Committed or AppendStatus.Replayed;
}

/// <summary>A transaction as the journal holds it.</summary>
public sealed record StoredTransaction(long Sequence, Transaction Transaction, byte[] Hash);

/// <summary>An account's holding of one asset (and batch), summed over its lots.</summary>
public sealed record Balance(Asset Asset, BatchId? Batch, long Amount);

/// <summary>A lot's place in the order in which due lots are read: by expiry, then by id.</summary>
public readonly record struct LotPosition(DateOnly ExpiresOn, LotId Lot)
{
    public static LotPosition Of(PointLot lot) => new(lot.ExpiresOn, lot.Id);
}

/// <summary>One page of an account's history, newest first.</summary>
/// <param name="NextBefore">Pass as <c>before</c> to get the next, older page; null on the last page.</param>
public sealed record HistoryPage(IReadOnlyList<StoredTransaction> Transactions, long? NextBefore);

/// <summary>
/// The ledger over one SQLite or PostgreSQL database: accounts, batches, lots, the hash-chained journal and
/// the balance projections that are updated in the same database transaction as each append.
/// </summary>
public sealed partial class LedgerStore : IAsyncDisposable
{
    public const int AppendGroupMax = 1_000;
    public const int HistoryPageMax = 200;

    private readonly SqlDialect _dialect;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<long, AccountTraits> _accountTraits = new();
    private readonly ConcurrentDictionary<long, PointLot> _lots = new();
    private readonly ConcurrentDictionary<long, bool> _batches = new();
    private readonly WriterCache _cache = new();

    // Lookups handed to the ledger rules on every append, made once instead of per transaction.
    private readonly Func<AccountId, AccountTraits> _traitsOf;
    private readonly Func<LotId, PointLot> _lotOf;
    private readonly Func<long, AccountKind> _kindOf;

    public LedgerStore(SqlDialect dialect, TimeProvider? time = null)
    {
        _dialect = dialect;
        _time = time ?? TimeProvider.System;
        _traitsOf = id => _accountTraits[id.Value];
        _lotOf = id => _lots[id.Value];
        _kindOf = id => _accountTraits[id].Kind;
    }

    public StoreKind Kind => _dialect.Kind;
    public SqlDialect Dialect => _dialect;
    public string Description => _dialect.Describe();

    /// <summary>The setting the store was opened with (a SQLite path or a PostgreSQL connection string).</summary>
    public string Setting => _dialect.Setting;

    /// <summary>Opens the store named by a setting (a SQLite path or a PostgreSQL connection string) and migrates it.</summary>
    public static async Task<LedgerStore> OpenAsync(string setting, TimeProvider? time = null, CancellationToken ct = default)
    {
        var store = new LedgerStore(SqlDialect.FromSetting(setting), time);
        await store.MigrateAsync(ct);
        return store;
    }

    /// <summary>Applies pending migrations and makes sure the platform's system accounts exist.</summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken ct = default)
    {
        var applied = await Migrator.MigrateAsync(_dialect, ct);
        foreach (var account in SystemAccounts.All) await OpenAccountAsync(account, ct);
        return applied;
    }

    public ValueTask DisposeAsync() => _dialect.DisposeAsync();

    // ---- accounts -------------------------------------------------------------------------------------

    /// <summary>Opens an account, or returns the existing one with the same code. Refuses a code held by an account of another kind.</summary>
    public async Task<Account> OpenAccountAsync(NewAccount request, CancellationToken ct = default)
    {
        if (request.Problem() is { } problem) throw new ArgumentException(problem, nameof(request));
        await using var connection = await _dialect.OpenAsync(ct);
        var existing = await FindAccountByCodeAsync(connection, request.Code, ct);
        if (existing is null)
        {
            var sql = "INSERT INTO accounts (kind, code, display_name, roles, is_source, created_us) VALUES (@kind, @code, @name, @roles, @source, @at) ON CONFLICT (code) DO NOTHING";
            await using var cmd = Sql.Command(connection, null, sql)
                .With("@kind", (int)request.Kind).With("@code", request.Code).With("@name", request.DisplayName)
                .With("@roles", (int)request.Roles).With("@source", request.IsSource).With("@at", Now());
            await cmd.ExecuteNonQueryAsync(ct);
            existing = await FindAccountByCodeAsync(connection, request.Code, ct)
                ?? throw new InvalidOperationException($"Account {request.Code} vanished after it was inserted.");
        }

        if (existing.Kind != request.Kind || existing.IsSource != request.IsSource)
            throw new ArgumentException($"Account code {request.Code} is already used by a {existing.Kind} account.", nameof(request));
        return existing;
    }

    public async Task<Account?> FindAccountAsync(AccountId id, CancellationToken ct = default)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, AccountSelect + " WHERE id = @id").With("@id", id.Value);
        return await ReadAccountAsync(cmd, ct);
    }

    public async Task<Account?> FindAccountByCodeAsync(string code, CancellationToken ct = default)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        return await FindAccountByCodeAsync(connection, code, ct);
    }

    /// <summary>Looks up the account of a platform system account code; these exist in every migrated store.</summary>
    public async Task<AccountId> SystemAccountAsync(string code, CancellationToken ct = default)
        => (await FindAccountByCodeAsync(code, ct) ?? throw new InvalidOperationException($"System account {code} is missing: run puhui migrate.")).Id;

    public async Task<IReadOnlyList<Account>> ListAccountsAsync(AccountKind? kind = null, CancellationToken ct = default)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, AccountSelect + (kind is null ? "" : " WHERE kind = @kind") + " ORDER BY id");
        if (kind is { } k) cmd.With("@kind", (int)k);
        var list = new List<Account>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(ReadAccount(reader));
        return list;
    }

    private const string AccountSelect = "SELECT id, kind, code, display_name, roles, is_source, created_us FROM accounts";

    private static async Task<Account?> FindAccountByCodeAsync(DbConnection connection, string code, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, null, AccountSelect + " WHERE code = @code").With("@code", code);
        return await ReadAccountAsync(cmd, ct);
    }

    private static async Task<Account?> ReadAccountAsync(DbCommand cmd, CancellationToken ct)
    {
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadAccount(reader) : null;
    }

    private static Account ReadAccount(DbDataReader r) => new(
        new AccountId(r.GetInt64(0)), (AccountKind)r.GetInt32(1), r.GetString(2), r.GetString(3),
        (OrganisationRoles)r.GetInt32(4), r.GetBoolean(5), CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(6)));

    // ---- batches ------------------------------------------------------------------------------------

    /// <summary>
    /// Creates a batch, or returns the existing one with the same code. A batch that names a methodology version
    /// the store holds freezes that version (<see cref="Methodologies.MethodologyStore"/>): from then on its
    /// reductions were computed by exactly that text.
    /// </summary>
    public async Task<Batch> CreateBatchAsync(NewBatch request, CancellationToken ct = default)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        return await CreateBatchWithinAsync(connection, null, request, ct);
    }

    /// <summary>Creates a batch like <see cref="CreateBatchAsync"/>, inside the caller's transaction (an issuance's append).</summary>
    internal async Task<Batch> CreateBatchWithinAsync(DbConnection connection, DbTransaction? tx, NewBatch request, CancellationToken ct)
    {
        if (request.Problem() is { } problem) throw new ArgumentException(problem, nameof(request));
        var existing = await FindBatchAsync(connection, tx, "code = @key", request.Code, ct);
        if (existing is not null) return existing;
        if (request.MethodologyId.Length > 0)
            await Methodologies.MethodologyStore.MarkUsedAsync(connection, tx, request.MethodologyId, request.MethodologyVersion, Now(), ct);
        const string sql = "INSERT INTO batches (code, origin, origin_ref, methodology_id, methodology_version, class, vintage, region, created_us) "
            + "VALUES (@code, @origin, @ref, @mid, @mver, @class, @vintage, @region, @at) ON CONFLICT (code) DO NOTHING";
        await using (var cmd = Sql.Command(connection, tx, sql)
            .With("@code", request.Code).With("@origin", (int)request.Origin).With("@ref", request.OriginRef)
            .With("@mid", request.MethodologyId).With("@mver", request.MethodologyVersion).With("@class", (int)request.Class)
            .With("@vintage", request.Vintage).With("@region", request.Region).With("@at", Now()))
            await cmd.ExecuteNonQueryAsync(ct);
        return await FindBatchAsync(connection, tx, "code = @key", request.Code, ct)
            ?? throw new InvalidOperationException($"Batch {request.Code} vanished after it was inserted.");
    }

    public async Task<Batch?> FindBatchAsync(BatchId id, CancellationToken ct = default)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        return await FindBatchAsync(connection, null, "id = @key", id.Value, ct);
    }

    public async Task<Batch?> FindBatchByCodeAsync(string code, CancellationToken ct = default)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        return await FindBatchAsync(connection, null, "code = @key", code, ct);
    }

    private static async Task<Batch?> FindBatchAsync(DbConnection connection, DbTransaction? tx, string where, object key, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, tx,
            "SELECT id, code, origin, origin_ref, methodology_id, methodology_version, class, vintage, region, created_us FROM batches WHERE " + where)
            .With("@key", key);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        return new Batch(new BatchId(r.GetInt64(0)), r.GetString(1), (BatchOrigin)r.GetInt32(2), r.GetString(3), r.GetString(4), r.GetString(5),
            (MethodologyClass)r.GetInt32(6), r.GetInt32(7), r.GetString(8), CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(9)));
    }

    // ---- lots ---------------------------------------------------------------------------------------

    /// <summary>
    /// Returns the lot of an account, batch and day, creating it with the given expiry if it does not exist.
    /// An empty lot holds nothing, so creating one outside a ledger transaction changes no value.
    /// </summary>
    public async Task<PointLot> OpenLotAsync(AccountId account, BatchId batch, DateOnly day, DateOnly expiresOn, CancellationToken ct = default)
    {
        if (expiresOn <= day) throw new ArgumentException("A lot expires after the day it is issued.", nameof(expiresOn));
        await using var connection = await _dialect.OpenAsync(ct);
        var existing = await FindLotAsync(connection, account, batch, day, ct);
        if (existing is not null) return existing;
        await using (var cmd = Sql.Command(connection, null,
            "INSERT INTO lots (account_id, batch_id, day, expires_on) VALUES (@a, @b, @d, @e) ON CONFLICT (account_id, batch_id, day) DO NOTHING")
            .With("@a", account.Value).With("@b", batch.Value).With("@d", Iso(day)).With("@e", Iso(expiresOn)))
            await cmd.ExecuteNonQueryAsync(ct);
        return await FindLotAsync(connection, account, batch, day, ct) ?? throw new InvalidOperationException("A lot vanished after it was inserted.");
    }

    /// <summary>An account's lots with what is left in them, by expiry. Empty lots are left out unless asked for.</summary>
    public async Task<IReadOnlyList<LotBalance>> GetLotsAsync(AccountId account, bool includeEmpty = false, CancellationToken ct = default)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        return await ReadLotsAsync(connection, null, account, includeEmpty, ct);
    }

    /// <summary>An account's lots with their balances, read on a given connection (inside an append's transaction, for instance).</summary>
    internal static async Task<List<LotBalance>> ReadLotsAsync(DbConnection connection, DbTransaction? tx, AccountId account, bool includeEmpty, CancellationToken ct)
    {
        const string sql = """
            SELECT l.id, l.batch_id, l.day, l.expires_on,
                   COALESCE(SUM(CASE WHEN b.asset = 1 THEN b.amount ELSE 0 END), 0),
                   COALESCE(SUM(CASE WHEN b.asset = 2 THEN b.amount ELSE 0 END), 0)
            FROM lots l LEFT JOIN balances b ON b.account_id = l.account_id AND b.lot_id = l.id
            WHERE l.account_id = @a
            GROUP BY l.id, l.batch_id, l.day, l.expires_on
            ORDER BY l.expires_on, l.day, l.id
            """;
        await using var cmd = Sql.Command(connection, tx, sql).With("@a", account.Value);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<LotBalance>();
        while (await r.ReadAsync(ct))
        {
            var lot = new PointLot(new LotId(r.GetInt64(0)), account, new BatchId(r.GetInt64(1)), ParseDay(r.GetString(2)), ParseDay(r.GetString(3)));
            var balance = new LotBalance(lot, new Points(r.GetInt64(4)), new Grams(r.GetInt64(5)));
            if (includeEmpty || balance.Points.Value != 0 || balance.Grams.Value != 0) list.Add(balance);
        }

        return list;
    }

    /// <summary>
    /// Lots, of any account, that still hold points or grams and expire after <paramref name="expiringAfter"/> (every
    /// lot when null) and on or before <paramref name="asOf"/>, in (expiry, id) order, after <paramref name="after"/>;
    /// at most <paramref name="limit"/>. Pass the last lot of one page as <paramref name="after"/> to get the next.
    /// </summary>
    /// <remarks>
    /// The lots are read along the (expires_on, id) index within the range and each lot's two balances are probed
    /// by their primary key, so a page costs the lots it passes over in the range, never a scan of every lot.
    /// </remarks>
    public async Task<IReadOnlyList<LotBalance>> GetLotsDueAsync(DateOnly? expiringAfter, DateOnly asOf, LotPosition? after, int limit, CancellationToken ct = default)
    {
        if (limit is < 1 or > DueLotsPageMax) throw new ArgumentOutOfRangeException(nameof(limit), limit, $"A page holds 1–{DueLotsPageMax} lots.");
        await using var connection = await _dialect.OpenAsync(ct);
        // One lower bound only, the keyset's: the floor becomes the position after every lot of its day. Given a row
        // comparison and a plain bound on the same column, PostgreSQL may start the index scan at the looser one.
        var (startDay, startId) = after is { } a ? (Iso(a.ExpiresOn), a.Lot.Value) : ("", 0L);
        if (expiringAfter is { } lower && (after is null || after.Value.ExpiresOn <= lower)) (startDay, startId) = (Iso(lower), long.MaxValue);
        await using var cmd = Sql.Command(connection, null, DueLotsSql)
            .With("@asOf", Iso(asOf)).With("@afterDay", startDay).With("@afterId", startId).With("@limit", limit);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<LotBalance>(Math.Min(limit, 1_000));
        while (await r.ReadAsync(ct))
        {
            var lot = new PointLot(new LotId(r.GetInt64(0)), new AccountId(r.GetInt64(1)), new BatchId(r.GetInt64(2)), ParseDay(r.GetString(3)), ParseDay(r.GetString(4)));
            list.Add(new LotBalance(lot, new Points(r.GetInt64(5)), new Grams(r.GetInt64(6))));
        }

        return list;
    }

    /// <summary>The query behind <see cref="GetLotsDueAsync"/>, for the benchmark's query plans.</summary>
    /// <remarks>The row-value comparison is the range's only lower bound, so the scan starts there on both databases; '' sorts before every day.</remarks>
    internal const string DueLotsSql = """
            SELECT l.id, l.account_id, l.batch_id, l.day, l.expires_on, COALESCE(p.amount, 0), COALESCE(g.amount, 0)
            FROM lots l
            LEFT JOIN balances p ON p.account_id = l.account_id AND p.asset = 1 AND p.batch_id = l.batch_id AND p.lot_id = l.id
            LEFT JOIN balances g ON g.account_id = l.account_id AND g.asset = 2 AND g.batch_id = l.batch_id AND g.lot_id = l.id
            WHERE (l.expires_on, l.id) > (@afterDay, @afterId) AND l.expires_on <= @asOf
              AND (COALESCE(p.amount, 0) <> 0 OR COALESCE(g.amount, 0) <> 0)
            ORDER BY l.expires_on, l.id
            LIMIT @limit
            """;

    /// <summary>The most lots <see cref="GetLotsDueAsync"/> returns at once.</summary>
    public const int DueLotsPageMax = 5_000;

    private async Task<PointLot?> FindLotAsync(DbConnection connection, AccountId account, BatchId batch, DateOnly day, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, null, "SELECT id, expires_on FROM lots WHERE account_id = @a AND batch_id = @b AND day = @d")
            .With("@a", account.Value).With("@b", batch.Value).With("@d", Iso(day));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        var lot = new PointLot(new LotId(r.GetInt64(0)), account, batch, day, ParseDay(r.GetString(1)));
        _lots.TryAdd(lot.Id.Value, lot);
        return lot;
    }

    // ---- reads --------------------------------------------------------------------------------------

    /// <summary>An account's balances per asset and batch (lots summed), leaving out zeros.</summary>
    public async Task<IReadOnlyList<Balance>> GetBalancesAsync(AccountId account, CancellationToken ct = default)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null,
            "SELECT asset, batch_id, SUM(amount) FROM balances WHERE account_id = @a GROUP BY asset, batch_id HAVING SUM(amount) <> 0 ORDER BY asset, batch_id")
            .With("@a", account.Value);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<Balance>();
        while (await r.ReadAsync(ct))
        {
            var batch = r.GetInt64(1);
            list.Add(new Balance((Asset)r.GetInt32(0), batch == 0 ? null : new BatchId(batch), r.GetInt64(2)));
        }

        return list;
    }

    /// <summary>
    /// The transactions that touched an account, newest first, at most <paramref name="limit"/> of them, older
    /// than sequence <paramref name="before"/> when given. A person's or organisation's history follows the
    /// links of its own chain, so a page costs the same however long the journal is. A system account's is
    /// read from the journal, at most <see cref="HistoryScanMax"/> rows a page, so such a page may hold fewer
    /// transactions than asked for while <see cref="HistoryPage.NextBefore"/> says there may be more.
    /// </summary>
    public async Task<HistoryPage> GetHistoryAsync(AccountId account, long? before, int limit, CancellationToken ct = default)
    {
        if (limit is < 1 or > HistoryPageMax) throw new ArgumentOutOfRangeException(nameof(limit), limit, $"A page holds 1–{HistoryPageMax} transactions.");
        if (before is <= 0) throw new ArgumentOutOfRangeException(nameof(before), before, "A cursor is a positive sequence number.");
        await using var connection = await _dialect.OpenAsync(ct);
        // One snapshot for the whole page, so that the chain cannot move while it is walked.
        await using var snapshot = await _dialect.BeginSnapshotAsync(connection, ct);
        await using var kindCmd = Sql.Command(connection, snapshot, "SELECT kind FROM accounts WHERE id = @a").With("@a", account.Value);
        if (await kindCmd.ExecuteScalarAsync(ct) is not { } kind) return new HistoryPage([], null);
        return (AccountKind)Convert.ToInt32(kind, CultureInfo.InvariantCulture) == AccountKind.System
            ? await ScanHistoryAsync(connection, snapshot, account, before ?? long.MaxValue, limit, ct)
            : await WalkHistoryAsync(connection, snapshot, account, before, limit, ct);
    }

    /// <summary>Journal rows a page of a system account's history reads at most.</summary>
    public const int HistoryScanMax = 10_000;

    private static async Task<HistoryPage> WalkHistoryAsync(DbConnection connection, DbTransaction snapshot, AccountId account, long? before, int limit, CancellationToken ct)
    {
        await using var headCmd = Sql.Command(connection, snapshot, "SELECT MAX(last_seq) FROM balances WHERE account_id = @a").With("@a", account.Value);
        var head = await headCmd.ExecuteScalarAsync(ct) is { } h and not DBNull ? Convert.ToInt64(h, CultureInfo.InvariantCulture) : 0;

        await using var rowCmd = Sql.Command(connection, snapshot, "SELECT body, hash, links FROM journal WHERE seq = @seq");
        var seqParameter = rowCmd.CreateParameter();
        seqParameter.ParameterName = "@seq";
        rowCmd.Parameters.Add(seqParameter);
        async Task<(byte[] Body, byte[] Hash, byte[] Links)?> RowAsync(long seq)
        {
            seqParameter.Value = seq;
            await using var r = await rowCmd.ExecuteReaderAsync(ct);
            return await r.ReadAsync(ct) ? ((byte[])r.GetValue(0), (byte[])r.GetValue(1), (byte[])r.GetValue(2)) : null;
        }

        long Previous(long seq, byte[] links) => HistoryLinks.PreviousOf(links, account.Value)
            ?? throw new LedgerInvariantException($"Transaction {seq} is in the history of account {account} but does not link it: run puhui audit.");

        // Where to start: the newest transaction of the account older than the cursor. The cursor this method
        // hands out is one past the next transaction of the chain, so that is checked first; any other value
        // is found by walking down from the newest.
        var next = head;
        if (before is { } b && b <= head)
        {
            var row = b > 1 ? await RowAsync(b - 1) : null;
            if (row is { } r && HistoryLinks.PreviousOf(r.Links, account.Value) is not null)
            {
                next = b - 1;
            }
            else
            {
                while (next >= b) next = Previous(next, (await RowAsync(next))!.Value.Links);
            }
        }

        var page = new List<StoredTransaction>(limit);
        while (next > 0 && page.Count < limit)
        {
            var (body, hash, links) = await RowAsync(next) ?? throw new LedgerInvariantException($"Transaction {next} is missing from the journal: run puhui audit.");
            page.Add(new StoredTransaction(next, CanonicalEncoding.Decode(body), hash));
            next = Previous(next, links);
        }

        return new HistoryPage(page, next > 0 ? next + 1 : null);
    }

    private static async Task<HistoryPage> ScanHistoryAsync(DbConnection connection, DbTransaction snapshot, AccountId account, long before, int limit, CancellationToken ct)
    {
        const int readAtOnce = 500;
        var page = new List<StoredTransaction>(limit);
        long cursor = before, scanned = 0;
        var exhausted = false;
        while (page.Count < limit && scanned < HistoryScanMax && !exhausted)
        {
            await using var cmd = Sql.Command(connection, snapshot, "SELECT seq, body, hash FROM journal WHERE seq < @before ORDER BY seq DESC LIMIT @n")
                .With("@before", cursor).With("@n", readAtOnce);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            var read = 0;
            while (page.Count < limit && await r.ReadAsync(ct))
            {
                read++;
                scanned++;
                cursor = r.GetInt64(0);
                var tx = CanonicalEncoding.Decode((byte[])r.GetValue(1));
                if (tx.Postings.Any(p => p.Account == account)) page.Add(new StoredTransaction(cursor, tx, (byte[])r.GetValue(2)));
            }

            exhausted = read < readAtOnce && page.Count < limit;
        }

        return new HistoryPage(page, exhausted || cursor <= 1 ? null : cursor);
    }

    public async Task<StoredTransaction?> GetTransactionAsync(TransactionId id, CancellationToken ct = default)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        return await LoadOneAsync(connection, "tx_id = @key", id.ToString(), ct);
    }

    public async Task<StoredTransaction?> GetTransactionByKeyAsync(string idempotencyKey, CancellationToken ct = default)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        return await LoadOneAsync(connection, "idempotency_key = @key", idempotencyKey, ct);
    }

    /// <summary>The number of transactions in the journal and the hash of the last one.</summary>
    public async Task<(long Sequence, byte[] Hash)> GetHeadAsync(CancellationToken ct = default)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        return await SqlDialect.ReadHeadAsync(connection, null, "", ct);
    }

    private async Task<StoredTransaction?> LoadOneAsync(DbConnection connection, string where, object key, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, null, "SELECT seq FROM journal WHERE " + where).With("@key", key);
        var seq = await cmd.ExecuteScalarAsync(ct);
        if (seq is null or DBNull) return null;
        var list = await LoadAsync(connection, null, [Convert.ToInt64(seq, CultureInfo.InvariantCulture)], ct);
        return list[0];
    }

    /// <summary>Loads transactions by sequence, in the order given.</summary>
    private static async Task<IReadOnlyList<StoredTransaction>> LoadAsync(DbConnection connection, DbTransaction? tx, IReadOnlyList<long> seqs, CancellationToken ct)
    {
        if (seqs.Count == 0) return [];
        var bySeq = new Dictionary<long, StoredTransaction>(seqs.Count);
        foreach (var chunk in seqs.Chunk(Sql.ListedValuesMax))
        {
            // Sequence numbers are longs, so listing them literally is safe and spares thousands of parameters.
            var inList = string.Join(", ", chunk.Select(s => s.ToString(CultureInfo.InvariantCulture)));
            await using var cmd = Sql.Command(connection, tx, $"SELECT seq, body, hash FROM journal WHERE seq IN ({inList})");
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var seq = r.GetInt64(0);
                bySeq[seq] = new StoredTransaction(seq, CanonicalEncoding.Decode((byte[])r.GetValue(1)), (byte[])r.GetValue(2));
            }
        }

        return seqs.Select(s => bySeq[s]).ToList();
    }

    private long Now() => CanonicalEncoding.ToUnixMicroseconds(_time.GetUtcNow());

    internal static string Iso(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    internal static DateOnly ParseDay(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);
}
