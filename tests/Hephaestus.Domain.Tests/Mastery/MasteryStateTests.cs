using Hephaestus.Domain.Mastery;

namespace Hephaestus.Domain.Tests.Mastery;

public class MasteryStateTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);

    // Written from the definitions in PRODUCT.md, without any running aggregate, to check MasteryState against.
    private static double? Direct(MasteryParameters p, IReadOnlyList<Observation> obs)
    {
        if (obs.Count == 0)
        {
            return null;
        }

        var scores = obs.Select(o => o.Score).ToList();
        var w = p.CalculationInt / 100.0;
        switch (p.Method)
        {
            case MasteryMethod.Bkt:
                var pl = p.Prior;
                foreach (var s in scores)
                {
                    var correct = pl * (1 - p.Slip) / (pl * (1 - p.Slip) + (1 - pl) * p.Guess);
                    var incorrect = pl * p.Slip / (pl * p.Slip + (1 - pl) * (1 - p.Guess));
                    var posterior = s * correct + (1 - s) * incorrect;
                    pl = posterior * (1 - p.Forget) + (1 - posterior) * p.Learn;
                }

                return pl;
            case MasteryMethod.WeightedAverage:
                return scores.Count == 1 ? scores[0] : w * scores[^1] + (1 - w) * scores.Take(scores.Count - 1).Average();
            case MasteryMethod.StandardDecayingAverage:
                var d = scores[0];
                for (var k = 1; k < scores.Count; k++)
                {
                    d = (1 - w) * d + w * scores[k];
                }

                return d;
            case MasteryMethod.NMastery:
                if (scores.Count < p.NMasteryCount)
                {
                    return null;
                }

                var kept = scores.Where(s => s >= p.MasteryPoints).ToList();
                return kept.Count < p.NMasteryCount ? null : kept.Average();
            case MasteryMethod.Highest:
                return scores.Max();
            case MasteryMethod.Latest:
                return scores[^1];
            case MasteryMethod.Average:
                return obs.Sum(o => o.Weight * o.Score) / obs.Sum(o => o.Weight);
            default:
                throw new ArgumentOutOfRangeException(nameof(p));
        }
    }

    public static TheoryData<MasteryMethod, int, int, double> Configurations()
    {
        var data = new TheoryData<MasteryMethod, int, int, double>();
        foreach (var method in MasteryMethods.All)
        {
            data.Add(method, 65, 5, 0.75);
            data.Add(method, 10, 1, 0.5);
            data.Add(method, 99, 3, 0.9);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Apply_folded_equals_replay_equals_the_definition(MasteryMethod method, int calculationInt, int n, double masteryPoints)
    {
        var p = new MasteryParameters
        {
            Method = method,
            CalculationInt = calculationInt,
            NMasteryCount = n,
            MasteryPoints = masteryPoints,
            Prior = 0.3,
            Learn = 0.1,
            Guess = 0.25,
            Slip = 0.15,
            Forget = 0.05,
        };
        var random = new Random(calculationInt * 31 + n);
        for (var length = 0; length <= 25; length++)
        {
            var observations = Enumerable.Range(0, length)
                .Select(i => new Observation(
                    // Mix full, zero and partial credit so every BKT branch and every n_mastery case is reached.
                    random.Next(4) switch { 0 => 0.0, 1 => 1.0, _ => Math.Round(random.NextDouble(), 2) },
                    T0.AddMinutes(i),
                    weight: 0.5 + random.Next(4)))
                .ToList();

            var folded = MasteryState.Empty;
            foreach (var o in observations)
            {
                folded = folded.Apply(p, o);
            }

            var replayed = MasteryState.Replay(p, observations);
            var expected = Direct(p, observations);

            Assert.Equal(replayed, folded);
            if (expected is null)
            {
                Assert.Null(folded.Value(p));
            }
            else
            {
                Assert.Equal(expected.Value, folded.Value(p)!.Value, 1e-12);
            }
        }
    }

    [Fact]
    public void State_survives_a_json_round_trip_with_stable_property_names()
    {
        var p = MasteryParameters.Default;
        var state = MasteryState.Replay(p, [new(1.0, T0), new(0.25, T0.AddDays(1), 2.0, T0.AddHours(12))]);

        var json = state.ToJson();
        var back = MasteryState.FromJson(json);

        Assert.Equal(state, back);
        Assert.Equal(state.Value(p), back.Value(p));
        foreach (var name in new[] { "count", "bktProbability", "sum", "weightedSum", "weightSum", "max", "latest", "decaying",
                     "olderMean", "masteryCount", "masterySum", "lastObservedAt", "lastOrderKey" })
        {
            Assert.Contains($"\"{name}\":", json, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Averaging_methods_work_on_any_score_scale_without_bkt()
    {
        var p = MasteryParameters.For(MasteryMethod.Highest);
        var state = MasteryState.Replay(p, [new(2, T0), new(4, T0.AddDays(1))]);
        Assert.Equal(4, state.Value(p));
    }
}
