using System.Text.Json;
using Hephaestus.Domain;
using Hephaestus.Domain.Assessments;
using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Assessments;

/// <summary>
/// An edit: each non-null field replaces what is stored (an empty description clears it; a schedule replaces all three
/// dates, so a null inside it clears that bound).
/// </summary>
public sealed record AssessmentChange(string? Title = null, string? Description = null, IReadOnlyList<AssessmentPart>? Parts = null,
    AssessmentSettings? Settings = null, AssessmentSchedule? Schedule = null);

public enum AssessmentEditOutcome
{
    Written,
    NotFound,

    /// <summary>No If-Match was sent.</summary>
    PreconditionRequired,

    /// <summary>The row changed since it was read; <see cref="AssessmentEdit.CurrentRowVersion"/> is its version now.</summary>
    PreconditionFailed,

    /// <summary>A retired assessment is not edited.</summary>
    Retired,

    /// <summary>A part refers to nothing; <see cref="AssessmentEdit.Errors"/> names each.</summary>
    InvalidParts,
}

/// <param name="NewVersion">The edit changed settings or parts that attempts had taken, so it made the next version.</param>
public sealed record AssessmentEdit(AssessmentEditOutcome Outcome, Assessment? Assessment = null, uint? CurrentRowVersion = null,
    IReadOnlyList<ValidationError>? Errors = null, bool NewVersion = false);

public static partial class AssessmentStore
{
    /// <summary>
    /// Edits an assessment under If-Match. Title, description and schedule change in place. Settings and parts are the
    /// version's: while no attempt took the current version they change in place too; once one has, the edit makes the
    /// next version, new attempts take it, and attempts on the old one are still answered, submitted and scored by it.
    /// </summary>
    public static async Task<AssessmentEdit> UpdateAsync(NpgsqlDataSource db, Actor actor, Guid id, AssessmentChange change, uint? expected, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(change);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var (current, refusal) = await LockForEditAsync(scope, id, expected, ct);
        if (current is null) return refusal!;
        if (current.Status == AssessmentStatus.Retired) return new AssessmentEdit(AssessmentEditOutcome.Retired, current);
        if (change.Parts is { } parts)
        {
            var errors = await CheckPartsAsync(scope, parts, ct);
            if (errors.Count > 0) return new AssessmentEdit(AssessmentEditOutcome.InvalidParts, Errors: errors);
        }

        var settings = change.Settings ?? current.Settings;
        var newParts = change.Parts ?? current.Parts;
        var versionChanges = settings != current.Settings || !newParts.SequenceEqual(current.Parts);
        var version = current.Version;
        var commands = new List<NpgsqlBatchCommand>();
        var newVersion = false;
        if (versionChanges)
        {
            await using (var attempted = scope.Command("SELECT hephaestus.assessment_version_attempted($1, $2)"))
            {
                attempted.Parameters.Add(Uuid(id));
                attempted.Parameters.Add(Int(version));
                newVersion = (bool)(await attempted.ExecuteScalarAsync(ct))!;
            }

            if (newVersion)
            {
                version++;
                commands.AddRange(WriteVersion(id, version, settings, newParts, actor));
            }
            else
            {
                commands.Add(new NpgsqlBatchCommand("UPDATE hephaestus.assessment_versions SET settings = $3 WHERE assessment_id = $1 AND version = $2")
                {
                    Parameters = { Uuid(id), Int(version), JsonbOf(settings, JsonSerializerOptions.Web) },
                });
                commands.Add(new NpgsqlBatchCommand("DELETE FROM hephaestus.assessment_parts WHERE assessment_id = $1 AND version = $2")
                {
                    Parameters = { Uuid(id), Int(version) },
                });
                commands.Add(WriteParts(id, version, newParts));
            }
        }

        var schedule = change.Schedule ?? current.Schedule;
        // Always written, so that the row's xmin (the ETag) moves with every edit, parts included.
        commands.Add(new NpgsqlBatchCommand("""
            UPDATE hephaestus.assessments
            SET title = $2, description = $3, settings = $4, version = $5, available_from = $6, available_until = $7, due_at = $8, updated_at = now()
            WHERE id = $1
            """)
        {
            Parameters =
            {
                Uuid(id), Text(change.Title ?? current.Title), Text(change.Description is { } d ? (d.Length == 0 ? null : d) : current.Description),
                JsonbOf(settings, JsonSerializerOptions.Web), Int(version), NullableTime(schedule.AvailableFrom), NullableTime(schedule.AvailableUntil),
                NullableTime(schedule.DueAt),
            },
        });
        await scope.ExecuteAsync(commands, ct);
        var written = await ReadAsync(scope, id, ct);
        await scope.CommitAsync(ct);
        return new AssessmentEdit(AssessmentEditOutcome.Written, written, NewVersion: newVersion);
    }

    /// <summary>
    /// Retires an assessment: no new attempts (as Moodle's closed quiz and Canvas's locked assignment). Attempts already
    /// open can still be answered until their deadline and submitted, so no learner's work is lost; results stay. Retiring
    /// again changes nothing. If-Match is honoured when sent.
    /// </summary>
    public static async Task<AssessmentEdit> RetireAsync(NpgsqlDataSource db, Actor actor, Guid id, uint? expected, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var (current, refusal) = await LockForEditAsync(scope, id, expected, ct, ifMatchRequired: false);
        if (current is null) return refusal!;
        if (current.Status == AssessmentStatus.Retired) return new AssessmentEdit(AssessmentEditOutcome.Written, current);
        await using (var retire = scope.Command("UPDATE hephaestus.assessments SET status = 'retired', retired_at = now(), updated_at = now() WHERE id = $1"))
        {
            retire.Parameters.Add(Uuid(id));
            await retire.ExecuteNonQueryAsync(ct);
        }

        var written = await ReadAsync(scope, id, ct);
        await scope.CommitAsync(ct);
        return new AssessmentEdit(AssessmentEditOutcome.Written, written);
    }

    /// <summary>Waits for starts in flight, locks the row and checks If-Match; the assessment, or the refusal.</summary>
    static async Task<(Assessment? Current, AssessmentEdit? Refusal)> LockForEditAsync(ActorScope scope, Guid id, uint? expected, CancellationToken ct,
        bool ifMatchRequired = true)
    {
        await using (var serialize = scope.Command(LockForEdit))
        {
            serialize.Parameters.Add(Uuid(id));
            await serialize.ExecuteNonQueryAsync(ct);
        }

        var current = await ReadAsync(scope, id, ct, forUpdate: true);
        if (current is null) return (null, new AssessmentEdit(AssessmentEditOutcome.NotFound));
        if (expected is null && ifMatchRequired) return (null, new AssessmentEdit(AssessmentEditOutcome.PreconditionRequired));
        if (expected is { } etag && etag != current.RowVersion)
        {
            return (null, new AssessmentEdit(AssessmentEditOutcome.PreconditionFailed, CurrentRowVersion: current.RowVersion));
        }

        return (current, null);
    }
}
