using System.Text.Json.Serialization;

namespace Hephaestus.Domain.Mastery;

/// <summary>
/// One piece of evidence about one learner's command of one skill: an item response, a rubric rating, an event.
/// </summary>
/// <remarks>
/// On the platform <see cref="Score"/> is normalized to 0..1 (what <c>ItemScore.Score01</c> produces). The averaging
/// methods are scale-free, as in Canvas, which averages raw rubric points, so the type only refuses non-finite scores;
/// BKT, which reads the score as the probability-weighted correctness, requires 0..1 and checks it where it is used.
/// <c>default(Observation)</c> has weight 0 and is refused by <see cref="MasteryState.Apply"/>.
/// </remarks>
public readonly record struct Observation
{
    public Observation(double score, DateTimeOffset observedAt, double weight = 1.0, DateTimeOffset? dueAt = null)
    {
        if (!double.IsFinite(score))
        {
            throw new ArgumentOutOfRangeException(nameof(score), score, "Score must be a finite number.");
        }

        if (!double.IsFinite(weight) || weight <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "Weight must be a finite number greater than 0.");
        }

        Score = score;
        ObservedAt = observedAt;
        Weight = weight;
        DueAt = dueAt;
    }

    /// <summary>Normalized score, 0..1 on the platform (any finite scale for the averaging methods).</summary>
    public double Score { get; }

    /// <summary>Relative weight; only <see cref="MasteryMethod.Average"/> uses it.</summary>
    public double Weight { get; }

    public DateTimeOffset ObservedAt { get; }

    /// <summary>When the work was due, if it had a due date (Canvas users asked to order evidence by it).</summary>
    public DateTimeOffset? DueAt { get; }

    /// <summary>True when the score is on the 0..1 scale that BKT needs.</summary>
    public bool HasUnitScore => Score is >= 0.0 and <= 1.0;

    /// <summary>The primary sort key of this observation under <paramref name="ordering"/>.</summary>
    public DateTimeOffset OrderKey(EvidenceOrdering ordering) => ordering switch
    {
        EvidenceOrdering.ObservedTime => ObservedAt,
        // Undated evidence (a practice event) sits where it happened rather than being dropped or sent to an end.
        EvidenceOrdering.DueTime => DueAt ?? ObservedAt,
        _ => throw new ArgumentOutOfRangeException(nameof(ordering), ordering, "Unknown evidence ordering."),
    };
}

/// <summary>Which clock orders the evidence before a mastery method folds it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<EvidenceOrdering>))]
public enum EvidenceOrdering
{
    /// <summary>By when the evidence was observed (Canvas: submission time).</summary>
    [JsonStringEnumMemberName("observed_time")]
    ObservedTime,

    /// <summary>By due date, falling back to the observed time for evidence without one.</summary>
    [JsonStringEnumMemberName("due_time")]
    DueTime,
}

public static class ObservationOrdering
{
    /// <summary>
    /// Orders observations for replay. Ties on the key keep their input order (LINQ's OrderBy is stable), so feeding
    /// the evidence log in insertion order gives one reproducible answer. Under <see cref="EvidenceOrdering.DueTime"/>
    /// equal due dates are further ordered by observed time, the order in which the learner actually did the work.
    /// </summary>
    public static IReadOnlyList<Observation> Order(IEnumerable<Observation> observations, EvidenceOrdering ordering)
    {
        ArgumentNullException.ThrowIfNull(observations);
        return ordering switch
        {
            EvidenceOrdering.ObservedTime => observations.OrderBy(o => o.ObservedAt).ToArray(),
            EvidenceOrdering.DueTime => observations.OrderBy(o => o.DueAt ?? o.ObservedAt).ThenBy(o => o.ObservedAt).ToArray(),
            _ => throw new ArgumentOutOfRangeException(nameof(ordering), ordering, "Unknown evidence ordering."),
        };
    }
}
