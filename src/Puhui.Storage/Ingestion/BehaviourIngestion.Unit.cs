using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Methodologies;
using Puhui.Storage.Ledger;

namespace Puhui.Storage.Ingestion;

public sealed partial class BehaviourIngestion
{
    /// <summary>One person's day in one scenario: the tally the caps read and the input totals history functions read.</summary>
    private sealed class DayState(long account, long scenario, DateOnly day, DayTally tally, string totals)
    {
        public long Account { get; } = account;
        public long Scenario { get; } = scenario;
        public DateOnly Day { get; } = day;
        public DayTally Tally { get; set; } = tally;
        public bool Changed { get; set; }
        private string _totalsJson = totals;
        private Dictionary<string, decimal>? _totals;

        public Dictionary<string, decimal> Totals => _totals ??= ParseTotals(_totalsJson);

        public string TotalsJson => _totals is null ? _totalsJson : FormatTotals(_totals);
    }

    /// <summary>A person's earlier days in one scenario, as the methodology's history functions see them.</summary>
    private sealed class DayHistory(Dictionary<(long, long, DateOnly), DayState> days, long account, long scenario) : IBehaviourHistory
    {
        public bool TryGetDailyTotal(string input, DateOnly day, out decimal total)
        {
            total = 0m;
            return days.TryGetValue((account, scenario, day), out var state) && state.Tally.Records > 0 && state.Totals.TryGetValue(input, out total);
        }
    }

    /// <summary>The part of a batch that runs under the write lock, inside the ledger append's database transaction.</summary>
    private sealed class Unit(BehaviourIngestion owner, AccountId operatorAccount, string actor, DateTimeOffset now, Item[] items) : LedgerStore.IAppendUnit
    {
        private readonly long _nowUs = CanonicalEncoding.ToUnixMicroseconds(now);
        private Dictionary<(long, long, DateOnly), DayState> _days = [];
        private List<(long Account, List<Item> Items)> _issues = [];
        private List<(string Group, Item Item)> _marks = [];

        public async Task<IReadOnlyList<Transaction>> PrepareAsync(DbConnection connection, DbTransaction tx, CancellationToken ct)
        {
            foreach (var item in items)
            {
                item.Result = item.Fixed;
                item.SameAs = null;
                item.DedupKey = null;
                item.LotId = 0;
            }

            var originals = await FindAcceptedAsync(connection, tx, ct);
            var earlier = new Dictionary<(long, string), Item>();
            var candidates = new List<Item>(items.Length);
            foreach (var item in items)
            {
                if (item.Result is not null) continue;
                var key = (item.Scenario.Id, item.Record.ExternalId);
                if (originals.TryGetValue(key, out var original))
                {
                    item.Result = new RecordResult(RecordStatus.Duplicate, 0, 0, null, null, null, original);
                    continue;
                }
                if (earlier.TryGetValue(key, out var first))
                {
                    // The same record twice in one batch: the second takes the first's outcome once that is decided.
                    item.SameAs = first;
                    continue;
                }
                earlier[key] = item;
                item.Result = Precheck(item);
                if (item.Result is null) candidates.Add(item);
            }

            _days = await LoadDaysAsync(connection, tx, candidates, ct);
            _marks = [];
            var marks = new Dictionary<(string, long, string), List<long>>();
            await using var dedupQuery = DedupQuery(connection, tx, candidates);
            foreach (var item in candidates)
            {
                var day = _days[(item.Account, item.Scenario.Id, item.Day)];
                if (item.Rules.Definition.Dedup is { } dedup)
                {
                    item.DedupKey = DedupKey(dedup, item.Record);
                    var occurredUs = CanonicalEncoding.ToUnixMicroseconds(item.Record.OccurredAt);
                    var windowUs = dedup.WindowSeconds * 1_000_000L;
                    var memory = (dedup.Group, item.Account, Convert.ToHexString(item.DedupKey));
                    if ((marks.TryGetValue(memory, out var seen) && seen.Any(t => Math.Abs(t - occurredUs) <= windowUs))
                        || await MarkedAsync(dedupQuery!, dedup.Group, item.Account, item.DedupKey, occurredUs - windowUs, occurredUs + windowUs, ct))
                    {
                        item.Result = RecordResult.Rejected(RejectionReason.DuplicateElsewhere,
                            $"the same act was already credited in de-duplication group {dedup.Group}");
                        continue;
                    }
                }

                var evaluator = Evaluator(item.Rules);
                var verdict = item.Rules.Judge(evaluator, item.Record.Inputs ?? EmptyInputs, item.Day, day.Tally,
                    item.Rules.LookbackDays > 0 ? new DayHistory(_days, item.Account, item.Scenario.Id) : null);
                if (!verdict.IsAccepted)
                {
                    item.Result = RecordResult.Rejected(verdict.Rejection!.Value, verdict.Detail!);
                    continue;
                }

                item.Result = new RecordResult(RecordStatus.Accepted, verdict.Grams.Value, verdict.Points.Value, null, null, now, null);
                day.Tally = new DayTally(day.Tally.Records + 1, checked(day.Tally.Grams + verdict.Grams.Value), checked(day.Tally.Points + verdict.Points.Value));
                day.Changed = true;
                if (item.Rules.LookbackDays > 0)
                {
                    foreach (var (name, value) in item.Record.Inputs ?? EmptyInputs)
                        day.Totals[name] = day.Totals.GetValueOrDefault(name) + value;
                }
                if (item.DedupKey is not null)
                {
                    var group = item.Rules.Definition.Dedup!.Group;
                    var memory = (group, item.Account, Convert.ToHexString(item.DedupKey));
                    if (!marks.TryGetValue(memory, out var list)) marks[memory] = list = [];
                    list.Add(CanonicalEncoding.ToUnixMicroseconds(item.Record.OccurredAt));
                    _marks.Add((group, item));
                }
            }

            // In-batch duplicates take the outcome of their first occurrence.
            foreach (var item in items)
            {
                if (item.SameAs is not { } first) continue;
                item.Result = first.Result!.Status == RecordStatus.Accepted
                    ? new RecordResult(RecordStatus.Duplicate, 0, 0, null, null, null, first.Result)
                    : first.Result;
            }

            await OpenLotsAsync(connection, tx, ct);
            return BuildTransactions();
        }

