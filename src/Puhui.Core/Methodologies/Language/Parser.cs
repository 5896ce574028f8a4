using System.Globalization;

namespace Puhui.Methodologies.Language;

/// <summary>
/// Lexer and recursive-descent parser for the formula language. Precedence, lowest first: <c>or</c>, <c>and</c>,
/// <c>not</c>, comparisons (non-associative), <c>+ -</c>, <c>* /</c>, unary minus, primaries. A number may carry a
/// unit in brackets: <c>25[km/h]</c>.
/// </summary>
internal sealed class Parser
{
    private readonly string _text;
    private int _position;
    private int _depth;

    private Parser(string text) => _text = text;

    /// <exception cref="MethodologyException">The text is not a formula; <see cref="MethodologyException.Position"/> says where.</exception>
    public static Syntax Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MethodologyLimits.FormulaLengthMax)
            throw Error(MethodologyLimits.FormulaLengthMax, $"formula is longer than {MethodologyLimits.FormulaLengthMax} characters");
        var parser = new Parser(text);
        var result = parser.ParseOr();
        parser.SkipSpace();
        if (parser._position < text.Length) throw Error(parser._position, $"unexpected '{text[parser._position]}'");
        return result;
    }

    private static MethodologyException Error(int position, string problem) => new("", null, position, problem);

    private void Enter(int position)
    {
        if (++_depth > MethodologyLimits.NestingDepthMax)
            throw Error(position, $"formula nests deeper than {MethodologyLimits.NestingDepthMax} levels");
    }

    private void Leave() => _depth--;

    private Syntax ParseOr()
    {
        var left = ParseAnd();
        while (TryKeyword("or", out var at)) left = new BinarySyntax(at, BinaryOperator.Or, left, ParseAnd());
        return left;
    }

    private Syntax ParseAnd()
    {
        var left = ParseNot();
        while (TryKeyword("and", out var at)) left = new BinarySyntax(at, BinaryOperator.And, left, ParseNot());
        return left;
    }

    private Syntax ParseNot()
    {
        if (!TryKeyword("not", out var at)) return ParseComparison();
        Enter(at);
        var operand = ParseNot();
        Leave();
        return new UnarySyntax(at, UnaryOperator.Not, operand);
    }

    private Syntax ParseComparison()
    {
        var left = ParseAdditive();
        SkipSpace();
        var at = _position;
        BinaryOperator? op = Peek() switch
        {
            '<' when Peek(1) == '=' => BinaryOperator.LessOrEqual,
            '<' => BinaryOperator.Less,
            '>' when Peek(1) == '=' => BinaryOperator.GreaterOrEqual,
            '>' => BinaryOperator.Greater,
            '=' when Peek(1) == '=' => BinaryOperator.Equal,
            '!' when Peek(1) == '=' => BinaryOperator.NotEqual,
            '=' => throw Error(at, "use '==' to compare"),
            _ => null,
        };
        if (op is not { } comparison) return left;
        _position += comparison is BinaryOperator.Less or BinaryOperator.Greater ? 1 : 2;
        var right = ParseAdditive();
        SkipSpace();
        if (Peek() is '<' or '>' || (Peek() is '=' or '!' && Peek(1) == '='))
            throw Error(_position, "comparisons do not chain; use 'and'");
        return new BinarySyntax(at, comparison, left, right);
    }

    private Syntax ParseAdditive()
    {
        var left = ParseMultiplicative();
        while (true)
        {
            SkipSpace();
            var at = _position;
            if (Peek() == '+') { _position++; left = new BinarySyntax(at, BinaryOperator.Add, left, ParseMultiplicative()); }
            else if (Peek() == '-') { _position++; left = new BinarySyntax(at, BinaryOperator.Subtract, left, ParseMultiplicative()); }
            else return left;
        }
    }

    private Syntax ParseMultiplicative()
    {
        var left = ParseUnary();
        while (true)
        {
            SkipSpace();
            var at = _position;
            if (Peek() == '*') { _position++; left = new BinarySyntax(at, BinaryOperator.Multiply, left, ParseUnary()); }
            else if (Peek() == '/') { _position++; left = new BinarySyntax(at, BinaryOperator.Divide, left, ParseUnary()); }
            else return left;
        }
    }

    private Syntax ParseUnary()
    {
        SkipSpace();
        var at = _position;
        if (Peek() != '-') return ParsePrimary();
        _position++;
        Enter(at);
        var operand = ParseUnary();
        Leave();
        return new UnarySyntax(at, UnaryOperator.Negate, operand);
    }

    private Syntax ParsePrimary()
    {
        SkipSpace();
        var at = _position;
        var c = Peek();
        if (c == '\0') throw Error(at, "expression expected, found the end of the formula");
        if (char.IsAsciiDigit(c) || (c == '.' && char.IsAsciiDigit(Peek(1)))) return ParseNumber();
        if (c == '(')
        {
            _position++;
            Enter(at);
            var inner = ParseOr();
            Leave();
            Expect(')', "')' expected");
            return inner;
        }
        if (char.IsAsciiLetter(c) || c == '_')
        {
            var name = ReadIdentifier();
            switch (name)
            {
                case "true": return new BoolSyntax(at, true);
                case "false": return new BoolSyntax(at, false);
                case "and" or "or" or "not": throw Error(at, $"'{name}' cannot start an operand");
            }
            SkipSpace();
            if (Peek() != '(') return new NameSyntax(at, name);
            _position++;
            Enter(at);
            var arguments = new List<Syntax>();
            SkipSpace();
            if (Peek() != ')')
            {
                while (true)
                {
                    if (arguments.Count >= 8) throw Error(_position, "a function takes at most 8 arguments");
                    arguments.Add(ParseOr());
                    SkipSpace();
                    if (Peek() != ',') break;
                    _position++;
                }
            }
            Leave();
            Expect(')', "')' or ',' expected");
            return new CallSyntax(at, name, arguments);
        }
        throw Error(at, $"unexpected '{c}'");
    }

    private NumberSyntax ParseNumber()
    {
        var start = _position;
        var digits = 0;
        while (char.IsAsciiDigit(Peek())) { _position++; digits++; }
        if (Peek() == '.')
        {
            _position++;
            if (!char.IsAsciiDigit(Peek())) throw Error(_position, "digit expected after '.'");
            while (char.IsAsciiDigit(Peek())) { _position++; digits++; }
        }
        if (digits > 28) throw Error(start, "a number has at most 28 digits");
        if (char.IsAsciiLetter(Peek()) || Peek() == '_') throw Error(_position, "write a unit in brackets after a number, e.g. 25[km/h]");
        var value = decimal.Parse(_text.AsSpan(start, _position - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        var unit = Unit.One;
        if (Peek() == '[')
        {
            var open = _position;
            var close = _text.IndexOf(']', open + 1);
            if (close < 0) throw Error(open, "']' expected after the unit");
            try
            {
                unit = Unit.Parse(_text[(open + 1)..close]);
            }
            catch (MethodologyException e)
            {
                throw Error(open + 1, e.Problem);
            }
            _position = close + 1;
        }
        return new NumberSyntax(start, value, unit);
    }

    private string ReadIdentifier()
    {
        var start = _position;
        while (char.IsAsciiLetterOrDigit(Peek()) || Peek() == '_') _position++;
        if (_position - start > 64) throw Error(start, "a name has at most 64 characters");
        return _text[start.._position];
    }

    private bool TryKeyword(string keyword, out int at)
    {
        SkipSpace();
        at = _position;
        if (string.CompareOrdinal(_text, _position, keyword, 0, keyword.Length) != 0) return false;
        var after = Peek(keyword.Length);
        if (char.IsAsciiLetterOrDigit(after) || after == '_') return false;
        _position += keyword.Length;
        return true;
    }

    private void Expect(char c, string problem)
    {
        SkipSpace();
        if (Peek() != c) throw Error(_position, problem);
        _position++;
    }

    private void SkipSpace()
    {
        while (_position < _text.Length && char.IsWhiteSpace(_text[_position])) _position++;
    }

    private char Peek(int ahead = 0)
    {
        var i = _position + ahead;
        return i < _text.Length ? _text[i] : '\0';
    }
}
