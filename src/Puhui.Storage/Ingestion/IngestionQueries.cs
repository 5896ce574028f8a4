using System.Data.Common;
using System.Text.Json;
using Puhui.Ingestion;
using Puhui.Ledger;
using Puhui.Methodologies;
using Puhui.Storage.Ledger;

namespace Puhui.Storage.Ingestion;

/// <summary>One accepted behaviour record as its person sees it.</summary>
public sealed record PersonRecord(
    long Id,
    string ScenarioCode,
    string ScenarioTitleZh,
    string ScenarioTitleEn,
    string OperatorName,
    DateTimeOffset OccurredAt,
    DateTimeOffset AcceptedAt,
    IReadOnlyDictionary<string, decimal> Inputs,
    long Grams,
    long Points,
    string? MethodologyId,
    string? MethodologyVersion,
    long TransactionSequence);

public sealed record PersonRecordPage(IReadOnlyList<PersonRecord> Records, long? NextBefore);

/// <summary>
/// Why a record earned what it did: the methodology version, every factor with its source, and each formula's
/// value for this record's inputs. <see cref="ComputedGrams"/> can exceed <see cref="PersonRecord.Grams"/> when a
/// cap left only the remainder.
/// </summary>
public sealed record RecordExplanation(
    PersonRecord Record,
    LocalizedText? MethodologyTitle,
    MethodologyClass Class,
    IReadOnlyList<Factor> Factors,
    IReadOnlyList<IntermediateValue> Formulas,
    long? ComputedGrams,
    string PointsRule,
    IReadOnlyList<string> Notes);

/// <summary>An operator's ingestion by receipt day, scenario and outcome (<c>accepted</c>, <c>duplicate</c> or a rejection code).</summary>
public sealed record IngestionStatistic(DateOnly Day, string ScenarioCode, string Outcome, long Records, long Grams, long Points);

/// <summary>The read side of ingestion: what people and operators see.</summary>
public sealed class IngestionQueries(LedgerStore store, ScenarioStore scenarios, IngestionPolicy? policy = null)
{
    private readonly IngestionPolicy _policy = policy ?? IngestionPolicy.Default;

    public const int PageMax = 200;
    public const int StatisticsDaysMax = 366;

