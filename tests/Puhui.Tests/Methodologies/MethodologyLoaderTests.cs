using Puhui.Methodologies;

namespace Puhui.Tests.Methodologies;

/// <summary>Reading methodology files: every malformed file is a <see cref="MethodologyException"/> that says what is wrong.</summary>
public sealed class MethodologyLoaderTests
{
    private static readonly string Metro = File.ReadAllText(Path.Combine(MethodologyText.LibraryDirectory(), "metro.yaml"));

    private static MethodologyException Refused(string from, string to)
    {
        Assert.Contains(from, Metro, StringComparison.Ordinal);
        return Assert.Throws<MethodologyException>(() => MethodologyLoader.Parse(Metro.Replace(from, to, StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("version: 1.0.0", "version: 1.0.0\nversion: 2.0.0", "duplicate key version")]
    [InlineData("inputs: { distance: 10, duration: 25 }", "inputs: { distance: 10, distance: 25 }", "duplicate key distance")]
    [InlineData("rounding: floor", "rounding: floor\nrounding_mode: up", "rounding_mode")]
    [InlineData("id: metro", "id: Metro!", "'id' must be")]
    [InlineData("version: 1.0.0", "version: one", "'version' must")]
    [InlineData("class: I", "class: III", "'class' must be")]
    [InlineData("kind: behaviour", "kind: habit", "'kind' must be")]
    [InlineData("rounding: floor", "rounding: up", "'rounding' must be")]
    [InlineData("    min: 0.1\n", "    min: 200\n", "'min' is greater than 'max'")]
    [InlineData("    value: 46.7", "    value: 46,7", "decimal number")]
    [InlineData("  per_record: 7000 g", "  per_record: 7 km", "not a mass")]
    [InlineData("  per_record: 7000 g", "  per_record: 7000.5 g", "whole")]
    [InlineData("expect: { rejected: implausible }", "expect: { rejected: too_fast }", "unknown rejection code")]
    [InlineData("  zh: 地铁出行\n", "", "exactly zh and en")]
    [InlineData("  reduction:\n", "  saving:\n", "needs a 'reduction' formula")]
    [InlineData("  speed:\n", "  and:\n", "not a valid name")]
    [InlineData("  distance:\n    unit: km", "  distance:\n    unit: furlong", "unknown unit 'furlong'")]
    public void Malformed_files_are_refused_with_a_reason(string from, string to, string fragment)
    {
        var error = Refused(from, to);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_factor_without_a_source_is_refused()
    {
        var text = Metro[..Metro.IndexOf("    source: >-", StringComparison.Ordinal)]
            + Metro[Metro.IndexOf("  max_speed:", StringComparison.Ordinal)..];
        var error = Assert.Throws<MethodologyException>(() => MethodologyLoader.Parse(text));
        Assert.Equal("reduction_factor", error.FormulaName);
        Assert.Contains("source", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_methodology_without_test_vectors_is_refused()
    {
        var error = Assert.Throws<MethodologyException>(() => MethodologyLoader.Parse(Metro[..Metro.IndexOf("tests:", StringComparison.Ordinal)]));
        Assert.Equal("tests", error.FormulaName);
    }

    [Fact]
    public void The_file_s_fields_are_read_into_the_model()
    {
        var metro = MethodologyLoader.Parse(Metro);
        Assert.Equal("metro", metro.Id);
        Assert.Equal("1.0.0", metro.Version);
        Assert.Equal("地铁出行", metro.Title.Zh);
        Assert.Equal(Puhui.Ledger.MethodologyClass.I, metro.Class);
        Assert.Equal(MethodologyKind.Behaviour, metro.Kind);
        Assert.Equal(["distance", "duration"], metro.Inputs.Select(i => i.Name));
        Assert.Equal(Unit.Parse("km"), metro.Inputs[0].Unit);
        Assert.Equal(0.1m, metro.Inputs[0].Min);
        Assert.Equal(new Puhui.Ledger.Grams(7000), metro.Caps.PerRecord);
        Assert.Equal(new Puhui.Ledger.Grams(20000), metro.Caps.PerPersonDay);
        Assert.Equal(GramRounding.Floor, metro.Rounding);
        Assert.Equal("floor(accepted / 10[g])", metro.Points?.Expression);
        Assert.Equal(8, metro.TestVectors.Count);
        Assert.True(metro.Factors.Single(f => f.Name == "max_speed").Assumption);
    }

    [Fact]
    public void Grid_factor_version_and_effective_date_are_read()
    {
        var grid = MethodologyText.LoadBuiltIn("distributed-pv").Factors.Single(f => f.Name == "grid_ef");
        Assert.Equal("2022", grid.Version);
        Assert.Equal(new DateOnly(2023, 2, 7), grid.Effective);
        Assert.Equal(0.5703m, grid.Value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("~")]
    [InlineData("- a\n- b")]
    [InlineData("id: [")]
    [InlineData("!!binary abc")]
    public void Text_that_is_not_a_methodology_is_refused(string text)
    {
        Assert.Throws<MethodologyException>(() => MethodologyLoader.Parse(text));
    }
}
