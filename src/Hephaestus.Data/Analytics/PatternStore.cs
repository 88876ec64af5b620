using Hephaestus.Domain.Analytics;
using Hephaestus.Domain.Mastery;
using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Analytics;

/// <summary>The learners a pattern looks at: a cohort's learners, a path's enrolled learners, or a cohort's learners enrolled in a path.</summary>
public sealed record PatternGroup(Guid? CohortId, Guid? PathId);

public enum PatternOutcome
{
    Found,

    /// <summary>No such cohort, or one the actor may not analyse.</summary>
    CohortNotFound,
    PathNotFound,
}

public sealed record PatternResult<T>(PatternOutcome Outcome, T? Data = default);

/// <summary>A skill where learners get stuck: assessed learners, those with at least the minimum evidence and no mastery.</summary>
public sealed record StuckSkill(Guid SkillId, string Code, string Title, long Learners, long? Stuck, double? StuckShare, double? MeanEvidenceOfStuck,
    string? Suppressed);

public sealed record StuckReport(int MinimumEvidence, IReadOnlyList<StuckSkill> Skills);

/// <summary>
/// Time to mastery of a skill (days from a learner's first evidence to the moment they first reached mastery), as a
/// distribution over the learners who mastered it: quartiles by linear interpolation (as percentile_cont).
/// </summary>
public sealed record MasteryTime(Guid SkillId, string Code, string Title, long Learners, long Mastered, double? MinimumDays, double? FirstQuartileDays,
    double? MedianDays, double? ThirdQuartileDays, double? MaximumDays, double? MeanDays, string? Suppressed);

public sealed record MasteryTimeReport(IReadOnlyList<MasteryTime> Skills);

/// <summary>Early quits among the enrollments of one path that ended with at most that many completed steps.</summary>
public sealed record StepsQuits(int StepsCompleted, long Withdrawn, long Idle);

/// <summary>A path's early quits: withdrawn, or active and idle, after at most the given number of completed steps.</summary>
public sealed record EarlyQuitPath(Guid PathId, string Code, string Title, long Enrollments, long? Withdrawn, long? Idle, double? Share,
    IReadOnlyList<StepsQuits>? ByStepsCompleted, string? Suppressed);

public sealed record EarlyQuitReport(int MaximumSteps, int IdleDays, IReadOnlyList<EarlyQuitPath> Paths);

/// <summary>
/// An item where learners repeat a wrong answer: learners who answered it in two or more attempts, those who gave the same
/// wrong response at least the minimum number of times, and the response most often repeated (JSON as answered).
/// </summary>
public sealed record RepeatedWrongItem(Guid ItemId, string? Code, long LearnersRetrying, long? LearnersRepeating, double? Share, string? TopResponse,
    long? TopResponseLearners, string? Suppressed);

public sealed record RepeatedWrongReport(int MinimumRepeats, IReadOnlyList<RepeatedWrongItem> Items);

/// <summary>A skill whose mastery fell over the window: its replayed value then and now.</summary>
public sealed record FallingSkill(Guid SkillId, string Code, double Before, double Now);

/// <summary>A learner at risk: idle (no evidence or progress since LastProgressAt, null: never), falling mastery, or both.</summary>
public sealed record AtRiskLearner(Guid LearnerId, string DisplayName, DateTimeOffset? LastProgressAt, bool Idle, IReadOnlyList<FallingSkill> FallingSkills);

public sealed record AtRiskReport(int IdleDays, int FallingDays, double FallingBy, Page<AtRiskLearner> Learners);

