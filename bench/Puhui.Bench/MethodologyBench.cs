using System.Diagnostics;
using System.Globalization;
using Puhui.Methodologies;

namespace Puhui.Bench;

/// <summary>
/// Evaluations per second of the compiled metro and household-electricity methodologies against hand-written C#
/// computing the same results (bounds, plausibility, formula, rounding, caps, points), in the same run.
/// Target: compiled ≥ 0.5 × hand-written.
/// </summary>
internal static class MethodologyBench
{
    private const int Records = 4_096;
    private const int Rounds = 5;
    private static readonly TimeSpan RoundTime = TimeSpan.FromSeconds(1);
    private static readonly DateOnly Day = new(2025, 7, 15);

    public static int Run(string[] args)
    {
        var dir = args.Length > 0 ? args[0] : FindLibrary();
        if (dir is null)
        {
            Console.Error.WriteLine("methodologies/ not found; pass its path");
            return 2;
        }
        var metro = MethodologyLoader.Parse(File.ReadAllText(Path.Combine(dir, "metro.yaml")));
        var household = MethodologyLoader.Parse(File.ReadAllText(Path.Combine(dir, "household-electricity.yaml")));

        var random = new Random(42);
        var distance = new decimal[Records];
        var duration = new decimal[Records];
        var kwh = new decimal[Records];
        for (var i = 0; i < Records; i++)
        {
            distance[i] = random.Next(10, 4_000) / 100m;
            duration[i] = random.Next(5, 120);
            kwh[i] = random.Next(100, 1_500) / 100m;
        }
        var history = new DailyTotals();
        for (var back = 1; back <= 10; back++) history.Add("electricity", Day.AddDays(-back), 6m + back * 0.7m);

        Console.WriteLine($"Methodology evaluation, {Environment.ProcessorCount} cores, .NET {Environment.Version}, {Records} distinct records, best of {Rounds} × {RoundTime.TotalSeconds:0} s");
        var ok = true;
        var metroEvaluator = metro.CreateEvaluator();
        ok &= Compare("metro", i => CompiledMetro(metroEvaluator, distance[i], duration[i]), i => HandMetro(distance[i], duration[i]));
        var householdEvaluator = household.CreateEvaluator();
        ok &= Compare("household-electricity", i => CompiledHousehold(householdEvaluator, kwh[i], history), i => HandHousehold(kwh[i], 2m, history));
        return ok ? 0 : 1;
    }

    private static long CompiledMetro(MethodologyEvaluator evaluator, decimal distanceKm, decimal durationMin)
    {
        evaluator.SetInput(0, distanceKm);
        evaluator.SetInput(1, durationMin);
        var result = evaluator.Evaluate(Day);
        return result.IsAccepted ? result.Reduction.Value * 1_000 + result.Points.Value : -(long)result.Reason;
    }

    private static long CompiledHousehold(MethodologyEvaluator evaluator, decimal electricityKwh, IBehaviourHistory history)
    {
        evaluator.SetInput(0, electricityKwh);
        evaluator.SetInput(1, 2m);
        var result = evaluator.Evaluate(Day, history);
        return result.IsAccepted ? result.Reduction.Value * 1_000 + result.Points.Value : -(long)result.Reason;
    }

    /// <summary>metro.yaml written by hand: same bounds, speed rule, factor, floor, caps and points.</summary>
    private static long HandMetro(decimal distanceKm, decimal durationMin)
    {
        if (distanceKm < 0.1m || distanceKm > 150m || durationMin < 1m || durationMin > 300m) return -(long)CalculationReason.OutOfBounds;
        if (distanceKm * 60m > 80m * durationMin) return -(long)CalculationReason.Implausible;
        var grams = (long)decimal.Floor(distanceKm * 46.7m);
        if (grams > 7_000) grams = 7_000;
        if (grams > 20_000) grams = 20_000;
        return grams * 1_000 + grams / 10;
    }

    /// <summary>household-electricity.yaml written by hand.</summary>
    private static long HandHousehold(decimal electricityKwh, decimal people, IBehaviourHistory history)
    {
        if (electricityKwh < 0m || electricityKwh > 300m || people < 1m || people > 20m) return -(long)CalculationReason.OutOfBounds;
        var baseline = 3m * people;
        decimal saving;
        if (electricityKwh <= baseline)
        {
            saving = baseline - electricityKwh;
        }
        else
        {
            var sum = 0m;
            var days = 0;
            for (var back = 2; back <= 8; back++)
            {
                if (!history.TryGetDailyTotal("electricity", Day.AddDays(-back), out var total)) continue;
                sum += total;
                days++;
            }
            var average = days == 0 ? 0m : sum / days;
            saving = average > electricityKwh ? average - electricityKwh : 0m;
        }
        var grams = (long)decimal.Floor(saving * 570.3m);
        if (grams > 20_000) grams = 20_000;
        return grams * 1_000 + grams / 10;
    }

    private static bool Compare(string name, Func<int, long> compiled, Func<int, long> hand)
    {
        for (var i = 0; i < Records; i++)
        {
            if (compiled(i) == hand(i)) continue;
            Console.Error.WriteLine($"{name}: record {i}: compiled {compiled(i)} ≠ hand-written {hand(i)}");
            return false;
        }
        var bestCompiled = 0d;
        var bestHand = 0d;
        for (var round = 0; round < Rounds; round++)
        {
            bestHand = Math.Max(bestHand, Measure(hand));
            bestCompiled = Math.Max(bestCompiled, Measure(compiled));
        }
        var ratio = bestCompiled / bestHand;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-22} compiled {bestCompiled,13:N0}/s   hand-written {bestHand,13:N0}/s   ratio {ratio:0.00} {(ratio >= 0.5 ? "(target ≥ 0.5 met)" : "(BELOW target 0.5)")}"));
        return true;
    }

    private static double Measure(Func<int, long> evaluate)
    {
        long checksum = 0;
        long count = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < RoundTime)
        {
            for (var i = 0; i < Records; i++) checksum += evaluate(i);
            count += Records;
        }
        watch.Stop();
        GC.KeepAlive(checksum);
        return count / watch.Elapsed.TotalSeconds;
    }

    internal static string? FindLibrary()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "methodologies");
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }
}
