namespace Hephaestus.Domain.Mastery;

/// <summary>One named level of a mastery scale, reached when the mastery value is at least <see cref="Threshold"/>.</summary>
public sealed record MasteryLevel(string Name, double Threshold, bool IsMastery);

/// <summary>
/// Ordered levels that turn a mastery value (0..1) into words for learners and educators. Exactly one level is "the
/// mastery level"; it names values, it does not decide whether a skill is mastered: that is the skill's method and
/// thresholds (<see cref="MasteryParameters.IsMastered"/>), so a value can read "mastered" on a scale whose mastery
/// level sits below the skill's own threshold and still not be mastered. A separate no-evidence level (Khan Academy's "not started") is shown only when there is no value
/// at all, because it shares threshold 0 with the first real level and so cannot sit on the ladder.
/// </summary>
public sealed class MasteryScale
{
    private MasteryScale(IReadOnlyList<MasteryLevel> levels, MasteryLevel noEvidence)
    {
        Levels = levels;
        NoEvidence = noEvidence;
        MasteryLevel = levels.Single(l => l.IsMastery);
    }

    /// <summary>The levels, strictly increasing in threshold, the first at 0.</summary>
    public IReadOnlyList<MasteryLevel> Levels { get; }

    /// <summary>The level reported when there is no evidence.</summary>
    public MasteryLevel NoEvidence { get; }

    public MasteryLevel MasteryLevel { get; }

    /// <summary>
    /// Khan Academy's five levels. Mastered sits at 0.95 so that under BKT it coincides with pyBKT's mastery threshold.
    /// </summary>
    public static MasteryScale Default { get; } = Create(
        [
            new("attempted", 0.0, false),
            new("familiar", 0.5, false),
            new("proficient", 0.8, false),
            new("mastered", 0.95, true),
        ],
        "not_started").Scale!;

    /// <summary>The highest level whose threshold is at most <paramref name="value"/>; the no-evidence level for null.</summary>
    public MasteryLevel Classify(double? value)
    {
        if (value is not { } v)
        {
            return NoEvidence;
        }

        if (double.IsNaN(v))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "A mastery value cannot be NaN.");
        }

        // Thresholds start at 0 and values are ≥ 0, so the first level always matches; a scan is fine for a handful.
        var level = Levels[0];
        for (var i = 1; i < Levels.Count && Levels[i].Threshold <= v; i++)
        {
            level = Levels[i];
        }

        return level;
    }

    /// <summary>Builds a scale, or explains every problem with it.</summary>
    /// <remarks>
    /// Rules: at least one level; names non-empty and unique (including the no-evidence name); thresholds in 0..1,
    /// strictly increasing, the first exactly 0 so that every value has a level; exactly one mastery level.
    /// </remarks>
    public static (MasteryScale? Scale, IReadOnlyList<ValidationError> Errors) Create(
        IReadOnlyList<MasteryLevel> levels, string noEvidenceName)
    {
        ArgumentNullException.ThrowIfNull(levels);
        var errors = new List<ValidationError>();
        if (string.IsNullOrWhiteSpace(noEvidenceName))
        {
            errors.Add(new("/noEvidenceLevel", "must be a non-empty name"));
        }

        if (levels.Count == 0)
        {
            errors.Add(new("/levels", "must have at least one level"));
            return (null, errors);
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        if (!string.IsNullOrWhiteSpace(noEvidenceName))
        {
            names.Add(noEvidenceName);
        }

        for (var i = 0; i < levels.Count; i++)
        {
            var level = levels[i];
            var path = $"/levels/{i}";
            if (string.IsNullOrWhiteSpace(level.Name))
            {
                errors.Add(new(path + "/name", "must be a non-empty name"));
            }
            else if (!names.Add(level.Name))
            {
                errors.Add(new(path + "/name", $"duplicate level name '{level.Name}'"));
            }

            if (!(level.Threshold is >= 0.0 and <= 1.0))
            {
                errors.Add(new(path + "/threshold", "must be between 0 and 1"));
            }
            else if (i == 0 && level.Threshold != 0.0)
            {
                errors.Add(new(path + "/threshold", "the first level must start at 0 so that every value has a level"));
            }
            else if (i > 0 && !(level.Threshold > levels[i - 1].Threshold))
            {
                errors.Add(new(path + "/threshold", "must be greater than the previous level's threshold"));
            }
        }

        var masteryLevels = levels.Count(l => l.IsMastery);
        if (masteryLevels != 1)
        {
            errors.Add(new("/levels", $"must have exactly one mastery level, found {masteryLevels}"));
        }

        return errors.Count > 0 ? (null, errors) : (new MasteryScale(levels.ToArray(), new(noEvidenceName, 0.0, false)), errors);
    }
}
