using System.Globalization;

namespace Hephaestus.Domain.Analytics;

/// <summary>
/// Small-group suppression: an aggregate over fewer learners than the configured minimum (Analytics:MinimumGroupSize)
/// is not shown, since a count or a mean over two or three people tells a reader who knows the group about each of them.
/// The unit is the group an aggregate summarises (a cohort, the learners assessed on a skill), not each cell: a level
/// with one learner in a group of thirty is shown. A learner's own figures are not an aggregate and are never suppressed.
/// </summary>
public static class SmallGroups
{
    public const int DefaultMinimum = 5;

    /// <summary>Null when an aggregate over <paramref name="learners"/> may be shown; otherwise the reason it is suppressed.</summary>
    public static string? SuppressionReason(long learners, int minimum) =>
        learners >= minimum
            ? null
            : string.Create(CultureInfo.InvariantCulture, $"suppressed: {learners} learner(s), fewer than the minimum group size of {minimum}");

    public static bool IsSuppressed(long learners, int minimum) => learners < minimum;
}