        public async Task CompleteAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<AppendResult> results, CancellationToken ct)
        {
            var sequences = new Dictionary<long, long>();
            for (var i = 0; i < results.Count; i++)
            {
                if (results[i].Status != AppendStatus.Committed)
                    throw new LedgerInvariantException($"An issuance of ingested records was refused: {results[i].Status} {results[i].Detail}");
                sequences[_issues[i].Account] = results[i].Transaction!.Sequence;
            }

            var accepted = items.Where(i => i.Result!.Status == RecordStatus.Accepted).ToList();
            await Sql.InsertRowsAsync(connection, tx, "behaviour_records", RecordColumns, accepted, (item, c) => c switch
            {
                0 => item.Scenario.Id,
                1 => item.Record.ExternalId,
                2 => item.Account,
                3 => CanonicalEncoding.ToUnixMicroseconds(item.Record.OccurredAt),
                4 => FormatTotals(item.Record.Inputs ?? EmptyInputs),
                5 => item.Record.Attributes is { Count: > 0 } a ? JsonSerializer.Serialize(a, ScenarioJson.Default.IReadOnlyDictionaryStringString) : null,
                6 => item.Record.Evidence?.ToLowerInvariant(),
                7 => item.Result!.Grams,
                8 => item.Result!.Points,
                9 => item.LotId,
                10 => item.LotId > 0 ? sequences[item.Account] : 0L,
                _ => _nowUs,
            }, "", ct);

            var changed = _days.Values.Where(d => d.Changed).ToList();
            await Sql.InsertRowsAsync(connection, tx, "behaviour_days", DayColumns, changed, static (d, c) => c switch
            {
                0 => d.Account,
                1 => d.Scenario,
                2 => LedgerStore.Iso(d.Day),
                3 => (long)d.Tally.Records,
                4 => d.Tally.Grams,
                5 => d.Tally.Points,
                _ => d.TotalsJson,
            }, " ON CONFLICT (account_id, scenario_id, day) DO UPDATE SET records = excluded.records, grams = excluded.grams, points = excluded.points, totals = excluded.totals", ct);

            await Sql.InsertRowsAsync(connection, tx, "dedup_marks", MarkColumns, _marks, static (m, c) => c switch
            {
                0 => m.Group,
                1 => m.Item.Account,
                2 => m.Item.DedupKey!,
                3 => CanonicalEncoding.ToUnixMicroseconds(m.Item.Record.OccurredAt),
                4 => m.Item.Scenario.Id,
                _ => m.Item.Record.ExternalId,
            }, "", ct);

            var stats = items.GroupBy(i => (i.Scenario.Id, i.Result!.OutcomeCode))
                .Select(g => (g.Key.Id, g.Key.OutcomeCode, Records: (long)g.Count(), Grams: g.Sum(i => i.Result!.Status == RecordStatus.Accepted ? i.Result.Grams : 0),
                    Points: g.Sum(i => i.Result!.Status == RecordStatus.Accepted ? i.Result.Points : 0)))
                .ToList();
            var receiptDay = LedgerStore.Iso(owner._policy.LocalDay(now));
            await Sql.InsertRowsAsync(connection, tx, "ingestion_stats", StatColumns, stats, (s, c) => c switch
            {
                0 => operatorAccount.Value,
                1 => s.Id,
                2 => receiptDay,
                3 => s.OutcomeCode,
                4 => s.Records,
                5 => s.Grams,
                _ => s.Points,
            }, " ON CONFLICT (operator_id, scenario_id, day, outcome) DO UPDATE SET records = ingestion_stats.records + excluded.records, "
               + "grams = ingestion_stats.grams + excluded.grams, points = ingestion_stats.points + excluded.points", ct);
        }

