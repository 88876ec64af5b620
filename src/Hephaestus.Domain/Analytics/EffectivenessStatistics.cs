using System.Globalization;

namespace Hephaestus.Domain.Analytics;

/// <summary>A group's sample: how many learners, the mean of their changes and its sample variance (divided by n − 1).</summary>
public sealed record SampleSummary(long Count, double? Mean, double? Variance)
{
    /// <summary>The mean and the sample variance (n − 1) of <paramref name="values"/>; the variance is null below two values.</summary>
    public static SampleSummary Of(IReadOnlyCollection<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) return new SampleSummary(0, null, null);
        var mean = values.Average();
        double? variance = values.Count < 2 ? null : values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1);
        return new SampleSummary(values.Count, mean, variance);
    }
}

/// <summary>
/// A confidence interval for the difference of two means by Welch's t: the difference (second minus first), its standard
/// error, the Welch–Satterthwaite degrees of freedom, the t quantile used and the interval's ends.
/// </summary>
public sealed record WelchInterval(double Difference, double StandardError, double DegreesOfFreedom, double TQuantile, double Lower, double Upper)
{
    /// <summary>Whether 0 lies in the interval: the data are then consistent with no difference at all.</summary>
    public bool ContainsZero => Lower <= 0 && Upper >= 0;
}

/// <summary>
/// The statistics of content effectiveness (issue 12, part 3), pure: Welch's interval for the difference between two
/// versions' mean mastery changes, and Student's t distribution it needs.
/// </summary>
/// <remarks>
/// Welch (unequal variances), for groups 1 and 2 with sizes n, means m and sample variances s² (÷ n − 1):
/// d = m₂ − m₁; SE = √(s₁²/n₁ + s₂²/n₂); ν = SE⁴ / ((s₁²/n₁)²/(n₁ − 1) + (s₂²/n₂)²/(n₂ − 1)) (Welch–Satterthwaite);
/// the interval at confidence c is d ± t₍₁₊c₎/₂,ν · SE, with t the quantile of Student's t with ν (a real number)
/// degrees of freedom. Welch rather than the pooled t: versions are shown to groups of different sizes whose spreads
/// need not agree, and Welch's interval keeps its coverage then. Each group needs two learners (a variance); when both
/// variances are 0 the standard error is 0, ν is taken as n₁ + n₂ − 2 and the interval is the point d.
/// </remarks>
public static class EffectivenessStatistics
{
    public const double DefaultConfidence = 0.95;

    /// <summary>Welch's interval for mean(<paramref name="second"/>) − mean(<paramref name="first"/>); null when a group has fewer than two learners.</summary>
    public static WelchInterval? Welch(SampleSummary first, SampleSummary second, double confidence = DefaultConfidence)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (confidence is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "Confidence lies strictly between 0 and 1.");
        if (first.Count < 2 || second.Count < 2 || first.Variance is not { } v1 || second.Variance is not { } v2) return null;
        var (a, b) = (v1 / first.Count, v2 / second.Count);
        var difference = second.Mean!.Value - first.Mean!.Value;
        var se = Math.Sqrt(a + b);
        var df = a + b > 0
            ? (a + b) * (a + b) / (a * a / (first.Count - 1) + b * b / (second.Count - 1))
            : first.Count + second.Count - 2;
        var t = StudentTQuantile((1 + confidence) / 2, df);
        return new WelchInterval(difference, se, df, t, difference - t * se, difference + t * se);
    }

    /// <summary>
    /// The quantile of Student's t with <paramref name="degreesOfFreedom"/> (any real &gt; 0) at probability <paramref name="p"/>:
    /// the t with P(T ≤ t) = p, found by bisection on <see cref="StudentTCdf"/> to 1e-12.
    /// </summary>
    public static double StudentTQuantile(double p, double degreesOfFreedom)
    {
        if (p is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "p lies strictly between 0 and 1.");
        if (!(degreesOfFreedom > 0)) throw new ArgumentOutOfRangeException(nameof(degreesOfFreedom), degreesOfFreedom, "Degrees of freedom are positive.");
        if (p < 0.5) return -StudentTQuantile(1 - p, degreesOfFreedom);
        if (p == 0.5) return 0;
        var high = 1.0;
        while (StudentTCdf(high, degreesOfFreedom) < p) high *= 2;
        var low = 0.0;
        for (var i = 0; i < 200 && high - low > 1e-12 * Math.Max(1, high); i++)
        {
            var middle = (low + high) / 2;
            if (StudentTCdf(middle, degreesOfFreedom) < p) low = middle;
            else high = middle;
        }

        return (low + high) / 2;
    }

    /// <summary>P(T ≤ t) for Student's t with ν degrees of freedom: 1 − ½·I_{ν/(ν+t²)}(ν/2, ½) for t ≥ 0, by symmetry below.</summary>
    public static double StudentTCdf(double t, double degreesOfFreedom)
    {
        var tail = 0.5 * RegularizedIncompleteBeta(degreesOfFreedom / (degreesOfFreedom + t * t), degreesOfFreedom / 2, 0.5);
        return t >= 0 ? 1 - tail : tail;
    }

    /// <summary>I_x(a, b) by its continued fraction (modified Lentz), on the side where it converges fast.</summary>
    static double RegularizedIncompleteBeta(double x, double a, double b)
    {
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        var front = Math.Exp(LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x));
        return x < (a + 1) / (a + b + 2)
            ? front * BetaContinuedFraction(x, a, b) / a
            : 1 - front * BetaContinuedFraction(1 - x, b, a) / b;
    }

    static double BetaContinuedFraction(double x, double a, double b)
    {
        const double tiny = 1e-300;
        var c = 1.0;
        var d = 1 - (a + b) * x / (a + 1);
        d = 1 / (Math.Abs(d) < tiny ? tiny : d);
        var h = d;
        for (var m = 1; m <= 1000; m++)
        {
            var m2 = 2 * m;
            var even = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
            d = 1 + even * d; d = 1 / (Math.Abs(d) < tiny ? tiny : d);
            c = 1 + even / c; if (Math.Abs(c) < tiny) c = tiny;
            h *= d * c;
            var odd = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
            d = 1 + odd * d; d = 1 / (Math.Abs(d) < tiny ? tiny : d);
            c = 1 + odd / c; if (Math.Abs(c) < tiny) c = tiny;
            var step = d * c;
            h *= step;
            if (Math.Abs(step - 1) < 1e-15) break;
        }

        return h;
    }

    /// <summary>ln Γ(x) for x &gt; 0 (Lanczos, g = 7, nine coefficients: about 15 significant digits).</summary>
    static double LogGamma(double x)
    {
        if (x < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        x -= 1;
        var sum = Lanczos[0];
        for (var i = 1; i < Lanczos.Length; i++) sum += Lanczos[i] / (x + i);
        var t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }

    static readonly double[] Lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];

    internal static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
