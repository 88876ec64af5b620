namespace Hephaestus.Domain.Analytics;

/// <summary>
/// Dichotomous responses for calibration: person p answered <see cref="Items"/>[k] with <see cref="Correct"/>[k] for k in
/// [<see cref="Offsets"/>[p], <see cref="Offsets"/>[p + 1]) (compressed rows: pools leave each person a different set).
/// </summary>
public sealed class ResponseMatrix
{
    public ResponseMatrix(int itemCount, int[] offsets, int[] items, bool[] correct)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(correct);
        if (offsets.Length == 0 || offsets[^1] != items.Length || items.Length != correct.Length)
        {
            throw new ArgumentException("offsets must end at the number of responses, one item and one score each");
        }

        (ItemCount, Offsets, Items, Correct) = (itemCount, offsets, items, correct);
    }

    public int ItemCount { get; }
    public int PersonCount => Offsets.Length - 1;
    public int[] Offsets { get; }
    public int[] Items { get; }
    public bool[] Correct { get; }

    /// <summary>Builds the matrix from each person's (item index, correct) pairs.</summary>
    public static ResponseMatrix From(int itemCount, IEnumerable<IEnumerable<(int Item, bool Correct)>> persons)
    {
        ArgumentNullException.ThrowIfNull(persons);
        var offsets = new List<int> { 0 };
        var items = new List<int>();
        var correct = new List<bool>();
        foreach (var person in persons)
        {
            foreach (var (item, right) in person)
            {
                items.Add(item);
                correct.Add(right);
            }

            offsets.Add(items.Count);
        }

        return new ResponseMatrix(itemCount, [.. offsets], [.. items], [.. correct]);
    }
}

/// <summary>
/// One item's 2PL parameters, P(correct | θ) = 1 / (1 + e^(−a(θ − b))), with standard errors; or why it was not fitted
/// (<see cref="Skipped"/>: too few answers, or all of them right or all wrong, which no finite b explains).
/// </summary>
public sealed record IrtItem(int Index, int Answered, double? Discrimination, double? Difficulty, double? DiscriminationSe, double? DifficultySe,
    string? Skipped);

public sealed record IrtFit(IReadOnlyList<IrtItem> Items, int Iterations, bool Converged, double LogLikelihood, int Quadrature);

public sealed record IrtOptions(int QuadraturePoints = 41, int MaxIterations = 500, double Tolerance = 1e-5, int MinimumAnswers = 30);

/// <summary>
/// The two-parameter logistic model fitted by marginal maximum likelihood: Bock–Aitkin EM with ability integrated out
/// over Gauss–Hermite nodes of a standard normal (which fixes the scale). E step: each person's posterior weight on each
/// node from their answers; M step: per item, Newton steps on (a, c = −a·b) against the expected counts at the nodes
/// (the items separate). Standard errors from the observed information of each item's parameters at the fit (Louis's
/// formula: the expected complete information less the posterior variance of the complete score), by the delta method
/// for b = −c/a. Arrays and flat loops throughout: 5,000 persons × 20 items fit in well under a second.
/// </summary>
public static class Irt2pl
{
    const double MinA = 0.01, MaxA = 20, MaxC = 40;

