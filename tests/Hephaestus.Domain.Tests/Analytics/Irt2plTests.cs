using System.Diagnostics;
using Hephaestus.Domain.Analytics;

namespace Hephaestus.Domain.Tests.Analytics;

public class Irt2plTests(ITestOutputHelper output)
{
    // The figures: 5,000 learners × 20 items, a in 0.5..2.5 and b in −2..2 spread evenly, θ ~ N(0, 1), a seeded
    // RNG. A correct marginal-likelihood fit reaches corr ≥ 0.96 with the true a (RMSE ≤ 0.10) and ≥ 0.995 with the true b.
    [Fact]
    public void Fit_recovers_known_discriminations_and_difficulties_of_simulated_learners()
    {
        const int items = 20, learners = 5000;
        var trueA = Enumerable.Range(0, items).Select(i => 0.5 + (2.0 * ((i * 7) % items) / (items - 1))).ToArray();
        var trueB = Enumerable.Range(0, items).Select(i => -2 + (4.0 * i / (items - 1))).ToArray();
        var data = Simulate(trueA, trueB, learners, seed: 12);

        // Time is reported, not asserted: the process's processor time includes every test running beside this one, and
        // speed belongs in bench/ (the brief), not in a unit test on a shared machine.
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        var fit = Irt2pl.Fit(data);
        stopwatch.Stop();
        var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;

        var a = fit.Items.Select(i => i.Discrimination!.Value).ToArray();
        var b = fit.Items.Select(i => i.Difficulty!.Value).ToArray();
        output.WriteLine($"{fit.Iterations} iterations, converged {fit.Converged}, {stopwatch.ElapsedMilliseconds} ms ({used.TotalMilliseconds:F0} ms CPU); corr(a) {Correlation(a, trueA):F4} "
            + $"RMSE(a) {Rmse(a, trueA):F4}; corr(b) {Correlation(b, trueB):F4} RMSE(b) {Rmse(b, trueB):F4}");
        Assert.True(fit.Converged);
        Assert.True(Correlation(a, trueA) >= 0.96, $"corr(a) {Correlation(a, trueA)}");
        Assert.True(Rmse(a, trueA) <= 0.10, $"RMSE(a) {Rmse(a, trueA)}");
        Assert.True(Correlation(b, trueB) >= 0.995, $"corr(b) {Correlation(b, trueB)}");
    }

    // The standard errors agree with the spread of the estimates: over repeated samples the fitted a and b of an item
    // scatter about as much as the reported SE says (within a factor that 30 replications can tell apart from a wrong formula).
    [Fact]
    public void Standard_errors_match_the_spread_of_estimates_over_replications()
    {
        double[] trueA = [0.8, 1.2, 1.6, 2.0, 1.0, 1.4], trueB = [-1.5, -0.5, 0, 0.5, 1.0, 1.5];
        var estimatesA = new List<double>();
        var estimatesB = new List<double>();
        var reportedA = new List<double>();
        var reportedB = new List<double>();
        for (var seed = 0; seed < 30; seed++)
        {
            var fit = Irt2pl.Fit(Simulate(trueA, trueB, 1000, seed), new IrtOptions(QuadraturePoints: 31));
            estimatesA.Add(fit.Items[2].Discrimination!.Value);
            estimatesB.Add(fit.Items[2].Difficulty!.Value);
            reportedA.Add(fit.Items[2].DiscriminationSe!.Value);
            reportedB.Add(fit.Items[2].DifficultySe!.Value);
        }

        var ratioA = StandardDeviation(estimatesA) / reportedA.Average();
        var ratioB = StandardDeviation(estimatesB) / reportedB.Average();
        output.WriteLine($"empirical / reported SE: a {ratioA:F3}, b {ratioB:F3}");
        Assert.InRange(ratioA, 0.7, 1.4);
        Assert.InRange(ratioB, 0.7, 1.4);
    }

    [Fact]
    public void Items_answered_by_too_few_or_all_alike_are_skipped_with_a_reason()
    {
        // Item 0 is answered by everyone at random, item 1 always right, item 2 only by the first 10 persons.
        var random = new Random(3);
        var persons = Enumerable.Range(0, 200).Select(p =>
        {
            var answers = new List<(int, bool)> { (0, random.NextDouble() < 0.5), (1, true) };
            if (p < 10) answers.Add((2, random.NextDouble() < 0.5));
            return (IEnumerable<(int, bool)>)answers;
        }).ToList();

        var fit = Irt2pl.Fit(ResponseMatrix.From(3, persons));

        Assert.Null(fit.Items[0].Skipped);
        Assert.Equal("everybody answered it correctly", fit.Items[1].Skipped);
        Assert.Equal("answered by 10, fewer than 30", fit.Items[2].Skipped);
        Assert.Null(fit.Items[2].Difficulty);
    }

    [Fact]
    public void Gauss_hermite_nodes_integrate_the_moments_of_a_standard_normal()
    {
        var (nodes, weights) = GaussHermite.StandardNormal(41);
        double Moment(int k) => nodes.Select((x, i) => weights[i] * Math.Pow(x, k)).Sum();
        Assert.Equal(1, Moment(0), 12);
        Assert.Equal(0, Moment(1), 12);
        Assert.Equal(1, Moment(2), 10);
        Assert.Equal(3, Moment(4), 9);
        Assert.Equal(15, Moment(6), 8);
    }

    static ResponseMatrix Simulate(double[] a, double[] b, int learners, int seed)
    {
        var random = new Random(seed);
        var persons = new List<IEnumerable<(int, bool)>>(learners);
        for (var p = 0; p < learners; p++)
        {
            var theta = Normal(random);
            persons.Add([.. Enumerable.Range(0, a.Length).Select(i => (i, random.NextDouble() < Irt2pl.Probability(a[i], b[i], theta)))]);
        }

        return ResponseMatrix.From(a.Length, persons);
    }

    static double Normal(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    static double Correlation(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average();
        var cov = x.Select((v, i) => (v - mx) * (y[i] - my)).Sum();
        return cov / Math.Sqrt(x.Sum(v => (v - mx) * (v - mx)) * y.Sum(v => (v - my) * (v - my)));
    }

    static double Rmse(double[] x, double[] y) => Math.Sqrt(x.Select((v, i) => (v - y[i]) * (v - y[i])).Average());

    static double StandardDeviation(List<double> x)
    {
        var mean = x.Average();
        return Math.Sqrt(x.Sum(v => (v - mean) * (v - mean)) / (x.Count - 1));
    }
}
