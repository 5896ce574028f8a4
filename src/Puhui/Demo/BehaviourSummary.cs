using System.Globalization;
using Puhui.Client;
using Puhui.Host.Http;
using Spectre.Console;

namespace Puhui.Host.Demo;

/// <summary>What one scenario's operator was told about its records: counts by outcome and reason, and what the accepted ones earned.</summary>
public sealed class ScenarioTally(string scenario, string operatorName)
{
    private readonly Dictionary<string, long> _rejected = new(StringComparer.Ordinal);

    public string Scenario { get; } = scenario;
    public string OperatorName { get; } = operatorName;
    public long Records { get; private set; }
    public long Accepted { get; private set; }
    public long Duplicates { get; private set; }
    public long Grams { get; private set; }
    public long Points { get; private set; }

    /// <summary>Rejected records by reason code, in the order of <see cref="RejectionReasons.All"/>.</summary>
    public IEnumerable<KeyValuePair<string, long>> Rejected =>
        _rejected.OrderBy(r => BehaviourSummary.ReasonRank(r.Key)).ThenBy(r => r.Key, StringComparer.Ordinal);

    public long RejectedTotal => _rejected.Values.Sum();

    public void Add(RecordOutcome outcome)
    {
        Records++;
        switch (outcome.Outcome)
        {
            case Outcomes.Accepted:
                Accepted++;
                Grams += outcome.Grams ?? 0;
                Points += outcome.Points ?? 0;
                break;
            case Outcomes.Duplicate:
                Duplicates++;
                break;
            default:
                var reason = outcome.Reason ?? "(none)";
                _rejected[reason] = _rejected.GetValueOrDefault(reason) + 1;
                break;
        }
    }

    /// <summary>The same counts keyed as the operator statistics are: <c>accepted</c>, <c>duplicate</c> or a reason code.</summary>
    public Dictionary<string, (long Records, long Grams, long Points)> ByOutcome()
    {
        var byOutcome = new Dictionary<string, (long, long, long)>(StringComparer.Ordinal);
        if (Accepted > 0) byOutcome[Outcomes.Accepted] = (Accepted, Grams, Points);
        if (Duplicates > 0) byOutcome[Outcomes.Duplicate] = (Duplicates, 0, 0);
        foreach (var (reason, count) in _rejected) byOutcome[reason] = (count, 0, 0);
        return byOutcome;
    }
}

/// <summary>The demo's results by scenario, taken from the SDK's per-record outcomes.</summary>
public sealed class BehaviourSummary
{
    private readonly List<ScenarioTally> _scenarios = DemoTown.Operators.Select(o => new ScenarioTally(o.Scenario.Code, o.DisplayName)).ToList();

    public IReadOnlyList<ScenarioTally> Scenarios => _scenarios;

    public long Records => _scenarios.Sum(s => s.Records);

    public void Add(SubmitResult result)
    {
        foreach (var outcome in result.Outcomes)
            (_scenarios.Find(s => s.Scenario == outcome.Scenario) ?? throw new InvalidOperationException($"An outcome for scenario {outcome.Scenario}, which the demo did not send."))
                .Add(outcome);
    }

    /// <summary>
    /// Where an operator's own statistics (<c>GET /api/v1/operator/statistics</c>) disagree with the outcomes the SDK
    /// returned for its scenario, one line per difference; empty when they agree.
    /// </summary>
    public IReadOnlyList<string> Disagreements(int op, StatisticsDto statistics)
    {
        var tally = _scenarios[op];
        var reported = new Dictionary<string, (long Records, long Grams, long Points)>(StringComparer.Ordinal);
        foreach (var row in statistics.Rows)
        {
            if (row.Scenario != tally.Scenario)
                return [$"{DemoTown.Operators[op].Code}: the statistics list scenario {row.Scenario}, which is not this operator's"];
            var (records, grams, points) = reported.GetValueOrDefault(row.Outcome);
            reported[row.Outcome] = (records + row.Records, grams + row.Grams, points + row.Points);
        }

        var seen = tally.ByOutcome();
        var problems = new List<string>();
        foreach (var outcome in seen.Keys.Union(reported.Keys).Order(StringComparer.Ordinal))
        {
            var mine = seen.GetValueOrDefault(outcome);
            var theirs = reported.GetValueOrDefault(outcome);
            if (mine != theirs)
                problems.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{tally.Scenario} {outcome}: the SDK's outcomes say {mine.Records} records, {mine.Grams} g, {mine.Points} points; the operator statistics say {theirs.Records}, {theirs.Grams} g, {theirs.Points}"));
        }

        return problems;
    }

    /// <summary>The summary table: one row per scenario and a total.</summary>
    public Table ToTable(string title)
    {
        var table = new Table().Title(title)
            .AddColumn("场景 / Scenario")
            .AddColumn(new TableColumn("记录 / Records").RightAligned())
            .AddColumn(new TableColumn("接受 / Accepted").RightAligned())
            .AddColumn(new TableColumn("重复 / Duplicates").RightAligned())
            .AddColumn("拒绝原因 / Rejected by reason")
            .AddColumn(new TableColumn("减排 / Grams CO2e").RightAligned())
            .AddColumn(new TableColumn("积分 / Points").RightAligned());
        foreach (var s in _scenarios)
            table.AddRow(Markup.Escape(s.Scenario), N(s.Records), N(s.Accepted), N(s.Duplicates), Reasons(s.Rejected), N(s.Grams), N(s.Points));

        var totalRejected = _scenarios.SelectMany(s => s.Rejected).GroupBy(r => r.Key, StringComparer.Ordinal)
            .Select(g => KeyValuePair.Create(g.Key, g.Sum(r => r.Value)))
            .OrderBy(r => ReasonRank(r.Key)).ThenBy(r => r.Key, StringComparer.Ordinal);
        table.AddEmptyRow();
        table.AddRow("合计 / Total", N(Records), N(_scenarios.Sum(s => s.Accepted)), N(_scenarios.Sum(s => s.Duplicates)), Reasons(totalRejected),
            N(_scenarios.Sum(s => s.Grams)), N(_scenarios.Sum(s => s.Points)));
        return table;
    }

    /// <summary>Where a reason code stands in <see cref="RejectionReasons.All"/>; unknown codes go last.</summary>
    internal static int ReasonRank(string reason)
    {
        for (var i = 0; i < RejectionReasons.All.Count; i++)
            if (RejectionReasons.All[i] == reason) return i;
        return int.MaxValue;
    }

    private static string Reasons(IEnumerable<KeyValuePair<string, long>> rejected)
    {
        var lines = rejected.Select(r => $"{Markup.Escape(r.Key)} {N(r.Value)}").ToList();
        return lines.Count == 0 ? "—" : string.Join('\n', lines);
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