/// <summary>
/// Learning patterns (issue 12, part 4) over a group of learners (<see cref="PatternGroup"/>): where they get stuck, how
/// long mastery takes, early quits, repeated wrong answers, learners at risk. One statement per panel, set-based where
/// the data allow it; time to mastery and falling mastery replay the evidence log (no past values are stored) through
/// <see cref="EffectivenessMastery"/>. Rows are read with the actor set, so row-level security agrees with the explicit
/// cohort check; aggregates over fewer learners than the minimum group size are suppressed.
/// </summary>
public static class PatternStore
{
    /// <summary>The group's learners; $1 cohort, $2 path (at least one given: the edge checks).</summary>
    const string Group = """
        group_learners AS (
            SELECT cm.user_id AS learner_id FROM hephaestus.cohort_members cm
            WHERE cm.cohort_id = $1 AND cm.member_role = 'learner'
              AND ($2::uuid IS NULL OR EXISTS (SELECT 1 FROM hephaestus.enrollments e WHERE e.learner_id = cm.user_id AND e.path_id = $2))
            UNION ALL
            SELECT e.learner_id FROM hephaestus.enrollments e WHERE $1::uuid IS NULL AND e.path_id = $2
        )
        """;

    /// <summary>Evidence a regrade superseded (a later revision of its result exists) is left out, as the mastery recorder does.</summary>
    const string Current = """
        NOT EXISTS (SELECT 1 FROM hephaestus.results r JOIN hephaestus.results newer
                        ON newer.learner_id = r.learner_id AND newer.attempt_id = r.attempt_id AND newer.revision > r.revision
                    WHERE ev.result_id IS NOT NULL AND r.learner_id = ev.learner_id AND r.id = ev.result_id)
        """;

    const string PathVisibleSql = "SELECT 1 FROM hephaestus.learning_paths WHERE id = $1";

    const string StuckSql = "WITH " + Group + """
        SELECT s.id, s.code, s.title, count(*) AS learners,
               count(*) FILTER (WHERE m.evidence_count >= $3 AND NOT m.mastered) AS stuck,
               avg(m.evidence_count) FILTER (WHERE m.evidence_count >= $3 AND NOT m.mastered)::float8 AS stuck_evidence
        FROM group_learners g
        JOIN hephaestus.learner_skill_mastery m ON m.learner_id = g.learner_id AND m.evidence_count > 0
        JOIN hephaestus.skills s ON s.id = m.skill_id
        GROUP BY s.id, s.code, s.title
        ORDER BY s.code, s.id
        """;

    const string MasteredEvidenceSql = "WITH " + Group + $"""
        SELECT m.skill_id, m.learner_id, ev.score, ev.weight, ev.observed_at, ev.due_at
        FROM group_learners g
        JOIN hephaestus.learner_skill_mastery m ON m.learner_id = g.learner_id AND m.mastered
        JOIN hephaestus.evidence ev ON ev.learner_id = m.learner_id AND ev.skill_id = m.skill_id AND {Current}
        ORDER BY m.skill_id, m.learner_id, ev.observed_at, ev.skill_seq
        """;

    /// <summary>Per path and number of completed steps: enrollments, and those that quit early (withdrawn, or active and idle).</summary>
    const string EarlyQuitsSql = "WITH " + Group + """
        SELECT p.id, p.code, p.title, d.done, count(*) AS enrollments,
               count(*) FILTER (WHERE e.status = 'withdrawn') AS withdrawn,
               count(*) FILTER (WHERE e.status = 'active' AND e.updated_at < now() - make_interval(days => $3)) AS idle
        FROM (SELECT DISTINCT learner_id FROM group_learners) g
        JOIN hephaestus.enrollments e ON e.learner_id = g.learner_id AND ($2::uuid IS NULL OR e.path_id = $2)
        JOIN hephaestus.learning_paths p ON p.id = e.path_id
        CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE c = 3)::int AS done FROM unnest(e.step_status) c) d
        GROUP BY p.id, p.code, p.title, d.done
        ORDER BY p.code, p.id, d.done
        """;

