using Puhui.Ledger;

namespace Puhui.Storage.Ledger;

/// <summary>Totals of one asset (and batch) across the ledger, by where the value now is.</summary>
public sealed record AssetTotals(Asset Asset, BatchId? Batch, long Issued, long Held, long Redeemed, long Expired, long Retired, long Other);

/// <summary>What <see cref="LedgerStore.AuditAsync"/> found.</summary>
/// <param name="Problems">Empty when the ledger is sound; otherwise the problems in the order found, the first bad row first.</param>
public sealed record AuditReport(long Transactions, long Postings, long BalanceRows, byte[] HeadHash, IReadOnlyList<string> Problems, IReadOnlyList<AssetTotals> Totals)
{
    public const int ProblemsMax = 50;
    public bool Passed => Problems.Count == 0;
}

public sealed partial class LedgerStore
{
    /// <summary>
    /// Recomputes the ledger from the journal: verifies the hash chain from genesis and every row's request
    /// hash, rebuilds each transaction and checks that it balances and keeps the ledger rules, replays the
    /// balances (no non-source account or lot may ever go below zero), compares them with the stored
    /// balance projections, and checks that every asset and batch sums to zero (invariants 1, 2, 4, 5).
    /// </summary>
    public async Task<AuditReport> AuditAsync(IProgress<long>? progress = null, CancellationToken ct = default)
    {
        var problems = new List<string>();
        void Problem(string text)
        {
            if (problems.Count < AuditReport.ProblemsMax) problems.Add(text);
        }

        await using var connection = await _dialect.OpenAsync(ct);
        // One read transaction gives the audit a single consistent snapshot while appends go on.
        await using var snapshot = await _dialect.BeginSnapshotAsync(connection, ct);

        var accounts = new Dictionary<long, (AccountTraits Traits, string Code)>();
        await using (var cmd = Sql.Command(connection, snapshot, "SELECT id, kind, is_source, code FROM accounts"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct)) accounts[r.GetInt64(0)] = (new AccountTraits((AccountKind)r.GetInt32(1), r.GetBoolean(2)), r.GetString(3));
        }

        var lots = new Dictionary<long, PointLot>();
        await using (var cmd = Sql.Command(connection, snapshot, "SELECT id, account_id, batch_id, day, expires_on FROM lots"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
                lots[r.GetInt64(0)] = new PointLot(new LotId(r.GetInt64(0)), new AccountId(r.GetInt64(1)), new BatchId(r.GetInt64(2)), ParseDay(r.GetString(3)), ParseDay(r.GetString(4)));
        }

        var batches = new HashSet<long>();
        await using (var cmd = Sql.Command(connection, snapshot, "SELECT id FROM batches"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct)) batches.Add(r.GetInt64(0));
        }

