using System.Globalization;
using Puhui.Ledger;
using Puhui.Mall;
using Puhui.Storage.Ingestion;
using Puhui.Storage.Ledger;

namespace Puhui.Storage.Mall;

/// <summary>One of a person's lots as they see it.</summary>
/// <param name="ExpiringSoon">Expires within <see cref="AccountViews.ExpiringWithinDays"/> days and still holds points.</param>
public sealed record LotView(long LotId, string BatchCode, string SourceZh, string SourceEn, DateOnly Day, DateOnly ExpiresOn, long Points, long Grams, bool Expired, bool ExpiringSoon);

/// <summary>A person's points at a glance.</summary>
/// <param name="Spendable">Points in unexpired lots.</param>
/// <param name="Grams">Reduction grams inside those points.</param>
/// <param name="ExpiringSoon">Points that expire within <see cref="AccountViews.ExpiringWithinDays"/> days.</param>
/// <param name="NextExpiry">The first day on which some of the person's points expire.</param>
public sealed record PointsSummary(long Spendable, long Grams, long ExpiringSoon, DateOnly? NextExpiry, Honour Honour);

/// <summary>One transaction on a person's account, in plain words.</summary>
/// <param name="Points">The change to the person's points (negative when spent or cleared).</param>
/// <param name="Grams">The change to the reduction grams held in the person's lots.</param>
/// <param name="DonatedGrams">Carbon-sink grams retired in the person's name by this transaction.</param>
public sealed record HistoryEntry(
    long Sequence,
    string TransactionId,
    TransactionKind Kind,
    DateTimeOffset At,
    long Points,
    long Grams,
    long DonatedGrams,
    string DescriptionZh,
    string DescriptionEn,
    long? RedemptionId);

public sealed record HistoryEntries(IReadOnlyList<HistoryEntry> Entries, long? NextBefore);

/// <summary>What a provider received in one batch: grams from standing redemptions, and what it holds of the batch now.</summary>
public sealed record ProviderBatch(BatchId Batch, string BatchCode, long ReceivedGrams, long HeldGrams);

/// <summary>A provider's side of the mall.</summary>
public sealed record ProviderSummary(long Redemptions, long Issued, long Used, long Cancelled, long PointsRedeemed, long SinkGramsRetired, IReadOnlyList<ProviderBatch> Batches);

/// <summary>
/// What a person sees of their account (balance, lots and their expiry, history in plain words, honour) and what a
/// provider sees of its redemptions. Balances and lots are the ledger's projections; honour and history are read from
/// the journal itself (JS 38: redeemed and cleared points stay on the account as honour).
/// </summary>
public sealed class AccountViews(LedgerStore store, PointsMall mall, OfferStore offers, TimeProvider? time = null)
{
    /// <summary>People are told about points that expire within this many days.</summary>
    public const int ExpiringWithinDays = 30;

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ScenarioStore _scenarios = new(store, time);

    private DateOnly Today => mall.Policy.Days.LocalDay(_time.GetUtcNow());

    /// <summary>The person's lots that still hold points or grams, earliest expiry first.</summary>
    public async Task<IReadOnlyList<LotView>> LotsAsync(AccountId person, bool expiringOnly = false, CancellationToken ct = default)
    {
        var today = Today;
        var soon = today.AddDays(ExpiringWithinDays);
        var names = new Names(store, _scenarios, offers);
        var list = new List<LotView>();
        foreach (var lot in await store.GetLotsAsync(person, includeEmpty: false, ct))
        {
            var expired = lot.IsExpiredOn(today);
            var expiringSoon = !expired && lot.Points.Value > 0 && lot.Lot.ExpiresOn <= soon;
            if (expiringOnly && !expiringSoon) continue;
            var batch = await names.BatchAsync(lot.Lot.Batch, ct);
            var (zh, en) = await names.SourceAsync(batch, ct);
            list.Add(new LotView(lot.Lot.Id.Value, batch.Code, zh, en, lot.Lot.Day, lot.Lot.ExpiresOn, lot.Points.Value, lot.Grams.Value, expired, expiringSoon));
        }

        return list;
    }

    public async Task<PointsSummary> SummaryAsync(AccountId person, CancellationToken ct = default)
    {
        var today = Today;
        var soon = today.AddDays(ExpiringWithinDays);
        var live = (await store.GetLotsAsync(person, includeEmpty: false, ct)).Where(l => !l.IsExpiredOn(today) && l.Points.Value > 0).ToList();
        return new PointsSummary(
            live.Sum(l => l.Points.Value),
            live.Sum(l => l.Grams.Value),
            live.Where(l => l.Lot.ExpiresOn <= soon).Sum(l => l.Points.Value),
            live.Count == 0 ? null : live.Min(l => l.Lot.ExpiresOn),
            await HonourAsync(person, ct));
    }

