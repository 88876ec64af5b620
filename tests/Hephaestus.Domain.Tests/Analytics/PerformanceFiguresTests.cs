using Hephaestus.Domain.Analytics;

namespace Hephaestus.Domain.Tests.Analytics;

public class PerformanceFiguresTests
{
    [Theory]
    [InlineData("2026-11-23", "2026-11-23")] // a Monday is its own week's start
    [InlineData("2026-11-29", "2026-11-23")] // Sunday ends the ISO week
    [InlineData("2026-11-25", "2026-11-23")]
    [InlineData("2026-01-01", "2025-12-29")] // across a year's end
    public void A_week_starts_on_its_monday(string day, string monday) =>
        Assert.Equal(DateOnly.Parse(monday, System.Globalization.CultureInfo.InvariantCulture),
            PerformanceFigures.WeekStart(DateOnly.Parse(day, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void A_rate_over_nobody_is_unknown_and_a_difference_needs_both_sides()
    {
        Assert.Null(PerformanceFigures.Rate(0, 0));
        Assert.Null(PerformanceFigures.Rate(null, 4));
        Assert.Equal(0.75, PerformanceFigures.Rate(3, 4));
        Assert.Equal(-0.25, PerformanceFigures.Difference(0.75, 0.5));
        Assert.Null(PerformanceFigures.Difference(null, 0.5));
        Assert.Null(PerformanceFigures.Difference(0.5, null));
    }
}
