using Hephaestus.Domain.Mastery;

namespace Hephaestus.Domain.Tests.Mastery;

/// <summary>The one mastery rule (<see cref="MasteryParameters.IsMastered"/>), method by method.</summary>
public class MasteryRuleTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 6, 9, 0, 0, TimeSpan.Zero);

    private static MasteryState Fold(MasteryParameters p, params double[] scores) =>
        MasteryState.Replay(p, scores.Select((s, i) => new Observation(s, T0.AddMinutes(i))));

    // The skill: masteryPoints 0.6, BKT threshold 0.95. A P(L) between the two is above the mastery points but
    // not mastered under BKT: the threshold of the method decides, not the points, nor any scale level.
    [Fact]
    public void Bkt_is_mastered_only_at_its_own_threshold_not_at_the_mastery_points()
    {
        var p = MasteryParameters.Default with { MasteryPoints = 0.6, BktMasteryThreshold = 0.95 };
        var state = MasteryState.Empty;
        var minute = 0;
        while (state.Value(p) is not >= 0.6) state = state.Apply(p, new Observation(1.0, T0.AddMinutes(minute++)));
        var value = state.Value(p)!.Value;
        Assert.InRange(value, 0.6, 0.95);
        Assert.False(state.IsMastered(p));
        Assert.False(p.IsMastered(value));
        Assert.True((p with { BktMasteryThreshold = value }).IsMastered(value));
    }

    // 0.65·0.7 + 0.35·0.5 = 0.63 under both decaying averages (two scores).
    [Theory]
    [InlineData(MasteryMethod.WeightedAverage)]
    [InlineData(MasteryMethod.StandardDecayingAverage)]
    public void Decaying_averages_are_mastered_at_the_mastery_points(MasteryMethod method)
    {
        var at = MasteryParameters.For(method) with { MasteryPoints = 0.63 };
        var above = at with { MasteryPoints = 0.64 };
        Assert.Equal(0.63, Fold(at, 0.5, 0.7).Value(at)!.Value, 1e-12);
        Assert.True(Fold(at, 0.5, 0.7).IsMastered(at));
        Assert.False(Fold(above, 0.5, 0.7).IsMastered(above));
    }

    // The other half: n_mastery met (two scores at or above 0.6, mean 0.675) is mastered, though 0.675 is far
    // below the default scale's mastery level (0.95).
    [Fact]
    public void N_mastery_is_mastered_once_n_scores_reach_the_mastery_points()
    {
        var p = MasteryParameters.For(MasteryMethod.NMastery) with { NMasteryCount = 2, MasteryPoints = 0.6 };
        Assert.False(Fold(p, 0.7).IsMastered(p));
        Assert.False(Fold(p, 0.7, 0.3).IsMastered(p));
        var met = Fold(p, 0.7, 0.3, 0.65);
        Assert.Equal(0.675, met.Value(p)!.Value, 1e-12);
        Assert.True(met.IsMastered(p));
        Assert.True(met.Value(p) < MasteryScale.Default.MasteryLevel.Threshold);
    }

    [Fact]
    public void Highest_is_mastered_when_the_best_score_reaches_the_mastery_points()
    {
        var p = MasteryParameters.For(MasteryMethod.Highest) with { MasteryPoints = 0.75 };
        Assert.True(Fold(p, 0.2, 0.8, 0.3).IsMastered(p));
        Assert.False(Fold(p, 0.2, 0.7, 0.3).IsMastered(p));
    }

    [Fact]
    public void Latest_is_mastered_when_the_last_score_reaches_the_mastery_points()
    {
        var p = MasteryParameters.For(MasteryMethod.Latest) with { MasteryPoints = 0.75 };
        Assert.True(Fold(p, 0.5, 0.9).IsMastered(p));
        Assert.False(Fold(p, 0.9, 0.5).IsMastered(p));
    }

    [Fact]
    public void Average_is_mastered_when_the_mean_reaches_the_mastery_points()
    {
        var p = MasteryParameters.For(MasteryMethod.Average) with { MasteryPoints = 0.7 };
        Assert.True(Fold(p, 0.5, 0.9).IsMastered(p));
        var stricter = p with { MasteryPoints = 0.71 };
        Assert.False(Fold(stricter, 0.5, 0.9).IsMastered(stricter));
    }

    [Fact]
    public void No_value_is_never_mastered_even_with_a_threshold_of_zero()
    {
        foreach (var method in MasteryMethods.All)
        {
            var p = MasteryParameters.For(method) with { MasteryPoints = 0 };
            Assert.False(p.IsMastered(null));
            Assert.False(MasteryState.Empty.IsMastered(p));
        }
    }
}
