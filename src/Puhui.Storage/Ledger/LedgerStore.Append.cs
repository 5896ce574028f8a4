using System.Data.Common;
using Npgsql;
using Puhui.Ledger;

namespace Puhui.Storage.Ledger;

public sealed partial class LedgerStore
{
    private static readonly string[] JournalColumns = ["seq", "tx_id", "idempotency_key", "request_hash", "kind", "occurred_us", "body", "links", "hash"];
    private static readonly string[] BalanceColumns = ["account_id", "asset", "batch_id", "lot_id", "amount", "last_seq"];
    private const string BalanceUpsert = " ON CONFLICT (account_id, asset, batch_id, lot_id) DO UPDATE SET amount = excluded.amount, last_seq = excluded.last_seq";

    /// <summary>Appends one transaction; see <see cref="AppendAsync(IReadOnlyList{Transaction}, CancellationToken)"/>.</summary>
    public async Task<AppendResult> AppendAsync(Transaction transaction, CancellationToken ct = default)
        => (await AppendAsync([transaction], ct))[0];

    /// <summary>
    /// Appends a group of transactions in one database transaction, in order, and returns one result per
    /// transaction. Each is checked against the balances left by the ones before it: a transaction that
    /// would take a non-source account or a lot below zero, or that breaks a ledger rule, is refused
    /// alone and the rest are appended. A key seen before returns the original transaction. Everything
    /// returned as committed is durable when this method returns; if it throws, nothing of the group was written.
    /// </summary>
    /// <remarks>
    /// The common group has no replayed key, so the first attempt does not look its keys up: the journal's
    /// unique index confirms them while writing, and if one turns out to be taken the attempt is rolled back
    /// whole and the group is appended again after reading its keys. Either way the outcome is the same.
    /// Balances and account heads come from the <see cref="WriterCache"/> when nobody else has written since this store did.
    /// </remarks>
    public async Task<IReadOnlyList<AppendResult>> AppendAsync(IReadOnlyList<Transaction> group, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (group.Count == 0) return [];
        if (group.Count > AppendGroupMax) throw new ArgumentOutOfRangeException(nameof(group), group.Count, $"At most {AppendGroupMax} transactions are appended at once.");

        // Encoding and hashing need no lock, so they happen before taking it.
        var prepared = Prepare(group);

        using var writer = await _dialect.EnterWriterAsync(ct);
        try
        {
            return await TryAppendAsync(prepared, null, lookUpKeys: false, ct) ?? (await TryAppendAsync(prepared, null, lookUpKeys: true, ct))!;
        }
        catch
        {
            // Whatever the database did or did not keep, the cache must not claim to know.
            _cache.Clear();
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="unit"/> inside one append: under the write lock and in the append's database transaction,
    /// the unit reads what it needs and decides the transactions, the ledger checks and writes them, and the unit
    /// writes its own rows with the results, all committed together or not at all. The unit may be asked to
    /// prepare more than once (after a rolled-back attempt); each time it must decide afresh from what it reads.
    /// </summary>
    internal async Task<IReadOnlyList<AppendResult>> AppendWithinAsync(IAppendUnit unit, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(unit);
        using var writer = await _dialect.EnterWriterAsync(ct);
        try
        {
            return await TryAppendAsync(null, unit, lookUpKeys: false, ct) ?? (await TryAppendAsync(null, unit, lookUpKeys: true, ct))!;
        }
        catch
        {
            _cache.Clear();
            // The unit may have created lots in the rolled-back transaction; their ids may be given to other lots.
            _lots.Clear();
            _createdLots.Clear();
            throw;
        }
    }

    /// <summary>
    /// Appends a group like <see cref="AppendAsync(IReadOnlyList{Transaction}, CancellationToken)"/> and, in the same
    /// database transaction, lets <paramref name="completion"/> write its own rows knowing how each transaction fared
    /// (its <see cref="IAppendUnit.PrepareAsync"/> is not called: the group is given).
    /// </summary>
    internal async Task<IReadOnlyList<AppendResult>> AppendAsync(IReadOnlyList<Transaction> group, IAppendUnit completion, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(completion);
        if (group.Count > AppendGroupMax) throw new ArgumentOutOfRangeException(nameof(group), group.Count, $"At most {AppendGroupMax} transactions are appended at once.");
        var prepared = Prepare(group);
        using var writer = await _dialect.EnterWriterAsync(ct);
        try
        {
            return await TryAppendAsync(prepared, completion, lookUpKeys: false, ct) ?? (await TryAppendAsync(prepared, completion, lookUpKeys: true, ct))!;
        }
        catch
        {
            _cache.Clear();
            throw;
        }
    }

    /// <summary>Accounts and lots whose traits one store keeps at most, each; see <see cref="LoadReferencesAsync"/>.</summary>
    internal const int ReferenceCacheMax = 100_000;

    /// <summary>
    /// Lets an <see cref="IAppendUnit"/> hand over the lots it found or created in the append's transaction, so the
    /// ledger need not read them again; a rolled-back unit clears them with the rest of the lot cache.
    /// </summary>
    /// <remarks>
    /// <paramref name="created"/> names the lots the unit inserted in this very transaction: they hold nothing yet,
    /// so the ledger takes their balances as zero instead of looking them up. Only the current append reads this.
    /// </remarks>
    internal void RememberLots(IEnumerable<PointLot> lots, IEnumerable<long> created)
    {
        foreach (var lot in lots) _lots[lot.Id.Value] = lot;
        _createdLots.Clear();
        _createdLots.UnionWith(created);
    }

    // Written by an append unit and read by the same append, under the write lock.
    private readonly HashSet<long> _createdLots = [];

    private Prepared[] Prepare(IReadOnlyList<Transaction> group)
    {
        var prepared = new Prepared[group.Count];
        for (var i = 0; i < group.Count; i++)
        {
            var body = CanonicalEncoding.Encode(group[i]);
            prepared[i] = new Prepared(group[i], body, CanonicalEncoding.RequestHash(body), group[i].Id.ToString(), CanonicalEncoding.ToUnixMicroseconds(group[i].OccurredAt));
        }

        return prepared;
    }

    /// <summary>Work that joins a ledger append: see <see cref="AppendWithinAsync"/>.</summary>
    internal interface IAppendUnit
    {
        /// <summary>Reads under the write lock and returns the transactions to append (possibly none).</summary>
        Task<IReadOnlyList<Transaction>> PrepareAsync(DbConnection connection, DbTransaction tx, CancellationToken ct);

        /// <summary>Writes the unit's own rows, knowing how each transaction fared; still inside the append.</summary>
        Task CompleteAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<AppendResult> results, CancellationToken ct);
    }

    private sealed record Prepared(Transaction Tx, byte[] Body, byte[] RequestHash, string Id, long OccurredUs);

    private sealed record Committed(StoredTransaction Stored, Prepared Prepared, byte[] Links);

    /// <summary>
    /// One attempt at a group; null when an attempt that did not look its keys up must be repeated by one that
    /// does: a key turned out to be in the journal, or a transaction was refused and might be a retry.
    /// </summary>
    private async Task<IReadOnlyList<AppendResult>?> TryAppendAsync(Prepared[]? group, IAppendUnit? unit, bool lookUpKeys, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        var (dbTx, lastSeq, lastHash) = await _dialect.BeginAppendReadingHeadAsync(connection, ct);
        await using var disposeTx = dbTx;
        var (headSeq, headHash) = (lastSeq, lastHash);
        _createdLots.Clear();
        group ??= Prepare(await unit!.PrepareAsync(connection, dbTx, ct));
        await LoadReferencesAsync(connection, dbTx, group, ct);
        var seen = lookUpKeys ? await FindKeysAsync(connection, dbTx, group, ct) : [];
        var (balances, heads) = await LoadStateAsync(connection, dbTx, group, headSeq, headHash, ct);

        var results = new AppendResult?[group.Length];
        var replays = new List<(int Index, long Seq)>();
        var committed = new List<Committed>(group.Length);
        var inGroup = new Dictionary<string, (byte[] RequestHash, StoredTransaction Stored)>(StringComparer.Ordinal);
        var dirty = new Dictionary<BalanceKey, (long Amount, long Seq)>();
        var delta = new Dictionary<BalanceKey, long>();

        for (var i = 0; i < group.Length; i++)
        {
            var (tx, body, requestHash, _, _) = group[i];
            if (seen.TryGetValue(tx.IdempotencyKey, out var prior))
            {
                if (prior.RequestHash.AsSpan().SequenceEqual(requestHash)) replays.Add((i, prior.Seq));
                else results[i] = Refused(AppendStatus.IdempotencyConflict, $"idempotency key {tx.IdempotencyKey} was used for a different request");
                continue;
            }

            if (inGroup.TryGetValue(tx.IdempotencyKey, out var earlier))
            {
                results[i] = earlier.RequestHash.AsSpan().SequenceEqual(requestHash)
                    ? new AppendResult(AppendStatus.Replayed, earlier.Stored, null)
                    : Refused(AppendStatus.IdempotencyConflict, $"idempotency key {tx.IdempotencyKey} was used for a different request");
                continue;
            }

            var refusal = UnknownReference(tx) is { } unknown ? Refused(AppendStatus.UnknownReference, unknown)
                : LedgerRules.Check(tx, _traitsOf, _lotOf) is { } violation ? Refused(AppendStatus.RuleViolation, violation)
                : null;

            delta.Clear();
            foreach (var p in tx.Postings)
            {
                var key = BalanceKey.Of(p);
                delta[key] = delta.GetValueOrDefault(key) + p.Amount;
            }

            if (refusal is null && Shortfall(delta, balances) is { } shortfall) refusal = Refused(AppendStatus.InsufficientBalance, shortfall);
            if (refusal is not null)
            {
                // A refused transaction may be the retry of one already in the journal, which must be replayed,
                // not refused: only an attempt that has looked its keys up can tell.
                if (!lookUpKeys)
                {
                    await RollBackAttemptAsync(dbTx, unit, ct);
                    return null;
                }

                results[i] = refusal;
                continue;
            }

            lastSeq++;
            foreach (var (key, change) in delta)
            {
                var after = balances.GetValueOrDefault(key) + change;
                balances[key] = after;
                dirty[key] = (after, lastSeq);
            }

            var links = new List<(long Account, long Previous)>(2);
            foreach (var account in HistoryLinks.Accounts(tx, _kindOf))
            {
                links.Add((account, heads.GetValueOrDefault(account)));
                heads[account] = lastSeq;
            }

            lastHash = CanonicalEncoding.ChainHash(lastHash, body);
            var stored = new StoredTransaction(lastSeq, tx, lastHash);
            committed.Add(new Committed(stored, group[i], HistoryLinks.Encode(links)));
            inGroup[tx.IdempotencyKey] = (requestHash, stored);
            results[i] = new AppendResult(AppendStatus.Committed, stored, null);
        }

        if (committed.Count > 0)
        {
            if (!await WriteAsync(connection, dbTx, committed, dirty, lastSeq, lastHash, detectTakenKeys: !lookUpKeys, ct))
            {
                await RollBackAttemptAsync(dbTx, unit, ct);
                return null;
            }
        }

        if (replays.Count > 0)
        {
            var originals = await LoadAsync(connection, dbTx, replays.Select(r => r.Seq).ToList(), ct);
            for (var r = 0; r < replays.Count; r++) results[replays[r].Index] = new AppendResult(AppendStatus.Replayed, originals[r], null);
        }

        var final = results.Select(r => r!).ToList();
        if (unit is not null) await unit.CompleteAsync(connection, dbTx, final, ct);
        await dbTx.CommitAsync(ct);
        _cache.Committed(lastSeq, lastHash, headSeq, balances, heads);
        return final;
    }

    private async Task RollBackAttemptAsync(DbTransaction dbTx, IAppendUnit? unit, CancellationToken ct)
    {
        await dbTx.RollbackAsync(ct);
        _createdLots.Clear();
        if (unit is not null) _lots.Clear();
    }

    /// <summary>Why applying a transaction's changes would take a non-source account or a lot below zero, or null.</summary>
    private string? Shortfall(Dictionary<BalanceKey, long> delta, Dictionary<BalanceKey, long> balances)
    {
        foreach (var (key, change) in delta)
        {
            var after = balances.GetValueOrDefault(key) + change;
            if (after < 0 && !_accountTraits[key.Account].IsSource) return Describe(key, after);
        }

        return null;
    }

    private static string Describe(BalanceKey key, long amount)
        => $"account {key.Account} would hold {amount} {((Asset)key.Asset).Code()}" + (key.Batch != 0 ? $" of batch {key.Batch}" : "") + (key.Lot != 0 ? $" in lot {key.Lot}" : "");

    private static AppendResult Refused(AppendStatus status, string detail) => new(status, null, detail);

    private string? UnknownReference(Transaction tx)
    {
        foreach (var p in tx.Postings)
        {
            if (!_accountTraits.ContainsKey(p.Account.Value)) return $"account {p.Account} does not exist";
            if (p.Batch is { } b && !_batches.ContainsKey(b.Value)) return $"batch {b} does not exist";
            if (p.Lot is { } l && !_lots.ContainsKey(l.Value)) return $"lot {l} does not exist";
        }

        return null;
    }

    private static async Task<Dictionary<string, (long Seq, byte[] RequestHash)>> FindKeysAsync(DbConnection connection, DbTransaction tx, Prepared[] group, CancellationToken ct)
    {
        var found = new Dictionary<string, (long, byte[])>(StringComparer.Ordinal);
        var keys = group.Select(t => t.Tx.IdempotencyKey).Distinct(StringComparer.Ordinal).ToArray();
        await Sql.LookupAsync(connection, tx, "SELECT idempotency_key, seq, request_hash FROM journal", ["idempotency_key"], keys, static (k, _) => k,
            r => found[r.GetString(0)] = (r.GetInt64(1), (byte[])r.GetValue(2)), ct);
        return found;
    }

    /// <summary>Caches the traits of every account, lot and batch the group names; they never change once created.</summary>
    private async Task LoadReferencesAsync(DbConnection connection, DbTransaction tx, Prepared[] group, CancellationToken ct)
    {
        // Accounts and lots never change once created, but a long-lived writer (a clearing run over millions of lots)
        // would otherwise keep every one it ever touched; past the limit the cache starts again, and this group's
        // references are read below like any others.
        if (_lots.Count > ReferenceCacheMax) _lots.Clear();
        if (_accountTraits.Count > ReferenceCacheMax) _accountTraits.Clear();
        var accounts = new HashSet<long>();
        var lots = new HashSet<long>();
        var batches = new HashSet<long>();
        foreach (var t in group)
        {
            foreach (var p in t.Tx.Postings)
            {
                if (!_accountTraits.ContainsKey(p.Account.Value)) accounts.Add(p.Account.Value);
                if (p.Lot is { } l && !_lots.ContainsKey(l.Value)) lots.Add(l.Value);
                if (p.Batch is { } b && !_batches.ContainsKey(b.Value)) batches.Add(b.Value);
            }
        }

        await Sql.LookupAsync(connection, tx, "SELECT id, kind, is_source FROM accounts", ["id"], accounts.ToList(), static (id, _) => id,
            r => _accountTraits[r.GetInt64(0)] = new AccountTraits((AccountKind)r.GetInt32(1), r.GetBoolean(2)), ct);
        await Sql.LookupAsync(connection, tx, "SELECT id, account_id, batch_id, day, expires_on FROM lots", ["id"], lots.ToList(), static (id, _) => id,
            r => _lots[r.GetInt64(0)] = new PointLot(new LotId(r.GetInt64(0)), new AccountId(r.GetInt64(1)), new BatchId(r.GetInt64(2)), ParseDay(r.GetString(3)), ParseDay(r.GetString(4))), ct);
        await Sql.LookupAsync(connection, tx, "SELECT id FROM batches", ["id"], batches.ToList(), static (id, _) => id, r => _batches[r.GetInt64(0)] = true, ct);
    }

    /// <summary>
    /// The current amounts of every balance the group touches and the newest transaction of every account whose
    /// history it extends: from the cache where it is current, else from the database.
    /// </summary>
    private async Task<(Dictionary<BalanceKey, long> Balances, Dictionary<long, long> Heads)> LoadStateAsync(
        DbConnection connection, DbTransaction tx, Prepared[] group, long headSeq, byte[] headHash, CancellationToken ct)
    {
        var keys = new HashSet<BalanceKey>();
        var accounts = new HashSet<long>();
        foreach (var t in group)
        {
            foreach (var p in t.Tx.Postings)
            {
                keys.Add(BalanceKey.Of(p));
                if (_accountTraits.TryGetValue(p.Account.Value, out var traits) && traits.Kind != AccountKind.System) accounts.Add(p.Account.Value);
            }
        }

        var balances = new Dictionary<BalanceKey, long>(keys.Count);
        var heads = new Dictionary<long, long>(accounts.Count);
        var (missingKeys, missingAccounts) = _cache.Fill(headSeq, headHash, keys, balances, accounts, heads);
        if (_createdLots.Count > 0)
        {
            foreach (var key in missingKeys.Where(k => _createdLots.Contains(k.Lot))) balances[key] = 0;
            missingKeys = missingKeys.Where(k => !_createdLots.Contains(k.Lot)).ToList();
            _createdLots.Clear();
        }
        await Sql.LookupAsync(connection, tx, "SELECT account_id, asset, batch_id, lot_id, amount FROM balances", ["account_id", "asset", "batch_id", "lot_id"], missingKeys,
            static (k, c) => c switch { 0 => k.Account, 1 => (int)k.Asset, 2 => k.Batch, _ => k.Lot },
            r => balances[new BalanceKey(r.GetInt64(0), (byte)r.GetInt32(1), r.GetInt64(2), r.GetInt64(3))] = r.GetInt64(4), ct);
        await Sql.ScalarPerKeyAsync(connection, tx, "SELECT MAX(last_seq) FROM balances WHERE account_id = k.id", missingAccounts,
            (account, last) => heads[account] = last ?? 0, ct);
        // What the database does not hold is zero; recording it lets the cache answer for it next time.
        foreach (var key in missingKeys) balances.TryAdd(key, 0);
        foreach (var account in missingAccounts) heads.TryAdd(account, 0);
        return (balances, heads);
    }

    /// <summary>
    /// Writes the journal rows (with their history links) and the changed balances of the committed
    /// transactions. When <paramref name="detectTakenKeys"/> is set and a key turns out to be in the journal
    /// already, returns false; the caller then rolls back.
    /// </summary>
    private async Task<bool> WriteAsync(DbConnection connection, DbTransaction tx, List<Committed> committed,
        Dictionary<BalanceKey, (long Amount, long Seq)> dirty, long lastSeq, byte[] lastHash, bool detectTakenKeys, CancellationToken ct)
    {
        var balances = dirty.ToList();
        try
        {
            if (connection is NpgsqlConnection npgsql)
            {
                // One round trip for the three statements: on a small machine the client and the server share
                // the cores, and every extra exchange costs two context switches.
                await using var batch = new NpgsqlBatch(npgsql, (NpgsqlTransaction)tx);
                Sql.AddInsert(batch, "journal", JournalColumns, committed, JournalColumn, "");
                Sql.AddInsert(batch, "balances", BalanceColumns, balances, BalanceColumn, BalanceUpsert);
                var head = new NpgsqlBatchCommand("UPDATE ledger_head SET last_seq = @seq, last_hash = @hash WHERE id = 1");
                head.Parameters.AddWithValue("seq", lastSeq);
                head.Parameters.AddWithValue("hash", lastHash);
                batch.BatchCommands.Add(head);
                await batch.ExecuteNonQueryAsync(ct);
                return true;
            }

            await Sql.InsertRowsAsync(connection, tx, "journal", JournalColumns, committed, JournalColumn, "", ct);
        }
        catch (DbException e) when (detectTakenKeys && _dialect.IsUniqueViolation(e))
        {
            // A key of the group is in the journal already: the next attempt looks keys up and returns its original.
            return false;
        }

        await Sql.InsertRowsAsync(connection, tx, "balances", BalanceColumns, balances, BalanceColumn, BalanceUpsert, ct);
        await using var update = Sql.Command(connection, tx, "UPDATE ledger_head SET last_seq = @seq, last_hash = @hash WHERE id = 1")
            .With("@seq", lastSeq).With("@hash", lastHash);
        await update.ExecuteNonQueryAsync(ct);
        return true;
    }

    private static readonly Func<Committed, int, object?> JournalColumn = static (row, c) => c switch
    {
        0 => row.Stored.Sequence,
        1 => row.Prepared.Id,
        2 => row.Stored.Transaction.IdempotencyKey,
        3 => row.Prepared.RequestHash,
        4 => (int)row.Stored.Transaction.Kind,
        5 => row.Prepared.OccurredUs,
        6 => row.Prepared.Body,
        7 => row.Links,
        _ => row.Stored.Hash,
    };

    private static readonly Func<KeyValuePair<BalanceKey, (long Amount, long Seq)>, int, object?> BalanceColumn = static (row, c) => c switch
    {
        0 => row.Key.Account,
        1 => (int)row.Key.Asset,
        2 => row.Key.Batch,
        3 => row.Key.Lot,
        4 => row.Value.Amount,
        _ => row.Value.Seq,
    };

    /// <summary>A balance row's key; batch and lot are 0 when the posting has none.</summary>
    internal readonly record struct BalanceKey(long Account, byte Asset, long Batch, long Lot)
    {
        public static BalanceKey Of(Posting p) => new(p.Account.Value, (byte)p.Asset, p.Batch?.Value ?? 0, p.Lot?.Value ?? 0);
    }
}
