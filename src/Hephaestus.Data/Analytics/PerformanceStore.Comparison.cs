using Hephaestus.Domain.Analytics;

namespace Hephaestus.Data.Analytics;

/// <summary>One cohort of a comparison: its learners, and why its figures are suppressed (too few learners).</summary>
public sealed record CohortSide(Guid CohortId, long Learners, string? Suppressed);

/// <summary>
/// One measure of one subject for both cohorts and B − A: masteredShare per skill (mastered / assessed), completionRate
/// per step (completed / enrolled), meanScore and medianScore per assessment (0..1), meanTimeMs per learner with time.
/// A side is null where its figure is suppressed or it has none; the difference then too.
/// </summary>
public sealed record ComparisonRow(string Measure, Guid? SubjectId, string Subject, double? A, double? B, double? Difference);

/// <summary>Two cohorts side by side over the same paths or framework.</summary>
public sealed record CohortComparison(CohortSide A, CohortSide B, IReadOnlyList<ComparisonRow> Rows);

public static partial class PerformanceStore
{
    /// <summary>
    /// Both cohorts through the same panels (mastery, steps when paths are named, scores, time), in the one snapshot of the
    /// analytics read; each side suppressed on its own. Not found names the first cohort the actor may not analyse.
    /// </summary>
    public static async Task<PerformanceRead<CohortComparison>> CompareAsync(ActorScope scope, PerformanceQuery paths, Guid cohortA, Guid cohortB,
        int minimumGroupSize, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var sides = new List<(CohortSide Side, Dictionary<(string, Guid?), (string Subject, double? Value)> Figures)>();
        foreach (var cohort in (Guid[])[cohortA, cohortB])
        {
            var query = paths with { LearnerId = null, CohortId = cohort };
            var mastery = await MasteryAsync(scope, query, minimumGroupSize, ct);
            if (mastery.Data is not { } m) return new(mastery.Outcome, mastery.Missing, null);
            var figures = new Dictionary<(string, Guid?), (string, double?)>();
            foreach (var skill in m.Skills) figures[("masteredShare", skill.SkillId)] = (skill.SkillCode, skill.MasteredShare);
            if (query.HasPaths)
            {
                foreach (var step in (await StepsAsync(scope, query, minimumGroupSize, ct)).Data!.Steps)
                {
                    figures[("completionRate", step.StepId)] = ($"{step.PathCode} v{step.Version} {step.StepKey}", step.CompletionRate);
                }
            }

            foreach (var a in (await ScoresAsync(scope, query, minimumGroupSize, ct)).Data!.Assessments)
            {
                figures[("meanScore", a.AssessmentId)] = (a.Title, a.Mean);
                figures[("medianScore", a.AssessmentId)] = (a.Title, a.Median);
            }

            figures[("meanTimeMs", null)] = ("all activity", (await TimeAsync(scope, query, null, null, minimumGroupSize, ct)).Data!.Total.MeanMsPerLearner);
            sides.Add((new CohortSide(cohort, m.Learners, m.Suppressed), figures));
        }

        var (first, second) = (sides[0], sides[1]);
        var rows = first.Figures.Keys.Union(second.Figures.Keys).Select(key =>
        {
            var a = first.Figures.TryGetValue(key, out var x) ? x : default;
            var b = second.Figures.TryGetValue(key, out var y) ? y : default;
            return new ComparisonRow(key.Item1, key.Item2, a.Subject ?? b.Subject, a.Value, b.Value, PerformanceFigures.Difference(a.Value, b.Value));
        }).OrderBy(r => MeasureOrder.IndexOf(r.Measure)).ThenBy(r => r.Subject, StringComparer.Ordinal).ToList();
        return new(PerformanceOutcome.Found, null, new CohortComparison(first.Side, second.Side, rows));
    }

    static readonly List<string> MeasureOrder = ["masteredShare", "completionRate", "meanScore", "medianScore", "meanTimeMs"];
}
