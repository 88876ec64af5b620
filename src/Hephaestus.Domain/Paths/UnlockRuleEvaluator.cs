using System.Globalization;

namespace Hephaestus.Domain.Paths;

/// <summary>What rule evaluation needs to know about one learner.</summary>
public interface ILearnerProgressView
{
    /// <summary>Rank of the learner's level on the skill's scale (null: no evidence) and the mastery value/probability.</summary>
    (int? LevelRank, double? Value) Mastery(Guid skill);

    /// <summary>Rank of a level name on the skill's scale; null if the scale has no such level.</summary>
    int? LevelRank(Guid skill, string level);

    /// <summary>Rank of the mastery level of the skill's scale; null if the skill is unknown.</summary>
    int? MasteryRank(Guid skill);

    /// <summary>
    /// Whether the learner masters the skill by its own thresholds (Domain.Mastery.MasteryParameters.IsMastered, the one
    /// rule, as stored with the mastery row).
    /// </summary>
    bool IsMastered(Guid skill);

    /// <summary>Name of a rank on the skill's scale, for explanations.</summary>
    string? LevelName(Guid skill, int rank);

    /// <summary>Latest score (0..1) recorded on a step, null if none.</summary>
    double? Score(string stepKey);

    /// <summary>Completed or skipped.</summary>
    bool IsDone(string stepKey);

    /// <summary>A human name for a skill (its code), for explanations.</summary>
    string SkillName(Guid skill);
}

public sealed record RuleOutcome(bool Satisfied, IReadOnlyList<string> UnmetConditions);

public static class UnlockRuleEvaluator
{
    public static RuleOutcome Evaluate(UnlockRule rule, ILearnerProgressView learner)
    {
        var unmet = new List<string>();
        var satisfied = Visit(rule, learner, unmet);
        return new RuleOutcome(satisfied, satisfied ? [] : unmet);
    }

    static bool Visit(UnlockRule rule, ILearnerProgressView learner, List<string> unmet)
    {
        switch (rule)
        {
            case AllOf all:
            {
                var ok = true;
                foreach (var child in all.Rules) ok &= Visit(child, learner, unmet); // report every unmet part
                return ok;
            }

            case AnyOf any:
            {
                var alternatives = new List<string>();
                foreach (var child in any.Rules)
                {
                    var childUnmet = new List<string>();
                    if (Visit(child, learner, childUnmet)) return true;
                    alternatives.Add(string.Join(" and ", childUnmet));
                }

                unmet.Add("one of: " + string.Join("; or ", alternatives));
                return false;
            }

            case MasteryAtLeastLevel m:
            {
                var (rank, _) = learner.Mastery(m.Skill);
                var needed = learner.LevelRank(m.Skill, m.Level);
                // Levels name values; whether a skill is mastered is the one rule's to say. So "at least the mastery
                // level" (or a level above it) also needs the skill mastered by its own thresholds: otherwise a BKT skill
                // at P(L) 0.84 would open a step that its own `mastered: false` says it should not.
                var needsMastery = needed is not null && needed >= learner.MasteryRank(m.Skill);
                if (needed is not null && rank >= needed && (!needsMastery || learner.IsMastered(m.Skill))) return true;
                var current = rank is { } r ? learner.LevelName(m.Skill, r) ?? "unknown" : "no evidence yet";
                // A level checked at authoring can disappear when the scale is edited later: say so rather than "below".
                unmet.Add(needed is null
                    ? $"skill {learner.SkillName(m.Skill)} has no level '{m.Level}' on its scale (currently {current})"
                    : rank >= needed
                        ? $"skill {learner.SkillName(m.Skill)} at {current} but not mastered by its thresholds"
                        : $"skill {learner.SkillName(m.Skill)} below {m.Level} (currently {current})");
                return false;
            }

            case MasteryAtLeastProbability p:
            {
                var (_, value) = learner.Mastery(p.Skill);
                if (value >= p.MinProbability) return true;
                unmet.Add(string.Create(CultureInfo.InvariantCulture,
                    $"mastery of {learner.SkillName(p.Skill)} is {(value is { } v ? v.ToString("0.00", CultureInfo.InvariantCulture) : "unknown")}, needs {p.MinProbability:0.00}"));
                return false;
            }

            case ScoreInRange s:
            {
                var score = learner.Score(s.Step);
                if (score is { } value && s.Contains(value)) return true;
                unmet.Add(score is { } got
                    ? string.Create(CultureInfo.InvariantCulture, $"score on step {s.Step} is {got:0.###}, needs {s.Describe()}")
                    : $"step {s.Step} has no score yet (needs {s.Describe()})");
                return false;
            }

            case StepsCompleted c:
            {
                var missing = c.Steps.Where(k => !learner.IsDone(k)).ToList();
                foreach (var key in missing) unmet.Add($"step {key} not completed");
                return missing.Count == 0;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(rule), rule.GetType().Name, "unknown rule node");
        }
    }
}