    public static IrtFit Fit(ResponseMatrix data, IrtOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        options ??= new IrtOptions();
        var (nodes, priors) = GaussHermite.StandardNormal(options.QuadraturePoints);
        int q = nodes.Length, j = data.ItemCount, persons = data.PersonCount;

        var answered = new int[j];
        var right = new int[j];
        for (var k = 0; k < data.Items.Length; k++)
        {
            answered[data.Items[k]]++;
            if (data.Correct[k]) right[data.Items[k]]++;
        }

        var skipped = new string?[j];
        for (var i = 0; i < j; i++)
        {
            skipped[i] = answered[i] < options.MinimumAnswers ? $"answered by {answered[i]}, fewer than {options.MinimumAnswers}"
                : right[i] == 0 ? "nobody answered it correctly"
                : right[i] == answered[i] ? "everybody answered it correctly"
                : null;
        }

        // Start at a = 1 and the difficulty the share of right answers suggests.
        var a = new double[j];
        var c = new double[j];
        for (var i = 0; i < j; i++)
        {
            a[i] = 1;
            var share = Math.Clamp((right[i] + 0.5) / (answered[i] + 1.0), 1e-3, 1 - 1e-3);
            c[i] = 1.7 * Math.Log(share / (1 - share));
        }

        var logP = new double[j * q];
        var logQ = new double[j * q];
        var posterior = new double[persons * q];
        var expectedN = new double[j * q];
        var expectedR = new double[j * q];
        var iterations = 0;
        var converged = false;
        var logLikelihood = double.NegativeInfinity;
        while (iterations < options.MaxIterations)
        {
            iterations++;
            Tabulate(a, c, nodes, logP, logQ);
            var ll = EStep(data, logP, logQ, priors, posterior, expectedN, expectedR, skipped);
            var change = 0.0;
            for (var i = 0; i < j; i++)
            {
                if (skipped[i] is not null) continue;
                var (na, nc) = MaximizeItem(a[i], c[i], nodes, expectedN.AsSpan(i * q, q), expectedR.AsSpan(i * q, q));
                change = Math.Max(change, Math.Max(Math.Abs(na - a[i]), Math.Abs(nc - c[i])));
                (a[i], c[i]) = (na, nc);
            }

            var relative = Math.Abs(ll - logLikelihood) / Math.Max(1, Math.Abs(ll));
            logLikelihood = ll;
            if (change < options.Tolerance || relative < options.Tolerance * 1e-3)
            {
                converged = true;
                break;
            }
        }

        // The figures at the final parameters: posterior weights once more, then each item's information.
        Tabulate(a, c, nodes, logP, logQ);
        logLikelihood = EStep(data, logP, logQ, priors, posterior, expectedN, expectedR, skipped);
        var information = ObservedInformation(data, a, c, nodes, posterior, expectedN, skipped);
        var items = new List<IrtItem>(j);
        for (var i = 0; i < j; i++)
        {
            if (skipped[i] is { } reason)
            {
                items.Add(new IrtItem(i, answered[i], null, null, null, null, reason));
                continue;
            }

            var (iaa, iac, icc) = information[i];
            var det = (iaa * icc) - (iac * iac);
            double? seA = null, seB = null;
            if (det > 0 && iaa > 0 && icc > 0)
            {
                // Inverse of the 2×2 information, then b = −c/a: ∂b/∂a = c/a², ∂b/∂c = −1/a.
                double vaa = icc / det, vac = -iac / det, vcc = iaa / det;
                double ga = c[i] / (a[i] * a[i]), gc = -1 / a[i];
                seA = Math.Sqrt(vaa);
                seB = Math.Sqrt(Math.Max(0, (ga * ga * vaa) + (2 * ga * gc * vac) + (gc * gc * vcc)));
            }

            items.Add(new IrtItem(i, answered[i], a[i], -c[i] / a[i], seA, seB, null));
        }

        return new IrtFit(items, iterations, converged, logLikelihood, q);
    }

    /// <summary>The probability of a right answer, 1 / (1 + e^(−a(θ − b))).</summary>
    public static double Probability(double a, double b, double theta) => 1 / (1 + Math.Exp(-a * (theta - b)));

    static void Tabulate(double[] a, double[] c, double[] nodes, double[] logP, double[] logQ)
    {
        var q = nodes.Length;
        for (var i = 0; i < a.Length; i++)
        {
            for (var k = 0; k < q; k++)
            {
                var z = (a[i] * nodes[k]) + c[i];
                // log σ(z) and log σ(−z), stable for large |z|.
                var log1pExp = z > 0 ? z + Math.Log(1 + Math.Exp(-z)) : Math.Log(1 + Math.Exp(z));
                logP[(i * q) + k] = z - log1pExp;
                logQ[(i * q) + k] = -log1pExp;
            }
        }
    }

