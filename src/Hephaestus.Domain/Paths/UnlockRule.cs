using System.Globalization;
using System.Text.Json.Nodes;

namespace Hephaestus.Domain.Paths;

/// <summary>
/// An unlock rule: an AND/OR tree of conditions on a learner's mastery, scores and completed steps.
/// Wire format (JSON, one property per node):
/// <c>{"all":[…]}</c>, <c>{"any":[…]}</c>,
/// <c>{"mastery":{"skill":"&lt;uuid&gt;","atLeast":"proficient"}}</c> or <c>{"mastery":{"skill":"&lt;uuid&gt;","minProbability":0.8}}</c>,
/// <c>{"score":{"step":"quiz-1","min":0.4,"max":0.7}}</c> (Canvas Mastery Paths: min ≤ score &lt; max; without max or with max 1, score ≤ 1),
/// <c>{"completed":{"steps":["intro"]}}</c>.
/// </summary>
public abstract record UnlockRule
{
    public abstract JsonNode ToJson();

    public IEnumerable<UnlockRule> Descendants()
    {
        yield return this;
        if (this is AllOf or AnyOf)
        {
            var children = this is AllOf all ? all.Rules : ((AnyOf)this).Rules;
            foreach (var child in children)
            {
                foreach (var d in child.Descendants()) yield return d;
            }
        }
    }

    public IEnumerable<Guid> ReferencedSkills() => Descendants().Select(r => r switch
    {
        MasteryAtLeastLevel m => m.Skill,
        MasteryAtLeastProbability p => p.Skill,
        _ => (Guid?)null,
    }).OfType<Guid>();

    public IEnumerable<string> ReferencedSteps() => Descendants().SelectMany(r => r switch
    {
        ScoreInRange s => [s.Step],
        StepsCompleted c => c.Steps,
        _ => Enumerable.Empty<string>(),
    });
}

public sealed record AllOf(IReadOnlyList<UnlockRule> Rules) : UnlockRule
{
    public override JsonNode ToJson() => new JsonObject { ["all"] = new JsonArray(Rules.Select(r => (JsonNode?)r.ToJson()).ToArray()) };
}

public sealed record AnyOf(IReadOnlyList<UnlockRule> Rules) : UnlockRule
{
    public override JsonNode ToJson() => new JsonObject { ["any"] = new JsonArray(Rules.Select(r => (JsonNode?)r.ToJson()).ToArray()) };
}

public sealed record MasteryAtLeastLevel(Guid Skill, string Level) : UnlockRule
{
    public override JsonNode ToJson() => new JsonObject { ["mastery"] = new JsonObject { ["skill"] = Skill.ToString(), ["atLeast"] = Level } };
}

public sealed record MasteryAtLeastProbability(Guid Skill, double MinProbability) : UnlockRule
{
    public override JsonNode ToJson() => new JsonObject { ["mastery"] = new JsonObject { ["skill"] = Skill.ToString(), ["minProbability"] = MinProbability } };
}

/// <summary>
/// Canvas Mastery Paths' ranges: <c>Min ≤ score &lt; Max</c>, except the top range, which includes a perfect score:
/// with no Max, or with Max = 1 (the top of the 0..1 scale), the range is <c>Min ≤ score ≤ 1</c>.
/// (Canvas leaves the top range's upper bound empty; an exclusive Max of 1 would be a range no perfect score satisfies.)
/// </summary>
public sealed record ScoreInRange(string Step, double Min, double? Max) : UnlockRule
{
    /// <summary>True when the range reaches the top of the scale, so its upper end is inclusive.</summary>
    public bool IsTopRange => Max is not { } max || max >= 1.0;

    public bool Contains(double score) => score >= Min && (IsTopRange ? score <= 1.0 : score < Max!.Value);

    public string Describe() => IsTopRange
        ? string.Create(CultureInfo.InvariantCulture, $"score ≥ {Min:0.###}")
        : string.Create(CultureInfo.InvariantCulture, $"{Min:0.###} ≤ score < {Max!.Value:0.###}");

    public override JsonNode ToJson()
    {
        var score = new JsonObject { ["step"] = Step, ["min"] = Min };
        if (Max is { } max) score["max"] = max;
        return new JsonObject { ["score"] = score };
    }
}

public sealed record StepsCompleted(IReadOnlyList<string> Steps) : UnlockRule
{
    public override JsonNode ToJson() => new JsonObject { ["completed"] = new JsonObject { ["steps"] = new JsonArray(Steps.Select(s => (JsonNode?)s).ToArray()) } };
}
