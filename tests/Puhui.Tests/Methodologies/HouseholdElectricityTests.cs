using Puhui.Ledger;
using Puhui.Methodologies;

namespace Puhui.Tests.Methodologies;

/// <summary>The Shenzhen household-electricity rule over a month of a household's data.</summary>
public sealed class HouseholdElectricityTests
{
    private const decimal BaselinePerPersonKwh = 3m;
    private const decimal GramsPerKwh = 570.3m;
    private const long CapGrams = 20_000;

    /// <summary>The rule as the issue states it, written independently of the methodology file.</summary>
    private static long Expected(decimal todayKwh, int people, IReadOnlyDictionary<DateOnly, decimal> earlier, DateOnly day)
    {
        var baseline = BaselinePerPersonKwh * people;
        decimal saving;
        if (todayKwh <= baseline)
        {
            saving = baseline - todayKwh;
        }
        else
        {
            // The seven days before yesterday: day-8 … day-2.
            var window = Enumerable.Range(2, 7).Select(back => day.AddDays(-back)).Where(earlier.ContainsKey).Select(d => earlier[d]).ToList();
            var average = window.Count == 0 ? 0m : window.Sum() / window.Count;
            saving = Math.Max(0m, average - todayKwh);
        }
        return Math.Min(CapGrams, (long)decimal.Floor(saving * GramsPerKwh));
    }

    [Fact]
    public void A_month_above_and_below_the_baseline_earns_what_the_rule_says()
    {
        var methodology = MethodologyText.LoadBuiltIn("household-electricity");
        var evaluator = methodology.CreateEvaluator();
        var history = new DailyTotals();
        var earlier = new Dictionary<DateOnly, decimal>();
        var start = new DateOnly(2025, 7, 1);
        var belowDays = 0;
        var aboveEarningDays = 0;
        var aboveZeroDays = 0;
        for (var i = 0; i < 31; i++)
        {
            var day = start.AddDays(i);
            // A household of two (baseline 6 kWh): a frugal first week, a hot spell, then a gradual cut-back.
            var kwh = i switch
            {
                < 7 => 4.5m + (i % 3) * 0.5m,
                < 14 => 11m + (i % 2) * 1.5m,
                < 24 => 12m - (i - 14) * 0.6m,
                _ => 5.9m + (i % 4) * 0.05m,
            };
            if (i == 20) continue; // a day without a meter reading
            evaluator.SetInput(0, kwh);
            evaluator.SetInput(1, 2m);
            var result = evaluator.Evaluate(day, history);
            var expected = Expected(kwh, 2, earlier, day);
            Assert.True(result.IsAccepted, $"{day}: {result}");
            Assert.Equal(new Grams(expected), result.Reduction);
            if (kwh <= 6m) belowDays++;
            else if (expected > 0) aboveEarningDays++;
            else aboveZeroDays++;
            history.Add("electricity", day, kwh);
            earlier[day] = kwh;
        }
        // The data must exercise all three branches, or this test proves less than its name says.
        Assert.True(belowDays >= 5, $"below: {belowDays}");
        Assert.True(aboveEarningDays >= 3, $"above, earning: {aboveEarningDays}");
        Assert.True(aboveZeroDays >= 3, $"above, earning nothing: {aboveZeroDays}");
    }

    [Fact]
    public void Above_the_baseline_yesterday_does_not_count_but_the_day_before_does()
    {
        var m = MethodologyText.LoadBuiltIn("household-electricity");
        var day = new DateOnly(2025, 8, 10);
        var inputs = new Dictionary<string, decimal> { ["electricity"] = 10m, ["household_size"] = 1m };
        var onlyYesterday = new DailyTotals();
        onlyYesterday.Add("electricity", day.AddDays(-1), 20m);
        Assert.Equal(Grams.Zero, m.Calculate(inputs, day, onlyYesterday).Result.Reduction);
        var dayBefore = new DailyTotals();
        dayBefore.Add("electricity", day.AddDays(-2), 20m);
        Assert.Equal(new Grams(5703), m.Calculate(inputs, day, dayBefore).Result.Reduction);
        var tooOld = new DailyTotals();
        tooOld.Add("electricity", day.AddDays(-9), 20m);
        Assert.Equal(Grams.Zero, m.Calculate(inputs, day, tooOld).Result.Reduction);
    }

    [Fact]
    public void Below_the_baseline_the_history_is_irrelevant()
    {
        var m = MethodologyText.LoadBuiltIn("household-electricity");
        var day = new DateOnly(2025, 8, 10);
        var inputs = new Dictionary<string, decimal> { ["electricity"] = 2m, ["household_size"] = 1m };
        var high = new DailyTotals();
        for (var back = 1; back <= 10; back++) high.Add("electricity", day.AddDays(-back), 50m);
        Assert.Equal(new Grams(570), m.Calculate(inputs, day).Result.Reduction);
        Assert.Equal(new Grams(570), m.Calculate(inputs, day, high).Result.Reduction);
    }
}
