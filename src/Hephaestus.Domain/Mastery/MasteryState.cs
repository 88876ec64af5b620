using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hephaestus.Domain.Mastery;

/// <summary>
/// The running aggregates of one learner's evidence on one skill, enough to answer every mastery method and to absorb
/// a new observation in O(1): the database row is read FOR UPDATE, <see cref="Apply"/> runs, and the row is written
/// back in the same transaction as the result that produced the observation.
/// </summary>
/// <remarks>
/// A state is built under one <see cref="MasteryParameters"/>: BKT depends on its probabilities, the decaying average
/// on w, and the n_mastery counts on the mastery points. <see cref="Value"/> must be asked with the same parameters;
/// answering under other ones (a "what if") is a <see cref="Replay"/> of the evidence log. Property names are fixed
/// with <see cref="JsonPropertyNameAttribute"/> because the state is stored as JSON.
/// </remarks>
public sealed record MasteryState
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.General);

    public static MasteryState Empty { get; } = new();

    /// <summary>Number of observations applied.</summary>
    [JsonPropertyName("count")]
    public int Count { get; init; }

    /// <summary>P(L) after the last observation and its learn/forget transition; null before any evidence.</summary>
    [JsonPropertyName("bktProbability")]
    public double? BktProbability { get; init; }

    /// <summary>Plain sum of the scores.</summary>
    [JsonPropertyName("sum")]
    public double Sum { get; init; }

    /// <summary>Σ weight·score, for the weighted <see cref="MasteryMethod.Average"/>.</summary>
    [JsonPropertyName("weightedSum")]
    public double WeightedSum { get; init; }

    /// <summary>Σ weight.</summary>
    [JsonPropertyName("weightSum")]
    public double WeightSum { get; init; }

    [JsonPropertyName("max")]
    public double? Max { get; init; }

    [JsonPropertyName("latest")]
    public double? Latest { get; init; }

    /// <summary>The standard decaying average dₖ.</summary>
    [JsonPropertyName("decaying")]
    public double? Decaying { get; init; }

    /// <summary>Mean of every score but the latest, for Canvas's weighted_average; null until there are two.</summary>
    [JsonPropertyName("olderMean")]
    public double? OlderMean { get; init; }

    /// <summary>How many scores were at or above the mastery points (n_mastery).</summary>
    [JsonPropertyName("masteryCount")]
    public int MasteryCount { get; init; }

    /// <summary>Sum of the scores at or above the mastery points (n_mastery).</summary>
    [JsonPropertyName("masterySum")]
    public double MasterySum { get; init; }

    /// <summary>Observed time of the last observation applied.</summary>
    [JsonPropertyName("lastObservedAt")]
    public DateTimeOffset? LastObservedAt { get; init; }

    /// <summary>Ordering key (observed or due time) of the last observation applied.</summary>
    [JsonPropertyName("lastOrderKey")]
    public DateTimeOffset? LastOrderKey { get; init; }

    /// <summary>
    /// Whether <paramref name="observation"/> sorts after everything already applied under
    /// <see cref="MasteryParameters.Ordering"/>, so that <see cref="Apply"/> gives the same answer as a replay. When
    /// it does not (typically: ordering by due date and late work on an earlier assignment), replay instead.
    /// </summary>
    public bool CanAppend(MasteryParameters parameters, Observation observation)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (LastOrderKey is not { } lastKey)
        {
            return true;
        }

        var key = observation.OrderKey(parameters.Ordering);
        if (key != lastKey)
        {
            return key > lastKey;
        }

        // Equal keys: ObservationOrdering breaks the tie by observed time (due ordering) and then by input order,
        // and a newly arriving observation comes last in input order.
        return parameters.Ordering == EvidenceOrdering.ObservedTime || observation.ObservedAt >= LastObservedAt;
    }

    /// <summary>Folds one more observation in, assuming it comes after all those already applied.</summary>
    public MasteryState Apply(MasteryParameters parameters, Observation observation)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(observation.Weight > 0))
        {
            throw new ArgumentException("Observation weight must be greater than 0 (default(Observation) is not evidence).", nameof(observation));
        }

        var s = observation.Score;
        if (parameters.Method == MasteryMethod.Bkt && !observation.HasUnitScore)
        {
            throw new ArgumentOutOfRangeException(nameof(observation), s, "BKT needs scores in 0..1.");
        }

        var w = parameters.DecayWeight;
        // BKT is tracked under every method so that switching the reported method is free; a score off the 0..1 scale
        // (raw points under an averaging method) has no BKT reading, and the state only answers for these parameters.
        var bkt = observation.HasUnitScore
            ? parameters.Bkt.Update(BktProbability ?? parameters.Prior, s)
            : BktProbability;
        var reachesMastery = s >= parameters.MasteryPoints;

        return this with
        {
            Count = Count + 1,
            BktProbability = bkt,
            Sum = Sum + s,
            WeightedSum = WeightedSum + observation.Weight * s,
            WeightSum = WeightSum + observation.Weight,
            Max = Max is { } max ? Math.Max(max, s) : s,
            Latest = s,
            Decaying = Decaying is { } d ? (1 - w) * d + w * s : s,
            // The previous latest joins the older scores: their mean over Count of them.
            OlderMean = Latest is { } previous ? ((OlderMean ?? 0) * (Count - 1) + previous) / Count : null,
            MasteryCount = MasteryCount + (reachesMastery ? 1 : 0),
            MasterySum = MasterySum + (reachesMastery ? s : 0),
            LastObservedAt = observation.ObservedAt,
            LastOrderKey = observation.OrderKey(parameters.Ordering),
        };
    }

    /// <summary>
    /// The mastery value under <paramref name="parameters"/>'s method, or null when there is no value yet: no
    /// evidence at all, or n_mastery without N results at or above mastery.
    /// </summary>
    public double? Value(MasteryParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (Count == 0)
        {
            return null;
        }

        return parameters.Method switch
        {
            MasteryMethod.Bkt => BktProbability,
            MasteryMethod.WeightedAverage => OlderMean is { } older
                ? parameters.DecayWeight * Latest!.Value + (1 - parameters.DecayWeight) * older
                : Latest,
            MasteryMethod.StandardDecayingAverage => Decaying,
            // Canvas: no score with fewer than N results, nor with fewer than N at or above mastery.
            MasteryMethod.NMastery => Count < parameters.NMasteryCount || MasteryCount < parameters.NMasteryCount
                ? null
                : MasterySum / MasteryCount,
            MasteryMethod.Highest => Max,
            MasteryMethod.Latest => Latest,
            MasteryMethod.Average => WeightedSum / WeightSum,
            _ => throw new ArgumentOutOfRangeException(nameof(parameters), parameters.Method, "Unknown mastery method."),
        };
    }

    /// <summary>Whether the value reaches mastery, by the one rule: <see cref="MasteryParameters.IsMastered"/>.</summary>
    public bool IsMastered(MasteryParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return parameters.IsMastered(Value(parameters));
    }

    /// <summary>Folds observations in the order given (use <see cref="ObservationOrdering.Order"/> first).</summary>
    public static MasteryState Replay(MasteryParameters parameters, IEnumerable<Observation> orderedObservations)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(orderedObservations);
        var state = Empty;
        foreach (var observation in orderedObservations)
        {
            state = state.Apply(parameters, observation);
        }

        return state;
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static MasteryState FromJson(string json) =>
        JsonSerializer.Deserialize<MasteryState>(json, JsonOptions) ?? throw new JsonException("A mastery state cannot be null.");
}
