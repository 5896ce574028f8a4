using Puhui.Ledger;
using Puhui.Methodologies;

namespace Puhui.Tests.Methodologies;

/// <summary>Evaluating records: bounds, faults, rounding to grams, caps, points, allocation.</summary>
public sealed class EvaluationTests
{
    private static readonly DateOnly Day = new(2025, 6, 1);

    private static Methodology Reduction(string expr, string rounding = "floor", string caps = "", string points = "floor(accepted / 10[g])", string rules = "") =>
        MethodologyLoader.Parse($"""
            id: eval-test
            version: 1.0
            title: {"{"} zh: 测试, en: Test {"}"}
            class: I
            kind: behaviour
            inputs:
              distance: {"{"} unit: km, min: 0, max: 1000 {"}"}
              duration: {"{"} unit: min, min: 0, max: 1000 {"}"}
            formulas:
              reduction: {"{"} unit: g, expr: {MethodologyText.Quote(expr)} {"}"}
            {rules}
            rounding: {rounding}
            {caps}
            points: {MethodologyText.Quote(points)}
            tests: [ {"{"} name: t, inputs: {"{"}{"}"}, expect: {"{"} rejected: malformed {"}"} {"}"} ]
            """);

    private static Calculation Run(Methodology m, decimal distance, decimal duration = 10m, long acceptedToday = 0) =>
        m.Calculate(new Dictionary<string, decimal> { ["distance"] = distance, ["duration"] = duration }, Day, null, new Grams(acceptedToday)).Result;

    [Theory]
    [InlineData("floor", 12.3, 574)]
    [InlineData("half_up", 12.3, 574)]
    [InlineData("floor", 12.35, 576)]
    [InlineData("half_up", 12.35, 577)]
    [InlineData("half_even", 12.35, 577)]
    [InlineData("half_up", 10.5, 490)]
    public void Reduction_is_rounded_to_whole_grams_by_the_declared_rule(string rounding, double distance, long grams)
    {
        var m = Reduction("distance * 46.7[g/km]", rounding);
        Assert.Equal(new Grams(grams), Run(m, (decimal)distance).Reduction);
    }

    [Theory]
    [InlineData("half_up", 0.5, 1)]
    [InlineData("half_even", 0.5, 0)]
    [InlineData("half_even", 1.5, 2)]
    [InlineData("floor", 0.999, 0)]
    public void Midpoints_follow_the_rounding_rule(string rounding, double grams, long expected)
    {
        var m = Reduction("distance * 1[g/km]", rounding);
        Assert.Equal(new Grams(expected), Run(m, (decimal)grams).Reduction);
    }

    [Fact]
    public void Division_by_zero_is_a_fault_naming_the_formula_and_position_not_an_exception()
    {
        var m = Reduction("distance / duration * 1[g*min/km]");
        var result = Run(m, 5m, 0m);
        Assert.Equal(CalculationStatus.Faulted, result.Status);
        Assert.Equal(CalculationReason.DivisionByZero, result.Reason);
        Assert.Equal("reduction", result.Subject);
        Assert.Equal(9, result.Position);
        Assert.Equal(Grams.Zero, result.Reduction);
    }

    [Fact]
    public void Division_by_zero_in_the_points_rule_is_a_fault_of_the_points_rule()
    {
        var m = Reduction("distance * 1[g/km]", points: "accepted / (duration * 1[g/min])");
        var result = Run(m, 5m, 0m);
        Assert.Equal(CalculationReason.DivisionByZero, result.Reason);
        Assert.Equal("points", result.Subject);
    }

    [Fact]
    public void Division_by_zero_in_an_untaken_branch_is_not_a_fault()
    {
        var m = Reduction("if(duration > 0[min], distance / duration * 1[g*min/km], 0[g])");
        Assert.Equal(CalculationStatus.Accepted, Run(m, 5m, 0m).Status);
    }

    [Fact]
    public void Decimal_overflow_is_a_fault_not_an_exception()
    {
        var m = Reduction("distance * 7922816251426433759354395033[g/km] * 1000");
        var result = Run(m, 1000m);
        Assert.Equal(CalculationStatus.Faulted, result.Status);
        Assert.Equal(CalculationReason.Overflow, result.Reason);
    }

    [Theory]
    [InlineData(-0.1, "distance")]
    [InlineData(1000.1, "distance")]
    public void Inputs_outside_their_bounds_are_rejected_out_of_bounds(double distance, string subject)
    {
        var result = Run(Reduction("distance * 1[g/km]"), (decimal)distance);
        Assert.Equal(CalculationStatus.Rejected, result.Status);
        Assert.Equal("out_of_bounds", result.Reason.Code());
        Assert.Equal(subject, result.Subject);
    }

    [Fact]
    public void Bounds_are_inclusive()
    {
        Assert.True(Run(Reduction("distance * 1[g/km]"), 1000m).IsAccepted);
        Assert.True(Run(Reduction("distance * 1[g/km]"), 0m).IsAccepted);
    }

    [Fact]
    public void A_missing_input_is_malformed_and_an_unknown_input_too()
    {
        var m = Reduction("distance * 1[g/km]");
        var missing = m.Calculate(new Dictionary<string, decimal> { ["distance"] = 1m }, Day).Result;
        Assert.Equal(CalculationReason.Malformed, missing.Reason);
        Assert.Equal("duration", missing.Subject);
        var unknown = m.Calculate(new Dictionary<string, decimal> { ["distance"] = 1m, ["duration"] = 1m, ["speed"] = 1m }, Day).Result;
        Assert.Equal(CalculationReason.Malformed, unknown.Reason);
        Assert.Equal("speed", unknown.Subject);
    }

