using System.Globalization;
using Hephaestus.Data;
using Hephaestus.Data.Analytics;
using Hephaestus.Domain;
using Hephaestus.Domain.Analytics;
using Hephaestus.Domain.Identity;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hephaestus.Server.Features.Analytics;

/// <summary>The parameters of a content item's effectiveness, echoed in its answer.</summary>
public sealed record EffectivenessParameters(Guid ContentItemId, int Window, Guid? CohortId);

/// <summary>The parameters of a recommendation, echoed in its answer.</summary>
public sealed record RecommendationParameters(Guid ContentItemId, int Window, Guid? CohortId, int MinimumLearners);

/// <summary>
/// Which version to keep: the verdict (keep, not_enough_evidence, no_clear_difference), the version when there is one, the
/// reason in words, the minimum number of measured learners a version needed, the comparisons and the versions' figures.
/// </summary>
public sealed record RecommendationResponse(EffectivenessVerdict Verdict, Guid? KeepVersionId, int? KeepVersion, string Reason, long MinimumLearners,
    IReadOnlyList<VersionComparison> Comparisons, IReadOnlyList<VersionEffectiveness> Versions);

/// <summary>
/// Content effectiveness (issue 12, part 3) under /api/v1/analytics/content/items/{id}: each version's learners and
/// their mastery change on the item's aligned skills over a window after exposure, Welch intervals between versions, and
/// which version to keep. Analysts and admins see every learner; an educator passes <c>cohortId</c>, one they teach.
/// </summary>
public static class ContentEffectivenessApi
{
    public const int DefaultWindowDays = 14;
    public const int DefaultMinimumLearners = 20;

    public static RouteGroupBuilder MapContentEffectiveness(this RouteGroupBuilder analytics)
    {
        ArgumentNullException.ThrowIfNull(analytics);
        analytics.MapGet("/content/items/{contentItemId:guid}/effectiveness", Effectiveness).WithName("ContentEffectiveness")
            .RequireAuthorization(Policies.AnalyticsStaff).AnswersAnalytics()
            .WithSummary("Mastery change after each version of a content item")
            .WithDescription("Per version of the content item: learners shown it (each learner counts once, under the version of their first " +
                "exposure), those measured (their window has ended), and the mean and standard deviation of their mastery change: per learner, " +
                "the mean over the item's aligned skills of mastery at exposure + `window` days (default 14, 1 to 365) minus mastery at exposure, " +
                "replayed from the evidence log (before any evidence: BKT's prior, 0 under other methods). Per pair of versions: the difference of " +
                "means (second minus first) with Welch's 95% interval (Welch–Satterthwaite degrees of freedom, the t quantile used). Versions " +
                "measured on fewer learners than Analytics:MinimumGroupSize are suppressed. `cohortId` limits it to a cohort's learners (required " +
                "for educators). JSON, or CSV (one row per version, then one per pair). Analysts, admins, educators (their cohorts).")
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        analytics.MapGet("/content/items/{contentItemId:guid}/effectiveness/recommendation", Recommendation).WithName("ContentEffectivenessRecommendation")
            .RequireAuthorization(Policies.AnalyticsStaff).AnswersAnalytics()
            .WithSummary("Which version of a content item to keep")
            .WithDescription("From the figures of the effectiveness read: versions measured on at least `minimumLearners` (default 20, and never " +
                "fewer than Analytics:MinimumGroupSize) take part. Fewer than two such versions: `not_enough_evidence`, with the counts. Otherwise " +
                "the version with the highest mean change is compared with each other one by Welch's 95% interval; `keep` only when every " +
                "interval for best minus other lies above 0, else `no_clear_difference`, naming the interval that contains 0 (never a " +
                "recommendation on such an interval). JSON, or CSV (one row per comparison). Analysts, admins, educators (their cohorts).")
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        return analytics;
    }

    static readonly AnalyticsAnswer.CsvTable<ContentEffectiveness> EffectivenessCsv = new(
        ["row", "version_id", "version", "status", "learners_shown", "learners_measured", "mean_change", "standard_deviation", "other_version_id",
            "other_version", "difference", "standard_error", "degrees_of_freedom", "t_quantile", "lower", "upper", "contains_zero", "suppressed"],
        e => e.Versions.Select(v => (string?[])["version", v.VersionId.ToString(), Int(v.Version), v.Status, Int(v.LearnersShown), Int(v.LearnersMeasured),
                Csv.Number(v.MeanChange), Csv.Number(v.StandardDeviation), null, null, null, null, null, null, null, null, null, v.Suppressed])
            .Concat(e.Differences.Select(d => (string?[])["difference", d.FirstVersionId.ToString(), Int(d.FirstVersion), null, null, null, null, null,
                d.SecondVersionId.ToString(), Int(d.SecondVersion), Csv.Number(d.Difference), Csv.Number(d.StandardError), Csv.Number(d.DegreesOfFreedom),
                Csv.Number(d.TQuantile), Csv.Number(d.Lower), Csv.Number(d.Upper), Bool(d.ContainsZero), d.Suppressed])));