        private static readonly string[] RecordColumns = ["scenario_id", "external_id", "account_id", "occurred_us", "inputs", "attributes", "evidence", "grams", "points", "lot_id", "tx_seq", "accepted_us"];
        private static readonly string[] DayColumns = ["account_id", "scenario_id", "day", "records", "grams", "points", "totals"];
        private static readonly string[] MarkColumns = ["dedup_group", "account_id", "key_hash", "occurred_us", "scenario_id", "external_id"];
        private static readonly string[] StatColumns = ["operator_id", "scenario_id", "day", "outcome", "records", "grams", "points"];

        /// <summary>The checks that need no read under the lock, in the order their reasons are reported.</summary>
        private RecordResult? Precheck(Item item)
        {
            if (item.Scenario.Status != ScenarioStatus.Running)
                return RecordResult.Rejected(RejectionReason.ScenarioNotRunning, $"scenario {item.Scenario.Code} is {item.Scenario.Status.Code()}");
            var occurred = item.Record.OccurredAt;
            if (occurred > now + owner._policy.FutureTolerance)
                return RecordResult.Rejected(RejectionReason.InFuture, "occurredAt is later than the platform's clock");
            if (item.Day < owner._policy.LocalDay(now).AddDays(-item.Rules.Definition.MaxAgeDays))
                return RecordResult.Rejected(RejectionReason.TooOld, string.Create(CultureInfo.InvariantCulture, $"records older than {item.Rules.Definition.MaxAgeDays} days are not accepted"));
            if (item.Account == 0)
                return RecordResult.Rejected(RejectionReason.UnknownUser, "no person has bound this user reference");
            if (!item.Consented)
                return RecordResult.Rejected(RejectionReason.NoConsent, $"the person had not consented to scenario {item.Scenario.Code} when the record occurred");
            return null;
        }

