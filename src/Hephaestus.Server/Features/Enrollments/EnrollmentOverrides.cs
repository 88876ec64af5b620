using System.Text.Json;
using Hephaestus.Data;
using Hephaestus.Data.Learning;
using Hephaestus.Domain.Paths;
using Hephaestus.Server.Api;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Enrollments;

/// <summary>
/// What an educator may change for one learner, each change written together with its audit row (who, when, why) in
/// the same transaction: the audit cannot miss a change, and a refused change leaves no audit row.
/// </summary>
internal static class EnrollmentOverrides
{
    static readonly string[] Kinds = ["skip", "unskip", "insert", "goal", "pace"];

    public static Validation Shape(OverrideRequest request)
    {
        var v = new Validation().Text("reason", request.Reason, 1, 2000);
        if (request.Kind is null || !Kinds.Contains(request.Kind, StringComparer.Ordinal))
        {
            v.Add("kind", "must be one of: " + string.Join(", ", Kinds));
            return v;
        }

        switch (request.Kind)
        {
            case "skip" or "unskip":
                if (request.StepKey is null) v.Add("stepKey", "is required");
                break;
            case "insert":
                if (request.Step is not { } step)
                {
                    v.Add("step", "is required");
                    break;
                }

                v.Text("step.key", step.Key, 1, 64).Text("step.title", step.Title, 1, 200).Text("step.kind", step.Kind, 1, 20);
                if (step.Key is not null && !StepKey.Shape().IsMatch(step.Key)) v.Add("step.key", "must be lower-case letters, digits, '_' or '-'");
                if (step.Kind is not null && step.Kind is not ("skill" or "content" or "assessment")) v.Add("step.kind", "must be skill, content or assessment");
                if (step.RefId == Guid.Empty) v.Add("step.refId", "is required");
                break;
            case "goal":
                if (request.Goal is null && request.TargetDate is null) v.Add("goal", "give a goal, a targetDate or both");
                v.Text("goal", request.Goal, 1, 500, required: false);
                break;
            case "pace":
                if (request.PaceMinutesPerWeek is not (> 0 and <= 10080)) v.Add("paceMinutesPerWeek", "must be between 1 and 10080 (a week of minutes)");
                break;
        }

        return v;
    }

