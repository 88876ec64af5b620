using System.Text.Json.Serialization;

namespace Hephaestus.Domain.Assessments;

/// <summary>
/// How an assessment's attempts combine into the one score that paths (score-range rules) and gradebooks use, as
/// Canvas's "keep score" and Moodle's grading method. The wire names are also the values of
/// <c>assessments.attempt_policy</c>. Mastery is not combined this way: every attempt is evidence, and the skill's
/// mastery method has its own rules.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<AttemptPolicy>))]
public enum AttemptPolicy
{
    /// <summary>The best attempt counts (the default): a weak or blank retake never lowers a standing.</summary>
    [JsonStringEnumMemberName("highest")]
    Highest,

    /// <summary>The last attempt counts, down as well as up.</summary>
    [JsonStringEnumMemberName("latest")]
    Latest,

    /// <summary>The mean of every attempt.</summary>
    [JsonStringEnumMemberName("average")]
    Average,

    /// <summary>The first attempt counts; retakes are practice.</summary>
    [JsonStringEnumMemberName("first")]
    First,
}

public static class AttemptPolicies
{
    public static string ToWireName(this AttemptPolicy policy) => WireNames<AttemptPolicy>.Of(policy);

    /// <summary>The policy as stored in <c>assessments.attempt_policy</c> (a CHECK constraint allows exactly these).</summary>
    public static AttemptPolicy Parse(string stored) => WireNames<AttemptPolicy>.Parse(stored);

    /// <summary>
    /// The positions of the attempts that count (scores in attempt order), as item analysis analyses them (Moodle's
    /// "attempts to analyse" for a grading method): highest, the best-scored (the earliest of equals); latest, the last;
    /// first, the first; average, all of them. <see cref="Combine"/> is the mean of the counted scores under every
    /// policy. Sql/0026_item_analysis.sql (item_analysis_counted) says the same in SQL; a test holds them together.
    /// </summary>
    public static IReadOnlyList<int> Counted(this AttemptPolicy policy, IReadOnlyList<double> scoresInAttemptOrder)
    {
        ArgumentNullException.ThrowIfNull(scoresInAttemptOrder);
        if (scoresInAttemptOrder.Count == 0) return [];
        return policy switch
        {
            AttemptPolicy.Highest => [IndexOfFirstMax(scoresInAttemptOrder)],
            AttemptPolicy.Latest => [scoresInAttemptOrder.Count - 1],
            AttemptPolicy.Average => [.. Enumerable.Range(0, scoresInAttemptOrder.Count)],
            AttemptPolicy.First => [0],
            _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, "Unknown attempt policy."),
        };
    }

    static int IndexOfFirstMax(IReadOnlyList<double> scores)
    {
        var best = 0;
        for (var i = 1; i < scores.Count; i++)
        {
            if (scores[i] > scores[best]) best = i;
        }

        return best;
    }

    /// <summary>
    /// The combined score of the attempts' scores given in attempt order (each attempt's current score: a regrade's
    /// revision replaces the first); null when there is none.
    /// </summary>
    public static double? Combine(this AttemptPolicy policy, IReadOnlyList<double> scoresInAttemptOrder)
    {
        ArgumentNullException.ThrowIfNull(scoresInAttemptOrder);
        if (scoresInAttemptOrder.Count == 0) return null;
        return policy.Counted(scoresInAttemptOrder).Average(i => scoresInAttemptOrder[i]);
    }
}
