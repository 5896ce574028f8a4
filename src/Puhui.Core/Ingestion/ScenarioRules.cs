using System.Globalization;
using Puhui.Ledger;
using Puhui.Methodologies;

namespace Puhui.Ingestion;

/// <summary>What one person has been credited in one scenario on one day so far.</summary>
public readonly record struct DayTally(int Records, long Grams, long Points);

/// <summary>The verdict on one record: credited grams and points, or a rejection with a detail for people.</summary>
public readonly record struct Verdict(RejectionReason? Rejection, Grams Grams, Points Points, string? Detail)
{
    public bool IsAccepted => Rejection is null;

    public static Verdict Accept(Grams grams, Points points) => new(null, grams, points, null);

    public static Verdict Reject(RejectionReason reason, string detail) => new(reason, Grams.Zero, Points.Zero, detail);
}

/// <summary>
/// A registered scenario ready to judge records: its definition, its methodology (null for points-only) and the
/// compiled points rule. Immutable and shared; <see cref="Judge"/> needs an evaluator from <see cref="CreateEvaluator"/>,
/// one per thread.
/// </summary>
public sealed class ScenarioRules
{
    private readonly int[] _boundedInputs;
    private readonly decimal[] _boundMin;
    private readonly decimal[] _boundMax;

    public ScenarioRules(ScenarioDefinition definition, Methodology? methodology)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (definition.Problem(methodology) is { } problem) throw new ArgumentException(problem, nameof(definition));
        Definition = definition;
        Methodology = methodology;
        if (methodology is not null && definition.PointsPerAction is null)
            Points = definition.PointsRule is { } rule ? PointsRule.Compile(rule, methodology) : methodology.Points;
        LookbackDays = Math.Max(methodology?.HistoryLookbackDays ?? 0, Points?.LookbackDays ?? 0);
        var bounds = (definition.InputBounds ?? new Dictionary<string, InputBounds>()).ToList();
        _boundedInputs = bounds.Select(b => methodology!.InputIndex(b.Key)).ToArray();
        _boundMin = bounds.Select(b => b.Value.Min ?? decimal.MinValue).ToArray();
        _boundMax = bounds.Select(b => b.Value.Max ?? decimal.MaxValue).ToArray();
        Attributes = definition.Attributes ?? [];
    }

    public ScenarioDefinition Definition { get; }
    public Methodology? Methodology { get; }

    /// <summary>The compiled points rule; null when the scenario pays a fixed number of points per action.</summary>
    public PointsRule? Points { get; }

    /// <summary>How many days before a record's day its history functions read.</summary>
    public int LookbackDays { get; }

    public IReadOnlyList<string> Attributes { get; }

    public MethodologyEvaluator? CreateEvaluator() => Methodology?.CreateEvaluator(Points);

    /// <summary>
    /// Judges one record's inputs on its local day, given what the person was already credited that day in this
    /// scenario and their earlier days. Inputs the methodology does not declare make the record malformed, so an
    /// operator's mistake is never silently ignored.
    /// </summary>
    public Verdict Judge(MethodologyEvaluator? evaluator, IReadOnlyDictionary<string, decimal> inputs, DateOnly day, DayTally today, IBehaviourHistory? history)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (Definition.DailyRecordsCap is { } recordsCap && today.Records >= recordsCap)
            return Verdict.Reject(RejectionReason.DailyCapReached, string.Create(CultureInfo.InvariantCulture, $"at most {recordsCap} records per person per day"));
        var pointsCap = Definition.DailyPointsCap ?? long.MaxValue;
        if (today.Points >= pointsCap)
            return Verdict.Reject(RejectionReason.DailyCapReached, string.Create(CultureInfo.InvariantCulture, $"at most {pointsCap} points per person per day"));

        long grams = 0;
        long points;
        if (evaluator is null)
        {
            points = Definition.PointsPerAction!.Value;
        }
        else
        {
            var methodology = evaluator.Methodology;
            foreach (var (name, value) in inputs)
            {
                var index = methodology.InputIndex(name);
                if (index < 0)
                {
                    // Clear what was set so far: the evaluator must not carry values into the next record.
                    evaluator.Evaluate(day);
                    return Verdict.Reject(RejectionReason.Malformed, $"input {name} is not declared by methodology {methodology.Id}");
                }
                evaluator.SetInput(index, value);
            }

            for (var b = 0; b < _boundedInputs.Length; b++)
            {
                if (!inputs.TryGetValue(methodology.InputNames[_boundedInputs[b]], out var value)) continue;
                if (value >= _boundMin[b] && value <= _boundMax[b]) continue;
                evaluator.Evaluate(day);
                return Verdict.Reject(RejectionReason.OutOfBounds, $"{methodology.InputNames[_boundedInputs[b]]} is outside the scenario's bounds");
            }

            var calculation = evaluator.Evaluate(day, history, new Grams(today.Grams));
            if (!calculation.IsAccepted)
            {
                var detail = calculation.Status == CalculationStatus.Faulted
                    ? $"methodology {methodology.Id} {methodology.Version} faulted: {calculation}"
                    : $"{calculation.Reason.Code()}" + (calculation.Subject is { } s ? $" ({s})" : "");
                return Verdict.Reject(RejectionReasons.FromCalculation(calculation.Reason), detail);
            }
            grams = calculation.Reduction.Value;
            points = Definition.PointsPerAction ?? calculation.Points.Value;
        }

        // The points cap leaves the remainder, as the methodology's grams cap does.
        if (points > pointsCap - today.Points) points = pointsCap - today.Points;
        return Verdict.Accept(new Grams(grams), new Points(points));
    }
}