    /// <summary>Posterior weights per person and node; expected answers (n) and right answers (r) per item and node; the marginal log likelihood.</summary>
    static double EStep(ResponseMatrix data, double[] logP, double[] logQ, double[] priors, double[] posterior, double[] expectedN, double[] expectedR,
        string?[] skipped)
    {
        var q = priors.Length;
        Array.Clear(expectedN);
        Array.Clear(expectedR);
        var logPrior = priors.Select(w => Math.Log(w)).ToArray();
        var row = new double[q];
        var total = 0.0;
        for (var p = 0; p < data.PersonCount; p++)
        {
            Array.Copy(logPrior, row, q);
            int from = data.Offsets[p], to = data.Offsets[p + 1];
            for (var k = from; k < to; k++)
            {
                var item = data.Items[k];
                if (skipped[item] is not null) continue;
                var table = data.Correct[k] ? logP : logQ;
                var at = item * q;
                for (var n = 0; n < q; n++) row[n] += table[at + n];
            }

            var max = double.NegativeInfinity;
            for (var n = 0; n < q; n++) max = Math.Max(max, row[n]);
            var sum = 0.0;
            var person = p * q;
            for (var n = 0; n < q; n++)
            {
                var w = Math.Exp(row[n] - max);
                posterior[person + n] = w;
                sum += w;
            }

            for (var n = 0; n < q; n++) posterior[person + n] /= sum;
            total += max + Math.Log(sum);
            for (var k = from; k < to; k++)
            {
                var item = data.Items[k];
                if (skipped[item] is not null) continue;
                var at = item * q;
                for (var n = 0; n < q; n++) expectedN[at + n] += posterior[person + n];
                if (!data.Correct[k]) continue;
                for (var n = 0; n < q; n++) expectedR[at + n] += posterior[person + n];
            }
        }

        return total;
    }

    /// <summary>Newton steps on one item's expected log likelihood Σ r log P + (n − r) log(1 − P), halving a step that does not improve it.</summary>
    static (double A, double C) MaximizeItem(double a, double c, double[] nodes, ReadOnlySpan<double> n, ReadOnlySpan<double> r)
    {
        var current = ItemObjective(a, c, nodes, n, r);
        for (var step = 0; step < 10; step++)
        {
            double ga = 0, gc = 0, haa = 0, hac = 0, hcc = 0;
            for (var k = 0; k < nodes.Length; k++)
            {
                var p = 1 / (1 + Math.Exp(-((a * nodes[k]) + c)));
                var residual = r[k] - (n[k] * p);
                var w = n[k] * p * (1 - p);
                ga += residual * nodes[k];
                gc += residual;
                haa += w * nodes[k] * nodes[k];
                hac += w * nodes[k];
                hcc += w;
            }

            var det = (haa * hcc) - (hac * hac);
            if (det <= 1e-12) break;
            var da = ((hcc * ga) - (hac * gc)) / det;
            var dc = ((haa * gc) - (hac * ga)) / det;
            var scale = 1.0;
            double na = a, nc = c, next = current;
            for (var halving = 0; halving < 20; halving++)
            {
                na = Math.Clamp(a + (scale * da), MinA, MaxA);
                nc = Math.Clamp(c + (scale * dc), -MaxC, MaxC);
                next = ItemObjective(na, nc, nodes, n, r);
                if (next >= current - 1e-12) break;
                scale /= 2;
            }

            if (next < current - 1e-12) break;
            var moved = Math.Max(Math.Abs(na - a), Math.Abs(nc - c));
            (a, c, current) = (na, nc, next);
            if (moved < 1e-8) break;
        }

        return (a, c);
    }

    static double ItemObjective(double a, double c, double[] nodes, ReadOnlySpan<double> n, ReadOnlySpan<double> r)
    {
        var sum = 0.0;
        for (var k = 0; k < nodes.Length; k++)
        {
            var z = (a * nodes[k]) + c;
            var log1pExp = z > 0 ? z + Math.Log(1 + Math.Exp(-z)) : Math.Log(1 + Math.Exp(z));
            sum += (r[k] * (z - log1pExp)) - ((n[k] - r[k]) * log1pExp);
        }

        return sum;
    }

