using Hephaestus.Data.Learning;
using Hephaestus.Domain.Analytics;
using Hephaestus.Domain.Mastery;
using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Analytics;

/// <summary>A skill a content item is aligned to.</summary>
public sealed record AlignedSkill(Guid SkillId, string Code, string Title);

/// <summary>
/// One version's learners and their mastery change: shown (their first exposure to the item was this version), measured
/// (their window has ended), and the mean and standard deviation of the measured changes; null with the reason in
/// Suppressed when fewer learners than the minimum group size were measured.
/// </summary>
public sealed record VersionEffectiveness(Guid VersionId, int Version, string Status, long LearnersShown, long LearnersMeasured, double? MeanChange,
    double? StandardDeviation, string? Suppressed);

/// <summary>
/// Welch's 95% interval for the difference between two versions' mean changes (second minus first); null figures with the
/// reason when either version is suppressed or has fewer than two measured learners.
/// </summary>
public sealed record VersionDifference(Guid FirstVersionId, int FirstVersion, Guid SecondVersionId, int SecondVersion, double? Difference,
    double? StandardError, double? DegreesOfFreedom, double? TQuantile, double? Lower, double? Upper, bool? ContainsZero, string? Suppressed);

/// <summary>A content item's effectiveness: the window, its aligned skills, each version and each pair of versions.</summary>
public sealed record ContentEffectiveness(Guid ContentItemId, string Key, string Title, int WindowDays, Guid? CohortId, IReadOnlyList<AlignedSkill> AlignedSkills,
    IReadOnlyList<VersionEffectiveness> Versions, IReadOnlyList<VersionDifference> Differences, string? Note);

/// <summary>The recommendation with the figures it was made from.</summary>
public sealed record ContentRecommendation(ContentEffectiveness Effectiveness, EffectivenessAdvice Advice, long MinimumLearners);

public enum EffectivenessOutcome
{
    Found,
    ContentItemNotFound,

    /// <summary>No such cohort, or one the actor may not analyse (an educator's cohorts only).</summary>
    CohortNotFound,
}

public sealed record EffectivenessResult<T>(EffectivenessOutcome Outcome, T? Data = default);

/// <summary>
/// Content effectiveness (issue 12, part 3). Who was shown what: <c>content_exposures</c> (deliveries and content-viewed
/// events both record one). Each learner counts once, under the version of their first exposure to the item: a learner
/// shown two versions would otherwise be in both groups and the groups would not be independent, as Welch's interval
/// assumes. A learner's change is the mean, over the item's aligned skills, of mastery at exposure + window minus mastery
/// at exposure, each replayed from the evidence log (<see cref="EffectivenessMastery"/>; evidence a regrade superseded is
/// left out, as the mastery recorder does). A learner whose window has not ended yet is shown but not measured.
/// </summary>
public static class ContentEffectivenessStore
{
    const string ItemSql = """
        SELECT i.key, i.title,
               coalesce((SELECT array_agg(s.skill_id ORDER BY s.skill_id) FROM hephaestus.content_item_skills s WHERE s.content_item_id = i.id), '{}')
        FROM hephaestus.content_items i WHERE i.id = $1
        """;

    const string VersionsSql = """
        SELECT v.id, v.version, v.status FROM hephaestus.content_versions v WHERE v.content_item_id = $1 ORDER BY v.version
        """;

    const string SkillsSql = "SELECT s.id, s.code, s.title FROM hephaestus.skills s WHERE s.id = ANY ($1) ORDER BY s.code, s.id";

    /// <summary>Whether the actor may analyse this cohort: admins, analysts (in analytics) and its educators.</summary>
    internal const string CohortVisibleSql = """
        SELECT hephaestus.has_role('admin') OR hephaestus.analyses_all() OR hephaestus.is_cohort_educator(c.id)
        FROM hephaestus.cohorts c WHERE c.id = $1
        """;

