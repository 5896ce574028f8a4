using Puhui.Methodologies;

namespace Puhui.Tests.Methodologies;

/// <summary>Unit checking at load time: mismatches are refused with methodology, formula and position.</summary>
public sealed class UnitCheckerTests
{
    private static readonly (string, string)[] Inputs = [("distance", "km"), ("energy", "kWh"), ("duration", "min"), ("count", "1"), ("flag_rate", "%")];

    [Theory]
    [InlineData("distance + energy", "g", 9, "same dimension")]
    [InlineData("distance * 46.7[g/km] - energy", "g", 22, "same dimension")]
    [InlineData("if(distance > energy, 1, 0)", "1", 12, "same dimension")]
    [InlineData("min(distance, duration)", "km", 14, "same dimension")]
    [InlineData("distance", "g", 0, "declares [g]")]
    [InlineData("round(distance)", "1", 6, "plain number")]
    [InlineData("distance and count > 1", "1", 0, "truth value")]
    [InlineData("if(count, 1, 2)", "1", 3, "truth value")]
    [InlineData("count > 1", "1", 0, "not a truth value")]
    [InlineData("speed * 2", "1", 0, "unknown name 'speed'")]
    [InlineData("distance + sqrt(energy)", "km", 11, "unknown function 'sqrt'")]
    [InlineData("sum_prev(distance * 2, 7, 1)", "km", 18, "must be an input name")]
    [InlineData("sum_prev(distance, 7.5, 1)", "km", 19, "whole number")]
    [InlineData("sum_prev(distance, 0, 1)", "km", 19, "at least 1 day")]
    [InlineData("clamp(distance, 0[km])", "km", 0, "takes 3 arguments")]
    [InlineData("if(count > 1, distance, true)", "km", 24, "same type")]
    public void Unit_mismatch_is_refused_with_formula_and_position(string expr, string unit, int position, string fragment)
    {
        var error = Assert.Throws<MethodologyException>(() => MethodologyText.Load(Inputs, ("bad", unit, expr)));
        Assert.Equal("test-formulas", error.MethodologyId);
        Assert.Equal("bad", error.FormulaName);
        Assert.Equal(position, error.Position);
        Assert.Contains(fragment, error.Problem, StringComparison.Ordinal);
        Assert.Contains("methodology 'test-formulas', formula 'bad', position", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("distance * 46.7[gCO2e/pkm]", "g", 467)]
    [InlineData("distance * 46.7[gCO2e/pkm]", "kg", 0.467)]
    [InlineData("distance + 500[m]", "m", 10500)]
    [InlineData("distance + 500[m]", "km", 10.5)]
    [InlineData("energy * 0.5703[tCO2/MWh]", "g", 5703)]
    [InlineData("distance / duration", "km/h", 30)]
    [InlineData("count * flag_rate", "1", 0.6)]
    [InlineData("1 - flag_rate", "%", 70)]
    public void Well_typed_formulas_convert_to_their_declared_unit(string expr, string unit, double expected)
    {
        var report = MethodologyText.Evaluate(expr, unit, ("distance", "km", 10m), ("energy", "kWh", 10m), ("duration", "min", 20m), ("count", "1", 2m), ("flag_rate", "%", 30m));
        Assert.Equal((decimal)expected, report.Values[0].Value);
    }

    [Fact]
    public void Kilometres_per_hour_cannot_be_declared_as_metres_per_second_because_the_factor_is_not_exact()
    {
        var error = Assert.Throws<MethodologyException>(() => MethodologyText.Load(Inputs, ("speed", "m/s", "distance / duration")));
        Assert.Contains("does not convert exactly", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_formula_can_only_use_formulas_defined_before_it()
    {
        var error = Assert.Throws<MethodologyException>(() => MethodologyText.Load(Inputs, ("a", "km", "b"), ("b", "km", "distance")));
        Assert.Equal("a", error.FormulaName);
        Assert.Contains("unknown name 'b'", error.Problem, StringComparison.Ordinal);
        var ordered = MethodologyText.Load(Inputs, ("b", "km", "distance"), ("a", "km", "b * 2"));
        var report = ordered.Calculate(new Dictionary<string, decimal> { ["distance"] = 10m, ["energy"] = 0m, ["duration"] = 1m, ["count"] = 0m, ["flag_rate"] = 0m }, new DateOnly(2025, 1, 1));
        Assert.Equal(20m, report.Values[1].Value);
    }

    [Fact]
    public void A_reduction_must_be_declared_in_grams()
    {
        var text = """
            id: bad-reduction
            version: 1.0
            title: { zh: 测试, en: Test }
            class: I
            kind: behaviour
            inputs: { distance: { unit: km, min: 0, max: 10 } }
            formulas: { reduction: { unit: kg, expr: 'distance * 1[kg/km]' } }
            tests: [ { name: t, inputs: { distance: 1 }, expect: { grams: 1000 } } ]
            """;
        var error = Assert.Throws<MethodologyException>(() => MethodologyLoader.Parse(text));
        Assert.Equal("reduction", error.FormulaName);
    }
}
