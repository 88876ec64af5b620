using Hephaestus.Domain.Content;
using Hephaestus.Domain.Identity;

namespace Hephaestus.Domain.Tests.Content;

public class ContentReviewFlowTests
{
    /// <summary>The lifecycle, written out once more by hand: (from, to) → who may make the move.</summary>
    static readonly Dictionary<(ContentStatus, ContentStatus), string[]> Expected = new()
    {
        [(ContentStatus.Draft, ContentStatus.InReview)] = [Role.Author, Role.Admin],
        [(ContentStatus.InReview, ContentStatus.Draft)] = [Role.Author, Role.Reviewer, Role.Admin],
        [(ContentStatus.InReview, ContentStatus.Approved)] = [Role.Reviewer, Role.Admin],
        [(ContentStatus.Approved, ContentStatus.Published)] = [Role.Author, Role.Reviewer, Role.Admin],
        [(ContentStatus.Approved, ContentStatus.Retired)] = [Role.Author, Role.Reviewer, Role.Admin],
        [(ContentStatus.Published, ContentStatus.Retired)] = [Role.Author, Role.Reviewer, Role.Admin],
    };

    public static TheoryData<ContentStatus, ContentStatus> EveryPair()
    {
        var data = new TheoryData<ContentStatus, ContentStatus>();
        foreach (var from in Enum.GetValues<ContentStatus>())
        {
            foreach (var to in Enum.GetValues<ContentStatus>()) data.Add(from, to);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void Every_pair_is_legal_exactly_when_the_lifecycle_has_it_and_only_for_its_roles(ContentStatus from, ContentStatus to)
    {
        var legal = Expected.TryGetValue((from, to), out var roles);
        Assert.Equal(legal, ContentReviewFlow.IsLegal(from, to));
        Assert.Equal(legal ? roles!.Order() : [], ContentReviewFlow.RolesFor(from, to).Order());
        Assert.Equal(legal, ContentReviewFlow.Next(from).Contains(to));
        foreach (var role in Role.All)
        {
            var refusal = ContentReviewFlow.Check(from, to, [role], actorIsAuthor: false, reason: "because");
            var expected = !legal ? TransitionRefusal.Illegal : roles!.Contains(role) ? TransitionRefusal.None : TransitionRefusal.Role;
            Assert.True(expected == refusal, $"{from} → {to} as {role}: {refusal}, expected {expected}");
        }
    }

    [Fact]
    public void Nobody_approves_their_own_version_not_even_an_admin()
    {
        Assert.Equal(TransitionRefusal.OwnVersion, ContentReviewFlow.Check(ContentStatus.InReview, ContentStatus.Approved, [Role.Reviewer], true, null));
        Assert.Equal(TransitionRefusal.OwnVersion, ContentReviewFlow.Check(ContentStatus.InReview, ContentStatus.Approved, [Role.Admin], true, null));
        // Submitting and publishing one's own version is the author's job.
        Assert.Equal(TransitionRefusal.None, ContentReviewFlow.Check(ContentStatus.Draft, ContentStatus.InReview, [Role.Author], true, null));
        Assert.Equal(TransitionRefusal.None, ContentReviewFlow.Check(ContentStatus.Approved, ContentStatus.Published, [Role.Author], true, null));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void A_rejection_says_why(string? reason) =>
        Assert.Equal(TransitionRefusal.ReasonRequired, ContentReviewFlow.Check(ContentStatus.InReview, ContentStatus.Draft, [Role.Reviewer], false, reason));

    [Fact]
    public void Every_status_has_the_wire_name_of_the_database()
    {
        Assert.Equal(["draft", "in_review", "approved", "published", "retired"], WireNames<ContentStatus>.All);
        Assert.Equal(["judge", "human"], WireNames<EvaluatorKind>.All);
    }
}

public class PublishGateTests
{
    static readonly PublishGate Gate = new(new Dictionary<string, decimal> { ["safety_bias"] = 0.8m, ["accuracy"] = 0.6m }, RequireHumanReview: true);

    [Fact]
    public void It_passes_at_or_above_every_threshold_with_a_human_review() =>
        Assert.Empty(Gate.Evaluate(new Dictionary<string, decimal> { ["accuracy"] = 0.6m, ["safety_bias"] = 0.95m, ["clarity"] = 0.1m }, hasHumanReview: true));

    [Fact]
    public void It_names_each_failing_dimension_with_its_value_and_threshold_and_the_missing_review()
    {
        var failures = Gate.Evaluate(new Dictionary<string, decimal> { ["accuracy"] = 0.5999m }, hasHumanReview: false);
        Assert.Equal([new GateFailure("accuracy", 0.5999m, 0.6m), new GateFailure("safety_bias", null, 0.8m), GateFailure.NoHumanReview], failures);
        Assert.Equal("accuracy is 0.5999 (threshold 0.6)", failures[0].Describe());
        Assert.Contains("safety_bias has no scores", failures[1].Describe(), StringComparison.Ordinal);
        Assert.Contains("lacks a human review", failures[2].Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Without_the_human_review_rule_only_the_thresholds_count() =>
        Assert.Empty((Gate with { RequireHumanReview = false }).Evaluate(new Dictionary<string, decimal> { ["accuracy"] = 1m, ["safety_bias"] = 0.8m }, false));
}