    /// <summary>
    /// Every measured learner's evidence on the aligned skills up to the end of their window, one row per evidence (or one
    /// per learner and skill without evidence, or one per learner when the item has no skills), in replay order.
    /// </summary>
    const string ExposuresSql = """
        WITH first_shown AS (
            SELECT DISTINCT ON (x.learner_id) x.learner_id, x.content_version_id, x.shown_at
            FROM hephaestus.content_versions v
            JOIN hephaestus.content_exposures x ON x.content_version_id = v.id
            WHERE v.content_item_id = $1
              AND ($3::uuid IS NULL OR x.learner_id IN (
                    SELECT cm.user_id FROM hephaestus.cohort_members cm WHERE cm.cohort_id = $3 AND cm.member_role = 'learner'))
            ORDER BY x.learner_id, x.shown_at, x.id
        )
        SELECT f.learner_id, f.content_version_id, f.shown_at, f.shown_at + make_interval(days => $2) <= now() AS measured,
               s.skill_id, e.score, e.weight, e.observed_at, e.due_at
        FROM first_shown f
        LEFT JOIN hephaestus.content_item_skills s ON s.content_item_id = $1
        LEFT JOIN LATERAL (
            SELECT e.score, e.weight, e.observed_at, e.due_at, e.skill_seq
            FROM hephaestus.evidence e
            WHERE e.learner_id = f.learner_id AND e.skill_id = s.skill_id
              AND e.observed_at <= f.shown_at + make_interval(days => $2) AND f.shown_at + make_interval(days => $2) <= now()
              AND NOT EXISTS (
                    SELECT 1 FROM hephaestus.results r JOIN hephaestus.results newer
                        ON newer.learner_id = r.learner_id AND newer.attempt_id = r.attempt_id AND newer.revision > r.revision
                    WHERE e.result_id IS NOT NULL AND r.learner_id = e.learner_id AND r.id = e.result_id)
        ) e ON true
        ORDER BY f.learner_id, s.skill_id, e.observed_at, e.skill_seq
        """;

    /// <summary>The effectiveness of a content item's versions over a window of <paramref name="windowDays"/> after each exposure.</summary>
    public static async Task<EffectivenessResult<ContentEffectiveness>> MeasureAsync(ActorScope scope, Guid contentItemId, int windowDays, Guid? cohortId,
        int minimumGroupSize, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (cohortId is { } cohort && !await CohortVisibleAsync(scope, cohort, ct)) return new(EffectivenessOutcome.CohortNotFound);

        string key, title;
        Guid[] skillIds;
        await using (var item = scope.Command(ItemSql))
        {
            item.Parameters.Add(Uuid(contentItemId));
            await using var reader = await item.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return new(EffectivenessOutcome.ContentItemNotFound);
            (key, title, skillIds) = (reader.GetString(0), reader.GetString(1), reader.GetFieldValue<Guid[]>(2));
        }

        var skills = new List<AlignedSkill>();
        await using (var command = scope.Command(SkillsSql))
        {
            command.Parameters.Add(Uuids(skillIds));
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) skills.Add(new AlignedSkill(reader.GetGuid(0), reader.GetString(1), reader.GetString(2)));
        }

