using System.Globalization;
using Hephaestus.Domain.Assessments;
using Hephaestus.Domain.Paths;

namespace Hephaestus.Data.Learning;

/// <summary>What one re-evaluation changed in one enrollment.</summary>
public sealed record EnrollmentProgressChange(Guid EnrollmentId, IReadOnlyList<StepTransition> Steps, bool Completed);

/// <summary>
/// The one entry point through which results and mastery reach learning-path progress. It runs in the caller's
/// transaction, so a step is never unlocked by a result that was rolled back.
/// Concurrency: the learner's active enrollment rows are locked (in id order) before anything is read, so two
/// recordings for one learner re-evaluate one after the other, and the second (READ COMMITTED: each statement sees what
/// committed before it) evaluates on top of the first's mastery and statuses. Callers lock mastery rows before calling
/// and enrollment rows only here, and nothing locks them the other way round, so the two cannot deadlock.
/// Cost: one round trip to lock and read (progress is on the enrollment row: two small arrays; after a result, the same
/// round trip that carries the result's evidence and mastery writes), the plans from memory,
/// one statement per changed enrollment to store them (none when nothing changed).
/// </summary>
internal sealed class ProgressEngine(PlanCache plans)
{
    const string LockActive = $"""
        SELECT {EnrollmentSql.EnrollmentColumns}
        FROM hephaestus.enrollments WHERE learner_id = $1 AND status = 'active' ORDER BY id FOR UPDATE
        """;

    /// <summary>After evidence moved mastery (a rubric assessment, an event).</summary>
    public Task<IReadOnlyList<EnrollmentProgressChange>> AfterMasteryChangeAsync(ActorScope scope, Guid learnerId, IReadOnlyList<MasteryChange> changes, CancellationToken ct) =>
        changes.Count == 0 ? Task.FromResult<IReadOnlyList<EnrollmentProgressChange>>([]) : ReevaluateAsync(scope, learnerId, ct);

    /// <summary>
    /// After a result: the assessment's combined score (its attempt policy over every attempt, this one included) lands
    /// on the assessment's steps (completing them), then everything is re-evaluated.
    /// </summary>
    /// <param name="leading">Writes the re-evaluation must see (the result's evidence and mastery), sent first in its first round trip.</param>
    public Task<IReadOnlyList<EnrollmentProgressChange>> AfterResultAsync(ActorScope scope, Guid learnerId, Guid assessmentId, CancellationToken ct,
        IReadOnlyList<Npgsql.NpgsqlBatchCommand>? leading = null) =>
        ReevaluateAsync(scope, learnerId, ct, assessmentId, leading: leading);

    /// <param name="viewedContentItems">
    /// Content items the learner viewed (content-viewed events), in the order viewed: each completes the content steps
    /// that point at it and are open (available or started), as the learner's own completion does, and the plan is
    /// evaluated after each, so a batch that views step after step walks the path. <paramref name="reached"/> gets, per
    /// item, the first active enrollment and step that point at it.
    /// </param>
    /// <param name="leading">Writes sent first in the same round trip, which the reads below see (they return no rows).</param>
    public async Task<IReadOnlyList<EnrollmentProgressChange>> ReevaluateAsync(ActorScope scope, Guid learnerId, CancellationToken ct, Guid? assessmentId = null,
        IReadOnlyList<Guid>? viewedContentItems = null, Dictionary<Guid, (Guid EnrollmentId, string StepKey)>? reached = null,
        IReadOnlyList<Npgsql.NpgsqlBatchCommand>? leading = null)
    {
        CombinedScore? score = null;
        var enrollments = new List<EnrollmentRow>();
        Dictionary<Guid, SkillMasterySnapshot> mastery;
        await using (var batch = new Npgsql.NpgsqlBatch(scope.Connection, scope.Transaction))
        {
            foreach (var command in leading ?? []) batch.BatchCommands.Add(command);
            batch.BatchCommands.Add(new Npgsql.NpgsqlBatchCommand(LockActive) { Parameters = { SqlParameters.Uuid(learnerId) } });
            // Most recordings are for learners on no path: then mastery is not read at all.
            batch.BatchCommands.Add(new Npgsql.NpgsqlBatchCommand(
                EnrollmentSql.MasteryOfLearner + " AND EXISTS (SELECT 1 FROM hephaestus.enrollments WHERE learner_id = $1 AND status = 'active')")
            {
                Parameters = { SqlParameters.Uuid(learnerId) },
            });
            // After the reads, so their results stay in place; the progress writes come in later round trips.
            batch.BatchCommands.Add(ActorSession.MarkLearnerRecord());
            if (assessmentId is { } assessment) batch.BatchCommands.Add(AttemptScores.Command(learnerId, assessment));
            await using var reader = await batch.ExecuteReaderAsync(ct);
            // The leading writes return no rows; depending on the driver version each shows up as an empty result or not at all.
            while (reader.FieldCount == 0) await reader.NextResultAsync(ct);
            while (await reader.ReadAsync(ct)) enrollments.Add(EnrollmentSql.ReadEnrollment(reader));
            await reader.NextResultAsync(ct);
            mastery = await EnrollmentSql.ReadMasteryAsync(reader, ct);
            if (assessmentId is not null && await reader.NextResultAsync(ct)) score = (await AttemptScores.ReadAsync(reader, ct)).SingleOrDefault();
        }

        if (enrollments.Count == 0) return [];

        var changes = new List<EnrollmentProgressChange>();
        var commands = new List<Npgsql.NpgsqlBatchCommand>();
        var completed = new List<Guid>();
        var now = DateTimeOffset.UtcNow;
        foreach (var enrollment in enrollments)
        {
            var version = await plans.GetAsync(scope, enrollment.VersionId, ct)
                ?? throw new InvalidOperationException($"enrollment {enrollment.Id} is on version {enrollment.VersionId}, which does not exist");
            var state = EnrollmentSql.State(enrollment, version, mastery);
            var transitions = new List<StepTransition>();
            var cause = score is null ? null : RecordScore(state, score, transitions);
            transitions.AddRange(StepProgress.Evaluate(state.Plan, state.Learner));
            foreach (var item in viewedContentItems ?? [])
            {
                if (!CompleteViewed(state, item, transitions, reached)) continue;
                transitions.AddRange(StepProgress.Evaluate(state.Plan, state.Learner));
            }

            var (status, scores, notes, changed) = state.Stored(now, cause);
            if (changed) commands.Add(EnrollmentSql.WriteProgress(learnerId, enrollment.Id, status, scores, notes));
            var allDone = StepProgress.AllDone(state.Plan, state.Learner);
            if (allDone) completed.Add(enrollment.Id);
            if (transitions.Count > 0 || allDone) changes.Add(new EnrollmentProgressChange(enrollment.Id, Collapse(transitions), allDone));
        }

        if (completed.Count > 0) commands.Add(EnrollmentSql.SetCompletion(learnerId, [.. completed], []));
        await scope.ExecuteAsync(commands, ct);
        return changes;
    }