    /// <summary>
    /// Per item, the observed information of (a, c) by Louis's formula: Σ_nodes n P(1 − P) v vᵀ − Σ_persons [E(s sᵀ) − E(s) E(s)ᵀ],
    /// v = (θ, 1), s = (y − P(θ)) v the complete-data score, expectations over the person's posterior.
    /// </summary>
    static (double Aa, double Ac, double Cc)[] ObservedInformation(ResponseMatrix data, double[] a, double[] c, double[] nodes, double[] posterior,
        double[] expectedN, string?[] skipped)
    {
        int q = nodes.Length, j = a.Length;
        var prob = new double[j * q];
        var info = new (double Aa, double Ac, double Cc)[j];
        for (var i = 0; i < j; i++)
        {
            for (var k = 0; k < q; k++)
            {
                var p = 1 / (1 + Math.Exp(-((a[i] * nodes[k]) + c[i])));
                prob[(i * q) + k] = p;
                var w = expectedN[(i * q) + k] * p * (1 - p);
                info[i].Aa += w * nodes[k] * nodes[k];
                info[i].Ac += w * nodes[k];
                info[i].Cc += w;
            }
        }

        for (var person = 0; person < data.PersonCount; person++)
        {
            var weights = posterior.AsSpan(person * q, q);
            for (var k = data.Offsets[person]; k < data.Offsets[person + 1]; k++)
            {
                var i = data.Items[k];
                if (skipped[i] is not null) continue;
                var y = data.Correct[k] ? 1.0 : 0.0;
                var probabilities = prob.AsSpan(i * q, q);
                double ea = 0, ec = 0, eaa = 0, eac = 0, ecc = 0;
                for (var n = 0; n < q; n++)
                {
                    var residual = y - probabilities[n];
                    var sa = residual * nodes[n];
                    var w = weights[n];
                    ea += w * sa;
                    ec += w * residual;
                    eaa += w * sa * sa;
                    eac += w * sa * residual;
                    ecc += w * residual * residual;
                }

                info[i].Aa -= eaa - (ea * ea);
                info[i].Ac -= eac - (ea * ec);
                info[i].Cc -= ecc - (ec * ec);
            }
        }

        return info;
    }
}

/// <summary>Gauss–Hermite quadrature for an expectation over a standard normal.</summary>
public static class GaussHermite
{
    /// <summary>
    /// Nodes θ and weights w with Σ w f(θ) ≈ E f(Z), Z ~ N(0, 1): the physicists' Hermite rule (weight e^(−x²)) by
    /// Newton's method on its roots (Numerical Recipes' gauher), scaled by θ = √2 x, w / √π.
    /// </summary>
    public static (double[] Nodes, double[] Weights) StandardNormal(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 2);
        var x = new double[count];
        var w = new double[count];
        var m = (count + 1) / 2;
        double z = 0, pp = 0;
        const double pim4 = 0.7511255444649425; // π^(−1/4)
        for (var i = 0; i < m; i++)
        {
            z = i switch
            {
                0 => Math.Sqrt((2 * count) + 1) - (1.85575 * Math.Pow((2 * count) + 1, -0.16667)),
                1 => z - (1.14 * Math.Pow(count, 0.426) / z),
                2 => (1.86 * z) - (0.86 * x[0]),
                3 => (1.91 * z) - (0.91 * x[1]),
                _ => (2 * z) - x[i - 2],
            };
            for (var iteration = 0; iteration < 100; iteration++)
            {
                double p1 = pim4, p2 = 0;
                for (var k = 0; k < count; k++)
                {
                    var p3 = p2;
                    p2 = p1;
                    p1 = (z * Math.Sqrt(2.0 / (k + 1)) * p2) - (Math.Sqrt((double)k / (k + 1)) * p3);
                }

                pp = Math.Sqrt(2.0 * count) * p2;
                var z1 = z;
                z = z1 - (p1 / pp);
                if (Math.Abs(z - z1) <= 1e-14) break;
            }

            x[i] = z;
            x[count - 1 - i] = -z;
            w[i] = 2 / (pp * pp);
            w[count - 1 - i] = w[i];
        }

        var nodes = new double[count];
        var weights = new double[count];
        for (var i = 0; i < count; i++)
        {
            // Ascending θ.
            nodes[i] = Math.Sqrt(2) * x[count - 1 - i];
            weights[i] = w[count - 1 - i] / Math.Sqrt(Math.PI);
        }

        return (nodes, weights);
    }
}

/// <summary>
/// How a mark becomes right or wrong for the 2PL model: right when it is at least half the item's points. Partial
/// credit (a multiple choice with most options right) then counts as knowing the item, as a human marker would read
/// it; "full marks only" would turn every near miss into the same evidence as a blank.
/// </summary>
public static class Dichotomous
{
    public static bool IsRight(decimal mark, decimal points) => points > 0 && mark * 2 >= points;
}
