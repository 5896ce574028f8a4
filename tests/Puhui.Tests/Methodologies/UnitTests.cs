using Puhui.Methodologies;

namespace Puhui.Tests.Methodologies;

/// <summary>The <see cref="Unit"/> value type: parsing, dimensions and exact scale conversion.</summary>
public sealed class UnitTests
{
    [Theory]
    [InlineData("kg", "g", "1000")]
    [InlineData("t", "g", "1000000")]
    [InlineData("tCO2e", "kgCO2e", "1000")]
    [InlineData("kWh", "Wh", "1000")]
    [InlineData("MWh", "kWh", "1000")]
    [InlineData("Wh", "MWh", "0.000001")]
    [InlineData("km", "m", "1000")]
    [InlineData("h", "min", "60")]
    [InlineData("min", "s", "60")]
    [InlineData("d", "h", "24")]
    [InlineData("km/h", "m/s", "0.2777777777777777777777777778")]
    [InlineData("m/s", "km/h", "3.6")]
    [InlineData("tCO2/MWh", "g/kWh", "1000")]
    [InlineData("ha", "m2", "10000")]
    [InlineData("L", "m3", "0.001")]
    [InlineData("%", "1", "0.01")]
    [InlineData("kW", "W", "1000")]
    public void Scale_prefixes_convert_exactly(string from, string to, string factor)
    {
        var ok = Unit.Parse(from).TryConversionFactor(Unit.Parse(to), out var actual);
        var exact = factor != "0.2777777777777777777777777778";
        Assert.Equal(exact, ok);
        if (exact) Assert.Equal(decimal.Parse(factor, System.Globalization.CultureInfo.InvariantCulture), actual);
    }

    [Fact]
    public void Kilometres_times_grams_per_passenger_kilometre_are_grams()
    {
        var product = Unit.Parse("km") * Unit.Parse("gCO2e/pkm");
        Assert.True(product.SameDimension(Unit.Gram));
        Assert.Equal(Unit.Gram, product);
    }

    [Fact]
    public void Kilowatt_hours_times_tonnes_per_megawatt_hour_are_kilograms()
    {
        Assert.Equal(Unit.Parse("kg"), Unit.Parse("kWh") * Unit.Parse("tCO2/MWh"));
    }

    [Fact]
    public void Kilometres_and_kilowatt_hours_are_different_dimensions()
    {
        Assert.False(Unit.Parse("km").SameDimension(Unit.Parse("kWh")));
        Assert.False(Unit.Parse("km").TryConversionFactor(Unit.Parse("kWh"), out _));
    }

    [Fact]
    public void Equality_ignores_how_the_unit_was_written()
    {
        Assert.Equal(Unit.Parse("gCO2e"), Unit.Parse("g"));
        Assert.Equal(Unit.Parse("kWh/km"), Unit.Parse("Wh/m"));
        Assert.NotEqual(Unit.Parse("kg"), Unit.Parse("g"));
    }

    [Theory]
    [InlineData("furlong")]
    [InlineData("")]
    [InlineData("g//km")]
    [InlineData("m^9")]
    [InlineData("m^x")]
    public void Unknown_or_malformed_units_are_refused(string text)
    {
        Assert.Throws<MethodologyException>(() => Unit.Parse(text));
    }
}
