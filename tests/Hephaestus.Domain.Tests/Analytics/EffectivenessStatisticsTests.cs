using Hephaestus.Domain.Analytics;
using Hephaestus.Domain.Mastery;

namespace Hephaestus.Domain.Tests.Analytics;

public class EffectivenessStatisticsTests
{
    /// <summary>
    /// Worked by hand. Version 1 changes 0.1, 0.2, 0.3, 0.4: mean 0.25, s² = (0.15² + 0.05² + 0.05² + 0.15²)/3 = 0.05/3.
    /// Version 2 changes 0.3, 0.5, 0.7: mean 0.5, s² = (0.2² + 0 + 0.2²)/2 = 0.04. s₁²/n₁ = 0.0041667, s₂²/n₂ = 0.0133333,
    /// SE = √0.0175 = 0.1322876; ν = 0.0175² / (0.0041667²/3 + 0.0133333²/2) = 0.00030625 / 0.0000946759 = 3.2347188.
    /// t₀.₉₇₅ at ν = 3.2347188: 3.0557127 (Student's density integrated numerically, Simpson's rule, 20,000 panels, then
    /// bisection; the same procedure gives the table's 3.1824463 at ν = 3 and 2.2281389 at ν = 10). Interval:
    /// 0.25 ± 3.0557127 · 0.1322876 = [−0.1542328, 0.6542328].
    /// </summary>
    [Fact]
    public void Welch_interval_matches_the_hand_computation_including_the_t_quantile()
    {
        var first = SampleSummary.Of([0.1, 0.2, 0.3, 0.4]);
        var second = SampleSummary.Of([0.3, 0.5, 0.7]);
        Assert.Equal(0.25, first.Mean!.Value, 12);
        Assert.Equal(0.05 / 3, first.Variance!.Value, 12);
        Assert.Equal(0.04, second.Variance!.Value, 12);

        var interval = EffectivenessStatistics.Welch(first, second)!;
        Assert.Equal(0.25, interval.Difference, 12);
        Assert.Equal(0.1322875656, interval.StandardError, 9);
        Assert.Equal(3.2347188264, interval.DegreesOfFreedom, 9);
        Assert.Equal(3.0557127, interval.TQuantile, 6);
        Assert.Equal(-0.1542328, interval.Lower, 6);
        Assert.Equal(0.6542328, interval.Upper, 6);
        Assert.True(interval.ContainsZero);
    }

    [Theory]
    [InlineData(1, 12.7062047362)]
    [InlineData(2, 4.3026527297)]
    [InlineData(3, 3.1824463053)]
    [InlineData(10, 2.2281388520)]
    [InlineData(30, 2.0422724563)]
    [InlineData(1e7, 1.9599641)]
    public void The_t_quantile_agrees_with_the_table(double degreesOfFreedom, double expected) =>
        Assert.Equal(expected, EffectivenessStatistics.StudentTQuantile(0.975, degreesOfFreedom), 6);

    [Fact]
    public void The_t_quantile_is_symmetric_and_inverts_the_distribution()
    {
        Assert.Equal(-EffectivenessStatistics.StudentTQuantile(0.9, 4.5), EffectivenessStatistics.StudentTQuantile(0.1, 4.5), 10);
        Assert.Equal(0.9, EffectivenessStatistics.StudentTCdf(EffectivenessStatistics.StudentTQuantile(0.9, 4.5), 4.5), 10);
    }

    [Fact]
    public void A_group_of_one_has_no_interval()
    {
        Assert.Null(EffectivenessStatistics.Welch(SampleSummary.Of([0.5]), SampleSummary.Of([0.1, 0.2])));
    }

    static VersionSample Version(int number, params double[] changes) => new(Guid.NewGuid(), number, SampleSummary.Of(changes));

    [Fact]
    public void An_interval_that_contains_zero_is_never_a_recommendation_and_the_reason_says_so()
    {
        var advice = EffectivenessRecommendation.Recommend([Version(1, 0.1, 0.2, 0.3, 0.4), Version(2, 0.3, 0.5, 0.7)], minimumLearners: 3);
        Assert.Equal(EffectivenessVerdict.NoClearDifference, advice.Verdict);
        Assert.Null(advice.KeepVersionId);
        Assert.Contains("[-0.154, 0.654], which contains 0", advice.Reason);
        Assert.Equal(2, Assert.Single(advice.Comparisons).BetterVersion);
    }

    [Fact]
    public void Too_few_learners_is_not_enough_evidence_with_the_counts()
    {
        var advice = EffectivenessRecommendation.Recommend([Version(1, 0.1, 0.2, 0.3, 0.4), Version(2, 0.3, 0.5, 0.7)], minimumLearners: 4);
        Assert.Equal(EffectivenessVerdict.NotEnoughEvidence, advice.Verdict);
        Assert.Contains("version 2: 3 learner(s)", advice.Reason);
        Assert.Empty(advice.Comparisons);
    }

    [Fact]
    public void A_version_better_than_every_other_beyond_the_interval_is_kept()
    {
        // Differences of 0.5 with spreads of 0.1: the interval lies well above 0.
        var better = Version(2, 0.6, 0.7, 0.8, 0.7);
        var advice = EffectivenessRecommendation.Recommend([Version(1, 0.1, 0.2, 0.3, 0.2), better, Version(3, 0.1, 0.1, 0.3, 0.3)], minimumLearners: 4);
        Assert.Equal(EffectivenessVerdict.Keep, advice.Verdict);
        Assert.Equal(better.VersionId, advice.KeepVersionId);
        Assert.Equal(2, advice.Comparisons.Count);
        Assert.All(advice.Comparisons, c => Assert.True(c.Interval!.Lower > 0));
    }

    static readonly DateTimeOffset T0 = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Mastery_at_a_moment_folds_the_evidence_made_by_then_and_starts_from_the_baseline()
    {
        var latest = new MasteryParameters { Method = MasteryMethod.Latest };
        Observation[] log = [new(0.4, T0.AddDays(1)), new(0.9, T0.AddDays(5))];
        Assert.Equal(0, EffectivenessMastery.ValueAt(latest, log, T0));
        Assert.Equal(0.4, EffectivenessMastery.ValueAt(latest, log, T0.AddDays(2)));
        Assert.Equal(0.9, EffectivenessMastery.ValueAt(latest, log, T0.AddDays(5)));
        var bkt = new MasteryParameters();
        Assert.Equal(bkt.Prior, EffectivenessMastery.ValueAt(bkt, log, T0));
    }

    [Fact]
    public void First_mastered_is_the_first_moment_the_value_reached_mastery()
    {
        var latest = new MasteryParameters { Method = MasteryMethod.Latest };
        Observation[] log = [new(0.5, T0), new(0.8, T0.AddDays(3)), new(0.2, T0.AddDays(4)), new(0.9, T0.AddDays(6))];
        Assert.Equal(T0.AddDays(3), EffectivenessMastery.FirstMastered(latest, log));
        Assert.Equal(T0.AddDays(3), EffectivenessMastery.FirstMastered(latest with { Ordering = EvidenceOrdering.DueTime }, log));
        Assert.Null(EffectivenessMastery.FirstMastered(latest, [new(0.5, T0)]));
    }
}
