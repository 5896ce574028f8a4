using Puhui.Methodologies;
using Puhui.Methodologies.Language;

namespace Puhui.Tests.Methodologies;

/// <summary>The formula language's syntax: precedence, literals and syntax errors with positions.</summary>
public sealed class ParserTests
{
    [Theory]
    [InlineData("1 + 2 * 3", "7")]
    [InlineData("(1 + 2) * 3", "9")]
    [InlineData("10 - 4 - 3", "3")]
    [InlineData("24 / 4 / 3", "2")]
    [InlineData("2 * 3 + 4 * 5", "26")]
    [InlineData("-2 * 3", "-6")]
    [InlineData("- -2", "2")]
    [InlineData("10 - -2", "12")]
    [InlineData("1 - 2 + 3", "2")]
    [InlineData("if(1 + 1 == 2, 10, 20)", "10")]
    [InlineData("if(1 < 2 and 3 < 2 or 1 == 1, 1, 0)", "1")]
    [InlineData("if(not 1 > 2 and 2 > 1, 1, 0)", "1")]
    [InlineData("if(1 > 2 or 2 > 1 and 1 > 2, 1, 0)", "0")]
    [InlineData("if(true and not false, 5, 6)", "5")]
    [InlineData("min(3, 1, 2) + max(3, 7, 5)", "8")]
    [InlineData("clamp(15, 0, 10) + clamp(-5, 0, 10)", "10")]
    [InlineData("0.1 + 0.2", "0.3")]
    [InlineData(".5 * 4", "2.0")]
    [InlineData("1 / 3 * 3", "0.9999999999999999999999999999")]
    [InlineData("abs(-2.5)", "2.5")]
    public void Operators_follow_the_documented_precedence(string formula, string expected)
    {
        var report = MethodologyText.Evaluate(formula, "1");
        Assert.Equal(CalculationStatus.Accepted, report.Result.Status);
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), report.Values[0].Value);
    }

    [Theory]
    [InlineData("round(2.5)", "3")]
    [InlineData("round(-2.5)", "-3")]
    [InlineData("round(2.4999)", "2")]
    [InlineData("floor(2.9)", "2")]
    [InlineData("floor(-2.1)", "-3")]
    [InlineData("ceil(2.1)", "3")]
    [InlineData("ceil(-2.9)", "-2")]
    [InlineData("round(1234 / 1000)", "1")]
    [InlineData("floor(7 / 2)", "3")]
    [InlineData("floor(-7 / 2)", "-4")]
    [InlineData("floor(-8 / 2)", "-4")]
    [InlineData("floor(7.5 / 2)", "3")]
    [InlineData("floor(-7 / -2)", "3")]
    [InlineData("floor(7 / -2)", "-4")]
    [InlineData("floor(1000000000000000000000 / 3)", "333333333333333333333")]
    public void Rounding_functions_round_half_away_from_zero_and_floor_down(string formula, string expected)
    {
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), MethodologyText.Evaluate(formula, "1").Values[0].Value);
    }

    [Theory]
    [InlineData("1 +", 3, "expression expected")]
    [InlineData("(1 + 2", 6, "')' expected")]
    [InlineData("1 + * 2", 4, "unexpected '*'")]
    [InlineData("2km", 1, "unit in brackets")]
    [InlineData("2 km", 2, "unexpected 'k'")]
    [InlineData("1 = 2", 2, "'=='")]
    [InlineData("1 < 2 < 3", 6, "do not chain")]
    [InlineData("1.", 2, "digit expected")]
    [InlineData("5[furlong]", 2, "unknown unit")]
    [InlineData("5[km", 1, "']' expected")]
    [InlineData("min(1, 2", 8, "')' or ','")]
    [InlineData("1 2", 2, "unexpected '2'")]
    [InlineData("a $ b", 2, "unexpected '$'")]
    public void Syntax_errors_report_the_character_position(string formula, int position, string fragment)
    {
        var error = Assert.Throws<MethodologyException>(() => Parser.Parse(formula));
        Assert.Equal(position, error.Position);
        Assert.Contains(fragment, error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Unit_literal_converts_exactly_to_the_declared_unit()
    {
        Assert.Equal(2500m, MethodologyText.Evaluate("2.5[km]", "m").Values[0].Value);
        Assert.Equal(0.25m, MethodologyText.Evaluate("250[g]", "kg").Values[0].Value);
    }
}
