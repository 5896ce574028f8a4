using System.Globalization;

namespace Puhui.Methodologies.Language;

/// <summary>What a name in a formula refers to.</summary>
internal enum SymbolKind
{
    Input,
    Factor,
    Formula,
    Accepted,
}

internal readonly record struct Symbol(SymbolKind Kind, int Slot, decimal Value, Unit Unit);

/// <summary>The static type of an expression: a truth value, or a number with a unit.</summary>
internal readonly record struct FormulaType(bool IsBool, Unit Unit)
{
    public static FormulaType Bool => new(true, Unit.One);

    public override string ToString() => IsBool ? "a truth value" : $"[{Unit}]";
}

/// <summary>
/// Resolves names and checks units, producing the bound tree. Every problem is a <see cref="MethodologyException"/>
/// with the character position of the offending node; the caller adds the methodology and formula names.
/// </summary>
internal sealed class UnitChecker
{
    private readonly IReadOnlyDictionary<string, Symbol> _symbols;
    private readonly List<FaultSite> _sites;
    private readonly string _formula;

    private UnitChecker(IReadOnlyDictionary<string, Symbol> symbols, List<FaultSite> sites, string formula)
    {
        _symbols = symbols;
        _sites = sites;
        _formula = formula;
    }

    /// <summary>Evaluation steps of the checked formula: one per node, plus one per day a history function reads.</summary>
    public int Steps { get; private set; }

    /// <summary>The most days before the record's day that a history function of the formula reads (window plus skipped days); 0 if none.</summary>
    public int LookbackDays { get; private set; }

    public static (Bound Bound, FormulaType Type, int Steps) Check(
        Syntax syntax, IReadOnlyDictionary<string, Symbol> symbols, List<FaultSite> sites, string formula)
        => Check(syntax, symbols, sites, formula, out _);

    public static (Bound Bound, FormulaType Type, int Steps) Check(
        Syntax syntax, IReadOnlyDictionary<string, Symbol> symbols, List<FaultSite> sites, string formula, out int lookbackDays)
    {
        var checker = new UnitChecker(symbols, sites, formula);
        var (bound, type) = checker.Visit(syntax);
        lookbackDays = checker.LookbackDays;
        return (bound, type, checker.Steps);
    }

    private static MethodologyException Error(Syntax at, string problem) => new("", null, at.Position, problem);

    private (Bound, FormulaType) Visit(Syntax syntax)
    {
        Steps++;
        switch (syntax)
        {
            case NumberSyntax n:
                return (new ConstantBound(n.Value), new FormulaType(false, n.Unit));
            case BoolSyntax b:
                return (new BoolConstantBound(b.Value), FormulaType.Bool);
            case NameSyntax name:
                if (!_symbols.TryGetValue(name.Name, out var symbol)) throw Error(name, $"unknown name '{name.Name}'");
                return symbol.Kind == SymbolKind.Factor
                    ? (new ConstantBound(symbol.Value), new FormulaType(false, symbol.Unit))
                    : (new SlotBound(symbol.Slot), new FormulaType(false, symbol.Unit));
            case UnarySyntax { Operator: UnaryOperator.Negate } u:
            {
                var (operand, type) = Number(u.Operand, "'-'");
                return (new NegateBound(operand), type);
            }
            case UnarySyntax u:
                return (new NotBound(Truth(u.Operand, "'not'")), FormulaType.Bool);
            case BinarySyntax b:
                return VisitBinary(b);
            case CallSyntax c:
                return VisitCall(c);
            default:
                throw Error(syntax, "unsupported expression");
        }
    }

    private (Bound, FormulaType) VisitBinary(BinarySyntax b)
    {
        switch (b.Operator)
        {
            case BinaryOperator.And or BinaryOperator.Or:
            {
                var word = b.Operator == BinaryOperator.And ? "'and'" : "'or'";
                return (new LogicBound(b.Operator == BinaryOperator.And, Truth(b.Left, word), Truth(b.Right, word)), FormulaType.Bool);
            }
            case BinaryOperator.Multiply or BinaryOperator.Divide:
            {
                var word = b.Operator == BinaryOperator.Multiply ? "'*'" : "'/'";
                var (left, lt) = Number(b.Left, word);
                var (right, rt) = Number(b.Right, word);
                Unit unit;
                try
                {
                    unit = b.Operator == BinaryOperator.Multiply ? lt.Unit * rt.Unit : lt.Unit / rt.Unit;
                }
                catch (MethodologyException e)
                {
                    throw Error(b, e.Problem);
                }
                if (b.Operator == BinaryOperator.Multiply)
                    return (new ArithmeticBound(ArithmeticOperator.Multiply, left, right, -1), new FormulaType(false, unit));
                _sites.Add(new FaultSite(_formula, b.Position));
                return (new ArithmeticBound(ArithmeticOperator.Divide, left, right, _sites.Count - 1), new FormulaType(false, unit));
            }
            case BinaryOperator.Add or BinaryOperator.Subtract:
            {
                var word = b.Operator == BinaryOperator.Add ? "'+'" : "'-'";
                var (left, lt) = Number(b.Left, word);
                var (right, rt) = Number(b.Right, word);
                var unit = Unify(b, word, ref left, lt.Unit, ref right, rt.Unit);
                var op = b.Operator == BinaryOperator.Add ? ArithmeticOperator.Add : ArithmeticOperator.Subtract;
                return (new ArithmeticBound(op, left, right, -1), new FormulaType(false, unit));
            }
            default:
            {
                var word = "'" + OperatorText(b.Operator) + "'";
                var (left, lt) = Number(b.Left, word);
                var (right, rt) = Number(b.Right, word);
                Unify(b, word, ref left, lt.Unit, ref right, rt.Unit);
                var op = b.Operator switch
                {
                    BinaryOperator.Less => CompareOperator.Less,
                    BinaryOperator.LessOrEqual => CompareOperator.LessOrEqual,
                    BinaryOperator.Greater => CompareOperator.Greater,
                    BinaryOperator.GreaterOrEqual => CompareOperator.GreaterOrEqual,
                    BinaryOperator.Equal => CompareOperator.Equal,
                    _ => CompareOperator.NotEqual,
                };
                return (new CompareBound(op, left, right), FormulaType.Bool);
            }
        }
    }

