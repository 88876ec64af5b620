using Hephaestus.Domain.Analytics;

namespace Hephaestus.Domain.Tests.Analytics;

/// <summary>
/// Moodle's item analysis on a worked example computed by hand (exact fractions below; every figure asserted).
/// Six counted attempts, four items: A (1 point, a single choice of 4 options) everyone gets right (zero variance);
/// B (1 point, a multiple choice) only the fifth learner gets right, a weak one (negatively discriminating); C (2 points,
/// numeric) and D (1 point, short text) go with ability.
///
///   learner   A  B  C  D   T      Y_A = T−A  Y_B  Y_C  Y_D
///   1         1  0  2  0   3          2       3    1    3
///   2         1  0  2  1   4          3       4    2    3
///   3         1  0  2  1   4          3       4    2    3
///   4         1  0  1  0   2          1       2    1    2
///   5         1  1  1  0   3          2       2    2    3
///   6         1  0  0  0   1          0       1    1    1
///
/// Test: s = 6, ΣT = 17, mean 17/6 = 2.8333; sorted T 1 2 3 3 4 4, median (3 + 3)/2 = 3.
///   deviations d = 1/6, 7/6, 7/6, −5/6, 1/6, −11/6: Σd² = 246/36 = 41/6, Σd³ = (1 + 343 + 343 − 125 + 1 − 1331)/216 = −768/216 = −32/9,
///   Σd⁴ = (1 + 2401 + 2401 + 625 + 1 + 14641)/1296 = 20070/1296 = 1115/72.
///   m₂ = 41/36, m₃ = −16/27, m₄ = 1115/432. k₂ = s·m₂/(s−1) = 41/30 (SD √(41/30) = 1.16905);
///   k₃ = s²·m₃/((s−1)(s−2)) = 36·(−16/27)/20 = −16/15; skewness k₃/k₂^1.5 = −1.06667/1.59767 = −0.66763;
///   k₄ = s²((s+1)m₄ − 3(s−1)m₂²)/((s−1)(s−2)(s−3)) = 36·(7·1115/432 − 15·1681/1296)/60 = 36·(7805/432 − 25215/1296)/60
///      = 36·(23415 − 25215)/1296/60 = −5/6; kurtosis k₄/k₂² = (−5/6)/(1681/900) = −750/1681 = −0.44616.
///   Item variances (÷ s−1): A 0, B (1 − 1/6)/5 = 1/6, C (14 − 64/6)/5 = 2/3, D (2 − 4/6)/5 = 4/15; Σ = 11/10.
///   CIC = 100·4/3·(1 − (11/10)/(41/30)) = 100·4/3·(8/41) = 3200/123 = 26.0163; error ratio 100·√(1 − 0.260163) = 86.0138;
///   standard error 86.0138·1.16905/100 = 1.00554.
/// Items (Cov(x, Y) = (ΣxY − ΣxΣY/s)/(s−1); Cov_max the same with x and Y each sorted ascending):
///   A: facility 100, SD 0, Cov(x, T) = 0 so effective weight 0; no discrimination figures.
///   B: facility 1/6 = 16.667; SD √(1/6) = 40.825 %; ΣY = 16, ΣxY = 2: Cov = (2 − 16/6)/5 = −2/15; Var(Y) = (50 − 256/6)/5 = 22/15;
///      DI = 100·(−2/15)/√(1/6·22/15) = −26.968; sorted Y 1 2 2 3 4 4 with x 0 0 0 0 0 1: Cov_max = (4 − 16/6)/5 = 4/15, DE = −50 (flagged);
///      Cov(x, T) = (3 − 17/6)/5 = 1/30.
///   C: facility 8/12 = 66.667; SD √(2/3)/2 = 40.825 %; ΣY = 9, ΣxY = 13: Cov = (13 − 72/6)/5 = 1/5; Var(Y) = (15 − 81/6)/5 = 3/10;
///      DI = 100·0.2/√(2/3·3/10) = 44.721; sorted x 0 1 1 2 2 2, sorted Y 1 1 1 2 2 2: Cov_max = (14 − 72/6)/5 = 2/5, DE = 50;
///      Cov(x, T) = (27 − 8·17/6)/5 = 13/15.
///   D: facility 2/6 = 33.333; SD √(4/15) = 51.640 %; ΣY = 15, ΣxY = 6: Cov = (6 − 30/6)/5 = 1/5; Var(Y) = (41 − 225/6)/5 = 7/10;
///      DI = 100·0.2/√(4/15·7/10) = 46.291; sorted Y 1 2 3 3 3 3 with x 0 0 0 0 1 1: Cov_max = (6 − 5)/5 = 1/5, DE = 100;
///      Cov(x, T) = (8 − 2·17/6)/5 = 7/15.
///   Effective weights: √0 + √(1/30) + √(13/15) + √(7/15) = 0 + 0.182574 + 0.930949 + 0.683130 = 1.796653:
///      A 0, B 10.162, C 51.816, D 38.022. Intended weights over the maximum total 5: A 20, B 20, C 40, D 20.
///   Random guess: A 1/4 = 25; B none (multiple choice); C, D 0.
/// </summary>
public class ItemStatisticsTests
{
    static readonly Guid A = new("00000000-0000-0000-0000-00000000000a");
    static readonly Guid B = new("00000000-0000-0000-0000-00000000000b");
    static readonly Guid C = new("00000000-0000-0000-0000-00000000000c");
    static readonly Guid D = new("00000000-0000-0000-0000-00000000000d");

