using System.Globalization;
using System.Numerics;
using System.Text;

namespace Puhui.Methodologies;

/// <summary>
/// A physical unit: exponents of the four dimensions the platform needs (mass, energy, length, time) and an exact
/// rational scale relative to the base units g, Wh, m and s. Scales are rational so that prefixes (kg, t; kWh,
/// MWh; km; min, h) and their combinations convert exactly; a conversion whose factor is not a terminating
/// decimal is refused rather than rounded.
/// </summary>
public readonly record struct Unit
{
    private readonly BigInteger _numerator;
    private readonly BigInteger _denominator;

    private Unit(sbyte mass, sbyte energy, sbyte length, sbyte time, BigInteger numerator, BigInteger denominator, string? symbol)
    {
        if (denominator.Sign <= 0 || numerator.Sign <= 0) throw new ArgumentOutOfRangeException(nameof(denominator), "unit scale must be positive");
        var gcd = BigInteger.GreatestCommonDivisor(numerator, denominator);
        Mass = mass;
        Energy = energy;
        Length = length;
        Time = time;
        _numerator = numerator / gcd;
        _denominator = denominator / gcd;
        Symbol = symbol;
    }

    public sbyte Mass { get; }
    public sbyte Energy { get; }
    public sbyte Length { get; }
    public sbyte Time { get; }

    /// <summary>How the unit was written in the methodology, if it was; used only for display.</summary>
    public string? Symbol { get; }

    private BigInteger Numerator => _denominator.IsZero ? BigInteger.One : _numerator;
    private BigInteger Denominator => _denominator.IsZero ? BigInteger.One : _denominator;

    /// <summary>The dimensionless unit 1 (the default value).</summary>
    public static Unit One => default;

    /// <summary>Grams (of CO2 equivalent, where a reduction is meant).</summary>
    public static Unit Gram => new(1, 0, 0, 0, 1, 1, "g");

    public bool IsDimensionless => Mass == 0 && Energy == 0 && Length == 0 && Time == 0;

    /// <summary>True when both units measure the same dimension, whatever their scales.</summary>
    public bool SameDimension(Unit other) =>
        Mass == other.Mass && Energy == other.Energy && Length == other.Length && Time == other.Time;

    /// <summary>The scale relative to the base units, as a decimal when it is exactly representable.</summary>
    public bool HasScaleOne => Numerator.IsOne && Denominator.IsOne;

    public bool Equals(Unit other) =>
        SameDimension(other) && Numerator == other.Numerator && Denominator == other.Denominator;

    public override int GetHashCode() => HashCode.Combine(Mass, Energy, Length, Time, Numerator, Denominator);

    public Unit WithSymbol(string? symbol) => new(Mass, Energy, Length, Time, Numerator, Denominator, symbol);

    public static Unit operator *(Unit a, Unit b) => new(
        Add(a.Mass, b.Mass), Add(a.Energy, b.Energy), Add(a.Length, b.Length), Add(a.Time, b.Time),
        a.Numerator * b.Numerator, a.Denominator * b.Denominator, null);

    public static Unit operator /(Unit a, Unit b) => new(
        Add(a.Mass, (sbyte)-b.Mass), Add(a.Energy, (sbyte)-b.Energy), Add(a.Length, (sbyte)-b.Length), Add(a.Time, (sbyte)-b.Time),
        a.Numerator * b.Denominator, a.Denominator * b.Numerator, null);

    public Unit Multiply(Unit other) => this * other;

    public Unit Divide(Unit other) => this / other;

    /// <summary>
    /// The exact factor that converts a value in this unit to <paramref name="target"/> (same dimension), or false
    /// when the factor is not a terminating decimal that fits a <see cref="decimal"/>.
    /// </summary>
    public bool TryConversionFactor(Unit target, out decimal factor)
    {
        factor = 0m;
        if (!SameDimension(target)) return false;
        return TryToDecimal(Numerator * target.Denominator, Denominator * target.Numerator, out factor);
    }

    private static bool TryToDecimal(BigInteger numerator, BigInteger denominator, out decimal value)
    {
        value = 0m;
        var gcd = BigInteger.GreatestCommonDivisor(numerator, denominator);
        numerator /= gcd;
        denominator /= gcd;
        var rest = denominator;
        while (rest % 2 == 0) rest /= 2;
        while (rest % 5 == 0) rest /= 5;
        if (!rest.IsOne) return false;
        var max = new BigInteger(decimal.MaxValue);
        if (numerator > max || denominator > max) return false;
        var result = (decimal)numerator / (decimal)denominator;
        // A terminating quotient can still need more than 28 significant digits.
        if (new BigInteger(result * (decimal)denominator) != numerator) return false;
        value = result;
        return true;
    }

    private static sbyte Add(sbyte a, sbyte b)
    {
        var sum = a + b;
        if (sum is > 12 or < -12) throw new MethodologyException($"unit exponent {sum.ToString(CultureInfo.InvariantCulture)} is out of range");
        return (sbyte)sum;
    }

    public override string ToString()
    {
        if (Symbol is not null) return Symbol;
        var text = new StringBuilder();
        Append(text, "g", Mass);
        Append(text, "Wh", Energy);
        Append(text, "m", Length);
        Append(text, "s", Time);
        if (text.Length == 0) text.Append('1');
        if (!HasScaleOne)
        {
            text.Insert(0, TryToDecimal(Numerator, Denominator, out var scale)
                ? scale.ToString(CultureInfo.InvariantCulture) + "·"
                : $"{Numerator}/{Denominator}·");
        }
        return text.ToString();
    }

    private static void Append(StringBuilder text, string name, sbyte exponent)
    {
        if (exponent == 0) return;
        if (text.Length > 0) text.Append('·');
        text.Append(name);
        if (exponent != 1) text.Append('^').Append(exponent.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Parses a unit such as <c>g</c>, <c>kgCO2e/kWh</c>, <c>km/h</c>, <c>m3/ha</c>, <c>kW</c> or <c>1</c>.</summary>
    /// <exception cref="MethodologyException">The text is not a unit this platform knows.</exception>
    public static Unit Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length is 0 or > 64) throw new MethodologyException($"unit '{Clip(text)}' must be 1–64 characters");
        var result = One;
        var divide = false;
        var start = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && text[i] is not ('/' or '*' or '·')) continue;
            var term = text[start..i].Trim();
            if (term.Length == 0) throw new MethodologyException($"unit '{Clip(text)}' has an empty term");
            var unit = ParseTerm(term, text);
            result = divide ? result / unit : result * unit;
            if (i < text.Length) divide = text[i] == '/';
            start = i + 1;
        }
        return result.WithSymbol(text.Trim());
    }

    private static Unit ParseTerm(string term, string whole)
    {
        var exponent = 1;
        var caret = term.IndexOf('^', StringComparison.Ordinal);
        var name = term;
        if (caret >= 0)
        {
            if (!int.TryParse(term.AsSpan(caret + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent) || exponent is 0 or > 4 or < -4)
                throw new MethodologyException($"unit '{Clip(whole)}' has a bad exponent in '{term}'");
            name = term[..caret];
        }
        if (!Known.TryGetValue(name, out var unit)) throw new MethodologyException($"unknown unit '{name}' in '{Clip(whole)}'");
        var result = One;
        for (var i = 0; i < Math.Abs(exponent); i++) result = exponent > 0 ? result * unit : result / unit;
        return result;
    }

    private static string Clip(string text) => text.Length <= 64 ? text : text[..64] + "…";

    private static Unit Make(sbyte mass, sbyte energy, sbyte length, sbyte time, long numerator, long denominator = 1) =>
        new(mass, energy, length, time, numerator, denominator, null);

    // Reductions are masses of CO2 equivalent; the gas is documentation, not a dimension, so gCO2 and gCO2e are g.
    // A passenger-kilometre is a kilometre travelled by one person: records are per person.
    private static readonly Dictionary<string, Unit> Known = new(StringComparer.Ordinal)
    {
        ["1"] = One,
        ["%"] = Make(0, 0, 0, 0, 1, 100),
        ["g"] = Make(1, 0, 0, 0, 1),
        ["gCO2"] = Make(1, 0, 0, 0, 1),
        ["gCO2e"] = Make(1, 0, 0, 0, 1),
        ["kg"] = Make(1, 0, 0, 0, 1_000),
        ["kgCO2"] = Make(1, 0, 0, 0, 1_000),
        ["kgCO2e"] = Make(1, 0, 0, 0, 1_000),
        ["t"] = Make(1, 0, 0, 0, 1_000_000),
        ["tCO2"] = Make(1, 0, 0, 0, 1_000_000),
        ["tCO2e"] = Make(1, 0, 0, 0, 1_000_000),
        ["Wh"] = Make(0, 1, 0, 0, 1),
        ["kWh"] = Make(0, 1, 0, 0, 1_000),
        ["MWh"] = Make(0, 1, 0, 0, 1_000_000),
        ["GWh"] = Make(0, 1, 0, 0, 1_000_000_000),
        ["W"] = Make(0, 1, 0, -1, 1, 3_600),
        ["kW"] = Make(0, 1, 0, -1, 1_000, 3_600),
        ["MW"] = Make(0, 1, 0, -1, 1_000_000, 3_600),
        ["m"] = Make(0, 0, 1, 0, 1),
        ["km"] = Make(0, 0, 1, 0, 1_000),
        ["pkm"] = Make(0, 0, 1, 0, 1_000),
        ["m2"] = Make(0, 0, 2, 0, 1),
        ["ha"] = Make(0, 0, 2, 0, 10_000),
        ["km2"] = Make(0, 0, 2, 0, 1_000_000),
        ["m3"] = Make(0, 0, 3, 0, 1),
        ["L"] = Make(0, 0, 3, 0, 1, 1_000),
        ["s"] = Make(0, 0, 0, 1, 1),
        ["min"] = Make(0, 0, 0, 1, 60),
        ["h"] = Make(0, 0, 0, 1, 3_600),
        ["d"] = Make(0, 0, 0, 1, 86_400),
        ["yr"] = Make(0, 0, 0, 1, 31_536_000),
    };
}
