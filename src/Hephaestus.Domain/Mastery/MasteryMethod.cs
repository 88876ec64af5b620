using System.Text.Json.Serialization;

namespace Hephaestus.Domain.Mastery;

/// <summary>How a learner's mastery of a skill is computed from the evidence. Wire names are snake_case.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MasteryMethod>))]
public enum MasteryMethod
{
    /// <summary>Bayesian Knowledge Tracing with forgetting: the probability that the skill is learned.</summary>
    [JsonStringEnumMemberName("bkt")]
    Bkt,

    /// <summary>Canvas's legacy "decaying average": w·latest + (1−w)·mean(older).</summary>
    [JsonStringEnumMemberName("weighted_average")]
    WeightedAverage,

    /// <summary>Canvas's current "decaying average": dₖ = (1−w)·dₖ₋₁ + w·sₖ.</summary>
    [JsonStringEnumMemberName("standard_decaying_average")]
    StandardDecayingAverage,

    /// <summary>Canvas "n number of times": mean of the scores at or above mastery once there are N of them.</summary>
    [JsonStringEnumMemberName("n_mastery")]
    NMastery,

    [JsonStringEnumMemberName("highest")]
    Highest,

    [JsonStringEnumMemberName("latest")]
    Latest,

    /// <summary>Mean of all scores, weighted by <see cref="Observation.Weight"/>.</summary>
    [JsonStringEnumMemberName("average")]
    Average,
}

public static class MasteryMethods
{
    /// <summary>Every method, in declaration order.</summary>
    public static IReadOnlyList<MasteryMethod> All { get; } = Enum.GetValues<MasteryMethod>();

    public static string ToWireName(this MasteryMethod method) => WireNames<MasteryMethod>.Of(method);

    /// <summary>Parses a wire name exactly (case-sensitive: the wire form has one spelling).</summary>
    public static bool TryParse(string? wireName, out MasteryMethod method) => WireNames<MasteryMethod>.TryParse(wireName, out method);

    public static MasteryMethod Parse(string wireName) => WireNames<MasteryMethod>.Parse(wireName);
}
