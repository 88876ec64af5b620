using Npgsql;

namespace Hephaestus.Data.Learning;

/// <summary>A content version a learner viewed, as a content-viewed event says: the event, when, the version and its item.</summary>
public sealed record ContentView(Guid EventId, DateTimeOffset ViewedAt, Guid ContentVersionId, Guid ContentItemId);

/// <summary>What stored learning events do to a learner's state (Data/Events/EventEffects decides which events count).</summary>
public sealed partial class LearnerRecord
{
    // shown_at is when the event says the learner saw it; ON CONFLICT on the event makes a replayed event record nothing.
    const string InsertViewedExposures = """
        INSERT INTO hephaestus.content_exposures (learner_id, id, content_version_id, enrollment_id, step_key, shown_at, event_id)
        SELECT $1, u.* FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::timestamptz[], $7::uuid[]) AS u
        ON CONFLICT (learner_id, event_id) WHERE event_id IS NOT NULL DO NOTHING
        """;

    /// <summary>
    /// Records, in the caller's transaction (the door's insert of the events), the evidence and the content views of one
    /// learner's stored events: evidence (source <c>event</c>, each naming its event, so an event never counts twice on a
    /// skill) moves mastery; each view records an exposure (once per event) and completes the open content steps of the
    /// learner's active enrollments that point at the viewed version's item; progress is then re-evaluated once.
    /// Evidence and views are in the order the events occurred.
    /// </summary>
    public async Task<LearningChanges> RecordEventEffectsAsync(ActorScope scope, Guid learnerId, IReadOnlyList<NewEvidence> evidence,
        IReadOnlyList<ContentView> views, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var mastery = await MasteryRecorder.RecordAsync(scope, learnerId, evidence, ct);
        if (views.Count == 0) return new LearningChanges(mastery, await _progress.AfterMasteryChangeAsync(scope, learnerId, mastery, ct));

        var reached = new Dictionary<Guid, (Guid EnrollmentId, string StepKey)>();
        var progress = await _progress.ReevaluateAsync(scope, learnerId, ct, viewedContentItems: [.. views.Select(v => v.ContentItemId)], reached: reached);
        var insert = new NpgsqlBatchCommand(InsertViewedExposures)
        {
            Parameters =
            {
                SqlParameters.Uuid(learnerId),
                SqlParameters.Uuids([.. views.Select(_ => Guid.CreateVersion7())]),
                SqlParameters.Uuids([.. views.Select(v => v.ContentVersionId)]),
                SqlParameters.NullableUuids(views.Select(v => reached.TryGetValue(v.ContentItemId, out var r) ? r.EnrollmentId : (Guid?)null)),
                SqlParameters.TextArray([.. views.Select(v => reached.TryGetValue(v.ContentItemId, out var r) ? r.StepKey : null)]),
                new NpgsqlParameter<DateTimeOffset[]> { TypedValue = [.. views.Select(v => v.ViewedAt)] },
                SqlParameters.Uuids([.. views.Select(v => v.EventId)]),
            },
        };
        await scope.ExecuteAsync([ActorSession.MarkLearnerRecord(), insert], ct);
        return new LearningChanges(mastery, progress);
    }
}
