using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Puhui.Methodologies;

namespace Puhui.Tests.Methodologies;

/// <summary>
/// For random well-typed formulas, the compiled delegate and the tree-walking interpreter agree on every value
/// and on every fault.
/// </summary>
public sealed class CompilerPropertyTests
{
    // Inputs of two lengths at different scales, two plain numbers and a percentage, so conversions are exercised.
    // Every scale is a product of powers of 2 and 5, so every conversion between them is exact and the formulas
    // are well typed by construction.
    private static readonly (string Name, string Unit)[] Inputs = [("a", "km"), ("b", "m"), ("c", "1"), ("d", "1"), ("t", "%")];

    private static Gen<string> Literal() =>
        Gen.OneOf(
            Gen.Elements("0", "1", "2", "0.5", "3.25", "10", "0.001", "1000"),
            Gen.Choose(0, 100000).Select(i => (i / 100m).ToString(CultureInfo.InvariantCulture)));

    // Generators are built once per size: building them afresh per test case is exponential in the size.
    private static readonly Dictionary<(char Kind, int Size), Gen<string>> Cache = [];

    private static Gen<string> Cached(char kind, int size, Func<int, Gen<string>> build)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue((kind, size), out var gen)) return gen;
        }
        var built = build(size);
        lock (Cache) Cache[(kind, size)] = built;
        return built;
    }

    private static Gen<string> Length(int size) => Cached('L', size, BuildLength);

    private static Gen<string> Number(int size) => Cached('N', size, BuildNumber);

    private static Gen<string> Truth(int size) => Cached('T', size, BuildTruth);

    private static Gen<string> BuildLength(int size)
    {
        var leaf = Gen.OneOf(
            Gen.Elements("a", "b"),
            Literal().Select(l => l + "[km]"),
            Literal().Select(l => l + "[m]"));
        if (size <= 0) return leaf;
        var smaller = size / 2;
        return Gen.OneOf(
            leaf,
            Binary(Length(smaller), Length(smaller), "+", "-"),
            Zip(Number(smaller), Length(smaller)).Select(p => $"({p.Item1} * {p.Item2})"),
            Zip(Length(smaller), Number(smaller)).Select(p => $"({p.Item1} / {p.Item2})"),
            Zip(Length(smaller), Length(smaller)).Select(p => $"min({p.Item1}, {p.Item2})"),
            Zip(Length(smaller), Length(smaller)).Select(p => $"max({p.Item1}, {p.Item2})"),
            Zip(Length(smaller), Length(smaller), Length(smaller)).Select(p => $"clamp({p.Item1}, {p.Item2}, {p.Item3})"),
            Zip(Truth(smaller), Length(smaller), Length(smaller)).Select(p => $"if({p.Item1}, {p.Item2}, {p.Item3})"),
            Length(smaller).Select(x => $"-({x})"),
            Length(smaller).Select(x => $"abs({x})"),
            Number(smaller).Select(x => $"(({x}) * t * b)"));
    }

    private static Gen<string> BuildNumber(int size)
    {
        var leaf = Gen.OneOf(Gen.Elements("c", "d"), Literal());
        if (size <= 0) return leaf;
        var smaller = size / 2;
        return Gen.OneOf(
            leaf,
            Binary(Number(smaller), Number(smaller), "+", "-", "*", "/"),
            Zip(Length(smaller), Length(smaller)).Select(p => $"({p.Item1} / {p.Item2})"),
            Number(smaller).Select(x => $"round({x})"),
            Number(smaller).Select(x => $"floor({x})"),
            Number(smaller).Select(x => $"ceil({x})"),
            Zip(Truth(smaller), Number(smaller), Number(smaller)).Select(p => $"if({p.Item1}, {p.Item2}, {p.Item3})"),
            Length(smaller).Select(x => $"floor({x} / 1[m])"));
    }

    private static Gen<string> BuildTruth(int size)
    {
        var comparison = Gen.Elements("<", "<=", ">", ">=", "==", "!=");
        var leaf = Gen.OneOf(
            Gen.Elements("true", "false"),
            Zip(Number(0), comparison, Number(0)).Select(p => $"{p.Item1} {p.Item2} {p.Item3}"));
        if (size <= 0) return leaf;
        var smaller = size / 2;
        return Gen.OneOf(
            leaf,
            Zip(Length(smaller), comparison, Length(smaller)).Select(p => $"({p.Item1} {p.Item2} {p.Item3})"),
            Zip(Number(smaller), comparison, Number(smaller)).Select(p => $"({p.Item1} {p.Item2} {p.Item3})"),
            Truth(smaller).Select(x => $"not ({x})"),
            Zip(Truth(smaller), Truth(smaller)).Select(p => $"({p.Item1} and {p.Item2})"),
            Zip(Truth(smaller), Truth(smaller)).Select(p => $"({p.Item1} or {p.Item2})"));
    }

    private static Gen<(T1, T2)> Zip<T1, T2>(Gen<T1> first, Gen<T2> second) =>
        first.SelectMany(a => second.Select(b => (a, b)));

    private static Gen<(T1, T2, T3)> Zip<T1, T2, T3>(Gen<T1> first, Gen<T2> second, Gen<T3> third) =>
        first.SelectMany(a => second.SelectMany(b => third.Select(c => (a, b, c))));

    private static Gen<string> Binary(Gen<string> left, Gen<string> right, params string[] operators) =>
        Zip(left, Gen.Elements(operators), right).Select(p => $"({p.Item1} {p.Item2} {p.Item3})");

    private static Gen<decimal> InputValue() =>
        Gen.OneOf(Gen.Constant(0m), Gen.Choose(-100000, 100000).Select(i => i / 100m));

    private sealed record Case(string LengthFormula, string NumberFormula, string Rule, decimal[] Values)
    {
        public override string ToString() =>
            $"length: {LengthFormula}\nnumber: {NumberFormula}\nrule: {Rule}\ninputs: {string.Join(", ", Values)}";
    }

    [Fact]
    public void Compiled_delegate_and_interpreter_agree_on_random_well_typed_formulas()
    {
        var cases = Gen.Sized(size => Zip(Zip(Length(Math.Min(size, 12)), Number(Math.Min(size, 12))), Truth(Math.Min(size, 8)), InputValue().ArrayOf(Inputs.Length))
            .Select(p => new Case(p.Item1.Item1, p.Item1.Item2, p.Item2, p.Item3)));
        var property = Prop.ForAll(cases.Where(c => c.Values.Length == Inputs.Length).ToArbitrary(), c =>
        {
            var methodology = MethodologyLoader.Parse(MethodologyText.Formulas(
                Inputs, [("len", "m", c.LengthFormula), ("num", "1", c.NumberFormula)],
                rules: $"  rule: {{ rule: {MethodologyText.Quote(c.Rule)} }}\n"));
            var day = new DateOnly(2025, 1, 1);
            var evaluator = methodology.CreateEvaluator();
            for (var i = 0; i < Inputs.Length; i++) evaluator.SetInput(i, c.Values[i]);
            var compiled = evaluator.Evaluate(day);
            var (slots, faultSite, overflow, failedRule) = methodology.Interpret(c.Values, day, null);
            if (overflow) return compiled.Reason == CalculationReason.Overflow;
            if (faultSite >= 0)
            {
                var site = methodology.Site(faultSite);
                return compiled.Reason == CalculationReason.DivisionByZero && compiled.Subject == site.Formula && compiled.Position == site.Position;
            }
            if (failedRule >= 0) return compiled.Reason == CalculationReason.Implausible && compiled.Subject == "rule";
            return compiled.IsAccepted
                && evaluator.FormulaValue(0) == slots[Inputs.Length]
                && evaluator.FormulaValue(1) == slots[Inputs.Length + 1];
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(400), property);
    }

    [Fact]
    public void Interpreter_and_compiler_agree_on_history_functions()
    {
        var methodology = MethodologyText.Load([("a", "km")],
            ("s", "km", "sum_prev(a, 7, 1)"), ("v", "km", "avg_prev(a, 7, 1)"), ("n", "1", "days_prev(a, 30, 0)"));
        var day = new DateOnly(2025, 3, 31);
        var history = new DailyTotals();
        for (var back = 1; back <= 40; back += 3) history.Add("a", day.AddDays(-back), back * 1.5m);
        var evaluator = methodology.CreateEvaluator();
        evaluator.SetInput(0, 1m);
        Assert.True(evaluator.Evaluate(day, history).IsAccepted);
        var (slots, _, _, _) = methodology.Interpret([1m], day, history);
        // Days 2..8 back hold 4 and 7: sum 16.5, mean 8.25; days 1..30 back hold 1, 4, 7, …, 28: ten days.
        Assert.Equal(16.5m, evaluator.FormulaValue(0));
        Assert.Equal(8.25m, evaluator.FormulaValue(1));
        Assert.Equal(10m, evaluator.FormulaValue(2));
        Assert.Equal([slots[1], slots[2], slots[3]], new[] { evaluator.FormulaValue(0), evaluator.FormulaValue(1), evaluator.FormulaValue(2) });
    }
}
