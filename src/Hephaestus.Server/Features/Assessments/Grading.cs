using Hephaestus.Data.Assessments;
using Hephaestus.Domain.Assessments;

namespace Hephaestus.Server.Features.Assessments;

/// <summary>What a learner is told of a result; scoring and recording it are the data layer's (<see cref="AttemptStore"/>).</summary>
internal static class Grading
{
    /// <summary>What the learner is told, per the assessment's feedback setting (never the answer key).</summary>
    public static SubmissionResult Feedback(GradedResult r, FeedbackLevel level)
    {
        var s = r.Summary;
        return level switch
        {
            FeedbackLevel.None => new SubmissionResult(r.AttemptId, r.ResultId, r.Revision, FeedbackLevel.None, null, null, null, null, null, r.DueAt, r.Late),
            FeedbackLevel.Full => new SubmissionResult(r.AttemptId, r.ResultId, r.Revision, FeedbackLevel.Full, s.Score, s.Points, s.MaxPoints, s.Passed, s.Items, r.DueAt, r.Late),
            _ => new SubmissionResult(r.AttemptId, r.ResultId, r.Revision, FeedbackLevel.Score, s.Score, s.Points, s.MaxPoints, s.Passed, null, r.DueAt, r.Late),
        };
    }
}
