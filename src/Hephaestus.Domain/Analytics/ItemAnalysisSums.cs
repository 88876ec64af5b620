namespace Hephaestus.Domain.Analytics;

/// <summary>
/// One counted attempt as item analysis sees it: its total T (points), the most it could score, and the mark x of each
/// position (slot) with the item version drawn there.
/// </summary>
public sealed record CountedAttempt(decimal Total, decimal MaxTotal, IReadOnlyList<Guid> ItemVersionIds, IReadOnlyList<decimal> Marks);

/// <summary>Sums over the counted attempts: N, ΣT, ΣT², ΣT³, ΣT⁴ and Σ of the attempts' maximum totals.</summary>
public sealed record TestSums(long N, decimal SumT, decimal SumT2, decimal SumT3, decimal SumT4, decimal SumMax)
{
    public static readonly TestSums Empty = new(0, 0, 0, 0, 0, 0);

    public TestSums Add(TestSums other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new(N + other.N, SumT + other.SumT, SumT2 + other.SumT2, SumT3 + other.SumT3, SumT4 + other.SumT4, SumMax + other.SumMax);
    }
}

/// <summary>
/// Sums over the counted attempts that drew <see cref="ItemVersionId"/> at <see cref="Slot"/>: n, Σx, Σx², Σx·T, ΣT, ΣT²
/// (x the item's mark, T the attempt's total).
/// </summary>
public sealed record ItemSums(int Slot, Guid ItemVersionId, long N, decimal SumX, decimal SumXX, decimal SumXT, decimal SumT, decimal SumTT)
{
    public ItemSums Add(ItemSums other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return this with
        {
            N = N + other.N, SumX = SumX + other.SumX, SumXX = SumXX + other.SumXX, SumXT = SumXT + other.SumXT, SumT = SumT + other.SumT,
            SumTT = SumTT + other.SumTT,
        };
    }
}

/// <summary>
/// The running sums of an assessment: what the database keeps live (Sql/0026_item_analysis.sql), or what
/// <see cref="Of"/> makes from attempts (a cohort's figures, the tests). The same statistics come from either.
/// </summary>
public sealed record ItemAnalysisSums(TestSums Test, IReadOnlyList<ItemSums> Items)
{
    /// <summary>The sums of these attempts, as the database's trigger adds them up.</summary>
    public static ItemAnalysisSums Of(IEnumerable<CountedAttempt> attempts)
    {
        ArgumentNullException.ThrowIfNull(attempts);
        var test = TestSums.Empty;
        var items = new Dictionary<(int, Guid), ItemSums>();
        foreach (var a in attempts)
        {
            var t = a.Total;
            test = test.Add(new TestSums(1, t, t * t, t * t * t, t * t * t * t, a.MaxTotal));
            for (var slot = 0; slot < a.ItemVersionIds.Count; slot++)
            {
                var x = a.Marks[slot];
                var one = new ItemSums(slot, a.ItemVersionIds[slot], 1, x, x * x, x * t, t, t * t);
                items[(slot, one.ItemVersionId)] = items.TryGetValue((slot, one.ItemVersionId), out var sums) ? sums.Add(one) : one;
            }
        }

        return new ItemAnalysisSums(test, [.. items.Values]);
    }
}

/// <summary>
/// What needs the attempts in order rather than sums: the median total, and per item version Moodle's Cov_max (the
/// covariance of x and Y = T − x when both are sorted, i.e. the largest covariance their values allow).
/// </summary>
public sealed record OrderStatistics(double? Median, IReadOnlyDictionary<Guid, double> CovarianceMax)
{
    public static OrderStatistics Of(IReadOnlyList<CountedAttempt> attempts)
    {
        ArgumentNullException.ThrowIfNull(attempts);
        var totals = attempts.Select(a => (double)a.Total).ToArray();
        Array.Sort(totals);
        double? median = totals.Length == 0 ? null
            : totals.Length % 2 == 1 ? totals[totals.Length / 2]
            : (totals[(totals.Length / 2) - 1] + totals[totals.Length / 2]) / 2;

        var marks = new Dictionary<Guid, (List<double> X, List<double> Y)>();
        foreach (var a in attempts)
        {
            for (var slot = 0; slot < a.ItemVersionIds.Count; slot++)
            {
                if (!marks.TryGetValue(a.ItemVersionIds[slot], out var lists)) marks[a.ItemVersionIds[slot]] = lists = ([], []);
                lists.X.Add((double)a.Marks[slot]);
                lists.Y.Add((double)(a.Total - a.Marks[slot]));
            }
        }

        var covarianceMax = new Dictionary<Guid, double>();
        foreach (var (item, (xs, ys)) in marks)
        {
            if (xs.Count < 2) continue;
            var x = xs.ToArray();
            var y = ys.ToArray();
            Array.Sort(x);
            Array.Sort(y);
            covarianceMax[item] = SortedCovariance(x, y);
        }

        return new OrderStatistics(median, covarianceMax);
    }

    /// <summary>Σ(x₍ₖ₎ − x̄)(y₍ₖ₎ − ȳ) / (n − 1) of two equally long arrays, each already sorted.</summary>
    static double SortedCovariance(double[] x, double[] y)
    {
        double meanX = 0, meanY = 0;
        for (var k = 0; k < x.Length; k++)
        {
            meanX += x[k];
            meanY += y[k];
        }

        meanX /= x.Length;
        meanY /= y.Length;
        double sum = 0;
        for (var k = 0; k < x.Length; k++) sum += (x[k] - meanX) * (y[k] - meanY);
        return sum / (x.Length - 1);
    }
}
