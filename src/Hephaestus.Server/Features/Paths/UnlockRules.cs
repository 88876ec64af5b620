using Hephaestus.Domain.Paths;
using Hephaestus.Server.Api;

namespace Hephaestus.Server.Features.Paths;

/// <summary>Unlock rules of a step list: parsed once, checked against the steps and the skills' scales, errors pointing into each rule.</summary>
internal static class UnlockRules
{
    public static IEnumerable<(int Index, UnlockRuleParser.Result Parsed)> Parse(PutStepsRequest request) =>
        request.Steps.Select((s, i) => (i, s.UnlockRule is { ValueKind: System.Text.Json.JsonValueKind.Object } rule ? UnlockRuleParser.Parse(rule) : null))
            .Where(x => x.Item2 is not null)
            .Select(x => (x.i, x.Item2!));

    public static void CheckShape(PutStepsRequest request, Validation v)
    {
        var keys = request.Steps.Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        var kinds = request.Steps.Where(s => s.Key is not null).GroupBy(s => s.Key).ToDictionary(g => g.Key, g => g.First().Kind, StringComparer.Ordinal);
        foreach (var (index, parsed) in Parse(request))
        {
            var at = $"steps[{index}].unlockRule";
            v.AddRange(parsed.Errors, at);
            foreach (var reference in parsed.References.Where(r => r.Step is not null))
            {
                if (!keys.Contains(reference.Step!)) v.Add(at + reference.Pointer, $"no step has the key '{reference.Step}'");
                else if (reference.Step == request.Steps[index].Key) v.Add(at + reference.Pointer, "a step's rule cannot depend on the step itself");
                else if (reference.Pointer.EndsWith("/score", StringComparison.Ordinal) && kinds[reference.Step!] != StepKind.Assessment.ToWireName())
                {
                    v.Add(at + reference.Pointer, $"step '{reference.Step}' is not an assessment step, so it has no score");
                }
            }
        }
    }

    public static IEnumerable<Guid> ReferencedSkills(PutStepsRequest request) =>
        Parse(request).SelectMany(p => p.Parsed.References).Where(r => r.Skill is not null).Select(r => r.Skill!.Value);

    public static void CheckReferences(PutStepsRequest request, IReadOnlyDictionary<Guid, string[]> levelsBySkill, Validation v)
    {
        foreach (var (index, parsed) in Parse(request))
        {
            var at = $"steps[{index}].unlockRule";
            foreach (var reference in parsed.References.Where(r => r.Skill is not null))
            {
                if (!levelsBySkill.TryGetValue(reference.Skill!.Value, out var levels)) v.Add(at + reference.Pointer + "/skill", $"no skill with id {reference.Skill}");
                else if (reference.Level is not null && !levels.Contains(reference.Level))
                {
                    v.Add(at + reference.Pointer + "/atLeast", $"'{reference.Level}' is not a level of this skill's scale ({string.Join(", ", levels)})");
                }
            }
        }
    }
}
