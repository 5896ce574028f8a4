using System.Globalization;

namespace Puhui.Methodologies;

/// <summary>
/// The only exception the methodology loader, parser and unit checker throw: the file or a formula in it is not a
/// valid methodology. It names the methodology, the formula (or section) and the zero-based character position
/// inside the formula, so an author can find the mistake.
/// </summary>
public sealed class MethodologyException : Exception
{
    public MethodologyException()
        : this("", null, null, "invalid methodology")
    {
    }

    public MethodologyException(string message)
        : this("", null, null, message)
    {
    }

    public MethodologyException(string message, Exception innerException)
        : base(message, innerException)
    {
        MethodologyId = "";
        Problem = message;
    }

    public MethodologyException(string methodologyId, string? formulaName, int? position, string problem, Exception? innerException = null)
        : base(Format(methodologyId, formulaName, position, problem), innerException)
    {
        MethodologyId = methodologyId;
        FormulaName = formulaName;
        Position = position;
        Problem = problem;
    }

    /// <summary>The methodology id, or empty when the id itself could not be read.</summary>
    public string MethodologyId { get; }

    /// <summary>The formula, rule or section the problem is in, if any.</summary>
    public string? FormulaName { get; }

    /// <summary>Zero-based character position inside the formula text, if the problem is inside a formula.</summary>
    public int? Position { get; }

    /// <summary>The problem without the location prefix.</summary>
    public string Problem { get; }

    internal MethodologyException WithLocation(string methodologyId, string formulaName) =>
        new(methodologyId, FormulaName ?? formulaName, Position, Problem, InnerException);

    private static string Format(string methodologyId, string? formulaName, int? position, string problem)
    {
        var where = string.IsNullOrEmpty(methodologyId) ? "methodology" : $"methodology '{methodologyId}'";
        if (formulaName is not null) where += $", formula '{formulaName}'";
        if (position is { } p) where += string.Create(CultureInfo.InvariantCulture, $", position {p}");
        return $"{where}: {problem}";
    }
}
