using Hephaestus.Domain.Assessments;
using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data;

/// <summary>A learner's combined score on an assessment: its policy applied to every submitted attempt's current score.</summary>
public sealed record CombinedScore(Guid LearnerId, Guid AssessmentId, AttemptPolicy Policy, double Score, int Attempts);

/// <summary>
/// The one place where attempts combine into an assessment's score (<see cref="AttemptPolicies.Combine"/> on each
/// attempt's latest result revision, in attempt order), for every reader that needs it: learning-path progress now,
/// gradebooks next. Read under row-level security: the caller sees the learners it may see.
/// </summary>
public static class AttemptScores
{
    /// <summary>
    /// $1 learner, $2 assessment: one row when the learner has a result on it. One learner and one assessment, not
    /// arrays: with <c>= ANY ($1)</c> PostgreSQL planned the prepared statement afresh on every submission.
    /// </summary>
    public const string Sql = """
        SELECT a.learner_id, a.assessment_id, s.attempt_policy, array_agg(r.score ORDER BY a.number)
        FROM hephaestus.attempts a
        JOIN hephaestus.assessments s ON s.id = a.assessment_id
        CROSS JOIN LATERAL (
            SELECT r.score FROM hephaestus.results r
            WHERE r.learner_id = a.learner_id AND r.attempt_id = a.id
            ORDER BY r.revision DESC LIMIT 1) r
        WHERE a.learner_id = $1 AND a.assessment_id = $2
        GROUP BY a.learner_id, a.assessment_id, s.attempt_policy
        """;

    public static NpgsqlBatchCommand Command(Guid learnerId, Guid assessmentId) =>
        new(Sql) { Parameters = { Uuid(learnerId), Uuid(assessmentId) } };

    /// <summary>
    /// A stored policy (assessments.attempt_policy) applied to stored scores (results.score of each attempt's current
    /// revision, in attempt order): what every reader that aggregates attempts in its own SQL (the gradebook) calls.
    /// </summary>
    public static double? Combine(string storedPolicy, decimal[] scoresInAttemptOrder) =>
        AttemptPolicies.Parse(storedPolicy).Combine(scoresInAttemptOrder.Select(s => (double)s).ToList());

    /// <summary>Reads the rows of <see cref="Sql"/> (the reader positioned on its result set).</summary>
    public static async Task<List<CombinedScore>> ReadAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var combined = new List<CombinedScore>();
        while (await reader.ReadAsync(ct))
        {
            var scores = reader.GetFieldValue<decimal[]>(3);
            combined.Add(new CombinedScore(reader.GetGuid(0), reader.GetGuid(1), AttemptPolicies.Parse(reader.GetString(2)),
                Combine(reader.GetString(2), scores)!.Value, scores.Length));
        }

        return combined;
    }
}
