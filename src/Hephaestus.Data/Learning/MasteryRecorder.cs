using System.Text.Json;
using Hephaestus.Domain.Mastery;
using Npgsql;
using NpgsqlTypes;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Learning;

/// <summary>One observation to append to the evidence log.</summary>
public sealed record NewEvidence(
    Guid SkillId,
    double Score,
    double Weight,
    DateTimeOffset ObservedAt,
    DateTimeOffset? DueAt,
    string Source,
    Guid? AttemptId = null,
    Guid? ResultId = null,
    Guid? ItemVersionId = null,
    Guid? RubricAssessmentId = null,
    Guid? EventId = null);

/// <summary>What a recording changed for one skill.</summary>
public sealed record MasteryChange(Guid SkillId, double? Before, double? After, string? LevelBefore, string? LevelAfter, bool Mastered);

/// <summary>
/// Appends evidence and brings the learner's mastery rows up to date in the caller's transaction, so mastery never
/// disagrees with the log and a rolled-back result leaves no trace.
/// Concurrency: the learner's mastery rows for the skills involved are locked (created first if missing) in skill
/// order, so concurrent recordings for one learner and skill apply one after another and none is lost, and two
/// recordings touching the same skills cannot deadlock. Each new row gets the next <c>skill_seq</c> under that lock.
/// An observation that sorts after everything applied is folded in (O(1)); one that does not (late work under due-date
/// ordering, or a clock that went backwards) makes the skill replay from the log.
/// </summary>
internal static class MasteryRecorder
{
    const string LockAndLoad = """
        INSERT INTO hephaestus.learner_skill_mastery (learner_id, skill_id)
        SELECT $1, s FROM unnest($2::uuid[]) AS s ORDER BY s
        ON CONFLICT DO NOTHING
        """;

    const string LockRows = """
        SELECT skill_id, state::text, evidence_count, value
        FROM hephaestus.learner_skill_mastery
        WHERE learner_id = $1 AND skill_id = ANY ($2)
        ORDER BY skill_id
        FOR UPDATE
        """;

    public const string Measurements = """
        SELECT s.id, s.code, coalesce(s.mastery_method, f.mastery_method), coalesce(s.mastery_parameters, f.mastery_parameters)::text,
               (SELECT json_agg(json_build_object('rank', l.rank, 'name', l.name, 'threshold', l.threshold, 'isMastery', l.is_mastery) ORDER BY l.rank)
                FROM hephaestus.mastery_levels l WHERE l.scale_id = f.scale_id)::text
        FROM hephaestus.skills s JOIN hephaestus.competency_frameworks f ON f.id = s.framework_id
        WHERE s.id = ANY ($1)
        """;

    /// <summary>
    /// Which of these events already made evidence on which skill: read after the mastery rows are locked, so a concurrent
    /// recording of the same event either committed before (READ COMMITTED: each statement sees what committed before
    /// it) or waits for our locks and then sees ours.
    /// </summary>
    const string EventsRecorded = """
        SELECT event_id, skill_id FROM hephaestus.evidence WHERE learner_id = $1 AND event_id = ANY ($2)
        """;

    /// <summary>
    /// The log of some skills, in the order it was applied. Evidence of a result that a regrade superseded (a later
    /// revision of the same attempt exists) is left out: the regrade appended the corrected observations.
    /// </summary>
    public const string EvidenceOfSkills = """
        SELECT e.skill_id, e.score, e.weight, e.observed_at, e.due_at
        FROM hephaestus.evidence e
        LEFT JOIN hephaestus.results r ON r.learner_id = e.learner_id AND r.id = e.result_id
        WHERE e.learner_id = $1 AND e.skill_id = ANY ($2)
          AND (r.id IS NULL OR NOT EXISTS (
                SELECT 1 FROM hephaestus.results newer
                WHERE newer.learner_id = r.learner_id AND newer.attempt_id = r.attempt_id AND newer.revision > r.revision))
        ORDER BY e.skill_id, e.observed_at, e.skill_seq
        """;

