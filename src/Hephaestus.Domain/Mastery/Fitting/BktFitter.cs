namespace Hephaestus.Domain.Mastery.Fitting;

/// <summary>
/// Fits BKT with forgetting by expectation–maximization (Baum–Welch) on the two-state hidden Markov model:
/// state 0 unlearned, state 1 learned; initial P(state 1) = L₀; transitions 0→1 with T and 1→0 with F;
/// P(correct | 0) = G and P(correct | 1) = 1 − S. The transition follows each answer, as in the update equations.
/// </summary>
public static class BktFitter
{
    public static BktFitReport Fit(IReadOnlyList<IReadOnlyList<bool>> sequencesPerLearner, BktFitOptions options)
    {
        ArgumentNullException.ThrowIfNull(sequencesPerLearner);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Restarts < 1 || options.MaxIterations < 1 || !(options.Tolerance >= 0)
            || !(options.HeldOutFraction is >= 0 and < 1) || !(options.MaxGuessAndSlip is > 0 and < 0.5)
            || !(options.Epsilon is > 0 and < 0.01))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options, "Fit options are out of range.");
        }

        var (train, heldOut) = Split(sequencesPerLearner, options);
        if (train.Length == 0)
        {
            throw new ArgumentException("There are no non-empty sequences to fit.", nameof(sequencesPerLearner));
        }

        var data = TrainingData.From(train);
        var random = new Random(options.Seed);
        BktParameters best = default;
        var bestLogLikelihood = double.NegativeInfinity;
        var bestIterations = 0;
        for (var restart = 0; restart < options.Restarts; restart++)
        {
            // The first start is the platform default (a sensible prior belief); the others spread over the
            // plausible region so that one poor local optimum cannot decide the fit.
            var start = restart == 0
                ? MasteryParameters.Default.Bkt
                : new BktParameters(
                    Prior: 0.05 + 0.6 * random.NextDouble(),
                    Learn: 0.02 + 0.4 * random.NextDouble(),
                    Guess: 0.05 + 0.35 * random.NextDouble(),
                    Slip: 0.05 + 0.35 * random.NextDouble(),
                    Forget: 0.2 * random.NextDouble());
            var (fitted, logLikelihood, iterations) = RunEm(data, Clamp(start, options), options);
            if (logLikelihood > bestLogLikelihood)
            {
                (best, bestLogLikelihood, bestIterations) = (fitted, logLikelihood, iterations);
            }
        }

        var trainCorrect = 0;
        for (var i = 0; i < data.Answers.Length; i++)
        {
            trainCorrect += data.Answers[i] ? 1 : 0;
        }

        var trainMean = (double)trainCorrect / data.Answers.Length;
        var evaluation = BktEvaluator.Evaluate(best, heldOut, trainMean);
        return new BktFitReport(
            best,
            bestLogLikelihood,
            bestIterations,
            train.Length,
            data.Answers.Length,
            heldOut.Length,
            evaluation.Observations,
            evaluation.Auc,
            evaluation.Rmse,
            evaluation.BaselineAuc,
            evaluation.BaselineRmse);
    }

    /// <summary>Log likelihood of the sequences under <paramref name="parameters"/> (scaled forward pass).</summary>
    public static double LogLikelihood(BktParameters parameters, IReadOnlyList<IReadOnlyList<bool>> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        var data = TrainingData.From(sequences.Where(s => s.Count > 0).ToArray());
        var scratch = new Scratch(data.MaxLength);
        var accumulators = new Accumulators();
        double total = 0;
        for (var s = 0; s < data.Starts.Length - 1; s++)
        {
            total += ForwardBackward(data, s, parameters, scratch, accumulators);
        }

        return total;
    }

    private static (BktParameters Parameters, double LogLikelihood, int Iterations) RunEm(TrainingData data, BktParameters start, BktFitOptions options)
    {
        var scratch = new Scratch(data.MaxLength);
        var current = start;
        var previous = double.NegativeInfinity;
        var observations = data.Answers.Length;
        for (var iteration = 1; iteration <= options.MaxIterations; iteration++)
        {
            var accumulators = new Accumulators();
            double logLikelihood = 0;
            for (var s = 0; s < data.Starts.Length - 1; s++)
            {
                logLikelihood += ForwardBackward(data, s, current, scratch, accumulators);
            }

            // logLikelihood belongs to `current`; the M-step below produces its successor.
            if (logLikelihood - previous < options.Tolerance * observations)
            {
                return (current, logLikelihood, iteration);
            }

            previous = logLikelihood;
            current = Clamp(accumulators.Maximize(current, data.Starts.Length - 1), options);
        }

        // Report the likelihood of the parameters actually returned.
        var final = 0.0;
        var finalAccumulators = new Accumulators();
        for (var s = 0; s < data.Starts.Length - 1; s++)
        {
            final += ForwardBackward(data, s, current, scratch, finalAccumulators);
        }

        return (current, final, options.MaxIterations);
    }

    /// <summary>
    /// Scaled forward–backward for one sequence: adds its expected state occupancies and transitions to
    /// <paramref name="acc"/> and returns its log likelihood (the sum of the log scaling factors).
    /// </summary>
    private static double ForwardBackward(TrainingData data, int sequence, BktParameters p, Scratch w, Accumulators acc)
    {
        var offset = data.Starts[sequence];
        var length = data.Starts[sequence + 1] - offset;
        var answers = data.Answers;
        double a00 = 1 - p.Learn, a01 = p.Learn, a10 = p.Forget, a11 = 1 - p.Forget;
        double correct0 = p.Guess, correct1 = 1 - p.Slip;

        double logLikelihood = 0;
        for (var t = 0; t < length; t++)
        {
            var c = answers[offset + t];
            var b0 = c ? correct0 : 1 - correct0;
            var b1 = c ? correct1 : 1 - correct1;
            double f0, f1;
            if (t == 0)
            {
                f0 = (1 - p.Prior) * b0;
                f1 = p.Prior * b1;
            }
            else
            {
                f0 = (w.Alpha0[t - 1] * a00 + w.Alpha1[t - 1] * a10) * b0;
                f1 = (w.Alpha0[t - 1] * a01 + w.Alpha1[t - 1] * a11) * b1;
            }

            var scale = f0 + f1;
            w.Scale[t] = scale;
            w.Alpha0[t] = f0 / scale;
            w.Alpha1[t] = f1 / scale;
            logLikelihood += Math.Log(scale);
        }

        w.Beta0[length - 1] = 1;
        w.Beta1[length - 1] = 1;
        for (var t = length - 2; t >= 0; t--)
        {
            var c = answers[offset + t + 1];
            var b0 = c ? correct0 : 1 - correct0;
            var b1 = c ? correct1 : 1 - correct1;
            var scale = w.Scale[t + 1];
            w.Beta0[t] = (a00 * b0 * w.Beta0[t + 1] + a01 * b1 * w.Beta1[t + 1]) / scale;
            w.Beta1[t] = (a10 * b0 * w.Beta0[t + 1] + a11 * b1 * w.Beta1[t + 1]) / scale;
        }

        for (var t = 0; t < length; t++)
        {
            // With this scaling, α̂ₜ(i)·β̂ₜ(i) is already the posterior γₜ(i).
            var gamma0 = w.Alpha0[t] * w.Beta0[t];
            var gamma1 = w.Alpha1[t] * w.Beta1[t];
            var c = answers[offset + t];
            if (t == 0)
            {
                acc.Initial1 += gamma1;
            }

            acc.Occupancy0 += gamma0;
            acc.Occupancy1 += gamma1;
            if (c)
            {
                acc.Correct0 += gamma0;
            }
            else
            {
                acc.Incorrect1 += gamma1;
            }

            if (t < length - 1)
            {
                var next = answers[offset + t + 1];
                var b0 = next ? correct0 : 1 - correct0;
                var b1 = next ? correct1 : 1 - correct1;
                var scale = w.Scale[t + 1];
                acc.From0 += gamma0;
                acc.From1 += gamma1;
                acc.Learned += w.Alpha0[t] * a01 * b1 * w.Beta1[t + 1] / scale;
                acc.Forgot += w.Alpha1[t] * a10 * b0 * w.Beta0[t + 1] / scale;
            }
        }

        return logLikelihood;
    }

    private static BktParameters Clamp(BktParameters p, BktFitOptions options)
    {
        var e = options.Epsilon;
        return new BktParameters(
            Math.Clamp(p.Prior, e, 1 - e),
            Math.Clamp(p.Learn, e, 1 - e),
            Math.Clamp(p.Guess, e, options.MaxGuessAndSlip),
            Math.Clamp(p.Slip, e, options.MaxGuessAndSlip),
            Math.Clamp(p.Forget, e, 1 - e));
    }

    /// <summary>Held-out learners are chosen by a seeded shuffle: whole sequences, so no learner is on both sides.</summary>
    private static (IReadOnlyList<bool>[] Train, IReadOnlyList<bool>[] HeldOut) Split(IReadOnlyList<IReadOnlyList<bool>> sequences, BktFitOptions options)
    {
        var nonEmpty = sequences.Where(s => s is { Count: > 0 }).ToArray();
        var random = new Random(unchecked(options.Seed * 7919 + 1));
        random.Shuffle(nonEmpty);
        var heldOutCount = (int)Math.Round(nonEmpty.Length * options.HeldOutFraction);
        return (nonEmpty[heldOutCount..], nonEmpty[..heldOutCount]);
    }

    /// <summary>All answers in one flat array, sequence s at [Starts[s], Starts[s+1]): no allocation per iteration.</summary>
    private sealed class TrainingData
    {
        private TrainingData(bool[] answers, int[] starts, int maxLength)
        {
            Answers = answers;
            Starts = starts;
            MaxLength = maxLength;
        }

        public bool[] Answers { get; }

        public int[] Starts { get; }

        public int MaxLength { get; }

        public static TrainingData From(IReadOnlyList<IReadOnlyList<bool>> sequences)
        {
            var starts = new int[sequences.Count + 1];
            var maxLength = 0;
            for (var s = 0; s < sequences.Count; s++)
            {
                starts[s + 1] = starts[s] + sequences[s].Count;
                maxLength = Math.Max(maxLength, sequences[s].Count);
            }

            var answers = new bool[starts[^1]];
            for (var s = 0; s < sequences.Count; s++)
            {
                for (var t = 0; t < sequences[s].Count; t++)
                {
                    answers[starts[s] + t] = sequences[s][t];
                }
            }

            return new TrainingData(answers, starts, maxLength);
        }
    }

    private sealed class Scratch(int length)
    {
        public double[] Alpha0 { get; } = new double[length];

        public double[] Alpha1 { get; } = new double[length];

        public double[] Beta0 { get; } = new double[length];

        public double[] Beta1 { get; } = new double[length];

        public double[] Scale { get; } = new double[length];
    }

    /// <summary>Expected counts from the E-step; <see cref="Maximize"/> turns them into the next parameters.</summary>
    private sealed class Accumulators
    {
        public double Initial1 { get; set; }

        public double Occupancy0 { get; set; }

        public double Occupancy1 { get; set; }

        public double Correct0 { get; set; }

        public double Incorrect1 { get; set; }

        public double From0 { get; set; }

        public double From1 { get; set; }

        public double Learned { get; set; }

        public double Forgot { get; set; }

        public BktParameters Maximize(BktParameters current, int sequences) => new(
            Prior: Initial1 / sequences,
            // A state never visited gives no evidence about its parameters: keep the current value.
            Learn: From0 > 0 ? Learned / From0 : current.Learn,
            Guess: Occupancy0 > 0 ? Correct0 / Occupancy0 : current.Guess,
            Slip: Occupancy1 > 0 ? Incorrect1 / Occupancy1 : current.Slip,
            Forget: From1 > 0 ? Forgot / From1 : current.Forget);
    }
}
