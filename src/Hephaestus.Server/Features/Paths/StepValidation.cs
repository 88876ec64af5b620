using Hephaestus.Data;
using Hephaestus.Data.Paths;
using Hephaestus.Domain.Paths;
using Hephaestus.Server.Api;

namespace Hephaestus.Server.Features.Paths;

/// <summary>Validates a whole step list: first its shape (no database), then what it refers to (one round trip).</summary>
internal static class StepValidation
{
    public const int MaxSteps = 1000;

    /// <summary>Whether the step is of the given kind (false for an unknown kind, which <see cref="Shape"/> reports).</summary>
    public static bool Is(this StepDefinition step, StepKind kind) => StepWireNames.TryParseKind(step.Kind, out var own) && own == kind;

    /// <summary>The step as it is written, once the list is valid. A skill step targets its own skill; other steps target what the author lists.</summary>
    public static NewStep ToNewStep(StepDefinition step) => new(step.Key, StepWireNames.ParseKind(step.Kind), step.RefId, step.Title,
        step.Is(StepKind.Skill) ? [step.RefId] : (step.TargetSkillIds ?? []).Distinct().ToList(), step.UnlockRule, step.EstimatedMinutes,
        step.Prerequisites ?? []);

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
            if (step.Key is null || !StepKey.Shape().IsMatch(step.Key)) v.Add($"{at}.key", "must be 1–64 of a-z, 0-9, '_' or '-', starting with a letter or digit");
            else if (!keys.Add(step.Key)) v.Add($"{at}.key", $"'{step.Key}' is used by an earlier step");
            if (!StepWireNames.TryParseKind(step.Kind, out _)) v.Add($"{at}.kind", "must be 'skill', 'content' or 'assessment'");
            v.Text($"{at}.title", step.Title, 1, 200);
            if (step.EstimatedMinutes is <= 0) v.Add($"{at}.estimatedMinutes", "must be positive");
            if (step.Is(StepKind.Skill) && step.TargetSkillIds is { Length: > 0 } targets && !targets.All(t => t == step.RefId))
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

    /// <summary>
    /// Skills referred to (as step refs, targets, or in unlock rules) and assessments referred to by assessment steps must
    /// exist, as must content items referred to by content steps (a foreign key holds them too), and level names must be
    /// on their scale.
    /// </summary>
    public static async Task ReferencesAsync(ActorScope scope, PutStepsRequest request, Validation v, CancellationToken ct)
    {
        var referenced = request.Steps.SelectMany(s => s.Is(StepKind.Skill) ? [s.RefId] : (s.TargetSkillIds ?? []))
            .Concat(UnlockRules.ReferencedSkills(request));
        var levels = await PathStore.SkillLevelsAsync(scope, referenced, ct);
        for (var i = 0; i < request.Steps.Count; i++)
        {
            var step = request.Steps[i];
            if (step.Is(StepKind.Skill) && !levels.ContainsKey(step.RefId)) v.Add($"steps[{i}].refId", $"no skill with id {step.RefId}");
            foreach (var (target, j) in (step.TargetSkillIds ?? []).Select((t, j) => (t, j)))
            {
                if (!levels.ContainsKey(target)) v.Add($"steps[{i}].targetSkillIds[{j}]", $"no skill with id {target}");
            }
        }

        var assessments = await PathStore.ExistingAssessmentsAsync(scope, request.Steps.Where(s => s.Is(StepKind.Assessment)).Select(s => s.RefId), ct);
        for (var i = 0; i < request.Steps.Count; i++)
        {
            var step = request.Steps[i];
            if (step.Is(StepKind.Assessment) && !assessments.Contains(step.RefId)) v.Add($"steps[{i}].refId", $"no assessment with id {step.RefId}");
        }

        var contentItems = await PathStore.ExistingContentItemsAsync(scope, request.Steps.Where(s => s.Is(StepKind.Content)).Select(s => s.RefId), ct);
        for (var i = 0; i < request.Steps.Count; i++)
        {
            var step = request.Steps[i];
            if (step.Is(StepKind.Content) && !contentItems.Contains(step.RefId)) v.Add($"steps[{i}].refId", $"no content item with id {step.RefId}");
        }

        UnlockRules.CheckReferences(request, levels, v);
    }
}