    private (Bound, FormulaType) VisitCall(CallSyntax c)
    {
        var args = c.Arguments;
        switch (c.Name)
        {
            case "min" or "max":
            {
                if (args.Count < 2) throw Error(c, $"{c.Name} takes at least 2 arguments");
                var bound = new Bound[args.Count];
                var (first, firstType) = Number(args[0], c.Name);
                bound[0] = first;
                var unit = firstType.Unit;
                for (var i = 1; i < args.Count; i++)
                {
                    var (next, nextType) = Number(args[i], c.Name);
                    var before = unit;
                    unit = Unify(args[i], c.Name, ref first, unit, ref next, nextType.Unit);
                    bound[i] = next;
                    if (unit.Equals(before)) continue;
                    // The common scale got smaller: convert the arguments already checked to it as well.
                    for (var j = 0; j < i; j++) bound[j] = Convert(bound[j], before, unit, args[j]);
                }
                var result = bound[0];
                for (var i = 1; i < bound.Length; i++)
                    result = new FunctionBound(c.Name == "min" ? NumericFunction.Min : NumericFunction.Max, [result, bound[i]]);
                return (result, new FormulaType(false, unit));
            }
            case "clamp":
            {
                Arity(c, 3);
                var (value, vt) = Number(args[0], "clamp");
                var (low, lt) = Number(args[1], "clamp");
                var (high, ht) = Number(args[2], "clamp");
                var unit = Unify(args[1], "clamp", ref value, vt.Unit, ref low, lt.Unit);
                var final = Unify(args[2], "clamp", ref value, unit, ref high, ht.Unit);
                if (!final.Equals(unit)) low = Convert(low, unit, final, args[1]);
                return (new FunctionBound(NumericFunction.Clamp, [value, low, high]), new FormulaType(false, final));
            }
            case "round" or "floor" or "ceil":
            {
                Arity(c, 1);
                var (value, type) = Number(args[0], c.Name);
                if (!type.Unit.IsDimensionless)
                    throw Error(args[0], $"{c.Name} takes a plain number, not [{type.Unit}]; divide by a unit first, e.g. {c.Name}(x / 1[kg])");
                value = Convert(value, type.Unit, Unit.One, args[0]);
                var function = c.Name switch { "round" => NumericFunction.Round, "floor" => NumericFunction.Floor, _ => NumericFunction.Ceil };
                return (new FunctionBound(function, [value]), new FormulaType(false, Unit.One));
            }
            case "abs":
            {
                Arity(c, 1);
                var (value, type) = Number(args[0], "abs");
                return (new FunctionBound(NumericFunction.Abs, [value]), type);
            }
            case "if":
            {
                Arity(c, 3);
                var condition = Truth(args[0], "if");
                var (whenTrue, tt) = Visit(args[1]);
                var (whenFalse, ft) = Visit(args[2]);
                if (tt.IsBool != ft.IsBool) throw Error(args[2], $"the branches of if must have the same type, not {tt} and {ft}");
                if (tt.IsBool) return (new IfBound(condition, whenTrue, whenFalse), FormulaType.Bool);
                var unit = Unify(args[2], "if", ref whenTrue, tt.Unit, ref whenFalse, ft.Unit);
                return (new IfBound(condition, whenTrue, whenFalse), new FormulaType(false, unit));
            }
            case "sum_prev" or "avg_prev" or "days_prev":
                return VisitHistory(c);
            default:
                throw Error(c, $"unknown function '{c.Name}'");
        }
    }

