using System.Globalization;
using Puhui.Ledger;
using Puhui.Methodologies.Language;

namespace Puhui.Methodologies;

/// <summary>
/// One version of a methodology (方法学): immutable once built, identified by <see cref="Id"/> and
/// <see cref="Version"/>, and by <see cref="ContentHash"/>, the SHA-256 of the canonical file bytes, which a store
/// keys on so that a record always points at the exact text that computed it. Every formula was unit-checked and
/// compiled when the instance was built; evaluate records with <see cref="CreateEvaluator"/>.
/// </summary>
public sealed class Methodology
{
    /// <summary>The formula whose value, in grams, is the record's reduction.</summary>
    public const string ReductionFormula = "reduction";

    /// <summary>The name the points rule uses for the accepted grams after rounding and caps.</summary>
    public const string AcceptedName = "accepted";

    private readonly Dictionary<string, Symbol> _symbols;
    private readonly Bound[] _boundFormulas;
    private readonly Bound[] _boundRules;
    private readonly FaultSite[] _sites;

    internal Methodology(
        string id,
        string version,
        LocalizedText title,
        LocalizedText? description,
        MethodologyClass methodologyClass,
        MethodologyKind kind,
        IReadOnlyList<InputDeclaration> inputs,
        IReadOnlyList<Factor> factors,
        IReadOnlyList<FormulaDefinition> formulas,
        IReadOnlyList<PlausibilityRule> rules,
        ReductionCaps caps,
        GramRounding rounding,
        string? pointsExpression,
        IReadOnlyList<TestVector> testVectors,
        string contentHash)
    {
        Id = id;
        Version = version;
        Title = title;
        Description = description;
        Class = methodologyClass;
        Kind = kind;
        Inputs = inputs;
        Factors = factors;
        Formulas = formulas;
        Rules = rules;
        Caps = caps;
        Rounding = rounding;
        TestVectors = testVectors;
        ContentHash = contentHash;

        InputNames = inputs.Select(i => i.Name).ToArray();
        SlotCount = inputs.Count + formulas.Count + 1;
        _symbols = new Dictionary<string, Symbol>(StringComparer.Ordinal);
        for (var i = 0; i < inputs.Count; i++) Declare(inputs[i].Name, new Symbol(SymbolKind.Input, i, 0m, inputs[i].Unit), "input");
        foreach (var factor in factors) Declare(factor.Name, new Symbol(SymbolKind.Factor, -1, factor.Value, factor.Unit), "factor");

        var sites = new List<FaultSite>();
        var assignments = new List<(int, Bound)>();
        var steps = 0;
        _boundFormulas = new Bound[formulas.Count];
        ReductionSlot = -1;
        for (var i = 0; i < formulas.Count; i++)
        {
            var formula = formulas[i];
            var (bound, type, formulaSteps) = Check(formula.Expression, formula.Name, sites);
            try
            {
                bound = UnitChecker.ToDeclared(bound, type, formula.Unit, 0);
            }
            catch (MethodologyException e)
            {
                throw e.WithLocation(Id, formula.Name);
            }
            steps += formulaSteps;
            var slot = inputs.Count + i;
            _boundFormulas[i] = bound;
            assignments.Add((slot, bound));
            // Declared after checking, so a formula can only use the formulas before it: no cycles, one pass.
            Declare(formula.Name, new Symbol(SymbolKind.Formula, slot, 0m, formula.Unit), "formula");
            if (formula.Name == ReductionFormula) ReductionSlot = slot;
        }
        if (ReductionSlot >= 0 && !Formulas[ReductionSlot - inputs.Count].Unit.Equals(Unit.Gram))
            throw new MethodologyException(Id, ReductionFormula, null, "the reduction must be declared in g");

        _boundRules = new Bound[rules.Count];
        for (var i = 0; i < rules.Count; i++)
        {
            var (bound, type, ruleSteps) = Check(rules[i].Expression, rules[i].Name, sites);
            if (!type.IsBool) throw new MethodologyException(Id, rules[i].Name, 0, "a plausibility rule must be a truth value");
            steps += ruleSteps;
            _boundRules[i] = bound;
        }

        AcceptedSlot = SlotCount - 1;
        _symbols[AcceptedName] = new Symbol(SymbolKind.Accepted, AcceptedSlot, 0m, Unit.Gram);
        _sites = sites.ToArray();
        Program = Compiler.CompileProgram(assignments, _boundRules);
        EvaluationSteps = steps;
        ProgramSteps = steps;
        if (pointsExpression is not null)
        {
            Points = PointsRule.Compile(pointsExpression, this);
            EvaluationSteps += Points.Steps;
        }
        if (EvaluationSteps > MethodologyLimits.EvaluationStepsMax)
            throw new MethodologyException(Id, null, null, string.Create(CultureInfo.InvariantCulture,
                $"evaluation takes {EvaluationSteps} steps, more than the limit of {MethodologyLimits.EvaluationStepsMax}"));
    }

