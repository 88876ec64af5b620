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
    /// The combined score of the attempts' scores given in attempt order (each attempt's current score: a regrade's
    /// revision replaces the first); null when there is none.
    /// </summary>
    public static double? Combine(this AttemptPolicy policy, IReadOnlyList<double> scoresInAttemptOrder)
    {
        ArgumentNullException.ThrowIfNull(scoresInAttemptOrder);
        if (scoresInAttemptOrder.Count == 0) return null;
        return policy switch
        {
            AttemptPolicy.Highest => scoresInAttemptOrder.Max(),
            AttemptPolicy.Latest => scoresInAttemptOrder[^1],
            AttemptPolicy.Average => scoresInAttemptOrder.Average(),
            AttemptPolicy.First => scoresInAttemptOrder[0],
            _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, "Unknown attempt policy."),
        };
    }
}
