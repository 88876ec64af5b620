namespace Hephaestus.Data.Assessments;

/// <summary>
/// The responses stored for the user's idempotent submissions: the body sent back the first time is the result as the
/// user saw it, so it is theirs. The body is text (the exact bytes, for replays); it was written as JSON by the
/// submission, so the export embeds it as JSON (json, not jsonb: keys stay in the order sent).
/// </summary>
public sealed class IdempotencyRecordsSection() : JsonSection("idempotencyRecords", """
    SELECT coalesce(json_agg(json_build_object('key', k.key, 'scope', k.scope, 'requestHash', encode(k.request_hash, 'hex'),
        'responseStatus', k.response_status, 'responseBody', k.response_body::json, 'createdAt', k.created_at) ORDER BY k.created_at, k.key), '[]')
    FROM hephaestus.idempotency_keys k WHERE k.learner_id = $1
    """);

/// <summary>
/// The item versions the user wrote (without their definitions, which are the catalog's, not personal data). Read through
/// item_versions_by, which returns only the acting user's own (any user's to an admin).
/// </summary>
public sealed class ItemVersionsCreatedSection() : JsonSection("itemVersionsCreated", """
    SELECT coalesce(json_agg(json_build_object('id', v.id, 'itemId', v.item_id, 'version', v.version, 'type', v.type, 'createdAt', v.created_at)
        ORDER BY v.created_at, v.id), '[]')
    FROM hephaestus.item_versions_by($1) v
    """);
