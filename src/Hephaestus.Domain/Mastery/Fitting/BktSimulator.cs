namespace Hephaestus.Domain.Mastery.Fitting;

/// <summary>Draws answer sequences from the BKT-with-forgetting model, for tests and for checking a fitter.</summary>
public static class BktSimulator
{
    /// <summary>
    /// Each learner starts learned with probability L₀; at each step answers correctly with 1−S if learned, G if not;
    /// then learns with T or forgets with F. The same seed gives the same sequences.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<bool>> Generate(BktParameters parameters, int learners, int stepsPerLearner, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(learners);
        ArgumentOutOfRangeException.ThrowIfNegative(stepsPerLearner);
        var random = new Random(seed);
        var sequences = new IReadOnlyList<bool>[learners];
        for (var learner = 0; learner < learners; learner++)
        {
            var answers = new bool[stepsPerLearner];
            var learned = random.NextDouble() < parameters.Prior;
            for (var step = 0; step < stepsPerLearner; step++)
            {
                answers[step] = learned ? random.NextDouble() >= parameters.Slip : random.NextDouble() < parameters.Guess;
                learned = learned ? random.NextDouble() >= parameters.Forget : random.NextDouble() < parameters.Learn;
            }

            sequences[learner] = answers;
        }

        return sequences;
    }
}
