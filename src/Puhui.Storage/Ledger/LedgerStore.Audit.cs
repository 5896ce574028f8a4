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
    /// balance projections, checks every row's history links, and checks that every asset and batch sums to
    /// zero (invariants 1, 2, 4, 5).
    /// </summary>
    public async Task<AuditReport> AuditAsync(IProgress<long>? progress = null, CancellationToken ct = default)
    {
        var problems = new AuditProblems();

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
        var lastOfAccount = new Dictionary<long, long>();
        var lastOfKey = new Dictionary<BalanceKey, long>();
        var chainBroken = false;
        const string journalSql = "SELECT seq, tx_id, idempotency_key, request_hash, kind, occurred_us, body, hash, links FROM journal ORDER BY seq";
        await using (var cmd = Sql.Command(connection, snapshot, journalSql))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                expectedSeq++;
                var seq = r.GetInt64(0);
                var txIdText = r.GetString(1);
                var at = $"transaction {seq} ({txIdText})";
                if (seq != expectedSeq)
                {
                    problems.Add($"{at}: sequence {seq} where {expectedSeq} was expected: the row of transaction {expectedSeq} is missing or renumbered");
                    expectedSeq = seq;
                }

                var body = (byte[])r.GetValue(6);
                var storedHash = (byte[])r.GetValue(7);
                if (!chainBroken)
                {
                    hash = CanonicalEncoding.ChainHash(hash, body);
                    if (!hash.AsSpan().SequenceEqual(storedHash))
                    {
                        problems.Add($"{at}: hash does not chain (stored {Convert.ToHexStringLower(storedHash)}, computed {Convert.ToHexStringLower(hash)})");
                        chainBroken = true;
                    }
                }

                Transaction tx;
                try
                {
                    tx = CanonicalEncoding.Decode(body);
                }
                catch (CanonicalEncodingException e)
                {
                    problems.Add($"{at}: body is not a valid transaction: {e.Message}");
                    continue;
                }

                postingCount += tx.Postings.Count;
                if (tx.Id.ToString() != txIdText || tx.IdempotencyKey != r.GetString(2) || (int)tx.Kind != r.GetInt32(4)
                    || CanonicalEncoding.ToUnixMicroseconds(tx.OccurredAt) != r.GetInt64(5))
                    problems.Add($"{at}: its id, key, kind or time columns disagree with its body");
                if (!CanonicalEncoding.RequestHash(tx).AsSpan().SequenceEqual((byte[])r.GetValue(3)))
                    problems.Add($"{at}: request hash does not match its content");

                var unknown = tx.Postings.FirstOrDefault(p => !accounts.ContainsKey(p.Account.Value) || (p.Lot is { } l && !lots.ContainsKey(l.Value)) || (p.Batch is { } b && !batches.Contains(b.Value)));
                if (unknown != default)
                {
                    problems.Add($"{at}: names an account, batch or lot that does not exist ({unknown})");
                    continue;
                }

                if (LedgerRules.Check(tx, id => accounts[id.Value].Traits, id => lots[id.Value]) is { } violation)
                    problems.Add($"{at}: {violation}");

                var expectedLinks = new List<(long Account, long Previous)>();
                foreach (var account in HistoryLinks.Accounts(tx, a => accounts[a].Traits.Kind))
                {
                    expectedLinks.Add((account, lastOfAccount.GetValueOrDefault(account)));
                    lastOfAccount[account] = seq;
                }

                var storedLinks = (byte[])r.GetValue(8);
                if (!storedLinks.AsSpan().SequenceEqual(HistoryLinks.Encode(expectedLinks)))
                {
                    var shown = HistoryLinks.Decode(storedLinks) is { } decoded ? string.Join(", ", decoded.Select(l => $"{l.Account}←{l.Previous}")) : Convert.ToHexStringLower(storedLinks);
                    problems.Add($"{at}: history links [{shown}] where the journal gives [{string.Join(", ", expectedLinks.Select(l => $"{l.Account}←{l.Previous}"))}]");
                }

                foreach (var p in tx.Postings)
                {
                    var key = BalanceKey.Of(p);
                    var before = computed.GetValueOrDefault(key);
                    var after = unchecked(before + p.Amount);
                    if (((before ^ after) & (p.Amount ^ after)) < 0)
                    {
                        problems.Add($"{at}: account {p.Account} {p.Asset.Code()} overflows a 64-bit balance");
                        break;
                    }

                    computed[key] = after;
                    lastOfKey[key] = seq;
                    if (after < 0 && !accounts[p.Account.Value].Traits.IsSource)
                        problems.Add($"{at}: account {p.Account} goes to {after} {p.Asset.Code()}" + (p.Batch is { } b ? $" of batch {b}" : "") + (p.Lot is { } l ? $" in lot {l}" : ""));
                }

                if (expectedSeq % 10_000 == 0) progress?.Report(expectedSeq);
            }
        }

        long balanceRows = 0;
        var stored = new Dictionary<BalanceKey, (long Amount, long LastSeq)>();
        await using (var cmd = Sql.Command(connection, snapshot, "SELECT account_id, asset, batch_id, lot_id, amount, last_seq FROM balances ORDER BY account_id, asset, batch_id, lot_id"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                balanceRows++;
                stored[new BalanceKey(r.GetInt64(0), (byte)r.GetInt32(1), r.GetInt64(2), r.GetInt64(3))] = (r.GetInt64(4), r.GetInt64(5));
            }
        }

        foreach (var (key, (amount, lastSeq)) in stored.OrderBy(k => k.Key.Account).ThenBy(k => k.Key.Asset).ThenBy(k => k.Key.Batch).ThenBy(k => k.Key.Lot))
        {
            var expected = computed.GetValueOrDefault(key);
            if (expected != amount) problems.Add($"balance {Describe(key)}: stored {amount}, journal gives {expected}");
            var expectedLast = lastOfKey.GetValueOrDefault(key);
            if (expectedLast != lastSeq) problems.Add($"balance {Describe(key)}: last changed by transaction {lastSeq}, journal gives {expectedLast}");
        }

        foreach (var (key, amount) in computed)
        {
            if (!stored.ContainsKey(key)) problems.Add($"balance {Describe(key)}: missing, journal gives {amount}");
        }

        var (headSeq, headHash) = await SqlDialect.ReadHeadAsync(connection, snapshot, "", ct);
        if (headSeq != expectedSeq) problems.Add($"ledger head: says {headSeq} transactions, journal holds {expectedSeq}");
        else if (!chainBroken && !headHash.AsSpan().SequenceEqual(hash)) problems.Add("ledger head: its hash is not the last transaction's");

        var totals = Totals(computed, accounts);
        foreach (var t in totals)
        {
            var sum = unchecked(t.Issued - t.Held - t.Redeemed - t.Expired - t.Retired - t.Other);
            if (sum != 0) problems.Add($"{t.Asset.Code()}{(t.Batch is { } b ? $" batch {b}" : "")}: issued {t.Issued} ≠ held + redeemed + expired + retired + other by {sum}");
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
            // Totals of a tampered journal may not fit; the problems above already say so, the totals must not throw.
            unchecked
            {
                if (traits.IsSource) t[0] -= amount;
                else if (traits.Kind != AccountKind.System) t[1] += amount;
                else if (code == SystemAccounts.Redeemed) t[2] += amount;
                else if (code == SystemAccounts.Expired) t[3] += amount;
                else if (code == SystemAccounts.Retired) t[4] += amount;
                else t[5] += amount;
            }
        }

        return totals.Select(t => new AssetTotals((Asset)t.Key.Asset, t.Key.Batch == 0 ? null : new BatchId(t.Key.Batch), t.Value[0], t.Value[1], t.Value[2], t.Value[3], t.Value[4], t.Value[5])).ToList();
    }

    private static long[] CollectionsMarshalGet(SortedDictionary<(byte, long), long[]> totals, (byte, long) key)
    {
        if (!totals.TryGetValue(key, out var t)) totals[key] = t = new long[6];
        return t;
    }

}