    internal static readonly IReadOnlyList<CountedAttempt> WorkedExample =
    [
        Attempt(1, 0, 2, 0), Attempt(1, 0, 2, 1), Attempt(1, 0, 2, 1), Attempt(1, 0, 1, 0), Attempt(1, 1, 1, 0), Attempt(1, 0, 0, 0),
    ];

    static readonly Dictionary<Guid, ItemFacts> Facts = new()
    {
        [A] = new ItemFacts(A, 1, ItemStatistics.RandomGuessScore("single_choice", 4)),
        [B] = new ItemFacts(B, 1, ItemStatistics.RandomGuessScore("multiple_choice", 5)),
        [C] = new ItemFacts(C, 2, ItemStatistics.RandomGuessScore("numeric", null)),
        [D] = new ItemFacts(D, 1, ItemStatistics.RandomGuessScore("short_text", null)),
    };

    static CountedAttempt Attempt(decimal a, decimal b, decimal c, decimal d) => new(a + b + c + d, 5, [A, B, C, D], [a, b, c, d]);

    [Fact]
    public void Every_statistic_of_the_worked_example_matches_the_hand_computation()
    {
        var report = ItemStatistics.Compute(ItemAnalysisSums.Of(WorkedExample), Facts, OrderStatistics.Of(WorkedExample));

        var t = report.Test;
        Assert.Equal(6, t.Attempts);
        Assert.Equal(5, t.MaxTotal!.Value, 9);
        Assert.Equal(17.0 / 6, t.Mean!.Value, 9);
        Assert.Equal(3, t.Median!.Value, 9);
        Assert.Equal(Math.Sqrt(41.0 / 30), t.StandardDeviation!.Value, 9);
        Assert.Equal(-16.0 / 15 / Math.Pow(41.0 / 30, 1.5), t.Skewness!.Value, 9);
        Assert.Equal(-0.66763, t.Skewness!.Value, 4);
        Assert.Equal(-750.0 / 1681, t.Kurtosis!.Value, 9);
        Assert.Equal(3200.0 / 123, t.Cic!.Value, 9);
        Assert.Equal(86.0138, t.ErrorRatio!.Value, 3);
        Assert.Equal(1.00554, t.StandardError!.Value, 4);

        var items = report.Items.ToDictionary(i => i.ItemVersionId);
        var a = items[A];
        Assert.Equal((6L, 100.0, 0.0, 25.0, 20.0, 0.0), (a.Attempts, a.Facility!.Value, a.StandardDeviation!.Value, a.RandomGuessScore!.Value,
            a.IntendedWeight!.Value, a.EffectiveWeight!.Value));
        Assert.Null(a.DiscriminationIndex);
        Assert.Null(a.DiscriminativeEfficiency);
        Assert.False(a.Flagged);

        var b = items[B];
        Assert.Equal(100.0 / 6, b.Facility!.Value, 9);
        Assert.Equal(100 * Math.Sqrt(1.0 / 6), b.StandardDeviation!.Value, 9);
        Assert.Null(b.RandomGuessScore);
        Assert.Equal(20, b.IntendedWeight!.Value, 9);
        Assert.Equal(10.162, b.EffectiveWeight!.Value, 3);
        Assert.Equal(100 * (-2.0 / 15) / Math.Sqrt(1.0 / 6 * 22 / 15), b.DiscriminationIndex!.Value, 9);
        Assert.Equal(-26.968, b.DiscriminationIndex!.Value, 3);
        Assert.Equal(-50, b.DiscriminativeEfficiency!.Value, 9);
        Assert.True(b.Flagged);

        var c = items[C];
        Assert.Equal(200.0 / 3, c.Facility!.Value, 9);
        Assert.Equal(100 * Math.Sqrt(2.0 / 3) / 2, c.StandardDeviation!.Value, 9);
        Assert.Equal(0, c.RandomGuessScore!.Value);
        Assert.Equal(40, c.IntendedWeight!.Value, 9);
        Assert.Equal(51.816, c.EffectiveWeight!.Value, 3);
        Assert.Equal(44.721, c.DiscriminationIndex!.Value, 3);
        Assert.Equal(50, c.DiscriminativeEfficiency!.Value, 9);
        Assert.False(c.Flagged);

        var d = items[D];
        Assert.Equal(100.0 / 3, d.Facility!.Value, 9);
        Assert.Equal(100 * Math.Sqrt(4.0 / 15), d.StandardDeviation!.Value, 9);
        Assert.Equal(38.022, d.EffectiveWeight!.Value, 3);
        Assert.Equal(46.291, d.DiscriminationIndex!.Value, 3);
        Assert.Equal(100, d.DiscriminativeEfficiency!.Value, 9);
        Assert.False(d.Flagged);
        Assert.Equal(100, report.Items.Sum(i => i.EffectiveWeight ?? 0), 9);
    }

