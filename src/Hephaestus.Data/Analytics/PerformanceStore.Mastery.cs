using Hephaestus.Domain.Analytics;

namespace Hephaestus.Data.Analytics;

/// <summary>
/// One skill over the learners in scope who have a mastery row on it: how many mastered it, the mean value and the count
/// at each level; figures null (the reason in Suppressed) when fewer learners than the minimum group size.
/// </summary>
public sealed record SkillPerformance(Guid SkillId, string SkillCode, string SkillTitle, long Learners, long? Mastered, double? MasteredShare,
    double? MeanValue, IReadOnlyList<LevelCount>? Levels, string? Suppressed);

/// <summary>
/// A module (a skill with descendants: the subtree's skills in scope, itself included) over the learners with a mastery row
/// on any of them: per learner the share of the module's skills mastered (a skill without a row counts as not mastered),
/// its mean and median, and how many learners mastered every skill of it.
/// </summary>
public sealed record ModulePerformance(Guid ModuleSkillId, string ModuleCode, string ModuleTitle, long Skills, long Learners,
    double? MeanMasteredShare, double? MedianMasteredShare, long? LearnersMasteredAll, string? Suppressed);

/// <summary>The mastery panel: the learners in scope, and the distribution per skill and per module.</summary>
public sealed record MasteryPerformance(long Learners, string? Suppressed, IReadOnlyList<SkillPerformance> Skills, IReadOnlyList<ModulePerformance> Modules);

public static partial class PerformanceStore
{
    const string SkillMasterySql = ScopeSql + InScopeSkillsSql + """
        SELECT s.id, s.code, s.title, m.level_rank, m.level_name, count(*), count(*) FILTER (WHERE m.mastered), sum(m.value)::float8, count(m.value)
        FROM population p
        JOIN hephaestus.learner_skill_mastery m ON m.learner_id = p.learner_id
        JOIN hephaestus.skills s ON s.id = m.skill_id
        WHERE s.id IN (SELECT id FROM in_scope)
        GROUP BY s.id, s.code, s.title, m.level_rank, m.level_name
        ORDER BY s.code, s.id, m.level_rank NULLS FIRST
        """;

    /// <summary>
    /// closure: (module, skill) for every skill with children in the frameworks of the skills in scope and each of its
    /// descendants, itself included; a module's skills are the in-scope ones among them.
    /// </summary>
    const string ModuleMasterySql = ScopeSql + InScopeSkillsSql + """
        , closure (module_id, skill_id) AS (
            SELECT k.id, k.id FROM hephaestus.skills k
            WHERE k.framework_id IN (SELECT s.framework_id FROM hephaestus.skills s JOIN in_scope i ON i.id = s.id)
              AND EXISTS (SELECT 1 FROM hephaestus.skills c WHERE c.parent_id = k.id)
            UNION ALL
            SELECT c.module_id, k.id FROM closure c JOIN hephaestus.skills k ON k.parent_id = c.skill_id
        ), module_skills AS (
            SELECT c.module_id, c.skill_id FROM closure c JOIN in_scope i ON i.id = c.skill_id
        ), sizes AS (
            SELECT module_id, count(*) AS skills FROM module_skills GROUP BY module_id
        ), per_learner AS (
            SELECT ms.module_id, m.learner_id, count(*) FILTER (WHERE m.mastered) AS mastered
            FROM module_skills ms
            JOIN hephaestus.learner_skill_mastery m ON m.skill_id = ms.skill_id
            JOIN population p ON p.learner_id = m.learner_id
            GROUP BY ms.module_id, m.learner_id
        )
        SELECT k.id, k.code, k.title, z.skills, count(l.learner_id),
               avg(l.mastered::float8 / z.skills), percentile_cont(0.5) WITHIN GROUP (ORDER BY l.mastered::float8 / z.skills),
               count(l.learner_id) FILTER (WHERE l.mastered = z.skills)
        FROM sizes z
        JOIN hephaestus.skills k ON k.id = z.module_id
        LEFT JOIN per_learner l ON l.module_id = z.module_id
        GROUP BY k.id, k.code, k.title, z.skills
        ORDER BY k.code, k.id
        """;

    /// <summary>Mastery per skill and per module over the learners in scope.</summary>
    public static Task<PerformanceRead<MasteryPerformance>> MasteryAsync(ActorScope scope, PerformanceQuery query, int minimumGroupSize, CancellationToken ct) =>
        ReadAsync(scope, query, async learners =>
        {
            var rows = new List<(Guid Id, string Code, string Title, LevelCount Level, long Mastered, double ValueSum, long Values)>();
            await using (var command = Command(scope, SkillMasterySql, query))
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    var rank = reader.IsDBNull(3) ? (int?)null : reader.GetInt16(3);
                    rows.Add((reader.GetGuid(0), reader.GetString(1), reader.GetString(2), new LevelCount(rank, reader.GetNullableString(4), reader.GetInt64(5)),
                        reader.GetInt64(6), Float(reader, 7) ?? 0, reader.GetInt64(8)));
                }
            }

            var skills = rows.GroupBy(r => (r.Id, r.Code, r.Title)).Select(skill =>
            {
                var assessed = skill.Sum(r => r.Level.Learners);
                var mastered = skill.Sum(r => r.Mastered);
                var values = skill.Sum(r => r.Values);
                return Suppression(query, assessed, minimumGroupSize) is { } hidden
                    ? new SkillPerformance(skill.Key.Id, skill.Key.Code, skill.Key.Title, assessed, null, null, null, null, hidden)
                    : new SkillPerformance(skill.Key.Id, skill.Key.Code, skill.Key.Title, assessed, mastered, PerformanceFigures.Rate(mastered, assessed),
                        values > 0 ? skill.Sum(r => r.ValueSum) / values : null, [.. skill.Select(r => r.Level)], null);
            }).ToList();

            var modules = new List<ModulePerformance>();
            await using (var command = Command(scope, ModuleMasterySql, query))
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    var (id, code, title, size, assessed) = (reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4));
                    modules.Add(Suppression(query, assessed, minimumGroupSize) is { } hidden
                        ? new ModulePerformance(id, code, title, size, assessed, null, null, null, hidden)
                        : new ModulePerformance(id, code, title, size, assessed, Float(reader, 5), Float(reader, 6), reader.GetInt64(7), null));
                }
            }

            return new MasteryPerformance(learners, Suppression(query, learners, minimumGroupSize), skills, modules);
        }, ct);
}
