namespace Puhui.Methodologies.Language;

/// <summary>
/// A straightforward tree-walking evaluator of bound formulas. It is the reference the compiled delegates are
/// tested against, and it is deliberately written without sharing the compiler's structure.
/// </summary>
internal static class Interpreter
{
    public static decimal Number(Bound bound, EvaluationState state)
    {
        switch (bound)
        {
            case ConstantBound c:
                return c.Value;
            case SlotBound s:
                return state.Slots[s.Slot];
            case NegateBound n:
                return -Number(n.Operand, state);
            case ArithmeticBound a:
            {
                var left = Number(a.Left, state);
                var right = Number(a.Right, state);
                switch (a.Operator)
                {
                    case ArithmeticOperator.Add: return left + right;
                    case ArithmeticOperator.Subtract: return left - right;
                    case ArithmeticOperator.Multiply: return left * right;
                    default:
                        if (right != 0m) return left / right;
                        if (state.FaultSite < 0) state.FaultSite = a.Site;
                        return 0m;
                }
            }
            case IfBound i:
                return Truth(i.Condition, state) ? Number(i.WhenTrue, state) : Number(i.WhenFalse, state);
            case FunctionBound f:
            {
                var x = Number(f.Arguments[0], state);
                switch (f.Function)
                {
                    case NumericFunction.Min: { var y = Number(f.Arguments[1], state); return y < x ? y : x; }
                    case NumericFunction.Max: { var y = Number(f.Arguments[1], state); return y > x ? y : x; }
                    case NumericFunction.Clamp:
                    {
                        var low = Number(f.Arguments[1], state);
                        var high = Number(f.Arguments[2], state);
                        if (x < low) return low;
                        return x > high ? high : x;
                    }
                    case NumericFunction.Round: return Math.Round(x, MidpointRounding.AwayFromZero);
                    case NumericFunction.Floor: return Math.Floor(x);
                    case NumericFunction.Ceil: return Math.Ceiling(x);
                    default: return x < 0 ? -x : x;
                }
            }
            case HistoryBound h:
                return Runtime.History(state, h.Function, h.Input, h.Days, h.Skip);
            default:
                return Truth(bound, state) ? 1m : 0m;
        }
    }

    public static bool Truth(Bound bound, EvaluationState state)
    {
        switch (bound)
        {
            case BoolConstantBound b:
                return b.Value;
            case NotBound n:
                return !Truth(n.Operand, state);
            case LogicBound { IsAnd: true } l:
                return Truth(l.Left, state) && Truth(l.Right, state);
            case LogicBound l:
                return Truth(l.Left, state) || Truth(l.Right, state);
            case IfBound i:
                return Truth(i.Condition, state) ? Truth(i.WhenTrue, state) : Truth(i.WhenFalse, state);
            case CompareBound c:
            {
                var left = Number(c.Left, state);
                var right = Number(c.Right, state);
                return c.Operator switch
                {
                    CompareOperator.Less => left < right,
                    CompareOperator.LessOrEqual => left <= right,
                    CompareOperator.Greater => left > right,
                    CompareOperator.GreaterOrEqual => left >= right,
                    CompareOperator.Equal => left == right,
                    _ => left != right,
                };
            }
            default:
                throw new InvalidOperationException($"{bound.GetType().Name} is not a truth value");
        }
    }
}