    /// <summary>
    /// The combined score goes on every step that is this assessment; taking it completes the step (score ranges then
    /// route). A completed (or skipped) step stays so whatever the score does next: completion is final (StepProgress),
    /// and a score that moves on a done step is noted with its reason (policy, attempts, new score) in step_notes,
    /// shown with the step. Returns that reason, the cause of whatever the re-evaluation then opens or locks again, or
    /// null when no step of this enrollment is the assessment.
    /// </summary>
    static string? RecordScore(EnrollmentState state, CombinedScore score, List<StepTransition> transitions)
    {
        var value = Math.Round(score.Score, 5);
        string? cause = null;
        foreach (var step in state.Plan.Steps.Where(s => s.Kind == StepKind.Assessment && s.RefId == score.AssessmentId))
        {
            var reason = string.Create(CultureInfo.InvariantCulture,
                $"score on step {step.Key} is {value:0.###} ({score.Policy.ToWireName()} of {score.Attempts} attempt{(score.Attempts == 1 ? "" : "s")})");
            cause = cause is null ? reason : cause + "; " + reason;
            var current = state.Learner.StateOf(step.Key);
            var next = current.Status.IsDone()
                ? current with { Score = value, Reason = current.Score == value ? current.Reason : reason }
                : current with { Status = StepStatus.Completed, Reason = "assessment submitted", Score = value };
            state.Learner.Set(step.Key, next);
            if (next.Status != current.Status) transitions.Add(new StepTransition(step.Key, current.Status, next.Status, next.Reason));
        }

        return cause;
    }

    /// <summary>Completes this enrollment's open content steps on the item; true when one changed.</summary>
    static bool CompleteViewed(EnrollmentState state, Guid contentItemId, List<StepTransition> transitions, Dictionary<Guid, (Guid EnrollmentId, string StepKey)>? reached)
    {
        var changed = false;
        foreach (var step in state.Plan.Steps.Where(s => s.Kind == StepKind.Content && s.RefId == contentItemId))
        {
            reached?.TryAdd(contentItemId, (state.Enrollment.Id, step.Key));
            var current = state.Learner.StateOf(step.Key);
            if (current.Status is not (StepStatus.Available or StepStatus.InProgress)) continue;
            var next = current with { Status = StepStatus.Completed, Reason = "content viewed" };
            state.Learner.Set(step.Key, next);
            transitions.Add(new StepTransition(step.Key, current.Status, next.Status, next.Reason));
            changed = true;
        }

        return changed;
    }

    /// <summary>One transition per step: from where it started to where it ended.</summary>
    static List<StepTransition> Collapse(List<StepTransition> transitions) =>
        [.. transitions.GroupBy(t => t.Key, StringComparer.Ordinal)
            .Select(g => new StepTransition(g.Key, g.First().From, g.Last().To, g.Last().Reason))
            .Where(t => t.From != t.To || t.Reason is not null)];
}
