using System.Globalization;
using System.Text;
using Puhui.Methodologies;

namespace Puhui.Tests.Methodologies;

/// <summary>Builds small methodology files for tests, so each test states only what it is about.</summary>
internal static class MethodologyText
{
    public static string Quote(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>
    /// A points-only methodology (so no reduction is required) with the given inputs (name, unit; bounds ±1e12) and
    /// formulas (name, unit, expression), in order.
    /// </summary>
    public static string Formulas(IEnumerable<(string Name, string Unit)> inputs, IEnumerable<(string Name, string Unit, string Expr)> formulas, string points = "0", string rules = "")
    {
        var text = new StringBuilder();
        text.AppendLine("id: test-formulas\nversion: 1.0\ntitle: { zh: 测试, en: Test }\nclass: none\nkind: behaviour");
        text.AppendLine("inputs:");
        foreach (var (name, unit) in inputs) text.AppendLine(CultureInfo.InvariantCulture, $"  {name}: {{ unit: {Quote(unit)}, min: -1000000000000, max: 1000000000000 }}");
        text.AppendLine("formulas:");
        foreach (var (name, unit, expr) in formulas) text.AppendLine(CultureInfo.InvariantCulture, $"  {name}: {{ unit: {Quote(unit)}, expr: {Quote(expr)} }}");
        if (rules.Length > 0) text.AppendLine("plausibility:").Append(rules);
        text.AppendLine(CultureInfo.InvariantCulture, $"points: {Quote(points)}");
        text.AppendLine("tests:\n  - name: placeholder vector the loader requires\n    inputs: {}\n    expect: { rejected: malformed }");
        return text.ToString();
    }

    public static Methodology Load(IEnumerable<(string Name, string Unit)> inputs, params (string Name, string Unit, string Expr)[] formulas) =>
        MethodologyLoader.Parse(Formulas(inputs, formulas));

    /// <summary>Evaluates one formula over the given inputs and returns the report.</summary>
    public static CalculationReport Evaluate(string expr, string unit, params (string Name, string Unit, decimal Value)[] inputs)
    {
        var methodology = Load(inputs.Select(i => (i.Name, i.Unit)), ("x", unit, expr));
        return methodology.Calculate(inputs.ToDictionary(i => i.Name, i => i.Value), new DateOnly(2025, 1, 15));
    }

    /// <summary>The library directory of the repository, found by walking up from the test binaries.</summary>
    public static string LibraryDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "methodologies");
            if (Directory.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "Directory.Build.props"))) return candidate;
        }
        throw new DirectoryNotFoundException("methodologies/ not found above " + AppContext.BaseDirectory);
    }

    public static Methodology LoadBuiltIn(string id) =>
        MethodologyLoader.Parse(File.ReadAllText(Path.Combine(LibraryDirectory(), id + ".yaml")));
}
