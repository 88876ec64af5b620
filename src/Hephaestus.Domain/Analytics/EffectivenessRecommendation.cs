using System.Globalization;
using System.Text.Json.Serialization;

namespace Hephaestus.Domain.Analytics;

/// <summary>What the recommendation says. Wire names are snake_case.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<EffectivenessVerdict>))]
public enum EffectivenessVerdict
{
    /// <summary>One version's mean change is higher than every other's, with every interval above 0.</summary>
    [JsonStringEnumMemberName("keep")]
    Keep,

    /// <summary>Fewer than two versions were measured on enough learners.</summary>
    [JsonStringEnumMemberName("not_enough_evidence")]
    NotEnoughEvidence,

    /// <summary>Enough learners, but an interval for a difference contains 0: no version is shown to be better.</summary>
    [JsonStringEnumMemberName("no_clear_difference")]
    NoClearDifference,
}

/// <summary>One version's measured learners and the summary of their mastery changes.</summary>
public sealed record VersionSample(Guid VersionId, int Version, SampleSummary Changes);

/// <summary>The best version against another: Welch's interval for best − other.</summary>
public sealed record VersionComparison(Guid BetterVersionId, int BetterVersion, Guid OtherVersionId, int OtherVersion, WelchInterval? Interval);

/// <summary>Which version to keep, or why none is recommended, with the comparisons behind it.</summary>
public sealed record EffectivenessAdvice(EffectivenessVerdict Verdict, Guid? KeepVersionId, int? KeepVersion, string Reason,
    IReadOnlyList<VersionComparison> Comparisons);

/// <summary>
/// Which version of a content item to keep, from each version's mastery changes. The rule: only versions measured on at
/// least the minimum number of learners take part; with fewer than two of them there is not enough evidence. Otherwise
/// the version with the highest mean change is compared with each other one by Welch's 95% interval
/// (<see cref="EffectivenessStatistics.Welch"/>), and it is recommended only when every interval for best − other lies
/// above 0. An interval that contains 0 never yields a recommendation: the reason says which one and that it does. (No
/// correction for several comparisons: with k versions the chance that some interval misses is up to (k − 1)·5%.)
/// </summary>
public static class EffectivenessRecommendation
{
    public static EffectivenessAdvice Recommend(IReadOnlyList<VersionSample> versions, long minimumLearners)
    {
        ArgumentNullException.ThrowIfNull(versions);
        var measured = versions.Where(v => v.Changes.Count >= minimumLearners && v.Changes.Count >= 2 && v.Changes.Mean is not null).ToList();
        if (measured.Count < 2)
        {
            var counts = versions.Count == 0
                ? "no version was shown to anyone measured"
                : string.Join(", ", versions.Select(v => Text($"version {v.Version}: {v.Changes.Count} learner(s)")));
            return new EffectivenessAdvice(EffectivenessVerdict.NotEnoughEvidence, null, null,
                Text($"not enough evidence: a comparison needs at least two versions measured on {Math.Max(2, minimumLearners)} learners each ({counts})."), []);
        }

        var best = measured.OrderByDescending(v => v.Changes.Mean).ThenByDescending(v => v.Version).First();
        var comparisons = measured.Where(v => v != best)
            .Select(v => new VersionComparison(best.VersionId, best.Version, v.VersionId, v.Version, EffectivenessStatistics.Welch(v.Changes, best.Changes)))
            .ToList();
        var unclear = comparisons.FirstOrDefault(c => c.Interval is not { } i || i.Lower <= 0);
        if (unclear is not null)
        {
            var interval = unclear.Interval;
            var reason = interval is null
                ? Text($"no clear difference: versions {best.Version} and {unclear.OtherVersion} cannot be compared (no spread).")
                : Text($"no clear difference: the 95% interval for version {best.Version} minus version {unclear.OtherVersion} is ") +
                  Text($"[{EffectivenessStatistics.Number(interval.Lower)}, {EffectivenessStatistics.Number(interval.Upper)}], which contains 0, ") +
                  "so the data do not show that either is better; no version is recommended.";
            return new EffectivenessAdvice(EffectivenessVerdict.NoClearDifference, null, null, reason, comparisons);
        }

        return new EffectivenessAdvice(EffectivenessVerdict.Keep, best.VersionId, best.Version,
            Text($"keep version {best.Version}: its mean mastery change ({EffectivenessStatistics.Number(best.Changes.Mean!.Value)}) is higher than ") +
            "every other version's, and each 95% interval for the difference lies above 0.", comparisons);
    }

    static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
