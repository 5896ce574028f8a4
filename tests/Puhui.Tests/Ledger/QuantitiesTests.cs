using Puhui.Ledger;

namespace Puhui.Tests.Ledger;

public class QuantitiesTests
{
    [Fact]
    public void Arithmetic_overflow_throws_instead_of_wrapping()
    {
        Assert.Throws<OverflowException>(() => new Points(long.MaxValue) + new Points(1));
        Assert.Throws<OverflowException>(() => new Grams(long.MinValue) - new Grams(1));
        Assert.Throws<OverflowException>(() => new Fen(long.MaxValue) + new Fen(1));
        Assert.Throws<OverflowException>(() => Grams.FromKilograms(long.MaxValue / 100));
    }

    [Fact]
    public void Kilograms_convert_to_grams_exactly()
    {
        Assert.Equal(new Grams(1_000), Grams.FromKilograms(1));
        Assert.Equal(new Grams(1_000_000), Grams.FromKilograms(1_000));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Ids_are_positive(long value)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AccountId(value));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchId(value));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LotId(value));
    }

    [Fact]
    public void Quantities_compare_by_value()
    {
        Assert.True(new Points(2) > new Points(1));
        Assert.True(new Grams(1) <= new Grams(1));
        Assert.Equal("574 gCO2e", new Grams(574).ToString());
    }
}
