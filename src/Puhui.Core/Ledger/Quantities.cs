using System.Globalization;

namespace Puhui.Ledger;

/// <summary>Carbon points (碳积分). Not money and not transferable between persons (JS 33, SZ 18).</summary>
public readonly record struct Points(long Value) : IComparable<Points>
{
    public static Points Zero => default;
    public static Points operator +(Points a, Points b) => new(checked(a.Value + b.Value));
    public static Points operator -(Points a, Points b) => new(checked(a.Value - b.Value));
    public static Points operator -(Points a) => new(checked(-a.Value));
    public static bool operator <(Points a, Points b) => a.Value < b.Value;
    public static bool operator >(Points a, Points b) => a.Value > b.Value;
    public static bool operator <=(Points a, Points b) => a.Value <= b.Value;
    public static bool operator >=(Points a, Points b) => a.Value >= b.Value;
    public int CompareTo(Points other) => Value.CompareTo(other.Value);
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture) + " pts";
}

/// <summary>A reduction in grams of CO2 equivalent (gCO2e). Always attached to a batch when it is held.</summary>
public readonly record struct Grams(long Value) : IComparable<Grams>
{
    public const long PerKilogram = 1_000;
    public const long PerTonne = 1_000_000;
    public static Grams Zero => default;
    public static Grams FromKilograms(long kilograms) => new(checked(kilograms * PerKilogram));
    public static Grams operator +(Grams a, Grams b) => new(checked(a.Value + b.Value));
    public static Grams operator -(Grams a, Grams b) => new(checked(a.Value - b.Value));
    public static Grams operator -(Grams a) => new(checked(-a.Value));
    public static bool operator <(Grams a, Grams b) => a.Value < b.Value;
    public static bool operator >(Grams a, Grams b) => a.Value > b.Value;
    public static bool operator <=(Grams a, Grams b) => a.Value <= b.Value;
    public static bool operator >=(Grams a, Grams b) => a.Value >= b.Value;
    public int CompareTo(Grams other) => Value.CompareTo(other.Value);
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture) + " gCO2e";
}

/// <summary>Chinese yuan in fen (分), used only inside the trading venue.</summary>
public readonly record struct Fen(long Value) : IComparable<Fen>
{
    public static Fen Zero => default;
    public static Fen operator +(Fen a, Fen b) => new(checked(a.Value + b.Value));
    public static Fen operator -(Fen a, Fen b) => new(checked(a.Value - b.Value));
    public static Fen operator -(Fen a) => new(checked(-a.Value));
    public static bool operator <(Fen a, Fen b) => a.Value < b.Value;
    public static bool operator >(Fen a, Fen b) => a.Value > b.Value;
    public static bool operator <=(Fen a, Fen b) => a.Value <= b.Value;
    public static bool operator >=(Fen a, Fen b) => a.Value >= b.Value;
    public int CompareTo(Fen other) => Value.CompareTo(other.Value);
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture) + " fen";
}