    [Fact]
    public void Without_order_statistics_the_moment_figures_stand_and_median_and_efficiency_are_absent()
    {
        var live = ItemStatistics.Compute(ItemAnalysisSums.Of(WorkedExample), Facts, order: null);
        var full = ItemStatistics.Compute(ItemAnalysisSums.Of(WorkedExample), Facts, OrderStatistics.Of(WorkedExample));

        Assert.Null(live.Test.Median);
        Assert.All(live.Items, i => Assert.Null(i.DiscriminativeEfficiency));
        Assert.Equal(full.Test with { Median = null }, live.Test);
        Assert.Equal(full.Items.Select(i => i.DiscriminationIndex), live.Items.Select(i => i.DiscriminationIndex));
    }

    [Fact]
    public void The_flag_bound_is_configurable()
    {
        var report = ItemStatistics.Compute(ItemAnalysisSums.Of(WorkedExample), Facts, OrderStatistics.Of(WorkedExample), flagBelow: 60);
        Assert.Equal([B, C], report.Items.Where(i => i.Flagged).Select(i => i.ItemVersionId).Order().ToArray());
    }

    [Fact]
    public void Too_few_attempts_leave_the_figures_that_need_more_empty()
    {
        var one = ItemStatistics.Compute(ItemAnalysisSums.Of(WorkedExample.Take(1)), Facts, OrderStatistics.Of([.. WorkedExample.Take(1)]));
        Assert.Equal(3, one.Test.Mean);
        Assert.Null(one.Test.StandardDeviation);
        Assert.Null(one.Test.Skewness);
        Assert.Null(one.Test.Cic);
        Assert.All(one.Items, i => Assert.Null(i.DiscriminationIndex));

        var none = ItemStatistics.Compute(ItemAnalysisSums.Of([]), Facts, OrderStatistics.Of([]));
        Assert.Equal(0, none.Test.Attempts);
        Assert.Empty(none.Items);
    }
}
