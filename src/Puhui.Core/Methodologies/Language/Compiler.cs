using System.Linq.Expressions;
using System.Reflection;

namespace Puhui.Methodologies.Language;

/// <summary>
/// Compiles bound formulas to one delegate per methodology with System.Linq.Expressions. The delegate reads and
/// writes the evaluator's slot array and calls the shared <see cref="Runtime"/> helpers, so it allocates nothing.
/// </summary>
internal static class Compiler
{
    private static readonly MethodInfo DivideMethod = Helper(nameof(Runtime.Divide));
    private static readonly MethodInfo ClampMethod = Helper(nameof(Runtime.Clamp));
    private static readonly MethodInfo RoundMethod = Helper(nameof(Runtime.Round));
    private static readonly MethodInfo FloorMethod = Helper(nameof(Runtime.Floor));
    private static readonly MethodInfo CeilingMethod = Helper(nameof(Runtime.Ceiling));
    private static readonly MethodInfo AbsMethod = Helper(nameof(Runtime.Abs));
    private static readonly MethodInfo MinMethod = Helper(nameof(Runtime.Min));
    private static readonly MethodInfo MaxMethod = Helper(nameof(Runtime.Max));
    private static readonly MethodInfo FloorDivideMethod = Helper(nameof(Runtime.FloorDivide));
    private static readonly MethodInfo HistoryMethod = Helper(nameof(Runtime.History));
    private static readonly FieldInfo SlotsField = typeof(EvaluationState).GetField(nameof(EvaluationState.Slots))!;

    private static MethodInfo Helper(string name) =>
        typeof(Runtime).GetMethod(name, BindingFlags.Public | BindingFlags.Static) ?? throw new InvalidOperationException(name);

    /// <summary>
    /// Compiles the methodology's program: the formula assignments <c>slots[target] = value</c> in order, then the
    /// plausibility rules in order. It returns the index of the first rule that fails, or -1; later rules are not
    /// evaluated.
    /// </summary>
    public static Func<EvaluationState, int> CompileProgram(IReadOnlyList<(int Slot, Bound Value)> assignments, IReadOnlyList<Bound> rules)
    {
        var state = Expression.Parameter(typeof(EvaluationState), "state");
        var slots = Expression.Variable(typeof(decimal[]), "slots");
        var done = Expression.Label(typeof(int), "done");
        var body = new List<Expression> { Expression.Assign(slots, Expression.Field(state, SlotsField)) };
        var context = new Context(state, slots);
        foreach (var (slot, value) in assignments)
            body.Add(Expression.Assign(Expression.ArrayAccess(slots, Expression.Constant(slot)), context.Emit(value)));
        for (var i = 0; i < rules.Count; i++)
            body.Add(Expression.IfThen(Expression.Not(context.Emit(rules[i])), Expression.Return(done, Expression.Constant(i))));
        body.Add(Expression.Label(done, Expression.Constant(-1)));
        return Expression.Lambda<Func<EvaluationState, int>>(Expression.Block([slots], body), state).Compile();
    }

    /// <summary>Compiles one numeric expression (used for the points rule).</summary>
    public static Func<EvaluationState, decimal> CompileValue(Bound value)
    {
        var state = Expression.Parameter(typeof(EvaluationState), "state");
        var slots = Expression.Variable(typeof(decimal[]), "slots");
        var context = new Context(state, slots);
        var body = Expression.Block(
            [slots],
            Expression.Assign(slots, Expression.Field(state, SlotsField)),
            context.Emit(value));
        return Expression.Lambda<Func<EvaluationState, decimal>>(body, state).Compile();
    }

    /// <summary>
    /// True when 1 / <paramref name="divisor"/> is a terminating decimal of at most 20 fractional digits, i.e. the
    /// divisor's integer mantissa has no prime factors but 2 and 5, so multiplying by it is exact.
    /// </summary>
    internal static bool TryExactReciprocal(decimal divisor, out decimal reciprocal)
    {
        reciprocal = 0m;
        if (divisor == 0m) return false;
        var mantissa = Math.Abs(divisor) * Pow10(divisor.Scale);
        var twos = 0;
        var fives = 0;
        while (mantissa % 2m == 0m) { mantissa /= 2m; twos++; }
        while (mantissa % 5m == 0m) { mantissa /= 5m; fives++; }
        if (mantissa != 1m || Math.Max(twos, fives) > 20) return false;
        reciprocal = 1m / divisor;
        return true;
    }

    private static decimal Pow10(int exponent)
    {
        var result = 1m;
        for (var i = 0; i < exponent; i++) result *= 10m;
        return result;
    }

