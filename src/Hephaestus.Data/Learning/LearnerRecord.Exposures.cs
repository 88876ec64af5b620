using Npgsql;

namespace Hephaestus.Data.Learning;

/// <summary>What a learner was shown: content exposures, which the mastery analytics join to the mastery changes after them.</summary>
public sealed partial class LearnerRecord
{
    /// <summary>Deliveries of the same version to the same learner within this window are one exposure (reloads, range requests).</summary>
    public static readonly TimeSpan ExposureWindow = TimeSpan.FromMinutes(10);

    const string InsertExposure = """
        INSERT INTO hephaestus.content_exposures (learner_id, id, content_version_id, enrollment_id, step_key)
        SELECT $1, $2, $3, $4, $5
        WHERE NOT EXISTS (
            SELECT 1 FROM hephaestus.content_exposures x
            WHERE x.learner_id = $1 AND x.content_version_id = $3 AND x.shown_at > now() - $6::interval)
        """;

    /// <summary>
    /// Records that the learner was shown a content version (through an enrollment's step when known), unless an
    /// exposure to the same version was recorded within <see cref="ExposureWindow"/>. True when a row was written.
    /// </summary>
    public async Task<bool> RecordExposureAsync(NpgsqlDataSource db, Actor actor, Guid learnerId, Guid contentVersionId, Guid? enrollmentId, string? stepKey,
        CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginLearnerRecordAsync(db, actor, ct);
        await using var insert = scope.Command(InsertExposure);
        insert.Parameters.Add(SqlParameters.Uuid(learnerId));
        insert.Parameters.Add(SqlParameters.Uuid(Guid.CreateVersion7()));
        insert.Parameters.Add(SqlParameters.Uuid(contentVersionId));
        insert.Parameters.Add(SqlParameters.NullableUuid(enrollmentId));
        insert.Parameters.Add(SqlParameters.Text(stepKey));
        insert.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = ExposureWindow });
        var written = await insert.ExecuteNonQueryAsync(ct) == 1;
        await scope.CommitAsync(ct);
        return written;
    }
}

/// <summary>The content versions a learner was shown, in the personal data export.</summary>
public sealed class ContentExposuresSection() : JsonSection("contentExposures", """
    SELECT coalesce(json_agg(json_build_object('id', x.id, 'contentVersionId', x.content_version_id, 'enrollmentId', x.enrollment_id,
        'stepKey', x.step_key, 'shownAt', x.shown_at) ORDER BY x.shown_at, x.id), '[]')
    FROM hephaestus.content_exposures x WHERE x.learner_id = $1
    """);
