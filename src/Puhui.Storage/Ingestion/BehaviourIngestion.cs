using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Methodologies;
using Puhui.Storage.Ledger;

namespace Puhui.Storage.Ingestion;

/// <summary>One behaviour record as an operator sends it (DESIGN §6).</summary>
public sealed record IncomingRecord(
    string Scenario,
    string ExternalId,
    string UserRef,
    DateTimeOffset OccurredAt,
    IReadOnlyDictionary<string, decimal>? Inputs,
    IReadOnlyDictionary<string, string>? Attributes = null,
    string? Evidence = null);

public enum RecordStatus : byte
{
    Accepted = 1,

    /// <summary>The record was accepted before; <see cref="RecordResult.Original"/> is that first outcome.</summary>
    Duplicate = 2,
    Rejected = 3,
}

/// <summary>The outcome of one record: accepted with grams and points, a duplicate of an accepted one, or rejected.</summary>
public sealed record RecordResult(RecordStatus Status, long Grams, long Points, RejectionReason? Reason, string? Detail, DateTimeOffset? AcceptedAt, RecordResult? Original)
{
    public static RecordResult Rejected(RejectionReason reason, string detail) => new(RecordStatus.Rejected, 0, 0, reason, detail, null, null);

    /// <summary>The statistics bucket of this outcome: <c>accepted</c>, <c>duplicate</c> or the rejection code.</summary>
    public string OutcomeCode => Status switch
    {
        RecordStatus.Accepted => "accepted",
        RecordStatus.Duplicate => "duplicate",
        _ => Reason!.Value.Code(),
    };
}

/// <summary>Why a whole batch was refused before any record was looked at.</summary>
public enum BatchRefusal
{
    None = 0,

    /// <summary>A record names a scenario that is not the calling operator's (or does not exist: the two are not told apart).</summary>
    ScenarioForbidden = 1,
}

public sealed record IngestionResult(BatchRefusal Refusal, string? Detail, IReadOnlyList<RecordResult> Records)
{
    public int Count(RecordStatus status) => Records.Count(r => r.Status == status);
}

/// <summary>
/// The ingestion path: a batch of an operator's records becomes, per record, an outcome, and for the accepted ones
/// point lots with their reduction grams, in one database transaction with the ledger, so an acknowledged
/// record is durable and counted exactly once (invariant 3).
/// </summary>
/// <remarks>
/// What cannot change under a record between reading and writing — the scenario's rules, the person's binding,
/// their consent history — is read before the write lock. What can — earlier records with the same key, the
/// person's tally for the day, de-duplication marks — is read under it, so concurrent batches for the same person
/// never both pass a daily cap.
/// </remarks>
public sealed partial class BehaviourIngestion
{
    public const int BatchRecordsMax = 10_000;
    public const int ExternalIdLengthMax = 128;
    public const int UserRefLengthMax = 128;
    public const int InputsMax = 32;
    public const int AttributeValueLengthMax = 128;

    /// <summary>Lots per issuance transaction: each lot takes up to four postings, and a transaction holds at most 512.</summary>
    internal const int LotsPerTransactionMax = Transaction.PostingsMax / 4;

    private readonly LedgerStore _store;
    private readonly ScenarioStore _scenarios;
    private readonly IngestionPolicy _policy;
    private readonly TimeProvider _time;
    private readonly Bindings _bindings;
    private readonly Consents _consents;
    private readonly ConcurrentDictionary<(long Scenario, int Month), BatchId> _batches = new();
    private AccountId? _pointsSource;
    private AccountId? _gramsSource;

    public BehaviourIngestion(LedgerStore store, ScenarioStore scenarios, IngestionPolicy? policy = null, TimeProvider? time = null)
    {
        _store = store;
        _scenarios = scenarios;
        _policy = policy ?? IngestionPolicy.Default;
        _time = time ?? TimeProvider.System;
        _bindings = new Bindings(store, _time);
        _consents = new Consents(store, _time);
    }