    public string Id { get; }
    public string Version { get; }
    public LocalizedText Title { get; }
    public LocalizedText? Description { get; }
    public MethodologyClass Class { get; }
    public MethodologyKind Kind { get; }
    public IReadOnlyList<InputDeclaration> Inputs { get; }
    public IReadOnlyList<Factor> Factors { get; }

    /// <summary>Formulas in evaluation order; each may use inputs, factors and the formulas before it.</summary>
    public IReadOnlyList<FormulaDefinition> Formulas { get; }

    public IReadOnlyList<PlausibilityRule> Rules { get; }
    public ReductionCaps Caps { get; }
    public GramRounding Rounding { get; }

    /// <summary>The methodology's default points rule, if it has one; a scenario's policy may supply another.</summary>
    public PointsRule? Points { get; }

    public IReadOnlyList<TestVector> TestVectors { get; }

    /// <summary>Lower-case hex SHA-256 of the canonical file bytes (UTF-8, no BOM, LF line ends).</summary>
    public string ContentHash { get; }

    /// <summary>The most steps one calculation can take, computed at load time.</summary>
    public int EvaluationSteps { get; }

    /// <summary>False for points-only templates, which credit no reduction (JS 33).</summary>
    public bool HasReduction => ReductionSlot >= 0;

    /// <summary>Steps of the formulas and rules alone, which any points rule adds to.</summary>
    internal int ProgramSteps { get; }

    /// <summary>
    /// The most days before a record's day that its formulas, rules or points rule read through history functions
    /// (window plus skipped days); 0 when the methodology reads no history. Ingestion loads this many days.
    /// </summary>
    public int HistoryLookbackDays { get; private set; }

    internal string[] InputNames { get; }
    internal int SlotCount { get; }
    internal int ReductionSlot { get; }
    internal int AcceptedSlot { get; }
    internal Func<EvaluationState, int> Program { get; }
    internal IReadOnlyDictionary<string, Symbol> Symbols => _symbols;

    /// <summary>The index of an input for <see cref="MethodologyEvaluator.SetInput(int, decimal)"/>, or -1.</summary>
    public int InputIndex(string name)
    {
        for (var i = 0; i < InputNames.Length; i++)
        {
            if (string.Equals(InputNames[i], name, StringComparison.Ordinal)) return i;
        }
        return -1;
    }

    /// <summary>A new evaluator; evaluators are cheap to keep, not thread-safe, and allocate nothing per record.</summary>
    public MethodologyEvaluator CreateEvaluator(PointsRule? points = null) => new(this, points ?? Points);

