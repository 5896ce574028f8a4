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

    // Copied out of the methodology into arrays and fields: the hot path reads nothing through interfaces.
    private readonly decimal[] _min;
    private readonly decimal[] _max;
    private readonly decimal[] _default;
    private readonly bool[] _hasDefault;
    private readonly string[] _inputNames;
    private readonly string[] _ruleNames;
    private readonly int _reductionSlot;
    private readonly int _acceptedSlot;
    private readonly long _capPerRecord;
    private readonly long _capPerPersonDay;
    private readonly bool _hasDayCap;
    private readonly GramRounding _rounding;
    private readonly Func<EvaluationState, int> _program;
    private readonly Func<EvaluationState, decimal>? _pointsProgram;
    private readonly bool _pointsIntegral;

    internal MethodologyEvaluator(Methodology methodology, PointsRule? points)
    {
        if (points is not null && !ReferenceEquals(points.Methodology, methodology))
            throw new ArgumentException("the points rule was compiled for another methodology", nameof(points));
        _methodology = methodology;
        _points = points;
        _state = new EvaluationState(methodology.SlotCount, methodology.InputNames);
        var inputs = methodology.Inputs;
        _isSet = new bool[inputs.Count];
        _min = inputs.Select(i => i.Min).ToArray();
        _max = inputs.Select(i => i.Max).ToArray();
        _default = inputs.Select(i => i.Default ?? 0m).ToArray();
        _hasDefault = inputs.Select(i => i.Default.HasValue).ToArray();
        _inputNames = methodology.InputNames;
        _ruleNames = methodology.Rules.Select(r => r.Name).ToArray();
        _reductionSlot = methodology.ReductionSlot;
        _acceptedSlot = methodology.AcceptedSlot;
        _capPerRecord = methodology.Caps.PerRecord?.Value ?? long.MaxValue;
        _hasDayCap = methodology.Caps.PerPersonDay.HasValue;
        _capPerPersonDay = methodology.Caps.PerPersonDay?.Value ?? long.MaxValue;
        _rounding = methodology.Rounding;
        _program = methodology.Program;
        _pointsProgram = points?.Compiled;
        _pointsIntegral = points?.IsIntegral ?? false;
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
        var slots = _state.Slots;
        var isSet = _isSet;
        var rejection = CalculationReason.None;
        var subject = -1;
        for (var i = 0; i < isSet.Length; i++)
        {
            if (!isSet[i])
            {
                if (_hasDefault[i]) slots[i] = _default[i];
                else if (rejection == CalculationReason.None) { rejection = CalculationReason.Malformed; subject = i; }
            }
            isSet[i] = false;
            if (rejection == CalculationReason.None && (slots[i] < _min[i] || slots[i] > _max[i]))
            {
                rejection = CalculationReason.OutOfBounds;
                subject = i;
            }
        }
        if (rejection != CalculationReason.None) return Calculation.Reject(rejection, _inputNames[subject]);

        _state.Day = day;
        _state.History = history;
        _state.FaultSite = -1;
        var failedRule = RunProgram();
        if (failedRule == Overflowed)
        {
            _state.Clear();
            return Calculation.Fault(CalculationReason.Overflow, null, -1);
        }
        if (_state.FaultSite >= 0)
        {
            var site = _methodology.Site(_state.FaultSite);
            _state.Clear();
            return Calculation.Fault(CalculationReason.DivisionByZero, site.Formula, site.Position);
        }

        if (failedRule >= 0)
        {
            _state.Clear();
            return Calculation.Reject(CalculationReason.Implausible, _ruleNames[failedRule]);
        }

        long grams = 0;
        if (_reductionSlot >= 0)
        {
            var raw = slots[_reductionSlot];
            if (raw > 0m)
            {
                var whole = _rounding switch
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
        if (grams > _capPerRecord) grams = _capPerRecord;
        if (_hasDayCap && grams > 0)
        {
            var remaining = _capPerPersonDay - acceptedToday.Value;
            if (remaining <= 0)
            {
                _state.Clear();
                return Calculation.Reject(CalculationReason.DailyCapReached, null);
            }
            if (grams > remaining) grams = remaining;
        }

        long points = 0;
        if (_pointsProgram is not null)
        {
            slots[_acceptedSlot] = grams;
            if (!TryRunPoints(_pointsProgram, out var value))
            {
                _state.Clear();
                return Calculation.Fault(CalculationReason.Overflow, PointsRule.Name, -1);
            }
            if (_state.FaultSite >= 0)
            {
                var site = _points!.Site(_state.FaultSite);
                _state.Clear();
                return Calculation.Fault(CalculationReason.DivisionByZero, site.Formula, site.Position);
            }
            // Points are whole and never negative; a fractional rule result is truncated, never rounded up.
            if (value > 0m) points = value >= long.MaxValue ? long.MaxValue : (long)(_pointsIntegral ? value : decimal.Truncate(value));
        }
        _state.Clear();
        return Calculation.Accept(new Grams(grams), new Points(points));
    }

    private const int Overflowed = int.MinValue;

    // The exception handlers live in small methods of their own: a try block in Evaluate would keep its locals
    // out of registers for the whole method.
    private int RunProgram()
    {
        try
        {
            return _program(_state);
        }
        catch (OverflowException)
        {
            return Overflowed;
        }
    }

    private bool TryRunPoints(Func<EvaluationState, decimal> points, out decimal value)
    {
        try
        {
            value = points(_state);
            return true;
        }
        catch (OverflowException)
        {
            value = 0m;
            return false;
        }
    }
}
