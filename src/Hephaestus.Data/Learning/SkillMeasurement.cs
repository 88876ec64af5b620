using Hephaestus.Domain.Mastery;

namespace Hephaestus.Data.Learning;

/// <summary>A level of a skill's mastery scale, as stored (rank order).</summary>
public sealed record ScaleLevel(short Rank, string Name, double Threshold, bool IsMastery);

/// <summary>
/// How one skill is measured: its method and parameters (the skill's own, else its framework's) and its scale. The
/// scale names a value (<see cref="Classify"/>); whether it is mastered is the parameters' rule
/// (<see cref="MasteryParameters.IsMastered"/>), never the scale's mastery level.
/// </summary>
public sealed record SkillMeasurement(Guid SkillId, string Code, MasteryParameters Parameters, IReadOnlyList<ScaleLevel> Levels)
{
    /// <summary>The highest level whose threshold the value reaches; null without a value.</summary>
    public ScaleLevel? Classify(double? value)
    {
        if (value is not { } v) return null;
        ScaleLevel? level = null;
        foreach (var l in Levels)
        {
            if (l.Threshold <= v + 1e-12) level = l;
        }

        return level ?? Levels[0];
    }
}