    /// <summary>The person's honour, summed over every transaction of their account's history in the journal.</summary>
    public async Task<Honour> HonourAsync(AccountId person, CancellationToken ct = default)
    {
        var accounts = await mall.HonourAccountsAsync(ct);
        var honour = Honour.None;
        long? before = null;
        do
        {
            var page = await store.GetHistoryAsync(person, before, LedgerStore.HistoryPageMax, ct);
            foreach (var stored in page.Transactions) honour = honour.Add(stored.Transaction, person, accounts);
            before = page.NextBefore;
        }
        while (before is not null);
        return honour;
    }

    /// <summary>The person's transactions, newest first, each with a description in Chinese and English.</summary>
    public async Task<HistoryEntries> HistoryAsync(AccountId person, long? before, int limit, CancellationToken ct = default)
    {
        var page = await store.GetHistoryAsync(person, before, limit, ct);
        var accounts = await mall.HonourAccountsAsync(ct);
        var names = new Names(store, _scenarios, offers);
        var entries = new List<HistoryEntry>(page.Transactions.Count);
        foreach (var stored in page.Transactions) entries.Add(await DescribeAsync(stored, person, accounts, names, ct));
        return new HistoryEntries(entries, page.NextBefore);
    }

    /// <summary>A provider's redemptions by voucher status, the points they took, and the reductions received per batch (JS 37).</summary>
    public async Task<ProviderSummary> ProviderAsync(AccountId provider, CancellationToken ct = default)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        long issued = 0, used = 0, cancelled = 0, points = 0, sink = 0;
        await using (var cmd = Sql.Command(connection, null,
            "SELECT status, COUNT(*), SUM(points), SUM(sink_grams) FROM redemptions WHERE provider_id = @p GROUP BY status").With("@p", provider.Value))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                var count = r.GetInt64(1);
                switch ((VoucherStatus)r.GetInt64(0))
                {
                    case VoucherStatus.Issued: issued = count; break;
                    case VoucherStatus.Used: used = count; break;
                    case VoucherStatus.Cancelled: cancelled = count; continue;
                }

