using System.Text.Json.Serialization;

namespace Hephaestus.Domain.Assessments;

/// <summary>Whether new attempts may start. The wire names are also the values of <c>assessments.status</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AssessmentStatus>))]
public enum AssessmentStatus
{
    [JsonStringEnumMemberName("active")]
    Active,

    /// <summary>No new attempts; attempts already open can still be answered and submitted, and results stay.</summary>
    [JsonStringEnumMemberName("retired")]
    Retired,
}