        var measurements = await MeasurementsAsync(scope, skillIds, ct);
        var versions = new List<(Guid Id, int Version, string Status)>();
        await using (var command = scope.Command(VersionsSql))
        {
            command.Parameters.Add(Uuid(contentItemId));
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) versions.Add((reader.GetGuid(0), reader.GetInt32(1), reader.GetString(2)));
        }

        var shown = new Dictionary<Guid, long>();
        var changes = versions.ToDictionary(v => v.Id, _ => new List<double>());
        await using (var command = scope.Command(ExposuresSql))
        {
            command.Parameters.Add(Uuid(contentItemId));
            command.Parameters.Add(Int(windowDays));
            command.Parameters.Add(NullableUuid(cohortId));
            await using var reader = await command.ExecuteReaderAsync(ct);
            var window = TimeSpan.FromDays(windowDays);
            await foreach (var learner in ReadLearnersAsync(reader, ct))
            {
                shown[learner.VersionId] = shown.GetValueOrDefault(learner.VersionId) + 1;
                if (!learner.Measured || skills.Count == 0) continue;
                var perSkill = skillIds.Select(skill =>
                {
                    var parameters = measurements[skill].Parameters;
                    var log = learner.Evidence.GetValueOrDefault(skill) ?? [];
                    return EffectivenessMastery.ValueAt(parameters, log, learner.ShownAt + window) - EffectivenessMastery.ValueAt(parameters, log, learner.ShownAt);
                });
                changes[learner.VersionId].Add(perSkill.Average());
            }
        }

        var rows = versions.Select(v =>
        {
            var sample = SampleSummary.Of(changes[v.Id]);
            var suppressed = SmallGroups.SuppressionReason(sample.Count, minimumGroupSize);
            return (Row: new VersionEffectiveness(v.Id, v.Version, v.Status, shown.GetValueOrDefault(v.Id), sample.Count,
                suppressed is null ? sample.Mean : null, suppressed is null && sample.Variance is { } variance ? Math.Sqrt(variance) : null, suppressed), Sample: sample);
        }).ToList();

        var differences = new List<VersionDifference>();
        for (var i = 0; i < rows.Count; i++)
        {
            for (var j = i + 1; j < rows.Count; j++)
            {
                var (first, second) = (rows[i], rows[j]);
                var suppressed = first.Row.Suppressed ?? second.Row.Suppressed;
                var interval = suppressed is null ? EffectivenessStatistics.Welch(first.Sample, second.Sample) : null;
                differences.Add(interval is null
                    ? new VersionDifference(first.Row.VersionId, first.Row.Version, second.Row.VersionId, second.Row.Version, null, null, null, null, null, null, null,
                        suppressed ?? "no interval: a version has fewer than two measured learners")
                    : new VersionDifference(first.Row.VersionId, first.Row.Version, second.Row.VersionId, second.Row.Version, interval.Difference,
                        interval.StandardError, interval.DegreesOfFreedom, interval.TQuantile, interval.Lower, interval.Upper, interval.ContainsZero, null));
            }
        }

        var note = skills.Count == 0 ? "the item is aligned to no skill: no mastery change can be measured" : null;
        return new(EffectivenessOutcome.Found, new ContentEffectiveness(contentItemId, key, title, windowDays, cohortId, skills, [.. rows.Select(r => r.Row)],
            differences, note));
    }

    /// <summary>
    /// Which version to keep (<see cref="EffectivenessRecommendation"/>): versions measured on fewer than
    /// <paramref name="minimumLearners"/> (and never fewer than the minimum group size) take no part.
    /// </summary>
    public static async Task<EffectivenessResult<ContentRecommendation>> RecommendAsync(ActorScope scope, Guid contentItemId, int windowDays, Guid? cohortId,
        int minimumGroupSize, int minimumLearners, CancellationToken ct)
    {
        var measured = await MeasureAsync(scope, contentItemId, windowDays, cohortId, minimumGroupSize, ct);
        if (measured.Data is not { } effectiveness) return new(measured.Outcome);
        var minimum = Math.Max(minimumLearners, minimumGroupSize);
        var samples = effectiveness.Versions.Select(v => new VersionSample(v.VersionId, v.Version, v.Suppressed is null
            ? new SampleSummary(v.LearnersMeasured, v.MeanChange, v.StandardDeviation is { } sd ? sd * sd : null)
            : new SampleSummary(v.LearnersMeasured, null, null))).ToList();
        return new(EffectivenessOutcome.Found, new ContentRecommendation(effectiveness, EffectivenessRecommendation.Recommend(samples, minimum), minimum));
    }

    internal static async Task<bool> CohortVisibleAsync(ActorScope scope, Guid cohortId, CancellationToken ct)
    {
        await using var visible = scope.Command(CohortVisibleSql);
        visible.Parameters.Add(Uuid(cohortId));
        return await visible.ExecuteScalarAsync(ct) is true;
    }

    /// <summary>How each skill is measured (its method and parameters): the mastery recorder's own read.</summary>
    internal static async Task<Dictionary<Guid, SkillMeasurement>> MeasurementsAsync(ActorScope scope, Guid[] skillIds, CancellationToken ct)
    {
        await using var command = scope.Command(MasteryRecorder.Measurements);
        command.Parameters.Add(Uuids(skillIds));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await MasteryRecorder.ReadMeasurementsAsync(reader, ct);
    }

    /// <summary>An observation from the evidence columns at <paramref name="first"/>: score, weight, observed_at, due_at.</summary>
    internal static Observation ReadObservation(NpgsqlDataReader reader, int first) =>
        new((double)reader.GetDecimal(first), reader.GetTime(first + 2), (double)reader.GetDecimal(first + 1), reader.GetNullableTime(first + 3));

    sealed record ExposedLearner(Guid LearnerId, Guid VersionId, DateTimeOffset ShownAt, bool Measured, Dictionary<Guid, List<Observation>> Evidence);

    /// <summary>Groups the rows of <see cref="ExposuresSql"/> (ordered by learner) into one learner at a time.</summary>
    static async IAsyncEnumerable<ExposedLearner> ReadLearnersAsync(NpgsqlDataReader reader, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        ExposedLearner? current = null;
        while (await reader.ReadAsync(ct))
        {
            var learner = reader.GetGuid(0);
            if (current?.LearnerId != learner)
            {
                if (current is not null) yield return current;
                current = new ExposedLearner(learner, reader.GetGuid(1), reader.GetTime(2), reader.GetBoolean(3), []);
            }

            if (reader.IsDBNull(4) || reader.IsDBNull(5)) continue;
            var skill = reader.GetGuid(4);
            if (!current.Evidence.TryGetValue(skill, out var log)) current.Evidence[skill] = log = [];
            log.Add(ReadObservation(reader, 5));
        }

        if (current is not null) yield return current;
    }
}