    /// <param name="replayAll">A regrade supersedes earlier evidence, which folding in cannot undo: replay every skill touched.</param>
    /// <param name="before">Commands to run first, in the same round trip as the locks (the result the evidence refers to).</param>
    /// <param name="after">Commands to run last, in the same round trip as the writes (closing the attempt, say).</param>
    public static async Task<IReadOnlyList<MasteryChange>> RecordAsync(ActorScope scope, Guid learnerId, IReadOnlyList<NewEvidence> evidence, CancellationToken ct,
        bool replayAll = false, IReadOnlyList<NpgsqlBatchCommand>? before = null, IReadOnlyList<NpgsqlBatchCommand>? after = null)
    {
        var (changes, writes) = await RecordDeferringWritesAsync(scope, learnerId, evidence, ct, replayAll, before, after);
        await scope.ExecuteAsync(writes, ct);
        return changes;
    }

    /// <summary>
    /// As <see cref="RecordAsync"/>, but the last writes (evidence, mastery, <paramref name="after"/>) are returned
    /// instead of sent, for the caller to send first in the round trip it makes next (the progress re-evaluation's), one
    /// round trip fewer. The mastery rows are locked already; the caller must send the writes before it commits.
    /// </summary>
    public static async Task<(IReadOnlyList<MasteryChange> Changes, IReadOnlyList<NpgsqlBatchCommand> Writes)> RecordDeferringWritesAsync(ActorScope scope,
        Guid learnerId, IReadOnlyList<NewEvidence> evidence, CancellationToken ct,
        bool replayAll = false, IReadOnlyList<NpgsqlBatchCommand>? before = null, IReadOnlyList<NpgsqlBatchCommand>? after = null)
    {
        if (evidence.Count == 0)
        {
            var rest = (before ?? []).Concat(after ?? []).ToList();
            return ([], rest.Count == 0 ? [] : [ActorSession.MarkLearnerRecord(), .. rest]);
        }

        var skills = evidence.Select(e => e.SkillId).Distinct().Order().ToArray();
        var events = evidence.Where(e => e.EventId is not null).Select(e => e.EventId!.Value).Distinct().ToArray();
        var recorded = new HashSet<(Guid Event, Guid Skill)>();

        var current = new Dictionary<Guid, (MasteryState State, int Count, double? Value)>();
        Dictionary<Guid, SkillMeasurement> measurements;
        // The learner record's mark leads the first round trip: every write below (and the caller's, before and after) is
        // the learner record's, whatever scope the caller opened.
        await using (var batch = new NpgsqlBatch(scope.Connection, scope.Transaction) { BatchCommands = { ActorSession.MarkLearnerRecord() } })
        {
            foreach (var command in before ?? []) batch.BatchCommands.Add(command);
            batch.BatchCommands.Add(new NpgsqlBatchCommand(LockAndLoad) { Parameters = { Uuid(learnerId), Uuids(skills) } });
            batch.BatchCommands.Add(new NpgsqlBatchCommand(LockRows) { Parameters = { Uuid(learnerId), Uuids(skills) } });
            batch.BatchCommands.Add(new NpgsqlBatchCommand(Measurements) { Parameters = { Uuids(skills) } });
            if (events.Length > 0) batch.BatchCommands.Add(new NpgsqlBatchCommand(EventsRecorded) { Parameters = { Uuid(learnerId), Uuids(events) } });
            await using var reader = await batch.ExecuteReaderAsync(ct);
            // The INSERT returns no rows; depending on the driver version it shows up as an empty result or not at all.
            while (reader.FieldCount == 0) await reader.NextResultAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var stateJson = reader.GetString(1);
                var state = stateJson == "{}" ? MasteryState.Empty : MasteryState.FromJson(stateJson);
                current[reader.GetGuid(0)] = (state, reader.GetInt32(2), reader.IsDBNull(3) ? null : (double)reader.GetDecimal(3));
            }

            await reader.NextResultAsync(ct);
            measurements = await ReadMeasurementsAsync(reader, ct);
            if (events.Length > 0 && await reader.NextResultAsync(ct))
            {
                while (await reader.ReadAsync(ct)) recorded.Add((reader.GetGuid(0), reader.GetGuid(1)));
            }
        }

        if (recorded.Count > 0)
        {
            // Exactly once per event: what an earlier recording of the same event wrote is not folded in again.
            evidence = [.. evidence.Where(e => e.EventId is not { } id || !recorded.Contains((id, e.SkillId)))];
            if (evidence.Count == 0) return ([], []);
            skills = [.. evidence.Select(e => e.SkillId).Distinct().Order()];
        }