    public IngestionPolicy Policy => _policy;

    /// <summary>
    /// Ingests one batch for <paramref name="operatorAccount"/>. Per-record problems never fail the batch; only a
    /// record naming a scenario that is not the operator's refuses it whole, and then nothing is written.
    /// </summary>
    /// <param name="actor">Who sent it, for the journal (e.g. the API key id).</param>
    public async Task<IngestionResult> SubmitAsync(AccountId operatorAccount, string actor, IReadOnlyList<IncomingRecord> records, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentException.ThrowIfNullOrEmpty(actor);
        if (records.Count is 0 or > BatchRecordsMax)
            throw new ArgumentOutOfRangeException(nameof(records), records.Count, $"A batch holds 1–{BatchRecordsMax} records.");

        // Whole microseconds, as the store keeps acceptedAt: a duplicate's original must be the instant first answered.
        var now = CanonicalEncoding.FromUnixMicroseconds(CanonicalEncoding.ToUnixMicroseconds(_time.GetUtcNow()));
        var items = new Item[records.Count];
        Dictionary<string, (Scenario Scenario, ScenarioRules Rules)> scenarios = [];
        await using (var connection = await _store.Dialect.OpenAsync(ct))
        {
            var codes = records.Select(r => r.Scenario ?? "").Distinct(StringComparer.Ordinal).ToList();
            var found = await ScenarioStore.FindManyAsync(connection, codes, ct);
            foreach (var code in codes)
            {
                if (!found.TryGetValue(code, out var scenario) || scenario.Operator != operatorAccount)
                    return new IngestionResult(BatchRefusal.ScenarioForbidden, $"scenario '{code}' is not one of this operator's scenarios", []);
                scenarios[code] = (scenario, await _scenarios.RulesAsync(scenario, ct));
            }

            for (var i = 0; i < records.Count; i++)
            {
                var (scenario, rules) = scenarios[records[i].Scenario];
                var item = items[i] = new Item(records[i], scenario, rules, _policy.LocalDay(records[i].OccurredAt));
                if (Malformed(records[i], rules) is { } problem) item.Fixed = RecordResult.Rejected(RejectionReason.Malformed, problem);
            }

        }

        await ResolvePeopleAsync(operatorAccount, items, ct);

        _pointsSource ??= await _store.SystemAccountAsync(SystemAccounts.PointsIssuance, ct);
        _gramsSource ??= await _store.SystemAccountAsync(SystemAccounts.ReductionIssuance, ct);
        foreach (var item in items)
        {
            if (item.Fixed is null && item.Scenario.Status == ScenarioStatus.Running) item.Batch = await BatchForAsync(item.Scenario, item.Rules, item.Day, ct);
        }

        var unit = new Unit(this, operatorAccount, actor, now, items);
        await _store.AppendWithinAsync(unit, ct);
        return new IngestionResult(BatchRefusal.None, null, items.Select(i => i.Result!).ToList());
    }

    private static readonly Regex NamePattern = new("^[a-z][a-z0-9_]{0,47}$", RegexOptions.CultureInvariant);