    static readonly AnalyticsAnswer.CsvTable<RecommendationResponse> RecommendationCsv = new(
        ["verdict", "keep_version_id", "keep_version", "reason", "minimum_learners", "better_version", "other_version", "difference", "lower", "upper"],
        r => r.Comparisons.Count == 0
            ? [Cells(r, null)]
            : r.Comparisons.Select(c => Cells(r, c)));

    static string?[] Cells(RecommendationResponse r, VersionComparison? c) =>
    [
        WireNames<EffectivenessVerdict>.Of(r.Verdict), r.KeepVersionId?.ToString(), Int(r.KeepVersion), r.Reason, Int(r.MinimumLearners),
        Int(c?.BetterVersion), Int(c?.OtherVersion), Csv.Number(c?.Interval?.Difference), Csv.Number(c?.Interval?.Lower), Csv.Number(c?.Interval?.Upper),
    ];

    static string? Int(long? value) => value?.ToString(CultureInfo.InvariantCulture);

    static string? Bool(bool? value) => value switch { true => "true", false => "false", null => null };

    /// <summary>The window in days, 1 to 365 (a field error on /window otherwise).</summary>
    static int Window(Validation v, int? window)
    {
        var days = window ?? DefaultWindowDays;
        if (days is < 1 or > 365) v.Add("/window", "must be between 1 and 365 (days)");
        return days;
    }

    /// <summary>Analysts and admins see everyone; an educator only through a cohort they teach (the store checks which).</summary>
    internal static ProblemHttpResult? EducatorNeedsCohort(Actor actor, Guid? cohortId, string what) =>
        actor.Has(Role.Analyst) || actor.Has(Role.Admin) || cohortId is not null
            ? null
            : Problems.Forbidden($"Educators analyse {what} through a cohort they teach: pass cohortId.");

    static ProblemHttpResult Missing(EffectivenessOutcome outcome, Guid contentItemId, Guid? cohortId) => outcome == EffectivenessOutcome.CohortNotFound
        ? Problems.NotFound("cohort", cohortId!.Value)
        : Problems.NotFound("content item", contentItemId);

    static async Task<Results<Ok<AnalyticsResponse<EffectivenessParameters, ContentEffectiveness>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>>
        Effectiveness(Guid contentItemId, HttpContext http, AnalyticsSource analytics, CancellationToken ct, int? window = null, Guid? cohortId = null,
            string? format = null)
    {
        var v = new Validation();
        var csv = AnalyticsAnswer.WantsCsv(v, http.Request, format);
        var days = Window(v, window);
        if (!v.IsValid) return v.ToProblem();
        var actor = http.RequireActor();
        if (EducatorNeedsCohort(actor, cohortId, "content") is { } refusal) return refusal;
        var minimum = analytics.Options.MinimumGroupSize;
        var read = await analytics.ReadAsync(actor, (scope, c) => ContentEffectivenessStore.MeasureAsync(scope, contentItemId, days, cohortId, minimum, c), ct);
        return read.Data.Data is { } data
            ? AnalyticsAnswer.Send(http, csv, new EffectivenessParameters(contentItemId, days, cohortId), data, read.Freshness, minimum,
                $"content-effectiveness-{contentItemId}", EffectivenessCsv)
            : Missing(read.Data.Outcome, contentItemId, cohortId);
    }

    static async Task<Results<Ok<AnalyticsResponse<RecommendationParameters, RecommendationResponse>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>>
        Recommendation(Guid contentItemId, HttpContext http, AnalyticsSource analytics, CancellationToken ct, int? window = null, Guid? cohortId = null,
            int? minimumLearners = null, string? format = null)
    {
        var v = new Validation();
        var csv = AnalyticsAnswer.WantsCsv(v, http.Request, format);
        var days = Window(v, window);
        var least = minimumLearners ?? DefaultMinimumLearners;
        if (least is < 2 or > 1_000_000) v.Add("/minimumLearners", "must be between 2 and 1000000");
        if (!v.IsValid) return v.ToProblem();
        var actor = http.RequireActor();
        if (EducatorNeedsCohort(actor, cohortId, "content") is { } refusal) return refusal;
        var minimum = analytics.Options.MinimumGroupSize;
        var read = await analytics.ReadAsync(actor,
            (scope, c) => ContentEffectivenessStore.RecommendAsync(scope, contentItemId, days, cohortId, minimum, least, c), ct);
        if (read.Data.Data is not { } data) return Missing(read.Data.Outcome, contentItemId, cohortId);
        var advice = data.Advice;
        return AnalyticsAnswer.Send(http, csv, new RecommendationParameters(contentItemId, days, cohortId, least),
            new RecommendationResponse(advice.Verdict, advice.KeepVersionId, advice.KeepVersion, advice.Reason, data.MinimumLearners, advice.Comparisons,
                data.Effectiveness.Versions),
            read.Freshness, minimum, $"content-recommendation-{contentItemId}", RecommendationCsv);
    }
}
