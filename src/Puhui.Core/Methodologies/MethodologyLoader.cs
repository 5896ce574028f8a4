using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Puhui.Ledger;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Puhui.Methodologies;

/// <summary>
/// Reads methodology files (YAML). The core does no I/O: callers pass the file's text. Every problem, from bad
/// YAML to a unit mismatch in a formula, is a <see cref="MethodologyException"/>.
/// </summary>
public static partial class MethodologyLoader
{
    // Duplicate keys are refused: in a reviewed document, a second `version:` or `value:` silently winning would
    // make the text say two things.
    private static readonly IDeserializer Deserializer = new DeserializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .WithDuplicateKeyChecking()
        .Build();

    /// <summary>Parses, unit-checks and compiles one methodology file.</summary>
    /// <exception cref="MethodologyException">The file is not a valid methodology.</exception>
    public static Methodology Parse(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var buffer = new char[MethodologyLimits.FileLengthMax + 1];
        var length = reader.ReadBlock(buffer, 0, buffer.Length);
        if (length > MethodologyLimits.FileLengthMax) throw TooLong();
        return Parse(new string(buffer, 0, length));
    }

    /// <inheritdoc cref="Parse(TextReader)"/>
    public static Methodology Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MethodologyLimits.FileLengthMax) throw TooLong();
        var canonical = Canonical(text);
        FileModel? file;
        try
        {
            file = Deserializer.Deserialize<FileModel?>(canonical);
        }
        catch (YamlException e)
        {
            var inner = e.InnerException is { } cause && cause is not YamlException ? ": " + cause.Message : "";
            throw new MethodologyException("", null, null,
                string.Create(CultureInfo.InvariantCulture, $"YAML line {e.Start.Line}, column {e.Start.Column}: {e.Message}{inner}"));
        }
        if (file is null) throw new MethodologyException("the file is empty");
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
        return Build(file, hash);
    }

    /// <summary>
    /// The canonical text a content hash is taken over: no byte-order mark, LF line ends. Two checkouts of one file
    /// on different systems therefore hash alike.
    /// </summary>
    public static string Canonical(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        return text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
    }

    private static MethodologyException TooLong() =>
        new($"a methodology file has at most {MethodologyLimits.FileLengthMax} characters");

    private static Methodology Build(FileModel file, string hash)
    {
        var id = file.Id ?? throw new MethodologyException("'id' is missing");
        if (!IdPattern().IsMatch(id)) throw new MethodologyException(id.Length > 64 ? "" : id, null, null, "'id' must be lower-case letters, digits, '_', '-' or '.', 2–64 characters, starting with a letter");
        MethodologyException Fail(string section, string problem) => new(id, section, null, problem);

        var version = file.Version ?? throw Fail("version", "'version' is missing");
        if (!VersionPattern().IsMatch(version)) throw Fail("version", "'version' must look like 1.0 or 1.0.0");
        var title = Text(file.Title, "title", Fail) ?? throw Fail("title", "'title' with zh and en is missing");
        var description = Text(file.Description, "description", Fail);
        var methodologyClass = file.Class switch
        {
            "I" => MethodologyClass.I,
            "II" => MethodologyClass.II,
            "none" => MethodologyClass.None,
            _ => throw Fail("class", "'class' must be I, II or none"),
        };
        var kind = file.Kind switch
        {
            "behaviour" => MethodologyKind.Behaviour,
            "project" => MethodologyKind.Project,
            _ => throw Fail("kind", "'kind' must be behaviour or project"),
        };
        var rounding = file.Rounding switch
        {
            null or "floor" => GramRounding.Floor,
            "half_up" => GramRounding.HalfUp,
            "half_even" => GramRounding.HalfEven,
            _ => throw Fail("rounding", "'rounding' must be floor, half_up or half_even"),
        };

        var inputs = new List<InputDeclaration>();
        foreach (var (name, model) in Limited(file.Inputs, "inputs", Fail))
        {
            CheckName(name, "inputs", Fail);
            var unit = ParseUnit(model.Unit, name, Fail);
            var min = Number(model.Min, name, "min", Fail) ?? throw Fail(name, "'min' is missing");
            var max = Number(model.Max, name, "max", Fail) ?? throw Fail(name, "'max' is missing");
            if (min > max) throw Fail(name, "'min' is greater than 'max'");
            var fallback = Number(model.Default, name, "default", Fail);
            if (fallback is { } d && (d < min || d > max)) throw Fail(name, "'default' is outside min..max");
            inputs.Add(new InputDeclaration(name, unit, min, max, fallback, model.Description ?? ""));
        }

        var factors = new List<Factor>();
        foreach (var (name, model) in Limited(file.Factors, "factors", Fail))
        {
            CheckName(name, "factors", Fail);
            var value = Number(model.Value, name, "value", Fail) ?? throw Fail(name, "'value' is missing");
            if (string.IsNullOrWhiteSpace(model.Source)) throw Fail(name, "every factor needs a 'source'");
            DateOnly? effective = null;
            if (model.Effective is { } e)
            {
                if (!DateOnly.TryParseExact(e, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                    throw Fail(name, "'effective' must be a date yyyy-mm-dd");
                effective = date;
            }
            var assumption = model.Assumption switch
            {
                null or "false" => false,
                "true" => true,
                _ => throw Fail(name, "'assumption' must be true or false"),
            };
            factors.Add(new Factor(name, value, ParseUnit(model.Unit, name, Fail), model.Source.Trim(), model.Version, effective, assumption));
        }

        var formulas = new List<FormulaDefinition>();
        foreach (var (name, model) in Limited(file.Formulas, "formulas", Fail))
        {
            CheckName(name, "formulas", Fail);
            if (string.IsNullOrWhiteSpace(model.Expr)) throw Fail(name, "'expr' is missing");
            formulas.Add(new FormulaDefinition(name, model.Expr, ParseUnit(model.Unit, name, Fail), model.Description));
        }
        var hasReduction = formulas.Any(f => f.Name == Methodology.ReductionFormula);
        if (!hasReduction && (kind == MethodologyKind.Project || methodologyClass != MethodologyClass.None))
            throw Fail("formulas", "a class I or II methodology, and every project methodology, needs a 'reduction' formula");
        if (hasReduction && methodologyClass == MethodologyClass.None)
            throw Fail("class", "a methodology with a reduction must be class I or II");
        if (!hasReduction && file.Points is null)
            throw Fail("points", "a points-only template needs a 'points' rule");

        var rules = new List<PlausibilityRule>();
        foreach (var (name, model) in Limited(file.Plausibility, "plausibility", Fail))
        {
            CheckName(name, "plausibility", Fail);
            if (string.IsNullOrWhiteSpace(model.Rule)) throw Fail(name, "'rule' is missing");
            rules.Add(new PlausibilityRule(name, model.Rule, model.Description));
        }

        var caps = new ReductionCaps(
            Quantity(file.Caps?.PerRecord, "caps.per_record", Fail),
            Quantity(file.Caps?.PerPersonDay, "caps.per_person_day", Fail));

        var tests = new List<TestVector>();
        if (file.Tests is { Count: > MethodologyLimits.TestVectorsMax }) throw Fail("tests", $"at most {MethodologyLimits.TestVectorsMax} test vectors");
        if (file.Tests is null || file.Tests.Count == 0) throw Fail("tests", "a methodology needs test vectors");
        foreach (var model in file.Tests)
        {
            var name = model.Name ?? throw Fail("tests", "every test vector needs a 'name'");
            var testInputs = new Dictionary<string, decimal>(StringComparer.Ordinal);
            foreach (var (key, value) in model.Inputs ?? [])
                testInputs[key] = Number(value, name, key, Fail) ?? throw Fail(name, $"input '{key}' has no value");
            var history = new Dictionary<string, IReadOnlyList<decimal?>>(StringComparer.Ordinal);
            foreach (var (key, days) in model.History ?? [])
            {
                if (!inputs.Any(i => i.Name == key)) throw Fail(name, $"history names unknown input '{key}'");
                history[key] = days.Select(d => Number(d, name, key, Fail)).ToArray();
            }
            var acceptedToday = Quantity(model.AcceptedToday, name, Fail) ?? Grams.Zero;
            var expect = model.Expect ?? throw Fail(name, "'expect' is missing");
            if (expect.Rejected is { } code && !CalculationReasons.TryParse(code, out _))
                throw Fail(name, $"unknown rejection code '{code}'");
            if (expect.Rejected is null && expect.Grams is null && expect.Points is null)
                throw Fail(name, "'expect' needs grams, points or rejected");
            var grams = Number(expect.Grams, name, "grams", Fail);
            var points = Number(expect.Points, name, "points", Fail);
            tests.Add(new TestVector(name, testInputs, history, acceptedToday, new TestExpectation(
                grams is { } g ? new Grams(WholeLong(g, name, Fail)) : null,
                points is { } p ? new Points(WholeLong(p, name, Fail)) : null,
                expect.Rejected)));
        }

        return new Methodology(id, version, title, description, methodologyClass, kind, inputs, factors, formulas, rules,
            caps, rounding, file.Points, tests, hash);
    }

    private static IEnumerable<KeyValuePair<string, T>> Limited<T>(Dictionary<string, T>? items, string section, Func<string, string, MethodologyException> fail)
    {
        if (items is null) return [];
        if (items.Count > MethodologyLimits.DeclarationsMax)
            throw fail(section, $"at most {MethodologyLimits.DeclarationsMax} entries");
        return items;
    }

    private static void CheckName(string name, string section, Func<string, string, MethodologyException> fail)
    {
        if (!NamePattern().IsMatch(name) || name is "and" or "or" or "not" or "true" or "false")
            throw fail(section, $"'{(name.Length > 64 ? name[..64] : name)}' is not a valid name: lower-case letters, digits and '_', starting with a letter, at most 48 characters, not a keyword");
    }

    private static LocalizedText? Text(Dictionary<string, string>? model, string section, Func<string, string, MethodologyException> fail)
    {
        if (model is null) return null;
        if (!model.TryGetValue("zh", out var zh) || !model.TryGetValue("en", out var en) || string.IsNullOrWhiteSpace(zh) || string.IsNullOrWhiteSpace(en) || model.Count != 2)
            throw fail(section, $"'{section}' needs exactly zh and en");
        return new LocalizedText(zh.Trim(), en.Trim());
    }

    private static Unit ParseUnit(string? text, string owner, Func<string, string, MethodologyException> fail)
    {
        if (text is null) throw fail(owner, "'unit' is missing");
        try
        {
            return Unit.Parse(text);
        }
        catch (MethodologyException e)
        {
            throw fail(owner, e.Problem);
        }
    }

    private static decimal? Number(string? text, string owner, string field, Func<string, string, MethodologyException> fail)
    {
        if (text is null) return null;
        if (text.Length > 40 || !decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            throw fail(owner, $"'{field}' must be a decimal number, not '{(text.Length > 40 ? text[..40] + "…" : text)}'");
        return value;
    }

    private static long WholeLong(decimal value, string owner, Func<string, string, MethodologyException> fail)
    {
        if (value != decimal.Truncate(value) || value < 0 || value > long.MaxValue) throw fail(owner, "expected grams and points are whole, non-negative numbers");
        return (long)value;
    }

    /// <summary>Parses "5000 g" or "5 kg" into whole grams.</summary>
    private static Grams? Quantity(string? text, string owner, Func<string, string, MethodologyException> fail)
    {
        if (text is null) return null;
        var parts = text.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length != 2) throw fail(owner, $"'{text}' must be a number and a mass unit, e.g. 5000 g");
        var value = Number(parts[0], owner, "quantity", fail) ?? 0m;
        var unit = ParseUnit(parts[1], owner, fail);
        if (!unit.TryConversionFactor(Unit.Gram, out var factor)) throw fail(owner, $"'{text}' is not a mass");
        var grams = value * factor;
        return new Grams(WholeLong(grams, owner, fail));
    }

    [GeneratedRegex("^[a-z][a-z0-9_.-]{1,63}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"^\d{1,4}\.\d{1,4}(\.\d{1,4})?$")]
    private static partial Regex VersionPattern();

    [GeneratedRegex("^[a-z][a-z0-9_]{0,47}$")]
    private static partial Regex NamePattern();

    // The file models mirror the YAML; every scalar is read as text so numbers keep their exact decimal digits.
    private sealed class FileModel
    {
        public string? Id { get; set; }
        public string? Version { get; set; }
        public Dictionary<string, string>? Title { get; set; }
        public Dictionary<string, string>? Description { get; set; }
        public string? Class { get; set; }
        public string? Kind { get; set; }
        public Dictionary<string, InputModel>? Inputs { get; set; }
        public Dictionary<string, FactorModel>? Factors { get; set; }
        public Dictionary<string, FormulaModel>? Formulas { get; set; }
        public Dictionary<string, RuleModel>? Plausibility { get; set; }
        public string? Rounding { get; set; }
        public CapsModel? Caps { get; set; }
        public string? Points { get; set; }
        public List<TestModel>? Tests { get; set; }
    }

    private sealed class InputModel
    {
        public string? Unit { get; set; }
        public string? Min { get; set; }
        public string? Max { get; set; }
        public string? Default { get; set; }
        public string? Description { get; set; }
    }

    private sealed class FactorModel
    {
        public string? Value { get; set; }
        public string? Unit { get; set; }
        public string? Source { get; set; }
        public string? Version { get; set; }
        public string? Effective { get; set; }
        public string? Assumption { get; set; }
    }

    private sealed class FormulaModel
    {
        public string? Expr { get; set; }
        public string? Unit { get; set; }
        public string? Description { get; set; }
    }

    private sealed class RuleModel
    {
        public string? Rule { get; set; }
        public string? Description { get; set; }
    }

    private sealed class CapsModel
    {
        public string? PerRecord { get; set; }
        public string? PerPersonDay { get; set; }
    }

    private sealed class TestModel
    {
        public string? Name { get; set; }
        public Dictionary<string, string>? Inputs { get; set; }
        public Dictionary<string, List<string?>>? History { get; set; }
        public string? AcceptedToday { get; set; }
        public ExpectModel? Expect { get; set; }
    }

    private sealed class ExpectModel
    {
        public string? Grams { get; set; }
        public string? Points { get; set; }
        public string? Rejected { get; set; }
    }
}