    /// <summary>What is wrong with a record's shape, or null; checked before anything is read.</summary>
    private static string? Malformed(IncomingRecord record, ScenarioRules rules)
    {
        if (string.IsNullOrWhiteSpace(record.ExternalId) || record.ExternalId.Length > ExternalIdLengthMax) return $"externalId must be 1–{ExternalIdLengthMax} characters";
        if (string.IsNullOrWhiteSpace(record.UserRef) || record.UserRef.Length > UserRefLengthMax) return $"userRef must be 1–{UserRefLengthMax} characters";
        if (record.OccurredAt == default) return "occurredAt is missing";
        if (record.Inputs is { } inputs)
        {
            if (inputs.Count > InputsMax) return $"at most {InputsMax} inputs";
            foreach (var name in inputs.Keys)
                if (!NamePattern.IsMatch(name)) return $"input name '{name}' is not a name";
        }
        if (record.Attributes is { } attributes)
        {
            foreach (var (name, value) in attributes)
            {
                if (!rules.Attributes.Contains(name, StringComparer.Ordinal)) return $"attribute '{name}' is not declared by scenario {rules.Definition.Code}";
                if (string.IsNullOrEmpty(value) || value.Length > AttributeValueLengthMax) return $"attribute {name} must be 1–{AttributeValueLengthMax} characters";
            }
        }
        if (rules.Definition.Dedup is { } dedup)
        {
            foreach (var name in dedup.Attributes)
                if (record.Attributes is null || !record.Attributes.ContainsKey(name)) return $"attribute {name} is required by the scenario's de-duplication rule";
        }
        if (record.Evidence is { } evidence && (evidence.Length != 64 || !evidence.All(Uri.IsHexDigit))) return "evidence must be a hex SHA-256";
        return null;
    }

    /// <summary>Binds user references to accounts and loads the consent history of each person and scenario.</summary>
    private async Task ResolvePeopleAsync(AccountId operatorAccount, Item[] items, CancellationToken ct)
    {
        var refs = items.Where(i => i.Fixed is null).Select(i => i.Record.UserRef).Distinct(StringComparer.Ordinal).ToList();
        var accounts = await _bindings.ResolveAsync(operatorAccount, refs, ct);
        foreach (var item in items)
            if (item.Fixed is null && accounts.TryGetValue(item.Record.UserRef, out var account)) item.Account = account.Value;

        var pairs = items.Where(i => i.Account != 0).Select(i => (i.Account, i.Scenario.Id)).Distinct().ToList();
        var consents = await _consents.ResolveAsync(pairs, ct);
        foreach (var item in items)
        {
            if (item.Account != 0 && consents.TryGetValue((item.Account, item.Scenario.Id), out var intervals))
                item.Consented = Consents.CoversAt(intervals, CanonicalEncoding.ToUnixMicroseconds(item.Record.OccurredAt));
        }
    }

    /// <summary>The scenario's batch for the record's month (scenario + month, DESIGN §4), created on first use.</summary>
    private async Task<BatchId> BatchForAsync(Scenario scenario, ScenarioRules rules, DateOnly day, CancellationToken ct)
    {
        var month = day.Year * 100 + day.Month;
        if (_batches.TryGetValue((scenario.Id, month), out var id)) return id;
        var definition = scenario.Definition;
        var batch = await _store.CreateBatchAsync(new NewBatch(
            string.Create(CultureInfo.InvariantCulture, $"scn:{definition.Code}:{day.Year:D4}-{day.Month:D2}"),
            BatchOrigin.Scenario,
            definition.Code,
            definition.MethodologyId ?? "",
            definition.MethodologyVersion ?? "",
            rules.Methodology?.Class ?? MethodologyClass.None,
            day.Year,
            definition.Region), ct);
        return _batches[(scenario.Id, month)] = batch.Id;
    }

    /// <summary>One record on its way through a batch.</summary>
    private sealed class Item(IncomingRecord record, Scenario scenario, ScenarioRules rules, DateOnly day)
    {
        public IncomingRecord Record { get; } = record;
        public Scenario Scenario { get; } = scenario;
        public ScenarioRules Rules { get; } = rules;
        public DateOnly Day { get; } = day;

        /// <summary>A verdict that no later read can change (a malformed record).</summary>
        public RecordResult? Fixed { get; set; }
        public long Account { get; set; }
        public bool Consented { get; set; }
        public BatchId Batch { get; set; }

        // Decided under the write lock, afresh on every attempt.
        public RecordResult? Result { get; set; }
        public Item? SameAs { get; set; }
        public byte[]? DedupKey { get; set; }
        public long LotId { get; set; }
    }
}