        var missing = skills.Where(s => !measurements.ContainsKey(s)).ToList();
        if (missing.Count > 0) throw new InvalidOperationException($"evidence for unknown skill(s): {string.Join(", ", missing)}");

        // Fold in what can be appended; remember which skills must replay from the log.
        var next = new Dictionary<Guid, MasteryState>();
        var replay = replayAll ? skills.ToHashSet() : [];
        var sequence = new List<int>(evidence.Count);
        var counters = current.ToDictionary(c => c.Key, c => c.Value.Count);
        foreach (var e in evidence)
        {
            var parameters = measurements[e.SkillId].Parameters;
            var state = next.TryGetValue(e.SkillId, out var s) ? s : current[e.SkillId].State;
            var observation = new Observation(e.Score, e.ObservedAt, e.Weight, e.DueAt);
            if (!replay.Contains(e.SkillId) && state.CanAppend(parameters, observation)) next[e.SkillId] = state.Apply(parameters, observation);
            else replay.Add(e.SkillId);
            sequence.Add(counters[e.SkillId] += 1);
        }

        var insertEvidence = InsertEvidenceCommand(learnerId, evidence, sequence);
        if (replay.Count > 0)
        {
            // The replay must see this transaction's new rows: insert first, then read the log.
            await using (var batch = new NpgsqlBatch(scope.Connection, scope.Transaction) { BatchCommands = { insertEvidence } })
            {
                await batch.ExecuteNonQueryAsync(ct);
            }

            insertEvidence = null;
            foreach (var (skill, state) in await ReplayAsync(scope, learnerId, replay, measurements, ct)) next[skill] = state;
        }

        var changes = new List<MasteryChange>();
        var updates = new List<(Guid Skill, MasteryState State, double? Value, ScaleLevel? Level, bool Mastered, int Count, DateTimeOffset? Last)>();
        foreach (var skill in skills)
        {
            var m = measurements[skill];
            var state = next[skill];
            var value = state.Value(m.Parameters);
            var level = m.Classify(value);
            var mastered = m.Parameters.IsMastered(value);
            var previous = current[skill];
            changes.Add(new MasteryChange(skill, previous.Value, value, m.Classify(previous.Value)?.Name, level?.Name, mastered));
            updates.Add((skill, state, value, level, mastered, counters[skill], state.LastObservedAt));
        }

