using System.Globalization;

namespace Hephaestus.Domain.Content;

/// <summary>
/// What a version must show before it is published: per dimension, a minimum mean of the current scores normalized to
/// 0..1 (every evaluator, judges and people alike); and, when <paramref name="RequireHumanReview"/>, a current score by a
/// person other than the version's author. A dimension with a threshold and no scores fails.
/// </summary>
public sealed record PublishGate(IReadOnlyDictionary<string, decimal> MinimumNormalizedMean, bool RequireHumanReview)
{
    /// <summary>The default when configuration says nothing: correct and safe content, seen by a person.</summary>
    public static readonly PublishGate Default = new(
        new Dictionary<string, decimal>(StringComparer.Ordinal) { ["accuracy"] = 0.6m, ["safety_bias"] = 0.8m },
        RequireHumanReview: true);

    /// <summary>
    /// The gate's failures for a version whose current normalized means per dimension are <paramref name="means"/>
    /// (dimensions without scores absent); empty when it passes. Ordered by dimension, the human review last.
    /// </summary>
    public IReadOnlyList<GateFailure> Evaluate(IReadOnlyDictionary<string, decimal> means, bool hasHumanReview)
    {
        ArgumentNullException.ThrowIfNull(means);
        var failures = new List<GateFailure>();
        foreach (var (dimension, threshold) in MinimumNormalizedMean.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            if (!means.TryGetValue(dimension, out var mean)) failures.Add(new GateFailure(dimension, null, threshold));
            else if (mean < threshold) failures.Add(new GateFailure(dimension, mean, threshold));
        }

        if (RequireHumanReview && !hasHumanReview) failures.Add(GateFailure.NoHumanReview);
        return failures;
    }
}

/// <summary>One reason the gate refused: a dimension below (or without) its threshold, or the missing human review (no dimension).</summary>
public sealed record GateFailure(string? Dimension, decimal? Value, decimal? Threshold)
{
    public static readonly GateFailure NoHumanReview = new(null, null, null);

    public string Describe() => Dimension switch
    {
        null => "it lacks a human review (a current score by someone other than its author)",
        _ when Value is null => string.Create(CultureInfo.InvariantCulture, $"{Dimension} has no scores (threshold {Threshold})"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{Dimension} is {Value:0.####} (threshold {Threshold})"),
    };
}
