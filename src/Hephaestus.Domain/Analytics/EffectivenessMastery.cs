using Hephaestus.Domain.Mastery;

namespace Hephaestus.Domain.Analytics;

/// <summary>
/// Mastery at a moment, from the evidence log (issue 12, parts 3 and 4): the learner's observations of a skill made at or
/// before the moment, in the order the skill's method reads them (<see cref="ObservationOrdering"/>), folded by the one
/// mastery rule (<see cref="MasteryState"/>). The log records no value after each observation, so a past value is a
/// replay; doing it here rather than in SQL keeps one definition of every method.
/// </summary>
public static class EffectivenessMastery
{
    /// <summary>
    /// The value standing in before the method has one: BKT's prior P(L₀) (the probability it assumes before any evidence),
    /// 0 under the other methods (nothing shown yet). So a first observation after an exposure counts as a change.
    /// </summary>
    public static double Baseline(MasteryParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return parameters.Method == MasteryMethod.Bkt ? parameters.Prior : 0;
    }

    /// <summary>The value at <paramref name="at"/>: the observations made at or before it, folded; the baseline without a value.</summary>
    public static double ValueAt(MasteryParameters parameters, IEnumerable<Observation> log, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(log);
        var state = MasteryState.Replay(parameters, ObservationOrdering.Order(log.Where(o => o.ObservedAt <= at), parameters.Ordering));
        return state.Value(parameters) ?? Baseline(parameters);
    }

    /// <summary>
    /// The first moment the skill was mastered: the earliest observed time t at which the value of the evidence made up to t
    /// is mastered (<see cref="MasteryParameters.IsMastered"/>); null when it never was.
    /// </summary>
    public static DateTimeOffset? FirstMastered(MasteryParameters parameters, IReadOnlyCollection<Observation> log)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(log);
        if (parameters.Ordering == EvidenceOrdering.ObservedTime)
        {
            // Folding in observed order, the value after the last observation of a moment is the value at that moment.
            var ordered = ObservationOrdering.Order(log, parameters.Ordering);
            var state = MasteryState.Empty;
            for (var i = 0; i < ordered.Count; i++)
            {
                state = state.Apply(parameters, ordered[i]);
                var lastOfMoment = i + 1 == ordered.Count || ordered[i + 1].ObservedAt != ordered[i].ObservedAt;
                if (lastOfMoment && parameters.IsMastered(state.Value(parameters))) return ordered[i].ObservedAt;
            }

            return null;
        }

        // Ordered by due time, late work sorts among earlier evidence: each moment is a replay of what was made by then.
        foreach (var moment in log.Select(o => o.ObservedAt).Distinct().Order())
        {
            var state = MasteryState.Replay(parameters, ObservationOrdering.Order(log.Where(o => o.ObservedAt <= moment), parameters.Ordering));
            if (parameters.IsMastered(state.Value(parameters))) return moment;
        }

        return null;
    }
}
