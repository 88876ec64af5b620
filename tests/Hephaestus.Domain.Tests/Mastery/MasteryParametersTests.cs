using System.Text.Json;
using Hephaestus.Domain.Mastery;

namespace Hephaestus.Domain.Tests.Mastery;

public class MasteryParametersTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        Assert.Empty(MasteryParameters.Default.Validate());
        var p = MasteryParameters.Default;
        Assert.Equal((MasteryMethod.Bkt, 0.2, 0.15, 0.2, 0.1, 0.02, 0.95), (p.Method, p.Prior, p.Learn, p.Guess, p.Slip, p.Forget, p.BktMasteryThreshold));
        Assert.Equal((65, 5), (p.CalculationInt, p.NMasteryCount));
    }

    [Fact]
    public void Every_out_of_range_field_is_named()
    {
        var p = new MasteryParameters
        {
            Prior = -0.1,
            Learn = 1.5,
            Guess = 0.5,
            Slip = 0.7,
            Forget = double.NaN,
            BktMasteryThreshold = 0,
            CalculationInt = 100,
            NMasteryCount = 11,
            MasteryPoints = 1.2,
            Method = (MasteryMethod)42,
        };

        var errors = p.Validate();

        Assert.Equal(
            ["/method", "/prior", "/learn", "/guess", "/slip", "/forget", "/bktMasteryThreshold", "/calculationInt", "/nMasteryCount", "/masteryPoints"],
            errors.Select(e => e.Path));
        Assert.Contains("less than 0.5", errors.Single(e => e.Path == "/guess").Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 0)]
    [InlineData(99, 10)]
    public void Canvas_ranges_are_inclusive(int calculationInt, int n)
    {
        var errors = new MasteryParameters { CalculationInt = calculationInt, NMasteryCount = n }.Validate();
        Assert.Equal(calculationInt is >= 1 and <= 99 && n is >= 1 and <= 10, errors.Count == 0);
    }

    [Fact]
    public void Slip_just_below_one_half_is_accepted()
    {
        Assert.Empty((MasteryParameters.Default with { Slip = 0.4999, Guess = 0.4999 }).Validate());
        Assert.Single((MasteryParameters.Default with { Slip = 0.5 }).Validate());
    }

    [Fact]
    public void Parameters_round_trip_through_json_with_wire_names()
    {
        var p = MasteryParameters.For(MasteryMethod.NMastery) with { Ordering = EvidenceOrdering.DueTime, NMasteryCount = 3 };
        var json = JsonSerializer.Serialize(p);

        Assert.Contains("\"method\":\"n_mastery\"", json, StringComparison.Ordinal);
        Assert.Contains("\"ordering\":\"due_time\"", json, StringComparison.Ordinal);
        Assert.Equal(p, JsonSerializer.Deserialize<MasteryParameters>(json));
    }
}
