using Puhui.Holdings;

namespace Puhui.Tests.Holdings;

public class SerialRangeTests
{
    [Theory]
    [InlineData("320115-7-1-1200", "320115", 7, 1, 1200)]
    [InlineData("CN-12-5", "CN", 12, 5, 5)]
    [InlineData(" 320115-7-3-3 ", "320115", 7, 3, 3)]
    public void Parses_ranges_and_single_serials(string text, string region, long batch, long from, long to)
    {
        Assert.True(SerialRange.TryParse(text, out var range));
        Assert.Equal((region, batch, from, to), (range!.Region, range.BatchId, range.FromKg, range.ToKg));
    }

    [Theory]
    [InlineData("")]
    [InlineData("320115-7")]
    [InlineData("320115-0-1-2")]
    [InlineData("320115-7-0-2")]
    [InlineData("320115-7-5-4")]
    [InlineData("320115-7-1-2-3")]
    [InlineData("32 0115-7-1-2")]
    [InlineData("320115-7-+1-2")]
    [InlineData("320115-7-1-99999999999999999999")]
    public void Refuses_what_is_not_a_serial(string text) => Assert.False(SerialRange.TryParse(text, out _));

    [Fact]
    public void Round_trips_through_its_text() => Assert.Equal("320115-7-1201-1203", SerialRange.Parse(new SerialRange("320115", 7, 1201, 1203).ToString()).ToString());

    [Fact]
    public void The_cursor_allocates_consecutive_ranges()
    {
        Assert.Equal((1L, 1200L, 1201L), SerialCursor.Allocate(1, 1200));
        Assert.Equal((1201L, 1201L, 1202L), SerialCursor.Allocate(1201, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SerialCursor.Allocate(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SerialCursor.Allocate(1, 0));
        Assert.Throws<OverflowException>(() => SerialCursor.Allocate(long.MaxValue, 2));
    }

    [Theory]
    [InlineData(1_000, true)]
    [InlineData(7_000, true)]
    [InlineData(999, false)]
    [InlineData(1_001, false)]
    [InlineData(0, false)]
    [InlineData(-1_000, false)]
    public void Only_positive_whole_kilograms_move(long grams, bool moves) => Assert.Equal(moves, HoldingRules.AmountProblem(grams) is null);

    [Fact]
    public void Purposes_have_stable_codes()
    {
        Assert.Equal(["voluntary-offset", "voluntary-cancellation", "donation", "event-neutrality", "eco-damage-compensation", "compliance-offset"],
            RetirementPurposes.All.Select(p => p.Code()));
        Assert.All(RetirementPurposes.All, p => Assert.True(RetirementPurposes.TryParse(p.Code(), out var back) && back == p));
        Assert.False(RetirementPurposes.TryParse("burn", out _));
    }
}
