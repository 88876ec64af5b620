using Hephaestus.Domain.Paths;
using Npgsql;

namespace Hephaestus.Data.Learning;

/// <summary>One learner's enrollment in a path, as a roster line: who, which version, where they stand.</summary>
public sealed record PathEnrollmentRow(Guid EnrollmentId, Guid LearnerId, string DisplayName, Guid PathVersionId, int Version, EnrollmentStatus Status,
    int Done, int Total, DateTimeOffset EnrolledAt, DateTimeOffset? CompletedAt);

/// <summary>The optional filters of a path's enrollments; null means "any". <see cref="After"/> is the keyset cursor.</summary>
public sealed record PathEnrollmentFilter(Guid? After, EnrollmentStatus? Status, Guid? CohortId);

/// <summary>
/// The enrollments of one path, keyset-paged in enrollment order (UUIDv7 ids), for educators and admins. Row-level security
/// limits an educator to the learners of their cohorts; the cohort filter narrows to one cohort's learners.
/// </summary>
public static class PathEnrollments
{
    const string PathExists = "SELECT EXISTS (SELECT 1 FROM hephaestus.learning_paths WHERE id = $1)";

    // Served by ix_enrollments_path (path_id, id); done and total come from the progress array on the row itself.
    const string Listing = """
        SELECT e.id, e.learner_id, u.display_name, e.path_version_id, v.version, e.status,
               (SELECT count(*) FROM unnest(e.step_status) s WHERE s IN (3, 4))::int, cardinality(e.step_status), e.enrolled_at, e.completed_at
        FROM hephaestus.enrollments e
        JOIN hephaestus.users u ON u.id = e.learner_id
        JOIN hephaestus.path_versions v ON v.id = e.path_version_id
        WHERE e.path_id = $1 AND ($2::uuid IS NULL OR e.id > $2) AND ($3::text IS NULL OR e.status = $3)
          AND ($4::uuid IS NULL OR EXISTS (
                SELECT 1 FROM hephaestus.cohort_members m WHERE m.cohort_id = $4 AND m.user_id = e.learner_id AND m.member_role = 'learner'))
        ORDER BY e.id
        LIMIT $5
        """;

    /// <summary>Null when no such path exists.</summary>
    public static async Task<Page<PathEnrollmentRow>?> ListAsync(NpgsqlDataSource db, Actor actor, Guid pathId, PathEnrollmentFilter filter, int size, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using (var exists = scope.Command(PathExists))
        {
            exists.Parameters.Add(SqlParameters.Uuid(pathId));
            if (await exists.ExecuteScalarAsync(ct) is not true) return null;
        }

        var rows = new List<PathEnrollmentRow>(Math.Min(size, 64));
        await using (var command = scope.Command(Listing))
        {
            command.Parameters.Add(SqlParameters.Uuid(pathId));
            command.Parameters.Add(SqlParameters.NullableUuid(filter.After));
            command.Parameters.Add(SqlParameters.Text(filter.Status?.ToWireName()));
            command.Parameters.Add(SqlParameters.NullableUuid(filter.CohortId));
            command.Parameters.Add(SqlParameters.Int(Paging.Fetch(size)));
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                rows.Add(new PathEnrollmentRow(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetGuid(3), reader.GetInt32(4),
                    EnrollmentNames.ParseStatus(reader.GetString(5)), reader.GetInt32(6), reader.GetInt32(7), reader.GetTime(8), reader.GetNullableTime(9)));
            }
        }

        await scope.CommitAsync(ct);
        return Paging.TrimById(rows, size, r => r.EnrollmentId);
    }
}