    /// <summary>
    /// Per item (across its versions): learners who answered it in two or more submitted attempts, and the wrong
    /// responses (the attempt's current result marks the item not correct) a learner gave at least $3 times.
    /// </summary>
    const string RepeatedWrongSql = "WITH " + Group + """
        , answers AS (
            SELECT a.learner_id, iv.item_id, ar.response, coalesce((sc ->> 'correct')::boolean, false) AS correct
            FROM (SELECT DISTINCT learner_id FROM group_learners) g
            JOIN hephaestus.attempts a ON a.learner_id = g.learner_id AND a.status = 'submitted'
            CROSS JOIN LATERAL (SELECT r.item_scores FROM hephaestus.results r WHERE r.learner_id = a.learner_id AND r.attempt_id = a.id
                                ORDER BY r.revision DESC LIMIT 1) res
            CROSS JOIN LATERAL jsonb_array_elements(res.item_scores) sc
            JOIN hephaestus.attempt_responses ar
                ON ar.learner_id = a.learner_id AND ar.attempt_id = a.id AND ar.item_version_id = (sc ->> 'itemVersionId')::uuid
            JOIN hephaestus.item_versions iv ON iv.id = ar.item_version_id
        ), retrying AS (
            SELECT item_id, count(*) AS learners FROM (SELECT item_id, learner_id FROM answers GROUP BY 1, 2 HAVING count(*) >= 2) x GROUP BY item_id
        ), repeats AS (
            SELECT item_id, learner_id, response FROM answers WHERE NOT correct GROUP BY 1, 2, 3 HAVING count(*) >= $3
        ), per_response AS (
            SELECT item_id, response, count(DISTINCT learner_id) AS learners FROM repeats GROUP BY 1, 2
        )
        SELECT t.item_id, i.code, t.learners,
               (SELECT count(DISTINCT learner_id) FROM repeats r WHERE r.item_id = t.item_id) AS repeating,
               top.response::text, top.learners
        FROM retrying t
        JOIN hephaestus.items i ON i.id = t.item_id
        LEFT JOIN LATERAL (SELECT p.response, p.learners FROM per_response p WHERE p.item_id = t.item_id
                           ORDER BY p.learners DESC, p.response::text LIMIT 1) top ON true
        ORDER BY i.code NULLS LAST, t.item_id
        """;

    /// <summary>
    /// A batch of the group's learners after the cursor: their last progress (latest evidence or enrollment change) and
    /// the evidence of each skill they had evidence on within the falling window, in replay order.
    /// </summary>
    const string AtRiskBatchSql = "WITH " + Group + $"""
        , batch AS (SELECT DISTINCT learner_id FROM group_learners WHERE $3::uuid IS NULL OR learner_id > $3 ORDER BY learner_id LIMIT $4)
        SELECT b.learner_id, u.display_name,
               greatest((SELECT max(lm.last_evidence_at) FROM hephaestus.learner_skill_mastery lm WHERE lm.learner_id = b.learner_id),
                        (SELECT max(e.updated_at) FROM hephaestus.enrollments e WHERE e.learner_id = b.learner_id AND ($2::uuid IS NULL OR e.path_id = $2))),
               m.skill_id, s.code, ev.score, ev.weight, ev.observed_at, ev.due_at
        FROM batch b
        JOIN hephaestus.users u ON u.id = b.learner_id
        LEFT JOIN hephaestus.learner_skill_mastery m ON m.learner_id = b.learner_id AND m.last_evidence_at >= now() - make_interval(days => $5)
        LEFT JOIN hephaestus.skills s ON s.id = m.skill_id
        LEFT JOIN hephaestus.evidence ev ON ev.learner_id = m.learner_id AND ev.skill_id = m.skill_id AND {Current}
        ORDER BY b.learner_id, m.skill_id, ev.observed_at, ev.skill_seq
        """;

