using System.Text.Json;
using System.Text.RegularExpressions;

namespace Hephaestus.Domain.Paths;

/// <summary>A reference a rule makes, with the JSON pointer to it, so an unknown one can be reported where it is.</summary>
public sealed record RuleReference(string Pointer, Guid? Skill, string? Step, string? Level);

/// <summary>
/// Parses and validates an unlock rule, collecting every error with a JSON pointer (RFC 6901) into the rule.
/// Guards: depth ≤ 16 and ≤ 256 nodes, so a rule cannot be made expensive to store or evaluate.
/// </summary>
public static partial class UnlockRuleParser
{
    public const int MaxDepth = 16;
    public const int MaxNodes = 256;

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}$")]
    private static partial Regex StepKey();

    public sealed record Result(UnlockRule? Rule, IReadOnlyList<ValidationError> Errors, IReadOnlyList<RuleReference> References);

    public static Result Parse(JsonElement json)
    {
        var state = new State();
        var rule = Node(json, "", 1, state);
        return state.Errors.Count == 0 ? new Result(rule, [], state.References) : new Result(null, state.Errors, state.References);
    }

    sealed class State
    {
        public List<ValidationError> Errors { get; } = [];
        public List<RuleReference> References { get; } = [];
        public int Nodes { get; set; }

        public void Error(string pointer, string message) => Errors.Add(new ValidationError(pointer.Length == 0 ? "/" : pointer, message));
    }

    static UnlockRule? Node(JsonElement json, string at, int depth, State s)
    {
        if (++s.Nodes > MaxNodes)
        {
            if (s.Nodes == MaxNodes + 1) s.Error(at, $"a rule may have at most {MaxNodes} nodes");
            return null;
        }

        if (depth > MaxDepth)
        {
            s.Error(at, $"a rule may nest at most {MaxDepth} levels");
            return null;
        }

        if (json.ValueKind != JsonValueKind.Object)
        {
            s.Error(at, "must be an object with one of: all, any, mastery, score, completed");
            return null;
        }

        var properties = json.EnumerateObject().ToList();
        if (properties.Count != 1)
        {
            s.Error(at, $"must have exactly one property (all, any, mastery, score or completed), found {properties.Count}");
            return null;
        }

        var p = properties[0];
        var inner = $"{at}/{p.Name}";
        switch (p.Name)
        {
            case "all":
            case "any":
                if (p.Value.ValueKind != JsonValueKind.Array || p.Value.GetArrayLength() == 0)
                {
                    s.Error(inner, "must be a non-empty array of rules");
                    return null;
                }

                var children = p.Value.EnumerateArray().Select((c, i) => Node(c, $"{inner}/{i}", depth + 1, s)).ToList();
                if (children.Any(c => c is null)) return null;
                return p.Name == "all" ? new AllOf(children!) : new AnyOf(children!);
            case "mastery":
                return Mastery(p.Value, inner, s);
            case "score":
                return Score(p.Value, inner, s);
            case "completed":
                return Completed(p.Value, inner, s);
            default:
                s.Error(inner, $"unknown condition '{p.Name}'; expected all, any, mastery, score or completed");
                return null;
        }
    }

    static UnlockRule? Mastery(JsonElement json, string at, State s)
    {
        if (!ExpectObject(json, at, ["skill", "atLeast", "minProbability"], s)) return null;
        Guid? skill = null;
        if (!json.TryGetProperty("skill", out var skillJson)) s.Error($"{at}/skill", "is required");
        else if (skillJson.ValueKind != JsonValueKind.String || !Guid.TryParse(skillJson.GetString(), out var parsed)) s.Error($"{at}/skill", "must be a skill id (uuid)");
        else skill = parsed;

        var hasLevel = json.TryGetProperty("atLeast", out var level);
        var hasProbability = json.TryGetProperty("minProbability", out var probability);
        if (hasLevel == hasProbability)
        {
            s.Error(at, "must have exactly one of atLeast (a level name) or minProbability (0 < p ≤ 1)");
            return null;
        }

        if (hasLevel)
        {
            if (level.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(level.GetString()))
            {
                s.Error($"{at}/atLeast", "must be the name of a level of the skill's mastery scale");
                return null;
            }

            if (skill is null) return null;
            s.References.Add(new RuleReference(at, skill, null, level.GetString()));
            return new MasteryAtLeastLevel(skill.Value, level.GetString()!);
        }

        if (probability.ValueKind != JsonValueKind.Number || !probability.TryGetDouble(out var p) || p <= 0 || p > 1)
        {
            s.Error($"{at}/minProbability", "must be a number with 0 < p ≤ 1");
            return null;
        }

        if (skill is null) return null;
        s.References.Add(new RuleReference(at, skill, null, null));
        return new MasteryAtLeastProbability(skill.Value, p);
    }

    static UnlockRule? Score(JsonElement json, string at, State s)
    {
        if (!ExpectObject(json, at, ["step", "min", "max"], s)) return null;
        var step = StepKeyAt(json, "step", $"{at}/step", s);
        double? Bound(string name)
        {
            if (!json.TryGetProperty(name, out var value)) return null;
            if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) && d is >= 0 and <= 1) return d;
            s.Error($"{at}/{name}", "must be a number from 0 to 1");
            return double.NaN;
        }

        var min = Bound("min") ?? 0;
        var max = Bound("max");
        if (double.IsNaN(min) || max is double.NaN || step is null) return null;
        if (max is { } upper && min >= upper)
        {
            s.Error($"{at}/min", FormattableString.Invariant($"must be less than max ({upper})"));
            return null;
        }

        s.References.Add(new RuleReference(at, null, step, null));
        return new ScoreInRange(step, min, max);
    }

    static UnlockRule? Completed(JsonElement json, string at, State s)
    {
        if (!ExpectObject(json, at, ["steps"], s)) return null;
        if (!json.TryGetProperty("steps", out var steps) || steps.ValueKind != JsonValueKind.Array || steps.GetArrayLength() == 0)
        {
            s.Error($"{at}/steps", "must be a non-empty array of step keys");
            return null;
        }

        var keys = new List<string>();
        var i = 0;
        foreach (var item in steps.EnumerateArray())
        {
            var pointer = $"{at}/steps/{i++}";
            if (item.ValueKind != JsonValueKind.String || !StepKey().IsMatch(item.GetString()!)) s.Error(pointer, "must be a step key");
            else
            {
                keys.Add(item.GetString()!);
                s.References.Add(new RuleReference(pointer, null, item.GetString(), null));
            }
        }

        return keys.Count == steps.GetArrayLength() ? new StepsCompleted(keys) : null;
    }

    static string? StepKeyAt(JsonElement json, string property, string pointer, State s)
    {
        if (!json.TryGetProperty(property, out var value)) s.Error(pointer, "is required");
        else if (value.ValueKind != JsonValueKind.String || !StepKey().IsMatch(value.GetString()!)) s.Error(pointer, "must be a step key");
        else return value.GetString();
        return null;
    }

    static bool ExpectObject(JsonElement json, string at, string[] allowed, State s)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            s.Error(at, "must be an object");
            return false;
        }

        var ok = true;
        foreach (var property in json.EnumerateObject())
        {
            if (!allowed.Contains(property.Name))
            {
                s.Error($"{at}/{property.Name}", $"unknown property; allowed: {string.Join(", ", allowed)}");
                ok = false;
            }
        }

        return ok;
    }
}
