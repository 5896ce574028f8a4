using Puhui.Ledger;
using Puhui.Methodologies.Language;

namespace Puhui.Methodologies;

/// <summary>
/// Evaluates records against one methodology. Set each input, then call <see cref="Evaluate"/>; inputs are
/// cleared after every evaluation so a value can never leak into the next record. An evaluator holds its slot
/// array and allocates nothing per record; it is not thread-safe, so keep one per worker.
/// </summary>
public sealed class MethodologyEvaluator
{
    private readonly Methodology _methodology;
    private readonly PointsRule? _points;
    private readonly EvaluationState _state;
    private readonly bool[] _isSet;

    internal MethodologyEvaluator(Methodology methodology, PointsRule? points)
    {
        if (points is not null && !ReferenceEquals(points.Methodology, methodology))
            throw new ArgumentException("the points rule was compiled for another methodology", nameof(points));
        _methodology = methodology;
        _points = points;
        _state = new EvaluationState(methodology.SlotCount, methodology.InputNames);
        _isSet = new bool[methodology.Inputs.Count];
    }

    public Methodology Methodology => _methodology;

    /// <summary>Sets input <paramref name="index"/> (see <see cref="Methodology.InputIndex"/>), in its declared unit.</summary>
    public void SetInput(int index, decimal value)
    {
        _state.Slots[index] = value;
        _isSet[index] = true;
    }

    /// <summary>Sets an input by name; false if the methodology declares no such input.</summary>
    public bool TrySetInput(string name, decimal value)
    {
        var index = _methodology.InputIndex(name);
        if (index < 0) return false;
        SetInput(index, value);
        return true;
    }

    /// <summary>The value of formula <paramref name="index"/> from the last evaluation, in its declared unit.</summary>
    public decimal FormulaValue(int index) => _state.Slots[_methodology.Inputs.Count + index];

    /// <summary>
    /// Calculates the record's reduction and points. <paramref name="acceptedToday"/> is what the same person was
    /// already credited today in this scenario, for the per-person daily cap. A null history means no earlier records.
    /// </summary>
    public Calculation Evaluate(DateOnly day, IBehaviourHistory? history = null, Grams acceptedToday = default)
    {
        var methodology = _methodology;
        var slots = _state.Slots;
        var inputs = methodology.Inputs;
        var rejection = CalculationReason.None;
        string? subject = null;
        for (var i = 0; i < _isSet.Length; i++)
        {
            var input = inputs[i];
            if (!_isSet[i])
            {
                if (input.Default is { } fallback) slots[i] = fallback;
                else if (rejection == CalculationReason.None) { rejection = CalculationReason.Malformed; subject = input.Name; }
            }
            _isSet[i] = false;
            if (rejection == CalculationReason.None && (slots[i] < input.Min || slots[i] > input.Max))
            {
                rejection = CalculationReason.OutOfBounds;
                subject = input.Name;
            }
        }
        if (rejection != CalculationReason.None) return Calculation.Reject(rejection, subject);

        _state.Day = day;
        _state.History = history;
        _state.FaultSite = -1;
        try
        {
            methodology.Program(_state);
        }
        catch (OverflowException)
        {
            _state.Clear();
            return Calculation.Fault(CalculationReason.Overflow, null, -1);
        }
        if (_state.FaultSite >= 0)
        {
            var site = methodology.Site(_state.FaultSite);
            _state.Clear();
            return Calculation.Fault(CalculationReason.DivisionByZero, site.Formula, site.Position);
        }

        var ruleBase = inputs.Count + methodology.Formulas.Count;
        for (var i = 0; i < methodology.Rules.Count; i++)
        {
            if (slots[ruleBase + i] != 0m) continue;
            _state.Clear();
            return Calculation.Reject(CalculationReason.Implausible, methodology.Rules[i].Name);
        }

        long grams = 0;
        if (methodology.ReductionSlot >= 0)
        {
            var raw = slots[methodology.ReductionSlot];
            if (raw > 0m)
            {
                var whole = methodology.Rounding switch
                {
                    GramRounding.HalfUp => decimal.Round(raw, 0, MidpointRounding.AwayFromZero),
                    GramRounding.HalfEven => decimal.Round(raw, 0, MidpointRounding.ToEven),
                    _ => decimal.Floor(raw),
                };
                if (whole > long.MaxValue)
                {
                    _state.Clear();
                    return Calculation.Fault(CalculationReason.Overflow, Methodology.ReductionFormula, -1);
                }
                grams = (long)whole;
            }
        }
        var caps = methodology.Caps;
        if (caps.PerRecord is { } perRecord && grams > perRecord.Value) grams = perRecord.Value;
        if (caps.PerPersonDay is { } perDay && grams > 0)
        {
            var remaining = perDay.Value - acceptedToday.Value;
            if (remaining <= 0)
            {
                _state.Clear();
                return Calculation.Reject(CalculationReason.DailyCapReached, null);
            }
            if (grams > remaining) grams = remaining;
        }

        long points = 0;
        if (_points is not null)
        {
            slots[methodology.AcceptedSlot] = grams;
            decimal value;
            try
            {
                value = _points.Compiled(_state);
            }
            catch (OverflowException)
            {
                _state.Clear();
                return Calculation.Fault(CalculationReason.Overflow, PointsRule.Name, -1);
            }
            if (_state.FaultSite >= 0)
            {
                var site = _points.Site(_state.FaultSite);
                _state.Clear();
                return Calculation.Fault(CalculationReason.DivisionByZero, site.Formula, site.Position);
            }
            // Points are whole and never negative; a fractional rule result is truncated, never rounded up.
            if (value > 0m) points = value >= long.MaxValue ? long.MaxValue : (long)decimal.Truncate(value);
        }
        _state.Clear();
        return Calculation.Accept(new Grams(grams), new Points(points));
    }
}
