using System.Text.Json.Serialization;

namespace Hephaestus.Domain.Mastery;

/// <summary>
/// The five parameters of Bayesian Knowledge Tracing with forgetting, and its update equations in one place so that
/// the live mastery state, the fitter and the evaluator cannot drift apart.
/// </summary>
/// <param name="Prior">L₀, the probability the skill is learned before any evidence.</param>
/// <param name="Learn">T, the probability of moving from unlearned to learned after an opportunity.</param>
/// <param name="Guess">G, the probability of a correct answer while unlearned.</param>
/// <param name="Slip">S, the probability of an incorrect answer while learned.</param>
/// <param name="Forget">F, the probability of moving from learned back to unlearned after an opportunity.</param>
public readonly record struct BktParameters(
    [property: JsonPropertyName("prior")] double Prior,
    [property: JsonPropertyName("learn")] double Learn,
    [property: JsonPropertyName("guess")] double Guess,
    [property: JsonPropertyName("slip")] double Slip,
    [property: JsonPropertyName("forget")] double Forget)
{
    /// <summary>P(correct) = P(L)(1−S) + (1−P(L))G: the prediction for the next opportunity.</summary>
    public double PredictCorrect(double pLearned) => pLearned * (1 - Slip) + (1 - pLearned) * Guess;

    /// <summary>P(L|correct) = P(L)(1−S) / (P(L)(1−S) + (1−P(L))G).</summary>
    public double PosteriorAfterCorrect(double pLearned)
    {
        var numerator = pLearned * (1 - Slip);
        var denominator = numerator + (1 - pLearned) * Guess;
        // A correct answer is impossible under the model only when P(L)=0 and G=0; it then carries no information.
        return denominator > 0 ? numerator / denominator : pLearned;
    }

    /// <summary>P(L|incorrect) = P(L)S / (P(L)S + (1−P(L))(1−G)).</summary>
    public double PosteriorAfterIncorrect(double pLearned)
    {
        var numerator = pLearned * Slip;
        var denominator = numerator + (1 - pLearned) * (1 - Guess);
        return denominator > 0 ? numerator / denominator : pLearned;
    }

    /// <summary>
    /// Posterior after a score in 0..1. Partial credit is the convex combination s·P(L|c) + (1−s)·P(L|i): it reads a
    /// fractional score as "correct with probability s". For s = 1 or s = 0 it is exactly the classic update.
    /// </summary>
    public double Posterior(double pLearned, double score)
    {
        if (score is < 0.0 or > 1.0 || double.IsNaN(score))
        {
            throw new ArgumentOutOfRangeException(nameof(score), score, "BKT needs a score in 0..1.");
        }

        return score * PosteriorAfterCorrect(pLearned) + (1 - score) * PosteriorAfterIncorrect(pLearned);
    }

    /// <summary>P(L') = P(L|obs)(1−F) + (1−P(L|obs))T: the opportunity itself may teach or the skill may fade.</summary>
    public double Transition(double posterior) => posterior * (1 - Forget) + (1 - posterior) * Learn;

    /// <summary>One full step: condition on the observed score, then apply the learn/forget transition.</summary>
    public double Update(double pLearned, double score) => Transition(Posterior(pLearned, score));

    /// <summary>Errors for each parameter outside [0,1], and for guess or slip at or above 0.5.</summary>
    /// <remarks>
    /// With G ≥ 0.5 or S ≥ 0.5 the "learned" state would answer no better than the "unlearned" one and the two states
    /// could swap names with the same likelihood; bounding both below 0.5 keeps the model identifiable.
    /// </remarks>
    public IReadOnlyList<ValidationError> Validate(string pathPrefix = "")
    {
        var errors = new List<ValidationError>();
        CheckProbability(errors, pathPrefix + "/prior", Prior);
        CheckProbability(errors, pathPrefix + "/learn", Learn);
        if (CheckProbability(errors, pathPrefix + "/guess", Guess) && Guess >= 0.5)
        {
            errors.Add(new(pathPrefix + "/guess", "must be less than 0.5 so that the learned and unlearned states stay distinguishable"));
        }

        if (CheckProbability(errors, pathPrefix + "/slip", Slip) && Slip >= 0.5)
        {
            errors.Add(new(pathPrefix + "/slip", "must be less than 0.5 so that the learned and unlearned states stay distinguishable"));
        }

        CheckProbability(errors, pathPrefix + "/forget", Forget);
        return errors;
    }

    private static bool CheckProbability(List<ValidationError> errors, string path, double value)
    {
        if (value is >= 0.0 and <= 1.0)
        {
            return true;
        }

        errors.Add(new(path, "must be a probability between 0 and 1"));
        return false;
    }
}
