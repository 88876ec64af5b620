namespace Hephaestus.Domain.Analytics;

/// <summary>What the statistics need to know of an item version besides the marks: its points and its random guess score (0..1, or none).</summary>
public sealed record ItemFacts(Guid ItemVersionId, decimal Points, double? RandomGuessScore);

/// <summary>
/// Moodle's test statistics. Mean, median and standard deviation are in points (out of <see cref="MaxTotal"/>, the mean
/// of the attempts' maximum totals); skewness and kurtosis are k-statistic ratios; CIC (Cronbach's α × 100), error
/// ratio and standard error as Moodle reports them. A figure that needs more attempts than there are is null.
/// </summary>
public sealed record TestStatistics(long Attempts, double? MaxTotal, double? Mean, double? Median, double? StandardDeviation, double? Skewness,
    double? Kurtosis, double? Cic, double? ErrorRatio, double? StandardError);

/// <summary>
/// Moodle's statistics of one item version over the counted attempts that drew it, in Moodle's percentages: facility
/// (mean mark ÷ points), standard deviation (÷ points), random guess score, intended and effective weight, discrimination
/// index and discriminative efficiency (both against the rest of the test). <see cref="Flagged"/>: the discriminative
/// efficiency is below the bound (none at all is not flagged: a zero-variance item says nothing either way).
/// </summary>
public sealed record ItemStatistic(Guid ItemVersionId, long Attempts, decimal Points, double? Facility, double? StandardDeviation,
    double? RandomGuessScore, double? IntendedWeight, double? EffectiveWeight, double? DiscriminationIndex, double? DiscriminativeEfficiency,
    bool Flagged);

public sealed record ItemAnalysisReport(TestStatistics Test, IReadOnlyList<ItemStatistic> Items);

/// <summary>
/// Moodle's item analysis (question/classes/statistics, mod/quiz/report/statistics) from running sums: s attempts, x an
/// item's mark, T the attempt's total, Y = T − x the rest of the test. Variances and covariances divide by s − 1;
/// discrimination compares an item with the rest of the test, effective weight with the whole total; an item with zero
/// variance has no discrimination figures and effective weight 0. Cronbach's α runs over the slots (positions) as
/// Moodle's does over quiz slots; with pools a slot holds several item versions, and each version's own figures come
/// from the attempts that drew it.
/// </summary>
public static class ItemStatistics
{
    /// <summary>Moodle flags an item whose discriminative efficiency is below 15 %.</summary>
    public const double DefaultFlagBelow = 15;

    /// <param name="order">Median and Cov_max; without them (the live summary) those figures are null.</param>
    public static ItemAnalysisReport Compute(ItemAnalysisSums sums, IReadOnlyDictionary<Guid, ItemFacts> facts, OrderStatistics? order,
        double flagBelow = DefaultFlagBelow)
    {
        ArgumentNullException.ThrowIfNull(sums);
        ArgumentNullException.ThrowIfNull(facts);
        var test = TestFigures(sums, order);
        var perItem = sums.Items.GroupBy(s => s.ItemVersionId).Select(g => g.Aggregate((a, b) => a.Add(b))).OrderBy(s => s.ItemVersionId).ToList();
        var covarianceWithTotal = perItem.ToDictionary(s => s.ItemVersionId, CovarianceWithTotal);
        // Moodle: each item's √Cov(x, T) (none when negative) over the sum of them.
        var weightSum = covarianceWithTotal.Values.Where(c => c is >= 0).Sum(c => Math.Sqrt(c!.Value));
        var items = new List<ItemStatistic>(perItem.Count);
        foreach (var s in perItem)
        {
            var points = facts.TryGetValue(s.ItemVersionId, out var f) ? f.Points : 0;
            items.Add(ItemFigures(s, points, f?.RandomGuessScore, test.MaxTotal, covarianceWithTotal[s.ItemVersionId], weightSum,
                order?.CovarianceMax.GetValueOrDefault(s.ItemVersionId), flagBelow));
        }

        return new ItemAnalysisReport(test, items);
    }

    /// <summary>
    /// Moodle's random guess score (0..1) by item type: a single choice 1 / options (Moodle averages the options' fractions,
    /// one of which is 1); a multiple choice none (Moodle does not try for multiple answers); every other type 0.
    /// </summary>
    public static double? RandomGuessScore(string type, int? options) => type switch
    {
        "single_choice" => options is > 0 ? 1.0 / options.Value : null,
        "multiple_choice" => null,
        _ => 0,
    };

