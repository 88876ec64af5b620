using Hephaestus.Domain.Mastery;

namespace Hephaestus.Domain.Tests.Mastery;

public class MasteryMethodTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 6, 9, 0, 0, TimeSpan.Zero);

    private static Observation At(int minute, double score, double weight = 1) => new(score, T0.AddMinutes(minute), weight);

    private static double? ValueOf(MasteryMethod method, params double[] scores) =>
        MasteryState.Replay(MasteryParameters.For(method), scores.Select((s, i) => At(i, s))).Value(MasteryParameters.For(method));

    // Canvas's worked example on a points scale, 2 then 3 then 4, calculation_int 65.
    // weighted_average: 0.65·4 + 0.35·mean(2, 3) = 2.6 + 0.875 = 3.475 → 3.48.
    // standard_decaying_average: d₁ = 2, d₂ = 0.35·2 + 0.65·3 = 2.65, d₃ = 0.35·2.65 + 0.65·4 = 3.5275 → 3.53.
    // Rounding goes through decimal (15 significant digits), as a numeric column would, because the binary double
    // nearest 3.475 lies just below it and would round to 3.47.
    [Fact]
    public void Canvas_worked_example_gives_3_48_and_3_53()
    {
        var weighted = ValueOf(MasteryMethod.WeightedAverage, 2, 3, 4)!.Value;
        var decaying = ValueOf(MasteryMethod.StandardDecayingAverage, 2, 3, 4)!.Value;

        Assert.Equal(3.475, weighted, 1e-12);
        Assert.Equal(3.5275, decaying, 1e-12);
        Assert.Equal(3.48m, Math.Round((decimal)weighted, 2, MidpointRounding.AwayFromZero));
        Assert.Equal(3.53m, Math.Round((decimal)decaying, 2, MidpointRounding.AwayFromZero));
    }

    [Fact]
    public void Single_score_is_that_score_under_every_averaging_method()
    {
        foreach (var method in MasteryMethods.All.Where(m => m is not MasteryMethod.Bkt and not MasteryMethod.NMastery))
        {
            Assert.Equal(0.7, ValueOf(method, 0.7));
        }
    }

    [Fact]
    public void Latest_highest_and_weighted_average_read_the_scores_as_defined()
    {
        Assert.Equal(0.4, ValueOf(MasteryMethod.Latest, 0.9, 0.2, 0.4));
        Assert.Equal(0.9, ValueOf(MasteryMethod.Highest, 0.9, 0.2, 0.4));
        Assert.Equal(0.5, ValueOf(MasteryMethod.Average, 0.9, 0.2, 0.4)!.Value, 1e-12);
    }

    // Average is weighted by Observation.Weight: (1·0.2 + 3·1.0) / (1 + 3) = 3.2 / 4 = 0.8.
    [Fact]
    public void Average_is_weighted_by_observation_weight()
    {
        var p = MasteryParameters.For(MasteryMethod.Average);
        var state = MasteryState.Replay(p, [At(0, 0.2, weight: 1), At(1, 1.0, weight: 3)]);
        Assert.Equal(0.8, state.Value(p)!.Value, 1e-12);
    }

    [Fact]
    public void No_evidence_has_no_value_under_any_method()
    {
        foreach (var method in MasteryMethods.All)
        {
            Assert.Null(MasteryState.Empty.Value(MasteryParameters.For(method)));
        }
    }

    // Parameters L₀ 0.2, T 0.15, G 0.2, S 0.1, F 0.02 (the defaults).
    // Correct from 0.2: P(L|c) = 0.2·0.9 / (0.2·0.9 + 0.8·0.2) = 0.18 / 0.34 = 9/17 = 0.529411764705882;
    //   P(L') = 9/17·0.98 + 8/17·0.15 = (8.82 + 1.2)/17 = 10.02/17 = 0.589411764705882.
    [Fact]
    public void Bkt_update_after_a_correct_answer_matches_the_hand_computation()
    {
        var bkt = MasteryParameters.Default.Bkt;
        Assert.Equal(0.529411764705882, bkt.PosteriorAfterCorrect(0.2), 1e-14);
        Assert.Equal(0.589411764705882, bkt.Update(0.2, 1.0), 1e-14);
        var state = MasteryState.Empty.Apply(MasteryParameters.Default, At(0, 1.0));
        Assert.Equal(0.589411764705882, state.Value(MasteryParameters.Default)!.Value, 1e-14);
    }

    // Incorrect from 0.2: P(L|i) = 0.2·0.1 / (0.2·0.1 + 0.8·0.8) = 0.02 / 0.66 = 1/33 = 0.030303030303030;
    //   P(L') = 1/33·0.98 + 32/33·0.15 = (0.98 + 4.8)/33 = 5.78/33 = 0.175151515151515.
    [Fact]
    public void Bkt_update_after_an_incorrect_answer_matches_the_hand_computation()
    {
        var bkt = MasteryParameters.Default.Bkt;
        Assert.Equal(0.030303030303030, bkt.PosteriorAfterIncorrect(0.2), 1e-14);
        Assert.Equal(0.175151515151515, bkt.Update(0.2, 0.0), 1e-14);
    }

    // Correct then incorrect: from P = 10.02/17, P(L|i) = (1.002/17) / (1.002/17 + (6.98/17)·0.8)
    //   = 1.002 / 6.586 = 0.152140904949894; P(L') = 0.152140904949894·0.98 + 0.847859095050106·0.15
    //   = 0.149098086850896 + 0.127178864257516 = 0.276276951108412.
    [Fact]
    public void Bkt_sequence_chains_the_updates()
    {
        var p = MasteryParameters.Default;
        var state = MasteryState.Replay(p, [At(0, 1.0), At(1, 0.0)]);
        Assert.Equal(0.276276951108412, state.Value(p)!.Value, 1e-14);
    }

    // Half credit from 0.2: 0.5·9/17 + 0.5·1/33 = 157/561 = 0.279857397504456;
    //   P(L') = 0.279857397504456·0.98 + 0.720142602495544·0.15 = 0.274260249554367 + 0.108021390374332
    //   = 0.382281639928699.
    [Fact]
    public void Bkt_partial_credit_is_the_convex_combination_of_both_posteriors()
    {
        var bkt = MasteryParameters.Default.Bkt;
        Assert.Equal(0.279857397504456, bkt.Posterior(0.2, 0.5), 1e-14);
        Assert.Equal(0.382281639928699, bkt.Update(0.2, 0.5), 1e-14);
        Assert.Equal(bkt.PosteriorAfterCorrect(0.37), bkt.Posterior(0.37, 1.0));
        Assert.Equal(bkt.PosteriorAfterIncorrect(0.37), bkt.Posterior(0.37, 0.0));
    }

    [Fact]
    public void Bkt_is_mastered_at_the_threshold_after_enough_correct_answers()
    {
        var p = MasteryParameters.Default;
        var state = MasteryState.Empty;
        var steps = 0;
        while (!state.IsMastered(p))
        {
            state = state.Apply(p, At(steps++, 1.0));
            Assert.True(steps < 20, "BKT never reached mastery on correct answers");
        }

        Assert.True(state.Value(p) >= 0.95);
        // Forgetting keeps P(L) strictly below 1 however many correct answers come.
        Assert.True(state.Value(p) < 1.0);
    }

    [Fact]
    public void Bkt_refuses_scores_off_the_unit_scale()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MasteryState.Empty.Apply(MasteryParameters.Default, At(0, 3.0)));
    }

    [Fact]
    public void Default_observation_is_not_evidence()
    {
        Assert.Throws<ArgumentException>(() => MasteryState.Empty.Apply(MasteryParameters.Default, default));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Observation(0.5, T0, weight: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Observation(double.NaN, T0));
    }

    [Fact]
    public void N_mastery_has_no_value_with_fewer_than_n_results()
    {
        var p = MasteryParameters.For(MasteryMethod.NMastery) with { NMasteryCount = 3, MasteryPoints = 0.6 };
        var state = MasteryState.Replay(p, [At(0, 0.9), At(1, 0.95)]);
        Assert.Null(state.Value(p));
    }

    [Fact]
    public void N_mastery_has_no_value_with_fewer_than_n_scores_at_mastery()
    {
        var p = MasteryParameters.For(MasteryMethod.NMastery) with { NMasteryCount = 3, MasteryPoints = 0.6 };
        var state = MasteryState.Replay(p, [At(0, 0.9), At(1, 0.2), At(2, 0.95), At(3, 0.59)]);
        Assert.Null(state.Value(p));
        Assert.False(state.IsMastered(p));
    }

    // Scores exactly at the mastery points count; the mean is of the qualifying scores only: (0.6 + 0.9 + 1.0)/3.
    [Fact]
    public void N_mastery_averages_only_the_scores_at_or_above_mastery()
    {
        var p = MasteryParameters.For(MasteryMethod.NMastery) with { NMasteryCount = 3, MasteryPoints = 0.6 };
        var state = MasteryState.Replay(p, [At(0, 0.6), At(1, 0.1), At(2, 0.9), At(3, 1.0)]);
        Assert.Equal(2.5 / 3, state.Value(p)!.Value, 1e-12);
        Assert.True(state.IsMastered(p));
    }

    [Fact]
    public void N_mastery_with_n_of_1_is_the_first_score_at_mastery()
    {
        var p = MasteryParameters.For(MasteryMethod.NMastery) with { NMasteryCount = 1, MasteryPoints = 0.75 };
        Assert.Null(MasteryState.Replay(p, [At(0, 0.5)]).Value(p));
        Assert.Equal(0.8, MasteryState.Replay(p, [At(0, 0.5), At(1, 0.8)]).Value(p));
    }

    // Two assignments: A due Monday, done Wednesday (score 0.3); B due Tuesday, done Tuesday (score 0.9).
    // By observed time B (Tuesday) precedes A (Wednesday), so the latest is A's 0.3; by due time A (Monday) precedes B
    // (Tuesday), so the latest is B's 0.9.
    [Fact]
    public void Ordering_by_due_time_and_by_observed_time_give_different_results()
    {
        var monday = T0;
        var a = new Observation(0.3, observedAt: monday.AddDays(2), dueAt: monday);
        var b = new Observation(0.9, observedAt: monday.AddDays(1), dueAt: monday.AddDays(1));
        var byObserved = MasteryParameters.For(MasteryMethod.Latest);
        var byDue = byObserved with { Ordering = EvidenceOrdering.DueTime };

        var observedOrder = ObservationOrdering.Order([a, b], byObserved.Ordering);
        var dueOrder = ObservationOrdering.Order([a, b], byDue.Ordering);

        Assert.Equal([b, a], observedOrder);
        Assert.Equal([a, b], dueOrder);
        Assert.Equal(0.3, MasteryState.Replay(byObserved, observedOrder).Value(byObserved));
        Assert.Equal(0.9, MasteryState.Replay(byDue, dueOrder).Value(byDue));
    }

    [Fact]
    public void Due_time_ordering_falls_back_to_observed_time_and_keeps_ties_stable()
    {
        var undated = new Observation(0.1, T0.AddHours(5));
        var dueEarly = new Observation(0.2, T0.AddHours(9), dueAt: T0.AddHours(1));
        var tieFirst = new Observation(0.3, T0.AddHours(3));
        var tieSecond = new Observation(0.4, T0.AddHours(3));

        var ordered = ObservationOrdering.Order([undated, tieFirst, dueEarly, tieSecond], EvidenceOrdering.DueTime);

        Assert.Equal([dueEarly, tieFirst, tieSecond, undated], ordered);
        var reversedTies = ObservationOrdering.Order([tieSecond, tieFirst], EvidenceOrdering.ObservedTime);
        Assert.Equal([tieSecond, tieFirst], reversedTies);
    }

    [Fact]
    public void Can_append_only_what_sorts_after_the_applied_evidence()
    {
        var byDue = MasteryParameters.Default with { Ordering = EvidenceOrdering.DueTime };
        var state = MasteryState.Empty.Apply(byDue, new Observation(1, T0.AddDays(3), dueAt: T0.AddDays(2)));

        Assert.True(state.CanAppend(byDue, new Observation(0, T0.AddDays(4), dueAt: T0.AddDays(3))));
        Assert.False(state.CanAppend(byDue, new Observation(0, T0.AddDays(4), dueAt: T0.AddDays(1))));
        Assert.True(state.CanAppend(byDue, new Observation(0, T0.AddDays(4), dueAt: T0.AddDays(2))));
        Assert.False(state.CanAppend(byDue, new Observation(0, T0.AddDays(1), dueAt: T0.AddDays(2))));
    }

    [Theory]
    [InlineData(MasteryMethod.Bkt, "bkt")]
    [InlineData(MasteryMethod.WeightedAverage, "weighted_average")]
    [InlineData(MasteryMethod.StandardDecayingAverage, "standard_decaying_average")]
    [InlineData(MasteryMethod.NMastery, "n_mastery")]
    [InlineData(MasteryMethod.Highest, "highest")]
    [InlineData(MasteryMethod.Latest, "latest")]
    [InlineData(MasteryMethod.Average, "average")]
    public void Methods_have_snake_case_wire_names(MasteryMethod method, string wireName)
    {
        Assert.Equal(wireName, method.ToWireName());
        Assert.Equal(method, MasteryMethods.Parse(wireName));
        Assert.Equal($"\"{wireName}\"", System.Text.Json.JsonSerializer.Serialize(method));
    }

    [Fact]
    public void Unknown_wire_names_are_refused()
    {
        Assert.False(MasteryMethods.TryParse("Bkt", out _));
        Assert.False(MasteryMethods.TryParse(null, out _));
        Assert.Throws<FormatException>(() => MasteryMethods.Parse("decaying_average"));
    }
}