        var computed = new Dictionary<BalanceKey, long>();
        var hash = CanonicalEncoding.GenesisHash;
        long expectedSeq = 0, postingCount = 0;
        var chainBroken = false;
        const string journalSql = """
            SELECT j.seq, j.tx_id, j.idempotency_key, j.kind, j.occurred_us, j.actor, j.reference, j.hash, j.request_hash,
                   p.account_id, p.asset, p.batch_id, p.lot_id, p.amount, p.idx
            FROM journal j LEFT JOIN postings p ON p.seq = j.seq
            ORDER BY j.seq, p.idx
            """;
        await using (var cmd = Sql.Command(connection, snapshot, journalSql))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            await foreach (var row in ReadAuditRowsAsync(r, ct))
            {
                expectedSeq++;
                postingCount += row.Postings.Count;
                var at = $"transaction {row.Seq} ({row.TxId})";
                if (row.Seq != expectedSeq)
                {
                    Problem($"{at}: sequence {row.Seq} where {expectedSeq} was expected: the row of transaction {expectedSeq} is missing or renumbered");
                    expectedSeq = row.Seq;
                }

                if (row.Problem is not null)
                {
                    Problem($"{at}: {row.Problem}");
                    chainBroken = true;
                    continue;
                }

                Transaction tx;
                try
                {
                    tx = Transaction.Restore(row.Id, row.Key, row.Kind, CanonicalEncoding.FromUnixMicroseconds(row.OccurredUs), row.Actor, row.Reference, row.Postings);
                }
                catch (LedgerInvariantException e)
                {
                    Problem($"{at}: {e.Message}");
                    chainBroken = true;
                    continue;
                }

                if (!chainBroken)
                {
                    hash = CanonicalEncoding.ChainHash(hash, CanonicalEncoding.Encode(tx));
                    if (!hash.AsSpan().SequenceEqual(row.Hash))
                    {
                        Problem($"{at}: hash does not chain (stored {Convert.ToHexStringLower(row.Hash)}, computed {Convert.ToHexStringLower(hash)})");
                        chainBroken = true;
                    }
                }

                if (!CanonicalEncoding.RequestHash(tx).AsSpan().SequenceEqual(row.RequestHash))
                    Problem($"{at}: request hash does not match its content");

                var unknown = tx.Postings.FirstOrDefault(p => !accounts.ContainsKey(p.Account.Value) || (p.Lot is { } l && !lots.ContainsKey(l.Value)) || (p.Batch is { } b && !batches.Contains(b.Value)));
                if (unknown != default)
                {
                    Problem($"{at}: names an account, batch or lot that does not exist ({unknown})");
                    continue;
                }

                if (LedgerRules.Check(tx, id => accounts[id.Value].Traits, id => lots[id.Value]) is { } violation)
                    Problem($"{at}: {violation}");

                foreach (var p in tx.Postings)
                {
                    var key = BalanceKey.Of(p);
                    var after = computed.GetValueOrDefault(key) + p.Amount;
                    computed[key] = after;
                    if (after < 0 && !accounts[p.Account.Value].Traits.IsSource)
                        Problem($"{at}: account {p.Account} goes to {after} {p.Asset.Code()}" + (p.Batch is { } b ? $" of batch {b}" : "") + (p.Lot is { } l ? $" in lot {l}" : ""));
                }

                if (expectedSeq % 10_000 == 0) progress?.Report(expectedSeq);
            }
        }

        progress?.Report(expectedSeq);

        long balanceRows = 0;
        var stored = new Dictionary<BalanceKey, long>();
        await using (var cmd = Sql.Command(connection, snapshot, "SELECT account_id, asset, batch_id, lot_id, amount FROM balances ORDER BY account_id, asset, batch_id, lot_id"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                balanceRows++;
                stored[new BalanceKey(r.GetInt64(0), (byte)r.GetInt32(1), r.GetInt64(2), r.GetInt64(3))] = r.GetInt64(4);
            }
        }

        foreach (var (key, amount) in stored.OrderBy(k => k.Key.Account).ThenBy(k => k.Key.Asset).ThenBy(k => k.Key.Batch).ThenBy(k => k.Key.Lot))
        {
            var expected = computed.GetValueOrDefault(key);
            if (expected != amount) Problem($"balance {Describe(key)}: stored {amount}, journal gives {expected}");
        }

        foreach (var (key, amount) in computed)
        {
            if (amount != 0 && !stored.ContainsKey(key)) Problem($"balance {Describe(key)}: missing, journal gives {amount}");
        }

        var (headSeq, headHash) = await ReadHeadAsync(connection, snapshot, ct);
        if (headSeq != expectedSeq) Problem($"ledger head: says {headSeq} transactions, journal holds {expectedSeq}");
        else if (!chainBroken && !headHash.AsSpan().SequenceEqual(hash)) Problem("ledger head: its hash is not the last transaction's");

        var totals = Totals(computed, accounts);
        foreach (var t in totals)
        {
            var sum = t.Issued - t.Held - t.Redeemed - t.Expired - t.Retired - t.Other;
            if (sum != 0) Problem($"{t.Asset.Code()}{(t.Batch is { } b ? $" batch {b}" : "")}: issued {t.Issued} ≠ held + redeemed + expired + retired + other by {sum}");
        }

        await snapshot.CommitAsync(ct);
        return new AuditReport(expectedSeq, postingCount, balanceRows, hash, problems, totals);
    }

    private static string Describe(BalanceKey key)
        => $"account {key.Account} {((Asset)key.Asset).Code()}" + (key.Batch != 0 ? $" batch {key.Batch}" : "") + (key.Lot != 0 ? $" lot {key.Lot}" : "");

    private static List<AssetTotals> Totals(Dictionary<BalanceKey, long> computed, Dictionary<long, (AccountTraits Traits, string Code)> accounts)
    {
        var totals = new SortedDictionary<(byte Asset, long Batch), long[]>();
        foreach (var (key, amount) in computed)
        {
            var t = CollectionsMarshalGet(totals, (key.Asset, key.Batch));
            var (traits, code) = accounts[key.Account];
            if (traits.IsSource) t[0] -= amount;
            else if (traits.Kind != AccountKind.System) t[1] += amount;
            else if (code == SystemAccounts.Redeemed) t[2] += amount;
            else if (code == SystemAccounts.Expired) t[3] += amount;
            else if (code == SystemAccounts.Retired) t[4] += amount;
            else t[5] += amount;
        }

        return totals.Select(t => new AssetTotals((Asset)t.Key.Asset, t.Key.Batch == 0 ? null : new BatchId(t.Key.Batch), t.Value[0], t.Value[1], t.Value[2], t.Value[3], t.Value[4], t.Value[5])).ToList();
    }

    private static long[] CollectionsMarshalGet(SortedDictionary<(byte, long), long[]> totals, (byte, long) key)
    {
        if (!totals.TryGetValue(key, out var t)) totals[key] = t = new long[6];
        return t;
    }

    private sealed record AuditRow(long Seq, string TxId, TransactionId Id, string Key, TransactionKind Kind, long OccurredUs, string Actor, string Reference, byte[] Hash, byte[] RequestHash, List<Posting> Postings, string? Problem);

    /// <summary>Reads journal rows leniently: a row that cannot even be decoded becomes a problem, not an exception.</summary>
    private static async IAsyncEnumerable<AuditRow> ReadAuditRowsAsync(System.Data.Common.DbDataReader r, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        AuditRow? current = null;
        while (await r.ReadAsync(ct))
        {
            var seq = r.GetInt64(0);
            if (current is null || current.Seq != seq)
            {
                if (current is not null) yield return current;
                var txId = r.GetString(1);
                string? problem = null;
                if (!Guid.TryParse(txId, out var guid)) problem = $"transaction id '{txId}' is not a UUID";
                var kind = (TransactionKind)r.GetInt32(3);
                if (!Enum.IsDefined(kind)) problem ??= $"unknown kind {(int)kind}";
                current = new AuditRow(seq, txId, new TransactionId(guid), r.GetString(2), kind, r.GetInt64(4), r.GetString(5), r.GetString(6), (byte[])r.GetValue(7), (byte[])r.GetValue(8), [], problem);
            }

            if (r.IsDBNull(9))
            {
                current = current with { Problem = current.Problem ?? "has no postings" };
                continue;
            }

            var asset = (Asset)r.GetInt32(10);
            if (!Enum.IsDefined(asset))
            {
                current = current with { Problem = current.Problem ?? $"posting {r.GetInt32(14)} has unknown asset {(int)asset}" };
                continue;
            }

            var account = r.GetInt64(9);
            var batch = r.GetInt64(11);
            var lot = r.GetInt64(12);
            if (account <= 0 || batch < 0 || lot < 0)
            {
                current = current with { Problem = current.Problem ?? $"posting {r.GetInt32(14)} has an invalid account, batch or lot id" };
                continue;
            }

            current.Postings.Add(new Posting(new AccountId(account), asset, batch == 0 ? null : new BatchId(batch), lot == 0 ? null : new LotId(lot), r.GetInt64(13)));
        }

        if (current is not null) yield return current;
    }
}
