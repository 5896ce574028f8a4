using Puhui.Ledger;
using Puhui.Methodologies;

namespace Puhui.Tests.Methodologies;

/// <summary>The built-in methodology library in <c>methodologies/</c>.</summary>
public sealed class LibraryTests
{
    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(MethodologyText.LibraryDirectory(), "*.yaml").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(file));
        return data;
    }

    private static Methodology Load(string file) =>
        MethodologyLoader.Parse(File.ReadAllText(Path.Combine(MethodologyText.LibraryDirectory(), file)));

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_test_vector_of_the_built_in_methodology_passes(string file)
    {
        var methodology = Load(file);
        var results = methodology.RunTestVectors();
        Assert.NotEmpty(results);
        Assert.All(results, r => Assert.True(r.Passed, $"{file} '{r.Vector.Name}': {r.Problem}"));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void File_name_is_the_methodology_id(string file)
    {
        Assert.Equal(Path.GetFileNameWithoutExtension(file), Load(file).Id);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_factor_cites_a_source_and_assumptions_say_so(string file)
    {
        foreach (var factor in Load(file).Factors)
        {
            Assert.True(factor.Source.Length >= 20, $"{file}: factor {factor.Name} has no real source note");
            if (factor.Assumption) Assert.Contains("ssumption", factor.Source, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Titles_are_in_Chinese_and_English(string file)
    {
        var title = Load(file).Title;
        Assert.Contains(title.Zh, c => c >= '\u4e00' && c <= '\u9fff');
        Assert.Matches("^[A-Za-z]", title.En);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Each_vector_exercises_an_acceptance_or_a_named_rejection(string file)
    {
        var methodology = Load(file);
        Assert.Contains(methodology.TestVectors, v => v.Expect.Code is null);
    }

    [Fact]
    public void Library_has_every_methodology_the_issue_lists()
    {
        var ids = Directory.GetFiles(MethodologyText.LibraryDirectory(), "*.yaml").Select(Path.GetFileNameWithoutExtension).ToHashSet();
        string[] expected =
        [
            "metro", "electric-bus", "shared-ebike", "walking", "cycling", "carpooling", "household-electricity",
            "distributed-pv", "ev-charging", "forestry-sink", "egov-online", "garbage-sorting", "clean-plate",
            "used-clothes", "green-parcel",
        ];
        Assert.All(expected, id => Assert.Contains(id, ids));
    }

    [Theory]
    [InlineData("metro", 46.7)]
    [InlineData("electric-bus", 26.9)]
    [InlineData("shared-ebike", 43)]
    public void Published_public_travel_factors_are_the_reported_values(string id, double gramsPerKm)
    {
        var methodology = MethodologyText.LoadBuiltIn(id);
        var factor = Assert.Single(methodology.Factors, f => f.Name == "reduction_factor");
        Assert.Equal((decimal)gramsPerKm, factor.Value);
        Assert.False(factor.Assumption);
    }

    [Fact]
    public void Metro_ten_kilometres_earn_467_grams()
    {
        var report = MethodologyText.LoadBuiltIn("metro").Calculate(
            new Dictionary<string, decimal> { ["distance"] = 10m, ["duration"] = 20m }, new DateOnly(2025, 3, 1));
        Assert.Equal(new Grams(467), report.Result.Reduction);
        Assert.Equal(new Points(46), report.Result.Points);
    }

    [Fact]
    public void Points_only_templates_credit_no_reduction()
    {
        foreach (var id in new[] { "egov-online", "garbage-sorting", "clean-plate", "used-clothes", "green-parcel" })
        {
            var methodology = MethodologyText.LoadBuiltIn(id);
            Assert.False(methodology.HasReduction);
            Assert.Equal(MethodologyClass.None, methodology.Class);
            Assert.NotNull(methodology.Points);
        }
    }

    [Fact]
    public void Project_methodologies_date_and_version_their_grid_factor()
    {
        foreach (var id in new[] { "distributed-pv", "ev-charging" })
        {
            var grid = Assert.Single(MethodologyText.LoadBuiltIn(id).Factors, f => f.Name == "grid_ef");
            Assert.NotNull(grid.Version);
            Assert.NotNull(grid.Effective);
            Assert.Equal(MethodologyKind.Project, MethodologyText.LoadBuiltIn(id).Kind);
        }
    }

    [Fact]
    public void Forestry_buffer_share_is_a_parameter_that_changes_the_reduction()
    {
        var text = File.ReadAllText(Path.Combine(MethodologyText.LibraryDirectory(), "forestry-sink.yaml"));
        var inputs = new Dictionary<string, decimal> { ["area"] = 100m, ["volume_growth"] = 10m };
        var day = new DateOnly(2025, 1, 1);
        var twenty = MethodologyLoader.Parse(text).Calculate(inputs, day).Result.Reduction;
        var ten = MethodologyLoader.Parse(text.Replace("    value: 20\n    unit: \"%\"", "    value: 10\n    unit: \"%\"", StringComparison.Ordinal))
            .Calculate(inputs, day).Result.Reduction;
        Assert.Equal(new Grams(1_155_000_000), twenty);
        Assert.Equal(new Grams(1_299_375_000), ten);
    }
}
