namespace Puhui.Methodologies.Language;

/// <summary>A parsed formula before unit checking. Positions are zero-based character offsets in the formula.</summary>
internal abstract record Syntax(int Position);

internal sealed record NumberSyntax(int Position, decimal Value, Unit Unit) : Syntax(Position);

internal sealed record BoolSyntax(int Position, bool Value) : Syntax(Position);

internal sealed record NameSyntax(int Position, string Name) : Syntax(Position);

internal sealed record UnarySyntax(int Position, UnaryOperator Operator, Syntax Operand) : Syntax(Position);

internal sealed record BinarySyntax(int Position, BinaryOperator Operator, Syntax Left, Syntax Right) : Syntax(Position);

internal sealed record CallSyntax(int Position, string Name, IReadOnlyList<Syntax> Arguments) : Syntax(Position);

internal enum UnaryOperator
{
    Negate,
    Not,
}

internal enum BinaryOperator
{
    Add,
    Subtract,
    Multiply,
    Divide,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Equal,
    NotEqual,
    And,
    Or,
}
