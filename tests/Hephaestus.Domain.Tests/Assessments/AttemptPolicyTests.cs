using Hephaestus.Domain.Assessments;

namespace Hephaestus.Domain.Tests.Assessments;

public class AttemptPolicyTests
{
    // A pass, a blank retake, a middling third: 0.8, 0, 0.55.
    static readonly double[] Attempts = [0.8, 0.0, 0.55];

    [Theory]
    [InlineData(AttemptPolicy.Highest, 0.8)]
    [InlineData(AttemptPolicy.Latest, 0.55)]
    [InlineData(AttemptPolicy.Average, 0.45)]
    [InlineData(AttemptPolicy.First, 0.8)]
    public void Each_policy_combines_the_attempts_in_order(AttemptPolicy policy, double expected)
    {
        Assert.Equal(expected, policy.Combine(Attempts)!.Value, 1e-12);
    }

    [Theory]
    [InlineData(AttemptPolicy.Highest, new[] { 2 })]
    [InlineData(AttemptPolicy.Latest, new[] { 3 })]
    [InlineData(AttemptPolicy.Average, new[] { 0, 1, 2, 3 })]
    [InlineData(AttemptPolicy.First, new[] { 0 })]
    public void Each_policy_counts_its_attempts_and_the_best_of_equals_is_the_earliest(AttemptPolicy policy, int[] expected)
    {
        double[] scores = [0.5, 0.2, 0.9, 0.9];
        Assert.Equal(expected, policy.Counted(scores));
        Assert.Empty(policy.Counted([]));
    }

    [Fact]
    public void A_blank_retake_lowers_only_latest_and_average()
    {
        double[] passThenBlank = [0.9, 0.0];
        Assert.Equal(0.9, AttemptPolicy.Highest.Combine(passThenBlank));
        Assert.Equal(0.9, AttemptPolicy.First.Combine(passThenBlank));
        Assert.Equal(0.0, AttemptPolicy.Latest.Combine(passThenBlank));
        Assert.Equal(0.45, AttemptPolicy.Average.Combine(passThenBlank)!.Value, 1e-12);
    }

    [Fact]
    public void No_attempt_has_no_score_and_wire_names_round_trip()
    {
        foreach (var policy in Enum.GetValues<AttemptPolicy>())
        {
            Assert.Null(policy.Combine([]));
            Assert.Equal(policy, AttemptPolicies.Parse(policy.ToWireName()));
        }

        Assert.Equal(["highest", "latest", "average", "first"], WireNames<AttemptPolicy>.All);
    }
}
