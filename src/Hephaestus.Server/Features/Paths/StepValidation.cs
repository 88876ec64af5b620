using Hephaestus.Data;
using Hephaestus.Server.Api;
using Npgsql;

namespace Hephaestus.Server.Features.Paths;

/// <summary>Validates a whole step list: first its shape (no database), then what it refers to (one round trip).</summary>
internal static class StepValidation
{
    public const int MaxSteps = 1000;
    static readonly string[] Kinds = ["skill", "content", "assessment"];

    /// <summary>A skill step targets its own skill; other steps target what the author lists.</summary>
    public static IEnumerable<Guid> Targets(StepDefinition step) =>
        step.Kind == "skill" ? [step.RefId] : (step.TargetSkillIds ?? []).Distinct();

    public static Validation Shape(PutStepsRequest request)
    {
        var v = new Validation();
        if (request.Steps is null)
        {
            return v.Add("steps", "is required");
        }

        if (request.Steps.Count > MaxSteps) v.Add("steps", $"must have at most {MaxSteps} steps");
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < request.Steps.Count; i++)
        {
            var step = request.Steps[i];
            var at = $"steps[{i}]";
            if (step.Key is null || !PathSql.StepKeyShape().IsMatch(step.Key)) v.Add($"{at}.key", "must be 1–64 of a-z, 0-9, '_' or '-', starting with a letter or digit");
            else if (!keys.Add(step.Key)) v.Add($"{at}.key", $"'{step.Key}' is used by an earlier step");
            if (!Kinds.Contains(step.Kind)) v.Add($"{at}.kind", "must be 'skill', 'content' or 'assessment'");
            v.Text($"{at}.title", step.Title, 1, 200);
            if (step.EstimatedMinutes is <= 0) v.Add($"{at}.estimatedMinutes", "must be positive");
            if (step.Kind == "skill" && step.TargetSkillIds is { Length: > 0 } targets && !targets.All(t => t == step.RefId))
            {
                v.Add($"{at}.targetSkillIds", "a skill step targets exactly its own skill (refId); leave this out");
            }

            if (step.UnlockRule is { } rule && rule.ValueKind != System.Text.Json.JsonValueKind.Object)
            {
                v.Add($"{at}.unlockRule", "must be a JSON object");
            }
        }

        for (var i = 0; i < request.Steps.Count; i++)
        {
            var step = request.Steps[i];
            foreach (var (prerequisite, j) in (step.Prerequisites ?? []).Select((p, j) => (p, j)))
            {
                if (!keys.Contains(prerequisite)) v.Add($"steps[{i}].prerequisites[{j}]", $"no step has the key '{prerequisite}'");
                else if (prerequisite == step.Key) v.Add($"steps[{i}].prerequisites[{j}]", "a step cannot be its own prerequisite");
            }
        }

        UnlockRules.CheckShape(request, v);
        return v;
    }

    /// <summary>Skills referred to (as step refs, targets, or in unlock rules) must exist, and level names must be on their scale.</summary>
    public static async Task ReferencesAsync(ActorScope scope, PutStepsRequest request, Validation v, CancellationToken ct)
    {
        var referenced = request.Steps.SelectMany(s => s.Kind == "skill" ? [s.RefId] : (s.TargetSkillIds ?? []))
            .Concat(UnlockRules.ReferencedSkills(request))
            .Distinct()
            .ToArray();
        var levels = new Dictionary<Guid, string[]>();
        await using (var command = scope.Command("""
            SELECT s.id, array_agg(l.name ORDER BY l.rank)
            FROM hephaestus.skills s
            JOIN hephaestus.competency_frameworks f ON f.id = s.framework_id
            JOIN hephaestus.mastery_levels l ON l.scale_id = f.scale_id
            WHERE s.id = ANY ($1)
            GROUP BY s.id
            """))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = referenced });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) levels[reader.GetGuid(0)] = reader.GetFieldValue<string[]>(1);
        }

        for (var i = 0; i < request.Steps.Count; i++)
        {
            var step = request.Steps[i];
            if (step.Kind == "skill" && !levels.ContainsKey(step.RefId)) v.Add($"steps[{i}].refId", $"no skill with id {step.RefId}");
            foreach (var (target, j) in (step.TargetSkillIds ?? []).Select((t, j) => (t, j)))
            {
                if (!levels.ContainsKey(target)) v.Add($"steps[{i}].targetSkillIds[{j}]", $"no skill with id {target}");
            }
        }

        UnlockRules.CheckReferences(request, levels, v);
    }
}
