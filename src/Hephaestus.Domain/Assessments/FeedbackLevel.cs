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
