using System.Text.Json;
using System.Text.RegularExpressions;
using Hephaestus.Domain.Assessments;

namespace Hephaestus.Domain.Paths;

/// <summary>A reference a rule makes, with the JSON pointer to it, so an unknown one can be reported where it is.</summary>
public sealed record RuleReference(string Pointer, Guid? Skill, string? Step, string? Level);

/// <summary>
/// Parses and validates an unlock rule, collecting every error with a JSON pointer (RFC 6901) into the rule: "" is the
/// rule itself. A problem in one property does not hide the others, and the references found are returned even when the
/// rule has errors, so that the caller can check them too and report everything at once.
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

        public void Error(string pointer, string message) => Errors.Add(new ValidationError(pointer, message));
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
        var inner = JsonPointer.Append(at, p.Name);
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
        if (!ExpectObject(json, at, ["skill", "atLeast", "minProbability"], s, out var clean)) return null;
        Guid? skill = null;
        if (!json.TryGetProperty("skill", out var skillJson)) s.Error($"{at}/skill", "is required");
        else if (skillJson.ValueKind != JsonValueKind.String || !Guid.TryParse(skillJson.GetString(), out var parsed)) s.Error($"{at}/skill", "must be a skill id (uuid)");
        else skill = parsed;

        var hasLevel = json.TryGetProperty("atLeast", out var level);
        var hasProbability = json.TryGetProperty("minProbability", out var probability);
        if (hasLevel == hasProbability)
        {
            s.Error(at, "must have exactly one of atLeast (a level name) or minProbability (0 < p ≤ 1)");
            if (skill is { } id) s.References.Add(new RuleReference(at, id, null, null));
            return null;
        }

        if (hasLevel)
        {
            string? name = level.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(level.GetString()) ? level.GetString() : null;
            if (name is null) s.Error($"{at}/atLeast", "must be the name of a level of the skill's mastery scale");
            if (skill is not { } id) return null;
            s.References.Add(new RuleReference(at, id, null, name));
            return clean && name is not null ? new MasteryAtLeastLevel(id, name) : null;
        }

        var valid = probability.ValueKind == JsonValueKind.Number && probability.TryGetDouble(out var p) && p > 0 && p <= 1;
        if (!valid) s.Error($"{at}/minProbability", "must be a number with 0 < p ≤ 1");
        if (skill is not { } skillId) return null;
        s.References.Add(new RuleReference(at, skillId, null, null));
        return clean && valid ? new MasteryAtLeastProbability(skillId, probability.GetDouble()) : null;
    }

    static UnlockRule? Score(JsonElement json, string at, State s)
    {
        if (!ExpectObject(json, at, ["step", "min", "max"], s, out var clean)) return null;
        var step = StepKeyAt(json, "step", $"{at}/step", s);
        var valid = clean && step is not null;
        double? Bound(string name)
        {
            if (!json.TryGetProperty(name, out var value)) return null;
            if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) && d is >= 0 and <= 1) return d;
            s.Error($"{at}/{name}", "must be a number from 0 to 1");
            valid = false;
            return null;
        }

        var hasMin = json.TryGetProperty("min", out _);
        var min = Bound("min");
        var max = Bound("max");
        if (max is { } upper && (min ?? (hasMin ? double.NaN : 0)) >= upper)
        {
            // An empty range. The error goes on the bound the author wrote: min when given, else max (min defaults to 0).
            if (hasMin) s.Error($"{at}/min", FormattableString.Invariant($"must be less than max ({upper})"));
            else s.Error($"{at}/max", "must be greater than min (0)");
            valid = false;
        }

        if (step is not null) s.References.Add(new RuleReference(at, null, step, null));
        return valid ? new ScoreInRange(step!, min ?? 0, max) : null;
    }

    static UnlockRule? Completed(JsonElement json, string at, State s)
    {
        if (!ExpectObject(json, at, ["steps"], s, out var clean)) return null;
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

        return clean && keys.Count == steps.GetArrayLength() ? new StepsCompleted(keys) : null;
    }

    static string? StepKeyAt(JsonElement json, string property, string pointer, State s)
    {
        if (!json.TryGetProperty(property, out var value)) s.Error(pointer, "is required");
        else if (value.ValueKind != JsonValueKind.String || !StepKey().IsMatch(value.GetString()!)) s.Error(pointer, "must be a step key");
        else return value.GetString();
        return null;
    }

    /// <summary>
    /// False (with an error) when not an object. Otherwise true, with <paramref name="clean"/> false when it has unknown or
    /// repeated properties (each reported); the caller still checks the known ones, so one pass reports everything.
    /// </summary>
    static bool ExpectObject(JsonElement json, string at, string[] allowed, State s, out bool clean)
    {
        clean = false;
        if (json.ValueKind != JsonValueKind.Object)
        {
            s.Error(at, "must be an object");
            return false;
        }

        clean = true;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in json.EnumerateObject())
        {
            if (!allowed.Contains(property.Name))
            {
                s.Error(JsonPointer.Append(at, property.Name), $"unknown property; allowed: {string.Join(", ", allowed)}");
                clean = false;
            }
            else if (!seen.Add(property.Name))
            {
                // JSON parsers disagree on which repeated name wins (PostgreSQL jsonb keeps the last): refuse rather than guess.
                s.Error(JsonPointer.Append(at, property.Name), "duplicate property");
                clean = false;
            }
        }

        return true;
    }
}