    private (Bound, FormulaType) VisitHistory(CallSyntax c)
    {
        Arity(c, 3);
        if (c.Arguments[0] is not NameSyntax name || !_symbols.TryGetValue(name.Name, out var symbol) || symbol.Kind != SymbolKind.Input)
            throw Error(c.Arguments[0], $"the first argument of {c.Name} must be an input name");
        var days = WholeNumber(c.Arguments[1], c.Name, "days");
        var skip = WholeNumber(c.Arguments[2], c.Name, "skip");
        if (days < 1) throw Error(c.Arguments[1], $"{c.Name} needs at least 1 day");
        if (days + skip > MethodologyLimits.HistoryDaysMax)
            throw Error(c.Arguments[1], $"{c.Name} may look back at most {MethodologyLimits.HistoryDaysMax} days");
        Steps += days;
        LookbackDays = Math.Max(LookbackDays, days + skip);
        var function = c.Name switch { "sum_prev" => HistoryFunction.Sum, "avg_prev" => HistoryFunction.Average, _ => HistoryFunction.Days };
        var unit = function == HistoryFunction.Days ? Unit.One : symbol.Unit;
        return (new HistoryBound(function, symbol.Slot, days, skip), new FormulaType(false, unit));
    }

    private static int WholeNumber(Syntax syntax, string function, string what)
    {
        if (syntax is not NumberSyntax { } n || !n.Unit.Equals(Unit.One) || n.Value != decimal.Truncate(n.Value) || n.Value > MethodologyLimits.HistoryDaysMax)
            throw Error(syntax, $"the {what} argument of {function} must be a whole number of days written as a literal");
        return (int)n.Value;
    }

    private static void Arity(CallSyntax c, int count)
    {
        if (c.Arguments.Count != count)
            throw Error(c, string.Create(CultureInfo.InvariantCulture, $"{c.Name} takes {count} argument{(count == 1 ? "" : "s")}, not {c.Arguments.Count}"));
    }

    private (Bound, FormulaType) Number(Syntax syntax, string context)
    {
        var (bound, type) = Visit(syntax);
        if (type.IsBool) throw Error(syntax, $"{context} needs a number here, not a truth value");
        return (bound, type);
    }

    private Bound Truth(Syntax syntax, string context)
    {
        var (bound, type) = Visit(syntax);
        if (!type.IsBool) throw Error(syntax, $"{context} needs a truth value here, not a number {type}");
        return bound;
    }

    /// <summary>
    /// Brings two operands of the same dimension to one scale, converting the one with the larger unit down so the
    /// factor is a whole number where possible (km to m, not m to km).
    /// </summary>
    private Unit Unify(Syntax at, string context, ref Bound left, Unit leftUnit, ref Bound right, Unit rightUnit)
    {
        if (!leftUnit.SameDimension(rightUnit))
            throw Error(at, $"{context} needs operands of the same dimension, not [{leftUnit}] and [{rightUnit}]");
        if (leftUnit.Equals(rightUnit)) return leftUnit;
        if (leftUnit.TryConversionFactor(rightUnit, out var toRight) && toRight >= 1m)
        {
            left = Scale(left, toRight);
            return rightUnit;
        }
        if (rightUnit.TryConversionFactor(leftUnit, out var toLeft))
        {
            right = Scale(right, toLeft);
            return leftUnit;
        }
        if (leftUnit.TryConversionFactor(rightUnit, out toRight))
        {
            left = Scale(left, toRight);
            return rightUnit;
        }
        throw Error(at, $"[{leftUnit}] and [{rightUnit}] do not convert exactly");
    }

    private Bound Convert(Bound bound, Unit from, Unit to, Syntax at)
    {
        if (from.Equals(to)) return bound;
        if (!from.TryConversionFactor(to, out var factor)) throw Error(at, $"[{from}] does not convert exactly to [{to}]");
        return Scale(bound, factor);
    }

    private Bound Scale(Bound bound, decimal factor)
    {
        Steps++;
        return new ArithmeticBound(ArithmeticOperator.Multiply, bound, new ConstantBound(factor), -1);
    }

    private static string OperatorText(BinaryOperator op) => op switch
    {
        BinaryOperator.Less => "<",
        BinaryOperator.LessOrEqual => "<=",
        BinaryOperator.Greater => ">",
        BinaryOperator.GreaterOrEqual => ">=",
        BinaryOperator.Equal => "==",
        BinaryOperator.NotEqual => "!=",
        BinaryOperator.Add => "+",
        BinaryOperator.Subtract => "-",
        BinaryOperator.Multiply => "*",
        BinaryOperator.Divide => "/",
        BinaryOperator.And => "and",
        BinaryOperator.Or => "or",
        _ => "?",
    };

    /// <summary>Converts a checked expression to the unit the author declared for it.</summary>
    public static Bound ToDeclared(Bound bound, FormulaType type, Unit declared, int position)
    {
        if (type.IsBool) throw new MethodologyException("", null, position, "a formula must compute a number, not a truth value");
        if (!type.Unit.SameDimension(declared))
            throw new MethodologyException("", null, position, $"the formula computes [{type.Unit}] but declares [{declared}]");
        if (type.Unit.Equals(declared)) return bound;
        if (!type.Unit.TryConversionFactor(declared, out var factor))
            throw new MethodologyException("", null, position, $"[{type.Unit}] does not convert exactly to the declared [{declared}]");
        return new ArithmeticBound(ArithmeticOperator.Multiply, bound, new ConstantBound(factor), -1);
    }
}