    /// <summary>A person's accepted records, newest first, a page at a time (keyset on the record id).</summary>
    public async Task<PersonRecordPage> GetRecordsAsync(AccountId person, long? before, int limit, CancellationToken ct = default)
    {
        if (limit is < 1 or > PageMax) throw new ArgumentOutOfRangeException(nameof(limit), limit, $"A page holds 1–{PageMax} records.");
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, RecordSelect + " WHERE r.account_id = @a AND r.id < @before ORDER BY r.id DESC LIMIT @limit")
            .With("@a", person.Value).With("@before", before ?? long.MaxValue).With("@limit", limit + 1);
        var list = await ReadRecordsAsync(cmd, ct);
        var more = list.Count > limit;
        if (more) list.RemoveAt(list.Count - 1);
        return new PersonRecordPage(list, more ? list[^1].Id : null);
    }

    /// <summary>Explains one of the person's records; null when the person has no such record.</summary>
    public async Task<RecordExplanation?> ExplainAsync(AccountId person, long recordId, CancellationToken ct = default)
    {
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null, RecordSelect + " WHERE r.account_id = @a AND r.id = @id").With("@a", person.Value).With("@id", recordId);
        var found = await ReadRecordsAsync(cmd, ct);
        if (found.Count == 0) return null;
        var record = found[0];
        var scenario = await scenarios.GetAsync(record.ScenarioCode, ct)
            ?? throw new InvalidOperationException($"Record {recordId} names scenario {record.ScenarioCode}, which the store lost.");
        var rules = await scenarios.RulesAsync(scenario, ct);
        var notes = new List<string>();
        if (rules.Methodology is not { } methodology)
        {
            notes.Add("points-only scenario: a fixed number of points per action, no reduction (JS 33)");
            return new RecordExplanation(record, null, MethodologyClass.None, [], [], null, $"{scenario.Definition.PointsPerAction} per action", notes);
        }

        var day = _policy.LocalDay(record.OccurredAt);
        var history = await LoadHistoryAsync(connection, person, scenario.Id, day, rules.LookbackDays, ct);
        var report = methodology.Calculate(record.Inputs, day, history);
        long? computed = report.Result.IsAccepted ? report.Result.Reduction.Value : null;
        if (computed is { } c && c > record.Grams)
            notes.Add($"computed {c} g; {record.Grams} g credited because the person's daily cap left only the remainder");
        if (rules.LookbackDays > 0)
            notes.Add("history functions read the person's daily totals as they stand now; records that arrived late can change them");
        var pointsRule = scenario.Definition.PointsPerAction is { } fixedPoints ? $"{fixedPoints} per action" : rules.Points?.Expression ?? "";
        return new RecordExplanation(record, methodology.Title, methodology.Class, methodology.Factors, report.Values, computed, pointsRule, notes);
    }

    /// <summary>The operator's ingestion statistics for receipt days <paramref name="from"/> to <paramref name="to"/>, inclusive.</summary>
    public async Task<IReadOnlyList<IngestionStatistic>> GetStatisticsAsync(AccountId operatorAccount, DateOnly from, DateOnly to, CancellationToken ct = default)
    {
        if (to < from || to.DayNumber - from.DayNumber >= StatisticsDaysMax)
            throw new ArgumentOutOfRangeException(nameof(to), to, $"A statistics range is 1–{StatisticsDaysMax} days, from before to.");
        await using var connection = await store.Dialect.OpenAsync(ct);
        await using var cmd = Sql.Command(connection, null,
            "SELECT st.day, s.code, st.outcome, st.records, st.grams, st.points FROM ingestion_stats st JOIN scenarios s ON s.id = st.scenario_id "
            + "WHERE st.operator_id = @op AND st.day >= @from AND st.day <= @to ORDER BY st.day, s.code, st.outcome")
            .With("@op", operatorAccount.Value).With("@from", LedgerStore.Iso(from)).With("@to", LedgerStore.Iso(to));
        var list = new List<IngestionStatistic>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(new IngestionStatistic(LedgerStore.ParseDay(r.GetString(0)), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5)));
        return list;
    }

    private const string RecordSelect =
        "SELECT r.id, s.code, s.definition, a.display_name, r.occurred_us, r.accepted_us, r.inputs, r.grams, r.points, r.tx_seq "
        + "FROM behaviour_records r JOIN scenarios s ON s.id = r.scenario_id JOIN accounts a ON a.id = s.operator_id";

    private static async Task<List<PersonRecord>> ReadRecordsAsync(DbCommand cmd, CancellationToken ct)
    {
        var list = new List<PersonRecord>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var definition = JsonSerializer.Deserialize(r.GetString(2), ScenarioJson.Default.ScenarioDefinition)!;
            var inputs = BehaviourIngestion.ParseTotals(r.GetString(6));
            list.Add(new PersonRecord(r.GetInt64(0), definition.Code, definition.TitleZh, definition.TitleEn, r.GetString(3),
                CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(4)), CanonicalEncoding.FromUnixMicroseconds(r.GetInt64(5)), inputs,
                r.GetInt64(7), r.GetInt64(8), definition.MethodologyId, definition.MethodologyVersion, r.GetInt64(9)));
        }

        return list;
    }

    private static async Task<DailyTotals?> LoadHistoryAsync(DbConnection connection, AccountId person, long scenario, DateOnly day, int lookbackDays, CancellationToken ct)
    {
        if (lookbackDays == 0) return null;
        var totals = new DailyTotals();
        await using var cmd = Sql.Command(connection, null,
            "SELECT day, totals FROM behaviour_days WHERE account_id = @a AND scenario_id = @s AND day >= @from AND day < @day AND records > 0")
            .With("@a", person.Value).With("@s", scenario).With("@from", LedgerStore.Iso(day.AddDays(-lookbackDays))).With("@day", LedgerStore.Iso(day));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var d = LedgerStore.ParseDay(r.GetString(0));
            foreach (var (input, total) in BehaviourIngestion.ParseTotals(r.GetString(1))) totals.Add(input, d, total);
        }

        return totals;
    }
}
