namespace Puhui.Methodologies.Language;

/// <summary>
/// A unit-checked formula: names resolved to slots or constants, unit conversions made explicit as
/// multiplications by exact factors. Both the compiler and the reference interpreter work on this tree, so they
/// can only disagree if one of them is wrong.
/// </summary>
internal abstract record Bound;

internal sealed record ConstantBound(decimal Value) : Bound;

internal sealed record BoolConstantBound(bool Value) : Bound;

internal sealed record SlotBound(int Slot) : Bound;

internal sealed record NegateBound(Bound Operand) : Bound;

internal sealed record NotBound(Bound Operand) : Bound;

/// <summary>Arithmetic. <paramref name="Site"/> identifies the operator for a division-by-zero fault.</summary>
internal sealed record ArithmeticBound(ArithmeticOperator Operator, Bound Left, Bound Right, int Site) : Bound;

internal sealed record CompareBound(CompareOperator Operator, Bound Left, Bound Right) : Bound;

internal sealed record LogicBound(bool IsAnd, Bound Left, Bound Right) : Bound;

internal sealed record IfBound(Bound Condition, Bound WhenTrue, Bound WhenFalse) : Bound;

internal sealed record FunctionBound(NumericFunction Function, IReadOnlyList<Bound> Arguments) : Bound;

internal sealed record HistoryBound(HistoryFunction Function, int Input, int Days, int Skip) : Bound;

internal enum ArithmeticOperator
{
    Add,
    Subtract,
    Multiply,
    Divide,
}

internal enum CompareOperator
{
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Equal,
    NotEqual,
}

internal enum NumericFunction
{
    Min,
    Max,
    Clamp,
    Round,
    Floor,
    Ceil,
    Abs,
}

/// <summary>Functions over the same person's earlier accepted records in the same scenario, per day.</summary>
public enum HistoryFunction
{
    /// <summary><c>sum_prev(input, days, skip)</c>: the input's total over the window.</summary>
    Sum,

    /// <summary><c>avg_prev(input, days, skip)</c>: the mean daily total over the days of the window that have records; 0 if none.</summary>
    Average,

    /// <summary><c>days_prev(input, days, skip)</c>: how many days of the window have records.</summary>
    Days,
}

/// <summary>A position in a formula, kept for faults found while evaluating (division by zero).</summary>
internal readonly record struct FaultSite(string Formula, int Position);
