using Hephaestus.Domain.Mastery;

namespace Hephaestus.Domain.Tests.Mastery;

public class MasteryScaleTests
{
    [Theory]
    [InlineData(null, "not_started")]
    [InlineData(0.0, "attempted")]
    [InlineData(0.49, "attempted")]
    [InlineData(0.5, "familiar")]
    [InlineData(0.8, "proficient")]
    [InlineData(0.9499, "proficient")]
    [InlineData(0.95, "mastered")]
    [InlineData(1.0, "mastered")]
    public void Default_scale_maps_a_value_to_the_highest_level_reached(double? value, string level)
    {
        Assert.Equal(level, MasteryScale.Default.Classify(value).Name);
    }

    [Fact]
    public void Default_scale_has_mastered_as_its_mastery_level()
    {
        Assert.Equal("mastered", MasteryScale.Default.MasteryLevel.Name);
        Assert.Equal(0.95, MasteryScale.Default.MasteryLevel.Threshold);
    }

    [Fact]
    public void Invalid_scale_names_every_problem()
    {
        var (scale, errors) = MasteryScale.Create(
            [
                new("low", 0.1, false),
                new("", 0.3, true),
                new("low", 0.3, true),
                new("top", 1.5, false),
            ],
            "");

        Assert.Null(scale);
        Assert.Equal(
            [
                ("/noEvidenceLevel", "must be a non-empty name"),
                ("/levels/0/threshold", "the first level must start at 0 so that every value has a level"),
                ("/levels/1/name", "must be a non-empty name"),
                ("/levels/2/name", "duplicate level name 'low'"),
                ("/levels/2/threshold", "must be greater than the previous level's threshold"),
                ("/levels/3/threshold", "must be between 0 and 1"),
                ("/levels", "must have exactly one mastery level, found 2"),
            ],
            errors.Select(e => (e.Path, e.Message)));
    }

    [Fact]
    public void No_evidence_name_may_not_repeat_a_level_name()
    {
        var (_, errors) = MasteryScale.Create([new("none", 0, false), new("yes", 0.9, true)], "none");
        Assert.Equal("/levels/0/name", Assert.Single(errors).Path);
    }

    [Fact]
    public void Scale_without_levels_is_refused()
    {
        var (scale, errors) = MasteryScale.Create([], "not_started");
        Assert.Null(scale);
        Assert.Equal("/levels", Assert.Single(errors).Path);
    }
}
