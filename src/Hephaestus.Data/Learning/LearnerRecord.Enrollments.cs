using Hephaestus.Domain.Paths;
using Npgsql;

namespace Hephaestus.Data.Learning;

/// <summary>Loading one enrollment (its progress is on the row) and the learner's mastery: one round trip (plus the plan, from memory).</summary>
public sealed partial class LearnerRecord
{
    static string EnrollmentById(bool forUpdate, bool withNotes) =>
        $"SELECT {(withNotes ? EnrollmentSql.EnrollmentColumnsWithNotes : EnrollmentSql.EnrollmentColumns)} FROM hephaestus.enrollments WHERE learner_id = $1 AND id = $2"
        + (forUpdate ? " FOR UPDATE" : "");

    /// <param name="forUpdate">Lock the enrollment row: every write to a learner's progress takes it first (see <see cref="LearnerRecord"/>).</param>
    internal async Task<EnrollmentState?> LoadEnrollmentAsync(ActorScope scope, Guid learnerId, Guid enrollmentId, bool forUpdate, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(scope.Connection, scope.Transaction);
        AddReads(batch, learnerId, enrollmentId, forUpdate, withNotes: true);
        return await ReadAsync(batch, scope.Connection, scope.Transaction, scope.Actor, false, ct);
    }

    /// <summary>
    /// A read without a transaction of its own: the actor travels in the same batch, so it is one round trip.
    /// <paramref name="withNotes"/>: also the reasons and times of past changes (the full view; `next` does without).
    /// </summary>
    public async Task<EnrollmentState?> ReadEnrollmentOnceAsync(NpgsqlDataSource db, Actor actor, Guid learnerId, Guid enrollmentId, bool withNotes, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { ActorSession.BatchCommand(actor) } };
        AddReads(batch, learnerId, enrollmentId, false, withNotes);
        return await ReadAsync(batch, connection, null, actor, true, ct);
    }

    /// <summary>Every enrollment of a learner, oldest first; null when the learner does not exist for the actor.</summary>
    public async Task<List<EnrollmentState>?> ListEnrollmentsAsync(NpgsqlDataSource db, Actor actor, Guid learnerId, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        if (!await LearnerVisibility.IsVisibleAsync(scope, learnerId, ct)) return null;
        var states = await LoadEnrollmentsAsync(scope, learnerId, ct);
        await scope.CommitAsync(ct);
        return states;
    }

    /// <summary>Every enrollment of a learner with the learner's mastery: one round trip, not one per enrollment.</summary>
    internal async Task<List<EnrollmentState>> LoadEnrollmentsAsync(ActorScope scope, Guid learnerId, CancellationToken ct)
    {
        var enrollments = new List<EnrollmentRow>();
        Dictionary<Guid, SkillMasterySnapshot> mastery;
        await using (var batch = new NpgsqlBatch(scope.Connection, scope.Transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand($"SELECT {EnrollmentSql.EnrollmentColumnsWithNotes} FROM hephaestus.enrollments WHERE learner_id = $1 ORDER BY enrolled_at, id")
                {
                    Parameters = { SqlParameters.Uuid(learnerId) },
                },
                new NpgsqlBatchCommand(EnrollmentSql.MasteryOfLearner) { Parameters = { SqlParameters.Uuid(learnerId) } },
            },
        })
        {
            await using var reader = await batch.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) enrollments.Add(EnrollmentSql.ReadEnrollment(reader));
            await reader.NextResultAsync(ct);
            mastery = await EnrollmentSql.ReadMasteryAsync(reader, ct);
        }

        var states = new List<EnrollmentState>(enrollments.Count);
        foreach (var enrollment in enrollments)
        {
            var version = await plans.GetAsync(scope, enrollment.VersionId, ct)
                ?? throw new InvalidOperationException($"enrollment {enrollment.Id} is on version {enrollment.VersionId}, which does not exist");
            states.Add(EnrollmentSql.State(enrollment, version, mastery));
        }

        return states;
    }

    static void AddReads(NpgsqlBatch batch, Guid learnerId, Guid enrollmentId, bool forUpdate, bool withNotes)
    {
        batch.BatchCommands.Add(new NpgsqlBatchCommand(EnrollmentById(forUpdate, withNotes)) { Parameters = { SqlParameters.Uuid(learnerId), SqlParameters.Uuid(enrollmentId) } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand(EnrollmentSql.MasteryOfLearner) { Parameters = { SqlParameters.Uuid(learnerId) } });
    }

    async Task<EnrollmentState?> ReadAsync(NpgsqlBatch batch, NpgsqlConnection connection, NpgsqlTransaction? transaction, Actor actor, bool skipActorResult, CancellationToken ct)
    {
        EnrollmentRow? enrollment = null;
        Dictionary<Guid, SkillMasterySnapshot> mastery;
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            if (skipActorResult) await reader.NextResultAsync(ct);
            if (await reader.ReadAsync(ct)) enrollment = EnrollmentSql.ReadEnrollment(reader);
            await reader.NextResultAsync(ct);
            mastery = await EnrollmentSql.ReadMasteryAsync(reader, ct);
        }

        if (enrollment is null) return null;
        var version = await plans.GetAsync(connection, transaction, actor, enrollment.VersionId, ct)
            ?? throw new InvalidOperationException($"enrollment {enrollment.Id} is on version {enrollment.VersionId}, which does not exist");
        return EnrollmentSql.State(enrollment, version, mastery);
    }
}