        private async Task<Dictionary<(long, string), RecordResult>> FindAcceptedAsync(DbConnection connection, DbTransaction tx, CancellationToken ct)
        {
            var keys = items.Where(i => i.Fixed is null).Select(i => (i.Scenario.Id, i.Record.ExternalId)).Distinct().ToList();
            var found = new Dictionary<(long, string), RecordResult>();
            await Sql.LookupAsync(connection, tx, "SELECT scenario_id, external_id, grams, points, accepted_us FROM behaviour_records", ["scenario_id", "external_id"], keys,
                static (k, c) => c == 0 ? k.Id : k.ExternalId,
                r => found[(r.GetInt64(0), r.GetString(1))] = new RecordResult(RecordStatus.Accepted, r.GetInt64(2), r.GetInt64(3), null, null,
                    CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(4)), null), ct);
            return found;
        }

        /// <summary>The candidates' days, and the earlier days their history functions read; days not in the store start empty.</summary>
        private static async Task<Dictionary<(long, long, DateOnly), DayState>> LoadDaysAsync(DbConnection connection, DbTransaction tx, List<Item> candidates, CancellationToken ct)
        {
            var keys = new HashSet<(long Account, long Scenario, DateOnly Day)>();
            foreach (var item in candidates)
            {
                for (var back = 0; back <= item.Rules.LookbackDays; back++) keys.Add((item.Account, item.Scenario.Id, item.Day.AddDays(-back)));
            }

            var days = new Dictionary<(long, long, DateOnly), DayState>(keys.Count);
            await Sql.LookupAsync(connection, tx, "SELECT account_id, scenario_id, day, records, grams, points, totals FROM behaviour_days", ["account_id", "scenario_id", "day"],
                keys.ToList(), static (k, c) => c switch { 0 => k.Account, 1 => k.Scenario, _ => LedgerStore.Iso(k.Day) }, r =>
                {
                    var day = LedgerStore.ParseDay(r.GetString(2));
                    days[(r.GetInt64(0), r.GetInt64(1), day)] = new DayState(r.GetInt64(0), r.GetInt64(1), day,
                        new DayTally((int)r.GetInt64(3), r.GetInt64(4), r.GetInt64(5)), r.GetString(6));
                }, ct);
            foreach (var (account, scenario, day) in keys)
                if (!days.ContainsKey((account, scenario, day))) days[(account, scenario, day)] = new DayState(account, scenario, day, default, "{}");
            return days;
        }

        private static DbCommand? DedupQuery(DbConnection connection, DbTransaction tx, List<Item> candidates)
        {
            if (!candidates.Any(i => i.Rules.Definition.Dedup is not null)) return null;
            return Sql.Command(connection, tx,
                "SELECT 1 FROM dedup_marks WHERE dedup_group = @g AND account_id = @a AND key_hash = @h AND occurred_us BETWEEN @lo AND @hi LIMIT 1")
                .With("@g", "").With("@a", 0L).With("@h", Array.Empty<byte>()).With("@lo", 0L).With("@hi", 0L);
        }

        private static async Task<bool> MarkedAsync(DbCommand query, string group, long account, byte[] key, long fromUs, long toUs, CancellationToken ct)
        {
            query.Parameters[0].Value = group;
            query.Parameters[1].Value = account;
            query.Parameters[2].Value = key;
            query.Parameters[3].Value = fromUs;
            query.Parameters[4].Value = toUs;
            return await query.ExecuteScalarAsync(ct) is not null;
        }

        private readonly Dictionary<ScenarioRules, MethodologyEvaluator?> _evaluators = [];

        private MethodologyEvaluator? Evaluator(ScenarioRules rules)
        {
            if (!_evaluators.TryGetValue(rules, out var evaluator)) _evaluators[rules] = evaluator = rules.CreateEvaluator();
            return evaluator;
        }

        /// <summary>Finds or creates the lot of every accepted record that carries points or grams.</summary>
        private async Task OpenLotsAsync(DbConnection connection, DbTransaction tx, CancellationToken ct)
        {
            var keys = items.Where(i => i.Result!.Status == RecordStatus.Accepted && (i.Result.Points > 0 || i.Result.Grams > 0))
                .Select(i => (i.Account, Batch: i.Batch.Value, i.Day)).Distinct().ToList();
            if (keys.Count == 0) return;
            var lots = new Dictionary<(long, long, DateOnly), PointLot>(keys.Count);
            async Task FindAsync(IReadOnlyList<(long Account, long Batch, DateOnly Day)> wanted) =>
                await Sql.LookupAsync(connection, tx, "SELECT account_id, batch_id, day, id, expires_on FROM lots", ["account_id", "batch_id", "day"], wanted,
                    static (k, c) => c switch { 0 => k.Account, 1 => k.Batch, _ => LedgerStore.Iso(k.Day) }, r =>
                    {
                        var lot = new PointLot(new LotId(r.GetInt64(3)), new AccountId(r.GetInt64(0)), new BatchId(r.GetInt64(1)),
                            LedgerStore.ParseDay(r.GetString(2)), LedgerStore.ParseDay(r.GetString(4)));
                        lots[(lot.Account.Value, lot.Batch.Value, lot.Day)] = lot;
                    }, ct);

            await FindAsync(keys);
            var missing = keys.Where(k => !lots.ContainsKey(k)).ToList();
            if (missing.Count > 0)
            {
                await Sql.InsertRowsAsync(connection, tx, "lots", ["account_id", "batch_id", "day", "expires_on"], missing, (k, c) => c switch
                {
                    0 => k.Account,
                    1 => k.Batch,
                    2 => LedgerStore.Iso(k.Day),
                    _ => LedgerStore.Iso(owner._policy.ExpiryOf(k.Day)),
                }, " ON CONFLICT (account_id, batch_id, day) DO NOTHING", ct);
                await FindAsync(missing);
            }

            foreach (var item in items)
            {
                if (item.Result!.Status == RecordStatus.Accepted && lots.TryGetValue((item.Account, item.Batch.Value, item.Day), out var lot)) item.LotId = lot.Id.Value;
            }

            owner._store.RememberLots(lots.Values, missing.Select(k => lots[k].Id.Value));
        }

        /// <summary>One issuance per person (split when one person's lots exceed a transaction), so a person's history holds only their own postings.</summary>
        private List<Transaction> BuildTransactions()
        {
            _issues = [];
            var transactions = new List<Transaction>();
            var request = Guid.CreateVersion7(now).ToString("N");
            var byAccount = items.Where(i => i.Result!.Status == RecordStatus.Accepted && i.LotId > 0).GroupBy(i => i.Account);
            foreach (var group in byAccount)
            {
                var byLot = group.GroupBy(i => i.LotId).ToList();
                for (var start = 0; start < byLot.Count; start += LotsPerTransactionMax)
                {
                    var chunk = byLot.Skip(start).Take(LotsPerTransactionMax).ToList();
                    var builder = new TransactionBuilder(TransactionKind.Issue, string.Create(CultureInfo.InvariantCulture, $"ingest:{request}:{transactions.Count}"), now, actor)
                    {
                        Reference = string.Create(CultureInfo.InvariantCulture, $"behaviour records: {chunk.Sum(l => l.Count())}"),
                    };
                    var account = new AccountId(group.Key);
                    foreach (var lot in chunk)
                    {
                        var first = lot.First();
                        var points = lot.Sum(i => i.Result!.Points);
                        var grams = lot.Sum(i => i.Result!.Grams);
                        if (points > 0) builder.MovePoints(owner._pointsSource!.Value, account, new Points(points), first.Batch, toLot: new LotId(lot.Key));
                        if (grams > 0) builder.MoveGrams(owner._gramsSource!.Value, account, first.Batch, new Grams(grams), toLot: new LotId(lot.Key));
                    }
                    transactions.Add(builder.Build());
                    _issues.Add((group.Key, chunk.SelectMany(l => l).ToList()));
                }
            }

            return transactions;
        }

        private static byte[] DedupKey(DedupRule rule, IncomingRecord record)
        {
            var text = new StringBuilder(rule.Group);
            foreach (var name in rule.Attributes) text.Append('\u001f').Append(record.Attributes![name]);
            return SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        }
    }

    private static readonly IReadOnlyDictionary<string, decimal> EmptyInputs = new Dictionary<string, decimal>();

    /// <summary>Inputs and totals as a JSON object of exact decimals; names are checked to be plain names, so need no escaping.</summary>
    private static string FormatTotals(IReadOnlyDictionary<string, decimal> values)
    {
        if (values.Count == 0) return "{}";
        var json = new StringBuilder("{");
        foreach (var (name, value) in values)
        {
            if (json.Length > 1) json.Append(',');
            json.Append('"').Append(name).Append("\":").Append(value.ToString(CultureInfo.InvariantCulture));
        }

        return json.Append('}').ToString();
    }

    internal static Dictionary<string, decimal> ParseTotals(string json)
    {
        var totals = new Dictionary<string, decimal>(StringComparer.Ordinal);
        using var document = JsonDocument.Parse(json);
        foreach (var property in document.RootElement.EnumerateObject()) totals[property.Name] = property.Value.GetDecimal();
        return totals;
    }
}