    /// <summary>Applies the override and its audit row; returns a problem (and writes nothing) when it cannot apply.</summary>
    public static async Task<Refusal?> ApplyAsync(ActorScope scope, EnrollmentState state, OverrideRequest request, CancellationToken ct)
    {
        var learnerId = state.Enrollment.LearnerId;
        var enrollmentId = state.Enrollment.Id;
        var commands = new List<NpgsqlBatchCommand>();
        string payload;
        string? stepKey = request.StepKey;

        switch (request.Kind)
        {
            case "skip":
            {
                if (!state.Plan.Contains(stepKey!)) return UnknownStep(stepKey!);
                var current = state.Learner.StateOf(stepKey!);
                if (current.Status.IsDone()) return Problems.Conflict($"Step '{stepKey}' is already {current.Status.ToWireName()}.");
                commands.Add(EnrollmentSql.WriteStep(state, stepKey!, current with { Status = StepStatus.Skipped, Reason = "skipped by an educator: " + request.Reason }));
                payload = JsonSerializer.Serialize(new { from = current.Status.ToWireName() });
                break;
            }

            case "unskip":
            {
                if (!state.Plan.Contains(stepKey!)) return UnknownStep(stepKey!);
                var current = state.Learner.StateOf(stepKey!);
                if (current.Status != StepStatus.Skipped) return Problems.Conflict($"Step '{stepKey}' is {current.Status.ToWireName()}, not skipped.");
                // Locked for now: the re-evaluation that follows opens it if its conditions hold.
                commands.Add(EnrollmentSql.WriteStep(state, stepKey!, current with { Status = StepStatus.Locked, Reason = "un-skipped by an educator: " + request.Reason }));
                commands.Add(EnrollmentSql.SetCompletion(learnerId, [], [enrollmentId]));
                payload = JsonSerializer.Serialize(new { previousReason = current.Reason });
                break;
            }

            case "insert":
            {
                var step = request.Step!;
                stepKey = step.Key;
                var v = new Validation();
                if (state.Plan.Contains(step.Key)) v.Add("step.key", $"this enrollment already has a step '{step.Key}'");
                if (step.AfterStep is { } after && !state.Plan.Contains(after)) v.Add("step.afterStep", $"no step has the key '{after}'");
                var targets = step.TargetSkillIds ?? (step.Kind == "skill" ? [step.RefId] : []);
                await CheckSkillsAsync(scope, targets, step.TargetSkillIds is null ? "step.refId" : "step.targetSkillIds", v, ct);
                if (!v.IsValid) return v.ToProblem();
                var inserted = new InsertedStep(step.Key, step.Kind, step.RefId, step.Title, step.AfterStep, targets.Distinct().ToArray(), DateTimeOffset.UtcNow);
                // The definition joins the learner's inserts and its state the end of the arrays, locked: the re-evaluation
                // that follows opens it.
                commands.Add(new NpgsqlBatchCommand("""
                    UPDATE hephaestus.enrollments
                    SET inserted_steps = inserted_steps || jsonb_build_array($3::jsonb),
                        step_status = step_status || 0::smallint, step_scores = step_scores || NULL::real, updated_at = now()
                    WHERE learner_id = $1 AND id = $2
                    """)
                {
                    Parameters = { SqlParameters.Uuid(learnerId), SqlParameters.Uuid(enrollmentId), new NpgsqlParameter<string> { TypedValue = EnrollmentSql.ToJson(inserted) } },
                });
                commands.Add(EnrollmentSql.SetCompletion(learnerId, [], [enrollmentId]));
                payload = EnrollmentSql.ToJson(inserted);
                break;
            }

            case "goal":
                commands.Add(new NpgsqlBatchCommand("""
                    UPDATE hephaestus.enrollments SET goal = coalesce($3, goal), target_date = coalesce($4, target_date), updated_at = now()
                    WHERE learner_id = $1 AND id = $2
                    """)
                {
                    Parameters =
                    {
                        SqlParameters.Uuid(learnerId), SqlParameters.Uuid(enrollmentId), SqlParameters.Text(request.Goal),
                        new NpgsqlParameter { Value = request.TargetDate is { } d ? d : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Date },
                    },
                });
                payload = JsonSerializer.Serialize(new { goal = request.Goal, targetDate = request.TargetDate, previousGoal = state.Enrollment.Goal, previousTargetDate = state.Enrollment.TargetDate });
                break;

            case "pace":
                commands.Add(new NpgsqlBatchCommand("UPDATE hephaestus.enrollments SET pace_minutes_per_week = $3, updated_at = now() WHERE learner_id = $1 AND id = $2")
                {
                    Parameters = { SqlParameters.Uuid(learnerId), SqlParameters.Uuid(enrollmentId), new NpgsqlParameter<int> { TypedValue = request.PaceMinutesPerWeek!.Value } },
                });
                payload = JsonSerializer.Serialize(new { paceMinutesPerWeek = request.PaceMinutesPerWeek, previous = state.Enrollment.PaceMinutesPerWeek });
                break;

            default:
                throw new InvalidOperationException("validated above");
        }

        commands.Add(EnrollmentSql.Audit(learnerId, enrollmentId, request.Kind, stepKey, payload, request.Reason, scope.Actor.UserId));
        await EnrollmentSql.ExecuteAsync(scope, commands, ct);
        return null;
    }

    static async Task CheckSkillsAsync(ActorScope scope, Guid[] skills, string field, Validation v, CancellationToken ct)
    {
        if (skills.Length == 0) return;
        await using var command = scope.Command("SELECT array_agg(s) FROM unnest($1::uuid[]) s WHERE NOT EXISTS (SELECT 1 FROM hephaestus.skills k WHERE k.id = s)");
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = skills });
        if (await command.ExecuteScalarAsync(ct) is Guid[] { Length: > 0 } unknown) v.Add(field, "no skill with id " + string.Join(", ", unknown));
    }

    static Refusal UnknownStep(string key) => new(TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity,
        title: "Unknown step", detail: $"This enrollment has no step '{key}'.", extensions: new Dictionary<string, object?> { ["field"] = "stepKey" }), null);
}

/// <summary>Why an override was not applied: a conflict with the current state, or invalid fields.</summary>
internal sealed record Refusal(ProblemHttpResult? Problem, ValidationProblem? Invalid)
{
    public static implicit operator Refusal(ProblemHttpResult problem) => new(problem, null);

    public static implicit operator Refusal(ValidationProblem invalid) => new(null, invalid);
}