    /// <summary>Skills whose assessed learners include many with at least <paramref name="minimumEvidence"/> evidence rows and no mastery.</summary>
    public static Task<PatternResult<StuckReport>> StuckAsync(ActorScope scope, PatternGroup group, int minimumEvidence, int minimumGroupSize, CancellationToken ct) =>
        InGroupAsync(scope, group, ct, async () =>
        {
            var skills = new List<StuckSkill>();
            await using var command = GroupCommand(scope, StuckSql, group, Int(minimumEvidence));
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var learners = reader.GetInt64(3);
                var suppressed = SmallGroups.SuppressionReason(learners, minimumGroupSize);
                var stuck = reader.GetInt64(4);
                skills.Add(suppressed is null
                    ? new StuckSkill(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), learners, stuck, (double)stuck / learners,
                        reader.IsDBNull(5) ? null : reader.GetDouble(5), null)
                    : new StuckSkill(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), learners, null, null, null, suppressed));
            }

            // Most stuck first; suppressed skills keep code order at the end, so their place says nothing of their figures.
            return new StuckReport(minimumEvidence, [.. skills.OrderBy(s => s.Suppressed is not null).ThenByDescending(s => s.Stuck ?? 0).ThenBy(s => s.Code, StringComparer.Ordinal)]);
        });

    /// <summary>Per skill: how long learners took from their first evidence to mastery (replayed), over those who mastered it.</summary>
    public static Task<PatternResult<MasteryTimeReport>> TimeToMasteryAsync(ActorScope scope, PatternGroup group, int minimumGroupSize, CancellationToken ct) =>
        InGroupAsync(scope, group, ct, async () =>
        {
            var assessed = new List<(Guid Id, string Code, string Title, long Learners)>();
            await using (var command = GroupCommand(scope, StuckSql, group, Int(int.MaxValue)))
            {
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct)) assessed.Add((reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3)));
            }

            var measurements = await ContentEffectivenessStore.MeasurementsAsync(scope, [.. assessed.Select(s => s.Id)], ct);
            var days = assessed.ToDictionary(s => s.Id, _ => new List<double>());
            await using (var command = GroupCommand(scope, MasteredEvidenceSql, group))
            {
                await using var reader = await command.ExecuteReaderAsync(ct);
                (Guid Skill, Guid Learner)? current = null;
                var log = new List<Observation>();
                void Finish()
                {
                    if (current is not { } pair || log.Count == 0 || !measurements.TryGetValue(pair.Skill, out var measurement)) return;
                    if (EffectivenessMastery.FirstMastered(measurement.Parameters, log) is { } at && days.TryGetValue(pair.Skill, out var list))
                    {
                        list.Add((at - log.Min(o => o.ObservedAt)).TotalDays);
                    }
                }

                while (await reader.ReadAsync(ct))
                {
                    var pair = (reader.GetGuid(0), reader.GetGuid(1));
                    if (current != pair)
                    {
                        Finish();
                        (current, log) = (pair, []);
                    }

                    log.Add(ContentEffectivenessStore.ReadObservation(reader, 2));
                }

                Finish();
            }

            return new MasteryTimeReport([.. assessed.Select(s =>
            {
                var sorted = days[s.Id].Order().ToList();
                var suppressed = SmallGroups.SuppressionReason(sorted.Count, minimumGroupSize);
                return suppressed is null
                    ? new MasteryTime(s.Id, s.Code, s.Title, s.Learners, sorted.Count, sorted[0], Quantile(sorted, 0.25), Quantile(sorted, 0.5), Quantile(sorted, 0.75),
                        sorted[^1], sorted.Average(), null)
                    : new MasteryTime(s.Id, s.Code, s.Title, s.Learners, sorted.Count, null, null, null, null, null, null, suppressed);
            })]);
        });

    /// <summary>Enrollments withdrawn, or active but unchanged for <paramref name="idleDays"/>, after at most <paramref name="maximumSteps"/> completed steps.</summary>
    public static Task<PatternResult<EarlyQuitReport>> EarlyQuitsAsync(ActorScope scope, PatternGroup group, int maximumSteps, int idleDays, int minimumGroupSize,
        CancellationToken ct) =>
        InGroupAsync(scope, group, ct, async () =>
        {
            var rows = new List<(Guid Id, string Code, string Title, int Done, long Enrollments, long Withdrawn, long Idle)>();
            await using (var command = GroupCommand(scope, EarlyQuitsSql, group, Int(idleDays)))
            {
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    rows.Add((reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6)));
                }
            }

            return new EarlyQuitReport(maximumSteps, idleDays, [.. rows.GroupBy(r => (r.Id, r.Code, r.Title)).Select(path =>
            {
                var enrollments = path.Sum(r => r.Enrollments);
                var suppressed = SmallGroups.SuppressionReason(enrollments, minimumGroupSize);
                var early = path.Where(r => r.Done <= maximumSteps).ToList();
                var (withdrawn, idle) = (early.Sum(r => r.Withdrawn), early.Sum(r => r.Idle));
                return suppressed is null
                    ? new EarlyQuitPath(path.Key.Id, path.Key.Code, path.Key.Title, enrollments, withdrawn, idle, (double)(withdrawn + idle) / enrollments,
                        [.. Enumerable.Range(0, maximumSteps + 1).Select(steps => new StepsQuits(steps,
                            early.Where(r => r.Done == steps).Sum(r => r.Withdrawn), early.Where(r => r.Done == steps).Sum(r => r.Idle)))], null)
                    : new EarlyQuitPath(path.Key.Id, path.Key.Code, path.Key.Title, enrollments, null, null, null, null, suppressed);
            })]);
        });

    /// <summary>Items where learners gave the same wrong response at least <paramref name="minimumRepeats"/> times across attempts.</summary>
    public static Task<PatternResult<RepeatedWrongReport>> RepeatedWrongAsync(ActorScope scope, PatternGroup group, int minimumRepeats, int minimumGroupSize,
        CancellationToken ct) =>
        InGroupAsync(scope, group, ct, async () =>
        {
            var items = new List<RepeatedWrongItem>();
            await using var command = GroupCommand(scope, RepeatedWrongSql, group, Int(minimumRepeats));
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var retrying = reader.GetInt64(2);
                var suppressed = SmallGroups.SuppressionReason(retrying, minimumGroupSize);
                var repeating = reader.GetInt64(3);
                items.Add(suppressed is null
                    ? new RepeatedWrongItem(reader.GetGuid(0), reader.GetNullableString(1), retrying, repeating, (double)repeating / retrying,
                        reader.GetNullableString(4), reader.IsDBNull(5) ? null : reader.GetInt64(5), null)
                    : new RepeatedWrongItem(reader.GetGuid(0), reader.GetNullableString(1), retrying, null, null, null, null, suppressed));
            }

            return new RepeatedWrongReport(minimumRepeats, items);
        });

    /// <summary>
    /// Learners at risk, a keyset page by learner id: idle (no evidence and no enrollment change for <paramref name="idleDays"/>),
    /// or with a skill whose replayed mastery fell by at least <paramref name="fallingBy"/> over the last <paramref name="fallingDays"/>.
    /// Individual rows for staff who may read those learners (row-level security), so not suppressed.
    /// </summary>
    public static Task<PatternResult<AtRiskReport>> AtRiskAsync(ActorScope scope, PatternGroup group, int idleDays, int fallingDays, double fallingBy,
        Guid? after, int size, CancellationToken ct) =>
        InGroupAsync(scope, group, ct, async () =>
        {
            // The transaction's own now(): the moment the batches' windows were cut at, whichever server reads.
            DateTimeOffset now;
            await using (var clock = scope.Command("SELECT now()")) now = new DateTimeOffset((DateTime)(await clock.ExecuteScalarAsync(ct))!, TimeSpan.Zero);
            var found = new List<AtRiskLearner>();
            var batchSize = Math.Max(4 * (size + 1), 200);
            var cursor = after;
            while (found.Count <= size)
            {
                var learners = await AtRiskBatchAsync(scope, group, cursor, batchSize, fallingDays, ct);
                if (learners.Count == 0) break;
                var skillIds = learners.SelectMany(l => l.Evidence.Keys.Select(k => k.Skill)).Distinct().ToArray();
                var measurements = skillIds.Length == 0 ? [] : await ContentEffectivenessStore.MeasurementsAsync(scope, skillIds, ct);
                foreach (var learner in learners)
                {
                    var idle = learner.LastProgressAt is not { } last || last < now.AddDays(-idleDays);
                    var falling = learner.Evidence
                        .Where(pair => measurements.ContainsKey(pair.Key.Skill))
                        .Select(pair =>
                        {
                            var parameters = measurements[pair.Key.Skill].Parameters;
                            return new FallingSkill(pair.Key.Skill, pair.Key.Code, EffectivenessMastery.ValueAt(parameters, pair.Value, now.AddDays(-fallingDays)),
                                EffectivenessMastery.ValueAt(parameters, pair.Value, now));
                        })
                        .Where(f => f.Now - f.Before <= -fallingBy + 1e-12)
                        .OrderBy(f => f.Code, StringComparer.Ordinal).ToList();
                    if (idle || falling.Count > 0) found.Add(new AtRiskLearner(learner.LearnerId, learner.DisplayName, learner.LastProgressAt, idle, falling));
                    if (found.Count > size) break;
                }

                if (learners.Count < batchSize) break;
                cursor = learners[^1].LearnerId;
            }

            return new AtRiskReport(idleDays, fallingDays, fallingBy, Paging.TrimById(found, size, l => l.LearnerId));
        });

    sealed record BatchLearner(Guid LearnerId, string DisplayName, DateTimeOffset? LastProgressAt, Dictionary<(Guid Skill, string Code), List<Observation>> Evidence);

    static async Task<List<BatchLearner>> AtRiskBatchAsync(ActorScope scope, PatternGroup group, Guid? after, int batchSize, int fallingDays, CancellationToken ct)
    {
        var learners = new List<BatchLearner>();
        await using var command = GroupCommand(scope, AtRiskBatchSql, group, NullableUuid(after), Int(batchSize), Int(fallingDays));
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var id = reader.GetGuid(0);
            if (learners.Count == 0 || learners[^1].LearnerId != id) learners.Add(new BatchLearner(id, reader.GetString(1), reader.GetNullableTime(2), []));
            if (reader.IsDBNull(3) || reader.IsDBNull(5)) continue;
            var key = (reader.GetGuid(3), reader.GetString(4));
            if (!learners[^1].Evidence.TryGetValue(key, out var log)) learners[^1].Evidence[key] = log = [];
            log.Add(ContentEffectivenessStore.ReadObservation(reader, 5));
        }

        return learners;
    }

    static async Task<PatternResult<T>> InGroupAsync<T>(ActorScope scope, PatternGroup group, CancellationToken ct, Func<Task<T>> read)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(group);
        if (group.CohortId is { } cohort && !await ContentEffectivenessStore.CohortVisibleAsync(scope, cohort, ct)) return new(PatternOutcome.CohortNotFound);
        if (group.PathId is { } path)
        {
            await using var visible = scope.Command(PathVisibleSql);
            visible.Parameters.Add(Uuid(path));
            if (await visible.ExecuteScalarAsync(ct) is null) return new(PatternOutcome.PathNotFound);
        }

        return new(PatternOutcome.Found, await read());
    }

    static NpgsqlCommand GroupCommand(ActorScope scope, string sql, PatternGroup group, params NpgsqlParameter[] more)
    {
        var command = scope.Command(sql);
        command.Parameters.Add(NullableUuid(group.CohortId));
        command.Parameters.Add(NullableUuid(group.PathId));
        command.Parameters.AddRange(more);
        return command;
    }

    /// <summary>The q-quantile of sorted values by linear interpolation between closest ranks (PostgreSQL's percentile_cont).</summary>
    static double Quantile(List<double> sorted, double q)
    {
        var position = q * (sorted.Count - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Count - 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }
}
