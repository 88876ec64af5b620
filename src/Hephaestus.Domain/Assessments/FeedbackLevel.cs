using System.Text.Json.Serialization;

namespace Hephaestus.Domain.Assessments;

/// <summary>What a learner is told on submission. The wire names are also those stored in <c>assessments.settings</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FeedbackLevel>))]
public enum FeedbackLevel
{
    /// <summary>Only that the attempt was submitted.</summary>
    [JsonStringEnumMemberName("none")]
    None,

    /// <summary>The score, points and pass/fail.</summary>
    [JsonStringEnumMemberName("score")]
    Score,

    /// <summary>The score and every item's result (never the answer key).</summary>
    [JsonStringEnumMemberName("full")]
    Full,
}

/// <summary>
/// How much of a result a reader sees. Staff (an educator of the learner's cohorts, an admin) see everything: the score
/// and every item's result. The learner sees what the assessment's feedback level allows, the same on submission and
/// on every read afterwards.
/// </summary>
public static class ResultVisibility
{
    public static FeedbackLevel For(FeedbackLevel assessmentFeedback, bool staff) => staff ? FeedbackLevel.Full : assessmentFeedback;

    public static bool ShowsScore(this FeedbackLevel shown) => shown >= FeedbackLevel.Score;

    public static bool ShowsItems(this FeedbackLevel shown) => shown == FeedbackLevel.Full;
}
