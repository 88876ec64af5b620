namespace Hephaestus.Data.Analytics;

/// <summary>
/// One assessment's score distribution over the learners in scope who have a counted attempt: each learner's score is
/// what the assessment's attempt policy counts (the item analysis contributions: highest by default; the mean of the
/// counted attempts under "average"), as a fraction of the maximum (0..1). Quartiles interpolate linearly
/// (percentile_cont: the median of 0.2, 0.4, 0.9 and 1.0 is 0.65); the standard deviation divides by n − 1.
/// </summary>
public sealed record ScoreDistribution(Guid AssessmentId, string Title, long Learners, double? Mean, double? StandardDeviation, double? Minimum,
    double? FirstQuartile, double? Median, double? ThirdQuartile, double? Maximum, string? Suppressed);

/// <summary>The scores panel: the learners in scope, and per assessment (the paths' assessment steps when paths are named) the distribution.</summary>
public sealed record ScoresPerformance(long Learners, IReadOnlyList<ScoreDistribution> Assessments);

public static partial class PerformanceStore
{
    const string ScoresSql = ScopeSql + """
        , assessments_in_scope AS (
            SELECT ps.ref_id AS id FROM hephaestus.path_steps ps JOIN versions v ON v.id = ps.path_version_id WHERE ps.kind = 'assessment'
        ), learner_scores AS (
            SELECT c.assessment_id, c.learner_id, avg(c.total / c.max_total)::float8 AS score
            FROM population p JOIN hephaestus.item_analysis_attempts c ON c.learner_id = p.learner_id
            WHERE NOT $6 OR c.assessment_id IN (SELECT id FROM assessments_in_scope)
            GROUP BY c.assessment_id, c.learner_id
        )
        SELECT a.id, a.title, count(*), avg(l.score), stddev_samp(l.score), min(l.score),
               percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY l.score), max(l.score)
        FROM learner_scores l JOIN hephaestus.assessments a ON a.id = l.assessment_id
        GROUP BY a.id, a.title
        ORDER BY a.title, a.id
        """;

    /// <summary>Score distributions per assessment over the learners in scope.</summary>
    public static Task<PerformanceRead<ScoresPerformance>> ScoresAsync(ActorScope scope, PerformanceQuery query, int minimumGroupSize, CancellationToken ct) =>
        ReadAsync(scope, query, async learners =>
        {
            var assessments = new List<ScoreDistribution>();
            await using var command = Command(scope, ScoresSql, query);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var (id, title, n) = (reader.GetGuid(0), reader.GetString(1), reader.GetInt64(2));
                if (Suppression(query, n, minimumGroupSize) is { } hidden)
                {
                    assessments.Add(new ScoreDistribution(id, title, n, null, null, null, null, null, null, null, hidden));
                    continue;
                }

                var quartiles = reader.GetFieldValue<double[]>(6);
                assessments.Add(new ScoreDistribution(id, title, n, Float(reader, 3), Float(reader, 4), Float(reader, 5), quartiles[0], quartiles[1],
                    quartiles[2], Float(reader, 7), null));
            }

            return new ScoresPerformance(learners, assessments);
        }, ct);
}