    static TestStatistics TestFigures(ItemAnalysisSums sums, OrderStatistics? order)
    {
        var t = sums.Test;
        var n = t.N;
        if (n == 0) return new TestStatistics(0, null, null, order?.Median, null, null, null, null, null, null);
        var mean = t.SumT / n;
        // Central sums from power sums, in decimal: exact enough that the cancellation does not hurt.
        var d2 = t.SumT2 - (mean * t.SumT);
        var d3 = t.SumT3 - (3 * mean * t.SumT2) + (3 * mean * mean * t.SumT) - (n * mean * mean * mean);
        var d4 = t.SumT4 - (4 * mean * t.SumT3) + (6 * mean * mean * t.SumT2) - (4 * mean * mean * mean * t.SumT) + (n * mean * mean * mean * mean);
        double m2 = (double)d2 / n, m3 = (double)d3 / n, m4 = (double)d4 / n;
        double s = n;
        double? k2 = n > 1 ? s * m2 / (s - 1) : null;
        double? sd = k2 is { } v ? Math.Sqrt(Math.Max(v, 0)) : null;
        double? skewness = n > 2 && k2 > 0 ? (s * s * m3 / ((s - 1) * (s - 2))) / Math.Pow(k2.Value, 1.5) : null;
        double? kurtosis = n > 3 && k2 > 0
            ? (s * s * (((s + 1) * m4) - (3 * (s - 1) * m2 * m2)) / ((s - 1) * (s - 2) * (s - 3))) / (k2.Value * k2.Value)
            : null;

        // Cronbach's α over slots: p/(p − 1) · (1 − Σ Var(slot mark) / Var(T)).
        var slots = sums.Items.GroupBy(i => i.Slot).Select(g => g.Aggregate((a, b) => a.Add(b))).Where(g => g.N > 0).ToList();
        double? cic = null;
        if (slots.Count > 1 && k2 > 0)
        {
            var variances = slots.Select(sl => Variance(sl.N, sl.SumX, sl.SumXX)).ToList();
            if (variances.All(x => x.HasValue))
            {
                double p = slots.Count;
                cic = 100 * p / (p - 1) * (1 - (variances.Sum(x => x!.Value) / k2.Value));
            }
        }

        double? errorRatio = cic is { } c && c <= 100 ? 100 * Math.Sqrt(1 - (c / 100)) : null;
        double? standardError = errorRatio is { } er && sd is { } d ? er * d / 100 : null;
        return new TestStatistics(n, (double)(t.SumMax / n), (double)mean, order?.Median, sd, skewness, kurtosis, cic, errorRatio, standardError);
    }

    static ItemStatistic ItemFigures(ItemSums s, decimal points, double? guess, double? maxTotal, double? covarianceWithTotal, double weightSum,
        double? covarianceMax, double flagBelow)
    {
        var n = s.N;
        double? facility = n > 0 && points > 0 ? 100 * (double)(s.SumX / n / points) : null;
        var variance = Variance(n, s.SumX, s.SumXX);
        double? sd = variance is { } v && points > 0 ? 100 * Math.Sqrt(Math.Max(v, 0)) / (double)points : null;
        double? intended = maxTotal is > 0 ? 100 * (double)points / maxTotal.Value : null;
        double? effective = covarianceWithTotal switch
        {
            null => null,
            < 0 => null,
            var c when weightSum > 0 => 100 * Math.Sqrt(c.Value) / weightSum,
            _ => 0,
        };

        // The rest of the test, Y = T − x: ΣY = ΣT − Σx, ΣY² = ΣT² − 2ΣxT + Σx², ΣxY = ΣxT − Σx².
        var sumY = s.SumT - s.SumX;
        var sumYY = s.SumTT - (2 * s.SumXT) + s.SumXX;
        var sumXY = s.SumXT - s.SumXX;
        var varianceRest = Variance(n, sumY, sumYY);
        var covariance = Covariance(n, s.SumX, sumY, sumXY);
        double? discrimination = null, efficiency = null;
        if (variance is > 0 && varianceRest is > 0 && covariance is { } cov)
        {
            discrimination = 100 * cov / Math.Sqrt(variance.Value * varianceRest.Value);
            if (covarianceMax is { } max && max != 0) efficiency = 100 * cov / max;
        }

        return new ItemStatistic(s.ItemVersionId, n, points, facility, sd, guess * 100, intended, effective, discrimination, efficiency,
            efficiency is { } e && e < flagBelow);
    }

    static double? CovarianceWithTotal(ItemSums s) => Covariance(s.N, s.SumX, s.SumT, s.SumXT);

    /// <summary>(Σx² − (Σx)²/n) / (n − 1); null below two values.</summary>
    static double? Variance(long n, decimal sum, decimal sumOfSquares) => n > 1 ? (double)((sumOfSquares - (sum * sum / n)) / (n - 1)) : null;

    /// <summary>(Σxy − Σx·Σy/n) / (n − 1); null below two pairs.</summary>
    static double? Covariance(long n, decimal sumX, decimal sumY, decimal sumXY) => n > 1 ? (double)((sumXY - (sumX * sumY / n)) / (n - 1)) : null;
}