    [Fact]
    public void Inputs_never_leak_into_the_next_record()
    {
        var evaluator = Reduction("distance * 1[g/km]").CreateEvaluator();
        evaluator.SetInput(0, 5m);
        evaluator.SetInput(1, 5m);
        Assert.True(evaluator.Evaluate(Day).IsAccepted);
        evaluator.SetInput(0, 5m);
        Assert.Equal(CalculationReason.Malformed, evaluator.Evaluate(Day).Reason);
    }

    [Fact]
    public void Implausible_records_are_rejected_naming_the_rule()
    {
        var m = Reduction("distance * 1[g/km]", rules: "plausibility: { speed: { rule: 'distance <= 30[km/h] * duration' } }");
        Assert.True(Run(m, 5m, 10m).IsAccepted);
        var result = Run(m, 6m, 10m);
        Assert.Equal(CalculationReason.Implausible, result.Reason);
        Assert.Equal("speed", result.Subject);
    }

    [Fact]
    public void Per_record_cap_limits_the_grams()
    {
        var m = Reduction("distance * 1[g/km]", caps: "caps: { per_record: 100 g }");
        Assert.Equal(new Grams(100), Run(m, 500m).Reduction);
        Assert.Equal(new Grams(99), Run(m, 99m).Reduction);
    }

    [Fact]
    public void Daily_cap_credits_the_remainder_then_rejects()
    {
        var m = Reduction("distance * 1[g/km]", caps: "caps: { per_person_day: 1 kg }");
        Assert.Equal(new Grams(300), Run(m, 500m, acceptedToday: 700).Reduction);
        Assert.Equal(CalculationReason.DailyCapReached, Run(m, 500m, acceptedToday: 1000).Reason);
        Assert.Equal(new Grams(500), Run(m, 500m, acceptedToday: 0).Reduction);
    }

    [Fact]
    public void Negative_reductions_credit_zero_grams()
    {
        var m = Reduction("-distance * 1[g/km]");
        var result = Run(m, 5m);
        Assert.True(result.IsAccepted);
        Assert.Equal(Grams.Zero, result.Reduction);
    }

    [Fact]
    public void Points_rule_sees_the_accepted_grams_after_caps()
    {
        var m = Reduction("distance * 1[g/km]", caps: "caps: { per_record: 100 g }", points: "floor(accepted / 10[g])");
        Assert.Equal(new Points(10), Run(m, 500m).Points);
        Assert.Equal(new Points(5), Run(m, 59m).Points);
    }

    [Fact]
    public void A_policy_points_rule_replaces_the_methodology_default()
    {
        var m = Reduction("distance * 1[g/km]");
        var fixedRule = PointsRule.Compile("3", m);
        var evaluator = m.CreateEvaluator(fixedRule);
        evaluator.SetInput(0, 500m);
        evaluator.SetInput(1, 10m);
        Assert.Equal(new Points(3), evaluator.Evaluate(Day).Points);
        Assert.Equal(new Points(50), Run(m, 500m).Points);
    }

    [Fact]
    public void Points_are_truncated_and_never_negative()
    {
        var m = Reduction("distance * 1[g/km]", points: "accepted / 1[g] - 10.7");
        Assert.Equal(new Points(4), Run(m, 15m).Points);
        Assert.Equal(Points.Zero, Run(m, 5m).Points);
    }

    [Fact]
    public void A_points_rule_with_units_is_refused()
    {
        var m = Reduction("distance * 1[g/km]");
        var error = Assert.Throws<MethodologyException>(() => PointsRule.Compile("accepted", m));
        Assert.Equal("points", error.FormulaName);
    }

    [Fact]
    public void Evaluation_allocates_nothing_per_record()
    {
        var metro = MethodologyText.LoadBuiltIn("metro").CreateEvaluator();
        var household = MethodologyText.LoadBuiltIn("household-electricity").CreateEvaluator();
        var history = new DailyTotals();
        for (var back = 1; back <= 9; back++) history.Add("electricity", Day.AddDays(-back), 9m);
        void Once(int i)
        {
            metro.SetInput(0, 10m + (i % 7));
            metro.SetInput(1, 30m);
            Assert.True(metro.Evaluate(Day).IsAccepted);
            household.SetInput(0, 7m + (i % 3));
            household.SetInput(1, 2m);
            Assert.True(household.Evaluate(Day, history).IsAccepted);
        }
        for (var i = 0; i < 100; i++) Once(i);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++) Once(i);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void A_methodology_version_is_immutable_and_hashes_its_canonical_bytes()
    {
        var text = File.ReadAllText(Path.Combine(MethodologyText.LibraryDirectory(), "metro.yaml"));
        var lf = MethodologyLoader.Parse(text.Replace("\r\n", "\n", StringComparison.Ordinal));
        var crlf = MethodologyLoader.Parse("\uFEFF" + text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal));
        var edited = MethodologyLoader.Parse(text.Replace("value: 46.7", "value: 46.8", StringComparison.Ordinal));
        Assert.Equal(lf.ContentHash, crlf.ContentHash);
        Assert.NotEqual(lf.ContentHash, edited.ContentHash);
        Assert.Matches("^[0-9a-f]{64}$", lf.ContentHash);
        Assert.Equal(
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(MethodologyLoader.Canonical(text)))),
            lf.ContentHash);
    }
}
