namespace Hephaestus.Data.Events;

/// <summary>The user's learning events (native and xAPI) in their personal data export, oldest first.</summary>
public sealed class EventsSection() : JsonSection("events", """
    SELECT coalesce(json_agg(json_build_object('id', e.id, 'occurredAt', e.occurred_at, 'storedAt', e.stored_at, 'source', e.source,
        'clientEventId', e.client_event_id, 'verb', e.verb, 'object', json_build_object('type', e.object_type, 'id', e.object_id),
        'result', e.result, 'context', e.context) ORDER BY e.occurred_at, e.id), '[]')
    FROM hephaestus.learning_events e WHERE e.learner_id = $1
    """);
