using System.Text.Json.Serialization;

namespace Hephaestus.Domain.Assessments;

/// <summary>Where an attempt stands. The wire names are also the values of <c>attempts.status</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AttemptStatus>))]
public enum AttemptStatus
{
    /// <summary>Open: responses can be saved until the deadline, and it can be submitted.</summary>
    [JsonStringEnumMemberName("in_progress")]
    InProgress,

    /// <summary>Scored; its results are revisions (a regrade adds one).</summary>
    [JsonStringEnumMemberName("submitted")]
    Submitted,
}

public static class AttemptStatuses
{
    /// <summary>The status as stored in <c>attempts.status</c> (a CHECK constraint allows exactly these).</summary>
    public static AttemptStatus Parse(string stored) => WireNames<AttemptStatus>.Parse(stored);
}
