using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Content;

/// <summary>The published version of an item as a learner reaches it: through a step of a path version they are enrolled in.</summary>
public sealed record DeliveredContent(ContentVersion Version, Guid? EnrollmentId, string? StepKey);

/// <summary>
/// What learners may read: only the published version, and only of items on the path versions they are enrolled in or
/// in a step an educator inserted for them.
/// </summary>
public static class ContentDelivery
{
    /// <summary>
    /// The learner's (active or completed, not withdrawn) enrollment whose path version, or whose educator-inserted
    /// steps, have a content step on the item, active ones first: the enrollment and step an exposure is recorded
    /// against. Row-level security shows a learner only their own enrollments.
    /// </summary>
    const string PublishedForLearner = """
        SELECT {0}, reach.id, reach.step_key
        FROM hephaestus.content_versions v JOIN hephaestus.content_bodies b ON b.sha256 = v.body_sha256
        JOIN LATERAL (
            SELECT reached.id, reached.step_key FROM (
                SELECT e.id, s.step_key, e.status, e.enrolled_at, s.position
                FROM hephaestus.path_steps s
                JOIN hephaestus.enrollments e ON e.path_version_id = s.path_version_id AND e.learner_id = $2 AND e.status <> 'withdrawn'
                WHERE s.content_item_id = $1
                UNION ALL
                -- A content step an educator inserted for this learner (remediation) reaches its item too; refId is text
                -- there (no foreign key), compared as the item id's canonical spelling.
                SELECT e.id, i.step ->> 'key', e.status, e.enrolled_at, 32767
                FROM hephaestus.enrollments e, jsonb_array_elements(e.inserted_steps) AS i (step)
                WHERE e.learner_id = $2 AND e.status <> 'withdrawn' AND i.step ->> 'kind' = 'content' AND lower(i.step ->> 'refId') = $1::text
            ) reached
            ORDER BY (reached.status = 'active') DESC, reached.enrolled_at DESC, reached.position
            LIMIT 1) reach ON true
        WHERE v.content_item_id = $1 AND v.status = 'published'
        """;

    const string PublishedForStaff = """
        SELECT {0}, NULL::uuid, NULL::text
        FROM hephaestus.content_versions v JOIN hephaestus.content_bodies b ON b.sha256 = v.body_sha256
        WHERE v.content_item_id = $1 AND v.status = 'published' AND $2::uuid IS NOT NULL
        """;

    /// <summary>
    /// The item's published version for the actor: a learner gets it only through one of their enrollments (null
    /// otherwise: a 404, the same as an item that does not exist); staff (<paramref name="staff"/>) get it regardless.
    /// </summary>
    public static async Task<DeliveredContent?> PublishedAsync(NpgsqlDataSource db, Actor actor, Guid itemId, bool staff, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using var command = scope.Command(string.Format(System.Globalization.CultureInfo.InvariantCulture, staff ? PublishedForStaff : PublishedForLearner,
            ContentStore.VersionColumns));
        command.Parameters.Add(Uuid(itemId));
        command.Parameters.Add(Uuid(actor.UserId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new DeliveredContent(ContentStore.ReadVersion(reader), reader.GetNullableGuid(ContentStore.VersionColumnCount),
            reader.GetNullableString(ContentStore.VersionColumnCount + 1));
    }
}
