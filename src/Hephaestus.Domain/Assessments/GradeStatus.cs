using System.Text.Json.Serialization;

namespace Hephaestus.Domain.Assessments;

/// <summary>Where a learner stands on one assessment, across all their attempts: a gradebook cell's status.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<GradeStatus>))]
public enum GradeStatus
{
    /// <summary>No attempt yet.</summary>
    [JsonStringEnumMemberName("not_started")]
    NotStarted,

    /// <summary>Attempts exist, none submitted.</summary>
    [JsonStringEnumMemberName("in_progress")]
    InProgress,

    /// <summary>An attempt is submitted but has no result yet (an item scored by a person would wait here).</summary>
    [JsonStringEnumMemberName("submitted")]
    Submitted,

    /// <summary>At least one attempt has a result: the cell's score combines them.</summary>
    [JsonStringEnumMemberName("graded")]
    Graded,
}

public static class GradeStatuses
{
    /// <summary>The furthest any attempt got: a result beats a submission, which beats an open attempt.</summary>
    public static GradeStatus Of(int attempts, bool anySubmitted, bool anyResult) =>
        anyResult ? GradeStatus.Graded
        : anySubmitted ? GradeStatus.Submitted
        : attempts > 0 ? GradeStatus.InProgress
        : GradeStatus.NotStarted;
}
