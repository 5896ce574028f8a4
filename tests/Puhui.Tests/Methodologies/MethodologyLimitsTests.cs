using System.Globalization;
using System.Text;
using Puhui.Methodologies;
using Puhui.Methodologies.Language;

namespace Puhui.Tests.Methodologies;

/// <summary>Every limit in <see cref="MethodologyLimits"/> at its boundary: the maximum loads, one more is refused.</summary>
public sealed class MethodologyLimitsTests
{
    [Fact]
    public void Formula_of_the_maximum_length_parses_and_one_character_more_is_refused()
    {
        var longest = "1" + new string(' ', MethodologyLimits.FormulaLengthMax - 1);
        Assert.IsType<NumberSyntax>(Parser.Parse(longest));
        var error = Assert.Throws<MethodologyException>(() => Parser.Parse(longest + " "));
        Assert.Contains("longer than", error.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("(", ")")]
    [InlineData("abs(", ")")]
    [InlineData("-", "")]
    [InlineData("not ", "")]
    public void Nesting_at_the_maximum_depth_parses_and_one_level_more_is_refused(string open, string close)
    {
        static string Nest(string open, string close, int depth) =>
            string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth));
        Parser.Parse(Nest(open, close, MethodologyLimits.NestingDepthMax));
        var error = Assert.Throws<MethodologyException>(() => Parser.Parse(Nest(open, close, MethodologyLimits.NestingDepthMax + 1)));
        Assert.Contains("nests deeper", error.Problem, StringComparison.Ordinal);
    }

    private static string StepsMethodology(int fillerDays)
    {
        // 27 × (1 call + 366 days) + (1 + fillerDays) + 1 for the points rule "0".
        var formulas = Enumerable.Range(0, 27).Select(i => ($"f{i}", "km", "sum_prev(a, 366, 0)"))
            .Append(("filler", "km", $"sum_prev(a, {fillerDays.ToString(CultureInfo.InvariantCulture)}, 0)"));
        return MethodologyText.Formulas([("a", "km")], formulas);
    }

    [Fact]
    public void Evaluation_steps_at_the_maximum_load_and_one_more_is_refused()
    {
        var atLimit = MethodologyLoader.Parse(StepsMethodology(89));
        Assert.Equal(MethodologyLimits.EvaluationStepsMax, atLimit.EvaluationSteps);
        var error = Assert.Throws<MethodologyException>(() => MethodologyLoader.Parse(StepsMethodology(90)));
        Assert.Contains("10001 steps", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_policy_points_rule_counts_towards_the_evaluation_steps()
    {
        var atLimit = MethodologyLoader.Parse(StepsMethodology(89));
        Assert.NotNull(PointsRule.Compile("1", atLimit));
        var error = Assert.Throws<MethodologyException>(() => PointsRule.Compile("1 + 1", atLimit));
        Assert.Equal("points", error.FormulaName);
        Assert.Contains("10002 steps", error.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sum_prev(a, 366, 0)", true)]
    [InlineData("avg_prev(a, 365, 1)", true)]
    [InlineData("sum_prev(a, 366, 1)", false)]
    [InlineData("days_prev(a, 367, 0)", false)]
    public void History_may_look_back_at_most_the_maximum_days(string expr, bool loads)
    {
        var text = MethodologyText.Formulas([("a", "km")], [("x", "km", expr)]);
        if (loads) Assert.NotNull(MethodologyLoader.Parse(text));
        else Assert.Throws<MethodologyException>(() => MethodologyLoader.Parse(text));
    }

    [Fact]
    public void Declarations_at_the_maximum_load_and_one_more_is_refused()
    {
        var max = Enumerable.Range(0, MethodologyLimits.DeclarationsMax).Select(i => ($"i{i}", "1")).ToArray();
        Assert.Equal(MethodologyLimits.DeclarationsMax, MethodologyText.Load(max, ("x", "1", "i0")).Inputs.Count);
        var error = Assert.Throws<MethodologyException>(() => MethodologyText.Load(max.Append(("extra", "1")), ("x", "1", "i0")));
        Assert.Equal("inputs", error.FormulaName);
    }

    [Fact]
    public void File_of_the_maximum_length_is_read_and_one_character_more_is_refused()
    {
        var text = MethodologyText.Formulas([("a", "1")], [("x", "1", "a")]);
        var padded = text + "#" + new string('x', MethodologyLimits.FileLengthMax - text.Length - 2) + "\n";
        Assert.Equal(MethodologyLimits.FileLengthMax, padded.Length);
        Assert.NotNull(MethodologyLoader.Parse(new StringReader(padded)));
        var error = Assert.Throws<MethodologyException>(() => MethodologyLoader.Parse(new StringReader(padded + "\n")));
        Assert.Contains("at most", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Test_vectors_at_the_maximum_load_and_one_more_is_refused()
    {
        static string WithVectors(int count)
        {
            var text = new StringBuilder(MethodologyText.Formulas([("a", "1")], [("x", "1", "a")]));
            for (var i = 1; i < count; i++) text.AppendLine("  - { name: extra, inputs: {}, expect: { rejected: malformed } }");
            return text.ToString();
        }
        Assert.Equal(MethodologyLimits.TestVectorsMax, MethodologyLoader.Parse(WithVectors(MethodologyLimits.TestVectorsMax)).TestVectors.Count);
        Assert.Throws<MethodologyException>(() => MethodologyLoader.Parse(WithVectors(MethodologyLimits.TestVectorsMax + 1)));
    }
}