                points += r.GetInt64(2);
                sink += r.GetInt64(3);
            }
        }

        var received = new Dictionary<long, long>();
        await using (var cmd = Sql.Command(connection, null,
            "SELECT g.batch_id, SUM(g.grams) FROM redemption_grams g JOIN redemptions r ON r.id = g.redemption_id "
            + "WHERE g.provider_id = @p AND r.status <> @cancelled GROUP BY g.batch_id").With("@p", provider.Value).With("@cancelled", (int)VoucherStatus.Cancelled))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct)) received[r.GetInt64(0)] = r.GetInt64(1);
        }

        var held = (await store.GetBalancesAsync(provider, ct)).Where(b => b.Asset == Asset.Co2 && b.Batch is not null).ToDictionary(b => b.Batch!.Value.Value, b => b.Amount);
        var batches = new List<ProviderBatch>();
        foreach (var id in received.Keys.Union(held.Keys).Order())
        {
            var batch = await store.FindBatchAsync(new BatchId(id), ct);
            batches.Add(new ProviderBatch(new BatchId(id), batch?.Code ?? id.ToString(CultureInfo.InvariantCulture), received.GetValueOrDefault(id), held.GetValueOrDefault(id)));
        }

        return new ProviderSummary(issued + used + cancelled, issued, used, cancelled, points, sink, batches);
    }

    private async Task<HistoryEntry> DescribeAsync(StoredTransaction stored, AccountId person, HonourAccounts accounts, Names names, CancellationToken ct)
    {
        var tx = stored.Transaction;
        long points = 0, grams = 0, donated = 0;
        foreach (var p in tx.Postings)
        {
            if (p.Account == person && p.Asset == Asset.Pts) points += p.Amount;
            else if (p.Account == person && p.Asset == Asset.Co2) grams += p.Amount;
            else if (p.Account == accounts.Retired && p.Asset == Asset.Co2 && tx.Kind == TransactionKind.Redeem) donated += p.Amount;
        }

        var id = tx.Id.ToString();
        string zh, en;
        long? redemptionId = null;
        switch (tx.Kind)
        {
            case TransactionKind.Issue:
            {
                var sources = new List<(string Zh, string En)>();
                foreach (var batch in tx.Postings.Where(p => p.Account == person && p.Batch is not null).Select(p => p.Batch!.Value).Distinct())
                {
                    var source = await names.SourceAsync(await names.BatchAsync(batch, ct), ct);
                    if (!sources.Contains(source)) sources.Add(source);
                }

                var zhSources = string.Join("、", sources.Select(s => s.Zh));
                var enSources = string.Join(", ", sources.Select(s => s.En));
                zh = grams > 0 ? $"{zhSources}：获得 {points} 积分，含减排量 {grams} 克" : $"{zhSources}：获得 {points} 积分（不含减排量）";
                en = grams > 0 ? $"{enSources}: earned {points} points carrying {grams} g CO2e of reductions" : $"{enSources}: earned {points} points (no reductions)";
                break;
            }

            case TransactionKind.Redeem:
            {
                var redemption = await mall.FindByTransactionAsync(id, ct);
                redemptionId = redemption?.Id;
                var offer = redemption is null ? null : await names.OfferAsync(redemption.OfferId, ct);
                var (titleZh, titleEn) = offer is null ? ("权益", "an offer") : (offer.Definition.TitleZh, offer.Definition.TitleEn);
                zh = $"兑换「{titleZh}」：使用 {-points} 积分";
                en = $"Redeemed “{titleEn}”: {-points} points";
                if (grams < 0)
                {
                    zh += $"，其中减排量 {-grams} 克归权益提供方所有";
                    en += $"; the {-grams} g CO2e of reductions in them now belong to the provider";
                }

                if (donated > 0)
                {
                    zh += $"，以您的名义注销碳汇 {donated} 克";
                    en += $"; {donated} g of carbon sink retired in your name";
                }

                break;
            }

            case TransactionKind.Correct when tx.Reference.StartsWith("cancel:redemption:", StringComparison.Ordinal):
            {
                var redemption = await mall.FindByTransactionAsync(id, ct);
                redemptionId = redemption?.Id;
                var offer = redemption is null ? null : await names.OfferAsync(redemption.OfferId, ct);
                zh = $"取消兑换「{offer?.Definition.TitleZh ?? "权益"}」：退回 {points} 积分" + (grams > 0 ? $"及减排量 {grams} 克" : "");
                en = $"Cancelled “{offer?.Definition.TitleEn ?? "an offer"}”: {points} points returned" + (grams > 0 ? $" with {grams} g CO2e" : "");
                break;
            }

            case TransactionKind.Expire:
                zh = $"积分到期清零：{-points} 积分" + (grams < 0 ? $"，所含减排量 {-grams} 克视为自愿注销" : "");
                en = $"Points expired: {-points} points cleared" + (grams < 0 ? $"; the {-grams} g CO2e in them retired as voluntary cancellation" : "");
                break;

            default:
                zh = $"账本交易（{tx.Kind}）：积分 {points:+#;-#;0}，减排量 {grams:+#;-#;0} 克";
                en = $"Ledger transaction ({tx.Kind}): {points:+#;-#;0} points, {grams:+#;-#;0} g CO2e";
                break;
        }

        return new HistoryEntry(stored.Sequence, id, tx.Kind, tx.OccurredAt, points, grams, donated, zh, en, redemptionId);
    }

    /// <summary>Names of batches, scenarios and offers, looked up once per view.</summary>
    private sealed class Names(LedgerStore store, ScenarioStore scenarios, OfferStore offers)
    {
        private readonly Dictionary<long, Batch> _batches = [];
        private readonly Dictionary<string, (string, string)> _sources = new(StringComparer.Ordinal);
        private readonly Dictionary<long, Offer?> _offers = [];

        public async Task<Batch> BatchAsync(BatchId id, CancellationToken ct)
        {
            if (_batches.TryGetValue(id.Value, out var batch)) return batch;
            return _batches[id.Value] = await store.FindBatchAsync(id, ct) ?? throw new InvalidOperationException($"Batch {id} is named by a lot but missing.");
        }

        /// <summary>Where a batch's points came from, in plain words: the scenario's title, else the batch code.</summary>
        public async Task<(string Zh, string En)> SourceAsync(Batch batch, CancellationToken ct)
        {
            if (_sources.TryGetValue(batch.Code, out var source)) return source;
            if (batch.Origin == BatchOrigin.Scenario && await scenarios.GetAsync(batch.OriginRef, ct) is { } scenario)
                source = (scenario.Definition.TitleZh, scenario.Definition.TitleEn);
            else
                source = (batch.Code, batch.Code);
            return _sources[batch.Code] = source;
        }

        public async Task<Offer?> OfferAsync(long id, CancellationToken ct)
        {
            if (_offers.TryGetValue(id, out var offer)) return offer;
            return _offers[id] = await offers.GetAsync(id, ct);
        }
    }
}
