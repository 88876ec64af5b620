using System.Text.Json.Serialization;

namespace Hephaestus.Domain.Mastery;

/// <summary>
/// The configured mastery method of a skill (or of a whole framework) and every parameter any method reads.
/// Flat, with stable JSON names, so that one JSONB column can hold it and a "what if" replay can change one field.
/// </summary>
public sealed record MasteryParameters
{
    /// <summary>BKT is the default method: it is the only one that yields a calibrated probability.</summary>
    [JsonPropertyName("method")]
    public MasteryMethod Method { get; init; } = MasteryMethod.Bkt;

    /// <summary>Canvas orders by submission time; ordering by due date is a choice its users asked for.</summary>
    [JsonPropertyName("ordering")]
    public EvidenceOrdering Ordering { get; init; } = EvidenceOrdering.ObservedTime;

    // BKT defaults follow the ranges reported for fitted skills since Corbett & Anderson (1995): a learner usually
    // starts unlikely to know a skill (L₀ 0.2), one opportunity teaches it fairly often (T 0.15), a guess succeeds
    // about as often as on a 4–5 option question (G 0.2), slips are rarer (S 0.1), and forgetting between
    // opportunities is small but not zero (F 0.02). Fitting (BktFitter) should replace them once evidence exists.

    [JsonPropertyName("prior")]
    public double Prior { get; init; } = 0.2;

    [JsonPropertyName("learn")]
    public double Learn { get; init; } = 0.15;

    [JsonPropertyName("guess")]
    public double Guess { get; init; } = 0.2;

    [JsonPropertyName("slip")]
    public double Slip { get; init; } = 0.1;

    [JsonPropertyName("forget")]
    public double Forget { get; init; } = 0.02;

    /// <summary>BKT counts the skill mastered at P(L) ≥ this (0.95, pyBKT's default).</summary>
    [JsonPropertyName("bktMasteryThreshold")]
    public double BktMasteryThreshold { get; init; } = 0.95;

    /// <summary>
    /// Canvas's <c>calculation_int</c> for the two decaying averages: the weight of the newest score in percent
    /// (1..99, default 65). Kept as Canvas's integer so that imported outcome settings map one to one.
    /// </summary>
    [JsonPropertyName("calculationInt")]
    public int CalculationInt { get; init; } = 65;

    /// <summary>N for <see cref="MasteryMethod.NMastery"/> (Canvas allows 1..10; 5 is a middle, demanding default).</summary>
    [JsonPropertyName("nMasteryCount")]
    public int NMasteryCount { get; init; } = 5;

    /// <summary>
    /// The score at which a single observation counts as mastery, on the scores' own 0..1 scale. The default 0.75 is
    /// Canvas's default outcome (mastery at 3 of 4 points). Used by <see cref="MasteryMethod.NMastery"/> to select
    /// scores and by every other method but BKT to decide <see cref="IsMastered"/>.
    /// </summary>
    [JsonPropertyName("masteryPoints")]
    public double MasteryPoints { get; init; } = 0.75;

    /// <summary>
    /// The value at which this skill counts as mastered: P(L) ≥ <see cref="BktMasteryThreshold"/> under BKT, the method's
    /// value ≥ <see cref="MasteryPoints"/> under every other method.
    /// </summary>
    [JsonIgnore]
    public double MasteryThreshold => Method == MasteryMethod.Bkt ? BktMasteryThreshold : MasteryPoints;

    /// <summary>
    /// The one mastery rule: whether a value of this method reaches <see cref="MasteryThreshold"/>. No value (no
    /// evidence, or n_mastery before N scores at or above the mastery points) is not mastered. Every "mastered" in the
    /// service (the stored flag, replay, skill steps, placement, unlock rules, <c>next</c>) is this answer; the scale's
    /// mastery level only names the value for people and does not decide it.
    /// </summary>
    /// <remarks>
    /// A value is a folded sum of scores, so one mathematically equal to the threshold (0.65·0.7 + 0.35·0.5 against 0.63)
    /// can land a few units in the last place below it; it counts, within <see cref="ThresholdTolerance"/>.
    /// </remarks>
    public bool IsMastered(double? value) => value is { } v && v >= MasteryThreshold - ThresholdTolerance;

    /// <summary>How far below a threshold floating-point error may put a value that reaches it (far below the 5 decimals stored).</summary>
    public const double ThresholdTolerance = 1e-9;

    /// <summary>The decaying weight w = calculationInt/100.</summary>
    [JsonIgnore]
    public double DecayWeight => CalculationInt / 100.0;

    [JsonIgnore]
    public BktParameters Bkt => new(Prior, Learn, Guess, Slip, Forget);

    public static MasteryParameters Default { get; } = new();

    /// <summary>Defaults with another method.</summary>
    public static MasteryParameters For(MasteryMethod method) => new() { Method = method };

    static readonly System.Text.Json.JsonSerializerOptions StoredJson = new(System.Text.Json.JsonSerializerDefaults.Web);

    /// <summary>A skill's (or its framework's) stored method name and parameters object; an absent or empty object means the defaults.</summary>
    public static MasteryParameters FromStored(string method, string? json)
    {
        var parameters = string.IsNullOrWhiteSpace(json) || json == "{}"
            ? Default
            : System.Text.Json.JsonSerializer.Deserialize<MasteryParameters>(json, StoredJson) ?? Default;
        return parameters with { Method = MasteryMethods.Parse(method) };
    }

    /// <summary>Copies fitted BKT parameters in, leaving everything else as it was.</summary>
    public MasteryParameters WithBkt(BktParameters bkt) =>
        this with { Prior = bkt.Prior, Learn = bkt.Learn, Guess = bkt.Guess, Slip = bkt.Slip, Forget = bkt.Forget };

    /// <summary>
    /// Every problem with these parameters, each naming its JSON field. All fields are checked whatever the method,
    /// because a stored configuration may later be replayed under any method.
    /// </summary>
    public IReadOnlyList<ValidationError> Validate()
    {
        var errors = new List<ValidationError>();
        if (!Enum.IsDefined(Method))
        {
            errors.Add(new("/method", "unknown mastery method"));
        }

        if (!Enum.IsDefined(Ordering))
        {
            errors.Add(new("/ordering", "unknown evidence ordering"));
        }

        errors.AddRange(Bkt.Validate());
        if (!(BktMasteryThreshold is > 0.0 and <= 1.0))
        {
            errors.Add(new("/bktMasteryThreshold", "must be greater than 0 and at most 1"));
        }

        if (CalculationInt is < 1 or > 99)
        {
            errors.Add(new("/calculationInt", "must be an integer percentage from 1 to 99"));
        }

        if (NMasteryCount is < 1 or > 10)
        {
            errors.Add(new("/nMasteryCount", "must be from 1 to 10"));
        }

        if (!(MasteryPoints is >= 0.0 and <= 1.0))
        {
            errors.Add(new("/masteryPoints", "must be between 0 and 1, on the same scale as the scores"));
        }

        return errors;
    }
}