    /// <summary>
    /// Evaluates one record and reports every formula's value. Convenient for people and tests; the hot path uses
    /// <see cref="CreateEvaluator"/>. Inputs not declared by the methodology make the record <c>malformed</c>.
    /// </summary>
    public CalculationReport Calculate(
        IReadOnlyDictionary<string, decimal> inputs, DateOnly day, IBehaviourHistory? history = null, Grams acceptedToday = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var evaluator = CreateEvaluator();
        foreach (var (name, value) in inputs)
        {
            var index = InputIndex(name);
            if (index < 0) return new CalculationReport(Calculation.Reject(CalculationReason.Malformed, name), []);
            evaluator.SetInput(index, value);
        }
        var result = evaluator.Evaluate(day, history, acceptedToday);
        var values = new List<IntermediateValue>();
        if (result.Status != CalculationStatus.Rejected || result.Reason == CalculationReason.Implausible || result.Reason == CalculationReason.DailyCapReached)
        {
            for (var i = 0; i < Formulas.Count; i++)
                values.Add(new IntermediateValue(Formulas[i].Name, evaluator.FormulaValue(i), Formulas[i].Unit));
        }
        return new CalculationReport(result, values);
    }

    /// <summary>Runs every test vector shipped with the methodology.</summary>
    public IReadOnlyList<TestVectorResult> RunTestVectors() => TestVectors.Select(RunTestVector).ToArray();

    public TestVectorResult RunTestVector(TestVector vector)
    {
        ArgumentNullException.ThrowIfNull(vector);
        var history = new DailyTotals();
        foreach (var (input, days) in vector.History)
        {
            for (var back = 0; back < days.Count; back++)
            {
                if (days[back] is { } total) history.Add(input, TestVector.Day.AddDays(-(back + 1)), total);
            }
        }
        var result = Calculate(vector.Inputs, TestVector.Day, history, vector.AcceptedToday).Result;
        var actual = result.ToString();
        var expect = vector.Expect;
        string? problem = null;
        if (expect.Code is { } code)
        {
            if (result.Status == CalculationStatus.Accepted || result.Reason.Code() != code) problem = $"expected {code}, got {actual}";
        }
        else if (result.Status != CalculationStatus.Accepted)
        {
            problem = $"expected acceptance, got {actual}";
        }
        else if (expect.Grams is { } grams && result.Reduction != grams)
        {
            problem = $"expected {grams}, got {result.Reduction}";
        }
        else if (expect.Points is { } points && result.Points != points)
        {
            problem = $"expected {points}, got {result.Points}";
        }
        return new TestVectorResult(vector, problem is null, actual, problem);
    }

    /// <summary>
    /// Evaluates with the reference interpreter instead of the compiled delegate: same inputs, same slots. Used to
    /// test the compiler; never on the hot path.
    /// </summary>
    internal (decimal[] Slots, int FaultSite, bool Overflow, int FailedRule) Interpret(decimal[] inputs, DateOnly day, IBehaviourHistory? history)
    {
        var state = new EvaluationState(SlotCount, InputNames) { Day = day, History = history };
        Array.Copy(inputs, state.Slots, inputs.Length);
        var failedRule = -1;
        try
        {
            for (var i = 0; i < _boundFormulas.Length; i++) state.Slots[Inputs.Count + i] = Interpreter.Number(_boundFormulas[i], state);
            for (var i = 0; i < _boundRules.Length && failedRule < 0; i++)
            {
                if (!Interpreter.Truth(_boundRules[i], state)) failedRule = i;
            }
        }
        catch (OverflowException)
        {
            return (state.Slots, state.FaultSite, true, failedRule);
        }
        return (state.Slots, state.FaultSite, false, failedRule);
    }

    internal FaultSite Site(int index) => _sites[index];

    private (Bound, FormulaType, int) Check(string expression, string name, List<FaultSite> sites)
    {
        try
        {
            var syntax = Parser.Parse(expression);
            var checkedFormula = UnitChecker.Check(syntax, _symbols, sites, name, out var lookback);
            HistoryLookbackDays = Math.Max(HistoryLookbackDays, lookback);
            return checkedFormula;
        }
        catch (MethodologyException e)
        {
            throw e.WithLocation(Id, name);
        }
    }

    private void Declare(string name, Symbol symbol, string what)
    {
        if (name == AcceptedName || !_symbols.TryAdd(name, symbol))
            throw new MethodologyException(Id, name, null, $"the {what} name '{name}' is already used");
    }

    public override string ToString() => $"{Id} {Version}";
}
