using System.Globalization;
using Puhui.Methodologies.Language;

namespace Puhui.Tests.Methodologies;

/// <summary>The compiler's strength reductions give exactly what the plain operations give.</summary>
public sealed class CompilerTests
{
    [Theory]
    [InlineData("10", true, "0.1")]
    [InlineData("0.5", true, "2")]
    [InlineData("12.5", true, "0.08")]
    [InlineData("1024", true, "0.0009765625")]
    [InlineData("-4", true, "-0.25")]
    [InlineData("3", false, "0")]
    [InlineData("7", false, "0")]
    [InlineData("3.25", false, "0")]
    [InlineData("0", false, "0")]
    [InlineData("2199023255552", false, "0")] // 2^41: the reciprocal needs 41 digits
    public void Only_divisors_with_an_exact_short_reciprocal_become_multiplications(string divisor, bool exact, string reciprocal)
    {
        var ok = Compiler.TryExactReciprocal(decimal.Parse(divisor, CultureInfo.InvariantCulture), out var actual);
        Assert.Equal(exact, ok);
        Assert.Equal(decimal.Parse(reciprocal, CultureInfo.InvariantCulture), actual);
    }

    [Theory]
    [InlineData("a / 10")]
    [InlineData("a / 0.5")]
    [InlineData("a / 1024")]
    [InlineData("floor(a / 10)")]
    [InlineData("floor(a / -10)")]
    [InlineData("floor(a / 3)")]
    public void Compiled_division_by_constants_matches_the_interpreter_at_full_precision(string formula)
    {
        var methodology = MethodologyText.Load([("a", "1")], ("x", "1", formula));
        var day = new DateOnly(2025, 1, 1);
        var evaluator = methodology.CreateEvaluator();
        var random = new Random(7);
        for (var i = 0; i < 2_000; i++)
        {
            // Full 96-bit mantissas at every scale, within the input bounds of ±10^12, and small whole numbers.
            var a = i % 2 == 0
                ? new decimal(random.Next(), random.Next(), random.Next(), random.Next(2) == 0, (byte)random.Next(17, 29))
                : random.Next(-100_000, 100_000);
            evaluator.SetInput(0, a);
            var compiled = evaluator.Evaluate(day);
            var (slots, _, overflow, _) = methodology.Interpret([a], day, null);
            Assert.False(overflow);
            Assert.True(compiled.IsAccepted, $"{formula} with a = {a}: {compiled}");
            Assert.Equal(slots[1], evaluator.FormulaValue(0));
        }
    }
}
