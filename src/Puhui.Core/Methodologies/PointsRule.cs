using System.Globalization;
using Puhui.Methodologies.Language;

namespace Puhui.Methodologies;

/// <summary>
/// A points rule (碳积分规则): a formula of the methodology language that gives the points for one accepted
/// record, e.g. <c>floor(accepted / 10[g])</c> or a fixed <c>5</c> for a scenario without a methodology (JS 33).
/// It may use the methodology's inputs, factors and formulas, and <c>accepted</c>, the credited grams after
/// rounding and caps. It must be a plain number; the result is truncated to whole points and never negative.
/// </summary>
public sealed class PointsRule
{
    internal const string Name = "points";

    private readonly FaultSite[] _sites;

    private PointsRule(Methodology methodology, string expression, Func<EvaluationState, decimal> compiled, int steps, FaultSite[] sites)
    {
        _sites = sites;
        Methodology = methodology;
        Expression = expression;
        Compiled = compiled;
        Steps = steps;
    }

    public Methodology Methodology { get; }
    public string Expression { get; }
    public int Steps { get; }

    /// <summary>The most days before a record's day that the rule reads through history functions; 0 if none.</summary>
    public int LookbackDays { get; private init; }
    internal Func<EvaluationState, decimal> Compiled { get; }

    /// <summary>True when the rule's value is always a whole number, so the evaluator need not truncate it.</summary>
    internal bool IsIntegral { get; private init; }

    internal FaultSite Site(int index) => _sites[index];

    /// <summary>Checks and compiles a points rule against <paramref name="methodology"/>'s names.</summary>
    /// <exception cref="MethodologyException">The rule does not parse, uses unknown names, or is not a plain number.</exception>
    public static PointsRule Compile(string expression, Methodology methodology)
    {
        ArgumentNullException.ThrowIfNull(expression);
        ArgumentNullException.ThrowIfNull(methodology);
        try
        {
            var syntax = Parser.Parse(expression);
            // The points rule runs only after the methodology's program finished without a fault, so its
            // division sites are numbered on their own.
            var sites = new List<FaultSite>();
            var (bound, type, steps) = UnitChecker.Check(syntax, methodology.Symbols, sites, Name, out var lookback);
            bound = UnitChecker.ToDeclared(bound, type, Unit.One, 0);
            if (methodology.ProgramSteps + steps > MethodologyLimits.EvaluationStepsMax)
                throw new MethodologyException("", null, null, string.Create(CultureInfo.InvariantCulture,
                    $"with this points rule evaluation takes {methodology.ProgramSteps + steps} steps, more than the limit of {MethodologyLimits.EvaluationStepsMax}"));
            var integral = bound is FunctionBound { Function: NumericFunction.Floor or NumericFunction.Ceil or NumericFunction.Round }
                || (bound is ConstantBound c && c.Value == decimal.Truncate(c.Value));
            return new PointsRule(methodology, expression, Compiler.CompileValue(bound), steps, sites.ToArray()) { IsIntegral = integral, LookbackDays = lookback };
        }
        catch (MethodologyException e)
        {
            throw e.WithLocation(methodology.Id, Name);
        }
    }
}
