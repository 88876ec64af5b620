using Hephaestus.Domain.Analytics;

namespace Hephaestus.Data.Analytics;

/// <summary>How many learners stand at one mastery level of a skill (Level null: assessed, no level yet).</summary>
public sealed record LevelCount(int? Rank, string? Level, long Learners);

/// <summary>
/// One skill's mastery distribution over a group: the learners assessed on it (with a mastery row), how many of them
/// have mastered it and how many stand at each level; Mastered and Levels are null, with the reason in Suppressed,
/// when fewer learners than the minimum group size were assessed.
/// </summary>
public sealed record SkillMasteryDistribution(
    Guid SkillId, string SkillCode, string SkillTitle, long Learners, long? Mastered, IReadOnlyList<LevelCount>? Levels, string? Suppressed);

/// <summary>A cohort's mastery per skill: its learner count, and per skill the distribution (each suppressed on its own).</summary>
public sealed record CohortMasteryDistribution(long CohortLearners, string? Suppressed, IReadOnlyList<SkillMasteryDistribution> Skills);

/// <summary>One of a learner's skills: value, level and whether mastered, with the evidence behind it.</summary>
public sealed record LearnerSkillMastery(
    Guid SkillId, string SkillCode, string SkillTitle, double? Value, string? Level, bool Mastered, int EvidenceCount, DateTimeOffset? LastEvidenceAt);

/// <summary>Mastery analytics: distributions over cohorts, and one learner's own mastery. Every method runs in an analytics scope.</summary>
public static class MasteryAnalytics
{
    /// <summary>
    /// Whether the actor may analyse this cohort: it exists for them and they are an admin, an analyst or one of its
    /// educators (a learner of the cohort sees it, but not its aggregates). Row-level security then limits the rows
    /// read to the same learners again.
    /// </summary>
    const string CohortVisibleSql = """
        SELECT hephaestus.has_role('admin') OR hephaestus.analyses_all() OR hephaestus.is_cohort_educator(c.id)
        FROM hephaestus.cohorts c WHERE c.id = $1
        """;

    const string CohortLearnersSql = """
        SELECT count(*) FROM hephaestus.cohort_members WHERE cohort_id = $1 AND member_role = 'learner'
        """;

    /// <summary>Learners of the cohort per skill and level; the framework filter is optional.</summary>
    const string CohortDistributionSql = """
        SELECT s.id, s.code, s.title, m.level_rank, m.level_name, count(*) AS learners, count(*) FILTER (WHERE m.mastered) AS mastered
        FROM hephaestus.cohort_members cm
        JOIN hephaestus.learner_skill_mastery m ON m.learner_id = cm.user_id
        JOIN hephaestus.skills s ON s.id = m.skill_id
        WHERE cm.cohort_id = $1 AND cm.member_role = 'learner' AND ($2::uuid IS NULL OR s.framework_id = $2)
        GROUP BY s.id, s.code, s.title, m.level_rank, m.level_name
        ORDER BY s.code, s.id, m.level_rank NULLS FIRST
        """;

    /// <summary>Null when the cohort does not exist for the actor, or they may not analyse it.</summary>
    public static async Task<CohortMasteryDistribution?> CohortAsync(ActorScope scope, Guid cohortId, Guid? frameworkId, int minimumGroupSize, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using (var visible = scope.Command(CohortVisibleSql))
        {
            visible.Parameters.Add(SqlParameters.Uuid(cohortId));
            if (await visible.ExecuteScalarAsync(ct) is not true) return null;
        }

        long cohortLearners;
        await using (var count = scope.Command(CohortLearnersSql))
        {
            count.Parameters.Add(SqlParameters.Uuid(cohortId));
            cohortLearners = (long)(await count.ExecuteScalarAsync(ct))!;
        }

        var rows = new List<(Guid Id, string Code, string Title, LevelCount Level, long Mastered)>();
        await using (var command = scope.Command(CohortDistributionSql))
        {
            command.Parameters.Add(SqlParameters.Uuid(cohortId));
            command.Parameters.Add(SqlParameters.NullableUuid(frameworkId));
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var rank = reader.IsDBNull(3) ? (int?)null : reader.GetInt16(3);
                rows.Add((reader.GetGuid(0), reader.GetString(1), reader.GetString(2),
                    new LevelCount(rank, reader.GetNullableString(4), reader.GetInt64(5)), reader.GetInt64(6)));
            }
        }

        var skills = rows.GroupBy(r => (r.Id, r.Code, r.Title)).Select(skill =>
        {
            var learners = skill.Sum(r => r.Level.Learners);
            var suppressed = SmallGroups.SuppressionReason(learners, minimumGroupSize);
            return suppressed is null
                ? new SkillMasteryDistribution(skill.Key.Id, skill.Key.Code, skill.Key.Title, learners, skill.Sum(r => r.Mastered), [.. skill.Select(r => r.Level)], null)
                : new SkillMasteryDistribution(skill.Key.Id, skill.Key.Code, skill.Key.Title, learners, null, null, suppressed);
        }).ToList();
        return new CohortMasteryDistribution(cohortLearners, SmallGroups.SuppressionReason(cohortLearners, minimumGroupSize), skills);
    }

    /// <summary>Whether the learner exists for the actor (themselves, an educator of theirs, an admin, an analyst).</summary>
    const string LearnerVisibleSql = "SELECT 1 FROM hephaestus.users WHERE id = $1";

    const string LearnerMasterySql = """
        SELECT s.id, s.code, s.title, m.value, m.level_name, m.mastered, m.evidence_count, m.last_evidence_at
        FROM hephaestus.learner_skill_mastery m
        JOIN hephaestus.skills s ON s.id = m.skill_id
        WHERE m.learner_id = $1 AND ($2::uuid IS NULL OR s.framework_id = $2)
        ORDER BY s.code, s.id
        """;

    /// <summary>The learner's mastery per skill (their own figures: never suppressed); null when the learner is not visible.</summary>
    public static async Task<IReadOnlyList<LearnerSkillMastery>?> LearnerAsync(ActorScope scope, Guid learnerId, Guid? frameworkId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using (var visible = scope.Command(LearnerVisibleSql))
        {
            visible.Parameters.Add(SqlParameters.Uuid(learnerId));
            if (await visible.ExecuteScalarAsync(ct) is null) return null;
        }

        var skills = new List<LearnerSkillMastery>();
        await using var command = scope.Command(LearnerMasterySql);
        command.Parameters.Add(SqlParameters.Uuid(learnerId));
        command.Parameters.Add(SqlParameters.NullableUuid(frameworkId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            skills.Add(new LearnerSkillMastery(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetNullableDouble(3),
                reader.GetNullableString(4), reader.GetBoolean(5), reader.GetInt32(6), reader.GetNullableTime(7)));
        }

        return skills;
    }
}