    private sealed class Context(ParameterExpression state, ParameterExpression slots)
    {
        public Expression Emit(Bound bound) => bound switch
        {
            ConstantBound c => Expression.Constant(c.Value),
            BoolConstantBound b => Expression.Constant(b.Value),
            SlotBound s => Expression.ArrayIndex(slots, Expression.Constant(s.Slot)),
            NegateBound n => Expression.Negate(Emit(n.Operand)),
            NotBound n => Expression.Not(Emit(n.Operand)),
            ArithmeticBound a => a.Operator switch
            {
                ArithmeticOperator.Add => Expression.Add(Emit(a.Left), Emit(a.Right)),
                ArithmeticOperator.Subtract => Expression.Subtract(Emit(a.Left), Emit(a.Right)),
                ArithmeticOperator.Multiply => Expression.Multiply(Emit(a.Left), Emit(a.Right)),
                // A constant divisor with an exact decimal reciprocal (10, 0.5, 1000 …) becomes a multiplication,
                // several times faster and, since the quotient is the same real number, rounded alike; the
                // interpreter keeps the division, and the property tests hold the two together.
                ArithmeticOperator.Divide when a.Right is ConstantBound c && TryExactReciprocal(c.Value, out var reciprocal) =>
                    Expression.Multiply(Emit(a.Left), Expression.Constant(reciprocal)),
                // Any other constant non-zero divisor cannot fault, so it skips the checked helper.
                ArithmeticOperator.Divide when a.Right is ConstantBound { Value: not 0m } => Expression.Divide(Emit(a.Left), Emit(a.Right)),
                ArithmeticOperator.Divide => Expression.Call(DivideMethod, Emit(a.Left), Emit(a.Right), state, Expression.Constant(a.Site)),
                _ => throw new InvalidOperationException("unknown operator"),
            },
            CompareBound c => c.Operator switch
            {
                CompareOperator.Less => Expression.LessThan(Emit(c.Left), Emit(c.Right)),
                CompareOperator.LessOrEqual => Expression.LessThanOrEqual(Emit(c.Left), Emit(c.Right)),
                CompareOperator.Greater => Expression.GreaterThan(Emit(c.Left), Emit(c.Right)),
                CompareOperator.GreaterOrEqual => Expression.GreaterThanOrEqual(Emit(c.Left), Emit(c.Right)),
                CompareOperator.Equal => Expression.Equal(Emit(c.Left), Emit(c.Right)),
                CompareOperator.NotEqual => Expression.NotEqual(Emit(c.Left), Emit(c.Right)),
                _ => throw new InvalidOperationException("unknown comparison"),
            },
            LogicBound l => l.IsAnd ? Expression.AndAlso(Emit(l.Left), Emit(l.Right)) : Expression.OrElse(Emit(l.Left), Emit(l.Right)),
            IfBound i => Expression.Condition(Emit(i.Condition), Emit(i.WhenTrue), Emit(i.WhenFalse)),
            FunctionBound f => f.Function switch
            {
                NumericFunction.Min => Expression.Call(MinMethod, Emit(f.Arguments[0]), Emit(f.Arguments[1])),
                NumericFunction.Max => Expression.Call(MaxMethod, Emit(f.Arguments[0]), Emit(f.Arguments[1])),
                NumericFunction.Clamp => Expression.Call(ClampMethod, Emit(f.Arguments[0]), Emit(f.Arguments[1]), Emit(f.Arguments[2])),
                NumericFunction.Round => Expression.Call(RoundMethod, Emit(f.Arguments[0])),
                // floor(x / n) for a whole constant n, as in points rules (floor(accepted / 10[g])): integer division
                // when x is a whole number, which is most of the time, instead of a decimal division and a floor.
                NumericFunction.Floor when f.Arguments[0] is ArithmeticBound { Operator: ArithmeticOperator.Divide, Right: ConstantBound { Value: var n } } division
                    && n != 0m && n == decimal.Truncate(n) && Math.Abs(n) <= 1_000_000_000_000m =>
                    Expression.Call(FloorDivideMethod, Emit(division.Left), Expression.Constant((long)n)),
                NumericFunction.Floor => Expression.Call(FloorMethod, Emit(f.Arguments[0])),
                NumericFunction.Ceil => Expression.Call(CeilingMethod, Emit(f.Arguments[0])),
                NumericFunction.Abs => Expression.Call(AbsMethod, Emit(f.Arguments[0])),
                _ => throw new InvalidOperationException("unknown function"),
            },
            HistoryBound h => Expression.Call(
                HistoryMethod, state, Expression.Constant(h.Function), Expression.Constant(h.Input),
                Expression.Constant(h.Days), Expression.Constant(h.Skip)),
            _ => throw new InvalidOperationException("unknown node"),
        };
    }
}