        var update = new NpgsqlBatchCommand("""
            UPDATE hephaestus.learner_skill_mastery m SET
                value = u.value, level_rank = u.level_rank, level_name = u.level_name, mastered = u.mastered,
                evidence_count = u.evidence_count, last_evidence_at = u.last_at, method = u.method, state = u.state::jsonb, updated_at = now()
            FROM unnest($2::uuid[], $3::numeric[], $4::smallint[], $5::text[], $6::boolean[], $7::int[], $8::timestamptz[], $9::text[], $10::text[])
                 AS u (skill_id, value, level_rank, level_name, mastered, evidence_count, last_at, method, state)
            WHERE m.learner_id = $1 AND m.skill_id = u.skill_id
            """);
        {
            update.Parameters.Add(Uuid(learnerId));
            update.Parameters.Add(Uuids(updates.Select(u => u.Skill).ToArray()));
            update.Parameters.Add(new NpgsqlParameter { Value = updates.Select(u => u.Value is { } v ? (object)Math.Round((decimal)v, 5) : DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Numeric });
            update.Parameters.Add(new NpgsqlParameter { Value = updates.Select(u => u.Level is { } l ? (object)l.Rank : DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Smallint });
            update.Parameters.Add(new NpgsqlParameter { Value = updates.Select(u => (object?)u.Level?.Name ?? DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            update.Parameters.Add(new NpgsqlParameter<bool[]> { TypedValue = updates.Select(u => u.Mastered).ToArray() });
            update.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = updates.Select(u => u.Count).ToArray() });
            update.Parameters.Add(new NpgsqlParameter { Value = updates.Select(u => u.Last is { } t ? (object)t : DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
            update.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = updates.Select(u => measurements[u.Skill].Parameters.Method.ToWireName()).ToArray() });
            update.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = updates.Select(u => u.State.ToJson()).ToArray() });
        }

        // Evidence and mastery travel together: one round trip on the usual (append) path.
        List<NpgsqlBatchCommand> writes = [];
        if (insertEvidence is not null) writes.Add(insertEvidence);
        writes.Add(update);
        writes.AddRange(after ?? []);
        return (changes, writes);
    }

    static NpgsqlBatchCommand InsertEvidenceCommand(Guid learnerId, IReadOnlyList<NewEvidence> evidence, List<int> sequence)
    {
        var insert = new NpgsqlBatchCommand("""
            INSERT INTO hephaestus.evidence (learner_id, id, skill_id, score, weight, observed_at, due_at, source, attempt_id, result_id,
                                             item_version_id, rubric_assessment_id, skill_seq, event_id)
            SELECT $1, u.* FROM unnest($2::uuid[], $3::uuid[], $4::numeric[], $5::numeric[], $6::timestamptz[], $7::timestamptz[], $8::text[],
                                        $9::uuid[], $10::uuid[], $11::uuid[], $12::uuid[], $13::int[], $14::uuid[]) AS u
            """);
        insert.Parameters.Add(Uuid(learnerId));
        insert.Parameters.Add(Uuids(evidence.Select(_ => Guid.CreateVersion7()).ToArray()));
        insert.Parameters.Add(Uuids(evidence.Select(e => e.SkillId).ToArray()));
        insert.Parameters.Add(new NpgsqlParameter<decimal[]> { TypedValue = evidence.Select(e => Math.Round((decimal)e.Score, 5)).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter<decimal[]> { TypedValue = evidence.Select(e => Math.Round((decimal)e.Weight, 4)).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = evidence.Select(e => e.ObservedAt).ToArray() });
        insert.Parameters.Add(NullableTimes(evidence.Select(e => e.DueAt)));
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = evidence.Select(e => e.Source).ToArray() });
        insert.Parameters.Add(NullableUuids(evidence.Select(e => e.AttemptId)));
        insert.Parameters.Add(NullableUuids(evidence.Select(e => e.ResultId)));
        insert.Parameters.Add(NullableUuids(evidence.Select(e => e.ItemVersionId)));
        insert.Parameters.Add(NullableUuids(evidence.Select(e => e.RubricAssessmentId)));
        insert.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = sequence.ToArray() });
        insert.Parameters.Add(NullableUuids(evidence.Select(e => e.EventId)));
        return insert;
    }

    /// <summary>Folds each skill's whole log (this transaction's rows included) in the method's order.</summary>
    public static async Task<Dictionary<Guid, MasteryState>> ReplayAsync(
        ActorScope scope, Guid learnerId, IReadOnlyCollection<Guid> skills, IReadOnlyDictionary<Guid, SkillMeasurement> measurements, CancellationToken ct,
        Func<Guid, MasteryParameters>? parametersFor = null)
    {
        var observations = await ReadLogAsync(scope, learnerId, skills, ct);
        return skills.ToDictionary(s => s, s =>
        {
            var parameters = parametersFor?.Invoke(s) ?? measurements[s].Parameters;
            var log = observations.TryGetValue(s, out var list) ? list : [];
            return MasteryState.Replay(parameters, ObservationOrdering.Order(log, parameters.Ordering));
        });
    }

    public static async Task<Dictionary<Guid, List<Observation>>> ReadLogAsync(ActorScope scope, Guid learnerId, IReadOnlyCollection<Guid> skills, CancellationToken ct)
    {
        var observations = new Dictionary<Guid, List<Observation>>();
        await using var command = scope.Command(EvidenceOfSkills);
        command.Parameters.Add(Uuid(learnerId));
        command.Parameters.Add(Uuids(skills.ToArray()));
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var skill = reader.GetGuid(0);
            if (!observations.TryGetValue(skill, out var list)) observations[skill] = list = [];
            list.Add(new Observation((double)reader.GetDecimal(1), reader.GetFieldValue<DateTimeOffset>(3), (double)reader.GetDecimal(2),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4)));
        }

        return observations;
    }

    public static async Task<Dictionary<Guid, SkillMeasurement>> ReadMeasurementsAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        var result = new Dictionary<Guid, SkillMeasurement>();
        while (await reader.ReadAsync(ct))
        {
            var levels = JsonSerializer.Deserialize<List<ScaleLevel>>(reader.GetString(4), new JsonSerializerOptions(JsonSerializerDefaults.Web)) ?? [];
            result[reader.GetGuid(0)] = new SkillMeasurement(reader.GetGuid(0), reader.GetString(1),
                MasteryParameters.FromStored(reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)), levels);
        }

        return result;
    }
}
