namespace Hephaestus.Domain.Mastery.Fitting;

/// <summary>Prediction quality of one-step-ahead BKT predictions, next to a constant baseline.</summary>
public sealed record BktEvaluation(int Observations, double? Auc, double? Rmse, double? BaselineAuc, double? BaselineRmse);

public static class BktEvaluator
{
    /// <summary>
    /// For each answer, predicts P(correct) = P(L)(1−S) + (1−P(L))G from the answers before it (never from itself),
    /// then updates P(L) with it. The baseline always predicts <paramref name="baselineProbability"/>, typically the
    /// training share of correct answers: a model that cannot beat it has learned nothing about the learner.
    /// </summary>
    public static BktEvaluation Evaluate(BktParameters parameters, IReadOnlyList<IReadOnlyList<bool>> sequences, double baselineProbability)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        var total = 0;
        for (var i = 0; i < sequences.Count; i++)
        {
            total += sequences[i].Count;
        }

        var predictions = new double[total];
        var labels = new bool[total];
        var k = 0;
        for (var i = 0; i < sequences.Count; i++)
        {
            var sequence = sequences[i];
            var pLearned = parameters.Prior;
            for (var t = 0; t < sequence.Count; t++)
            {
                predictions[k] = parameters.PredictCorrect(pLearned);
                labels[k] = sequence[t];
                pLearned = parameters.Update(pLearned, sequence[t] ? 1.0 : 0.0);
                k++;
            }
        }

        var baseline = new double[total];
        Array.Fill(baseline, baselineProbability);
        return new BktEvaluation(total, Auc(predictions, labels), Rmse(predictions, labels), Auc(baseline, labels), Rmse(baseline, labels));
    }

    /// <summary>
    /// Area under the ROC curve by the rank-sum (Mann–Whitney) formula, with tied predictions given their average
    /// rank so that a constant predictor scores exactly 0.5. Null when either class is absent.
    /// </summary>
    public static double? Auc(IReadOnlyList<double> predictions, IReadOnlyList<bool> labels)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(labels);
        if (predictions.Count != labels.Count)
        {
            throw new ArgumentException("Predictions and labels must have the same length.", nameof(labels));
        }

        var n = predictions.Count;
        var order = new int[n];
        var keys = new double[n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
            keys[i] = predictions[i];
        }

        Array.Sort(keys, order);
        double positiveRankSum = 0;
        long positives = 0;
        var start = 0;
        while (start < n)
        {
            var end = start;
            while (end + 1 < n && keys[end + 1] == keys[start])
            {
                end++;
            }

            // Ranks start..end (0-based) share the average 1-based rank.
            var averageRank = (start + end) / 2.0 + 1;
            for (var i = start; i <= end; i++)
            {
                if (labels[order[i]])
                {
                    positiveRankSum += averageRank;
                    positives++;
                }
            }

            start = end + 1;
        }

        long negatives = n - positives;
        if (positives == 0 || negatives == 0)
        {
            return null;
        }

        return (positiveRankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    /// <summary>Root mean squared error of the predicted probabilities against 1 (correct) and 0.</summary>
    public static double? Rmse(IReadOnlyList<double> predictions, IReadOnlyList<bool> labels)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(labels);
        if (predictions.Count == 0)
        {
            return null;
        }

        double sum = 0;
        for (var i = 0; i < predictions.Count; i++)
        {
            var error = (labels[i] ? 1.0 : 0.0) - predictions[i];
            sum += error * error;
        }

        return Math.Sqrt(sum / predictions.Count);
    }
}
