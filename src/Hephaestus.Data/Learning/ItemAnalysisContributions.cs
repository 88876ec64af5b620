using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Learning;

/// <summary>
/// A learner's contribution to an assessment's item analysis: the attempts its policy counts (each with its current
/// result's marks), kept in <c>item_analysis_attempts</c>, whose trigger moves the assessment's running sums. Written
/// with every result revision, in the round trip that already carries the result's evidence and mastery.
/// </summary>
internal static class ItemAnalysisContributions
{
    /// <summary>
    /// $1 learner, $2 assessment. Rows no longer counted (another attempt counts now, or a regrade superseded the
    /// result) go, counted ones not yet there come; an unchanged contribution is left alone, so its stripe of the sums is
    /// not touched (a weaker retake under "highest" costs no sums lock). The counted attempts come from the view filtered
    /// on its columns, not from item_analysis_counted($1, $2), whose "NULL means all" filters made PostgreSQL plan this
    /// statement afresh on every submission (Sql/0036_submission_cost.sql).
    /// </summary>
    internal const string Refresh = """
        WITH counted AS (
            SELECT * FROM hephaestus.item_analysis_counted_attempts WHERE learner_id = $1 AND assessment_id = $2
        ), gone AS (
            DELETE FROM hephaestus.item_analysis_attempts c
            WHERE c.learner_id = $1 AND c.assessment_id = $2 AND NOT EXISTS (SELECT FROM counted k WHERE k.result_id = c.result_id)
        )
        INSERT INTO hephaestus.item_analysis_attempts (learner_id, assessment_id, result_id, attempt_id, total, max_total, item_version_ids, marks)
        SELECT k.learner_id, k.assessment_id, k.result_id, k.attempt_id, k.total, k.max_total, k.item_version_ids, k.marks
        FROM counted k
        WHERE NOT EXISTS (SELECT FROM hephaestus.item_analysis_attempts c
                          WHERE c.learner_id = $1 AND c.assessment_id = $2 AND c.result_id = k.result_id)
        """;

    public static NpgsqlBatchCommand RefreshCommand(Guid learnerId, Guid assessmentId) =>
        new(Refresh) { Parameters = { Uuid(learnerId), Uuid(assessmentId) } };
}
