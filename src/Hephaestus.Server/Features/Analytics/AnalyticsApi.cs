using System.Globalization;
using Hephaestus.Data.Analytics;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hephaestus.Server.Features.Analytics;

/// <summary>The parameters of a cohort's mastery distribution, echoed in its answer.</summary>
public sealed record CohortMasteryParameters(Guid CohortId, Guid? FrameworkId);

/// <summary>The parameters of a learner's mastery, echoed in its answer.</summary>
public sealed record LearnerMasteryParameters(Guid LearnerId, Guid? FrameworkId);

/// <summary>
/// Analytics (issue 12), one route group under /api/v1/analytics. Every read goes through <see cref="AnalyticsSource"/>
/// (the replica when it is usable, else the primary or a 503 as configured), answers in the
/// <see cref="AnalyticsResponse{TParameters, TData}"/> envelope or as CSV (<see cref="AnalyticsAnswer"/>), and suppresses
/// aggregates over fewer learners than Analytics:MinimumGroupSize. Who sees what: analysts and admins everything,
/// educators the cohorts they teach, learners their own figures; group endpoints take <see cref="Policies.AnalyticsStaff"/>,
/// the operation checks the cohort or learner, and row-level security reads with the actor set on either server.
/// </summary>
public static class AnalyticsApi
{
    public static IEndpointRouteBuilder MapAnalytics(this IEndpointRouteBuilder routes)
    {
        var analytics = routes.MapGroup("/api/v1/analytics").WithTags("Analytics").RequireAuthorization(Policies.Provisioned);

        analytics.MapGet("/cohorts/{cohortId:guid}/mastery", CohortMastery).WithName("CohortMasteryDistribution")
            .RequireAuthorization(Policies.AnalyticsStaff).AnswersAnalytics()
            .WithSummary("A cohort's mastery distribution per skill")
            .WithDescription("Per skill: the cohort's learners assessed on it, how many mastered it and how many stand at each mastery level. " +
                "A skill assessed for fewer learners than Analytics:MinimumGroupSize has its figures suppressed (`suppressed` says why). " +
                "Filter by `frameworkId`. JSON, or CSV (`Accept: text/csv` or `format=csv`; one line per skill and level). " +
                "Read from the analytics replica when it is usable (see `source`, `replicaLagSeconds`). Analysts, admins and the cohort's educators.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        analytics.MapGet("/learners/{learnerId:guid}/mastery", LearnerMastery).WithName("LearnerMasteryAnalytics")
            .AnswersAnalytics()
            .WithSummary("A learner's mastery per skill")
            .WithDescription("The learner's value, level and mastered flag per skill with the evidence count, as JSON or CSV; a learner's own " +
                "figures are never suppressed. Filter by `frameworkId`. The learner, their educators, analysts and admins.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        analytics.MapGet("/learners/me/mastery", MyMastery).WithName("MyMasteryAnalytics")
            .AnswersAnalytics()
            .WithSummary("My mastery per skill")
            .WithDescription("The signed-in learner's value, level and mastered flag per skill, as JSON or CSV.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        routes.MapPerformanceAnalytics();
        analytics.MapContentEffectiveness();
        analytics.MapPatterns();
        return routes;
    }

    static readonly AnalyticsAnswer.CsvTable<CohortMasteryDistribution> CohortMasteryCsv = new(
        ["skill_id", "skill_code", "skill_title", "learners", "mastered", "level_rank", "level", "level_learners", "suppressed"],
        cohort => cohort.Skills.SelectMany(skill => skill.Levels is null
            ? [SkillCells(skill, null)]
            : skill.Levels.Select(level => SkillCells(skill, level))));

    static string?[] SkillCells(SkillMasteryDistribution skill, LevelCount? level) =>
    [
        skill.SkillId.ToString(), skill.SkillCode, skill.SkillTitle, Integer(skill.Learners), Integer(skill.Mastered),
        Integer(level?.Rank), level?.Level, Integer(level?.Learners), skill.Suppressed,
    ];

    static readonly AnalyticsAnswer.CsvTable<IReadOnlyList<LearnerSkillMastery>> LearnerMasteryCsv = new(
        ["skill_id", "skill_code", "skill_title", "value", "level", "mastered", "evidence_count", "last_evidence_at"],
        skills => skills.Select(s => new[]
        {
            s.SkillId.ToString(), s.SkillCode, s.SkillTitle, Csv.Number(s.Value), s.Level, s.Mastered ? "true" : "false",
            Integer(s.EvidenceCount), s.LastEvidenceAt?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
        }));

    static string? Integer(long? value) => value?.ToString(CultureInfo.InvariantCulture);

    /// <summary>Counts per mastery level per skill over the cohort's learners, small groups suppressed.</summary>
    static async Task<Results<Ok<AnalyticsResponse<CohortMasteryParameters, CohortMasteryDistribution>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>>
        CohortMastery(Guid cohortId, HttpContext http, AnalyticsSource analytics, CancellationToken ct, Guid? frameworkId = null, string? format = null)
    {
        var v = new Validation();
        var csv = AnalyticsAnswer.WantsCsv(v, http.Request, format);
        if (!v.IsValid) return v.ToProblem();
        var minimum = analytics.Options.MinimumGroupSize;
        var read = await analytics.ReadAsync(http.RequireActor(), (scope, c) => MasteryAnalytics.CohortAsync(scope, cohortId, frameworkId, minimum, c), ct);
        return read.Data is { } data
            ? AnalyticsAnswer.Send(http, csv, new CohortMasteryParameters(cohortId, frameworkId), data, read.Freshness, minimum,
                $"cohort-mastery-{cohortId}", CohortMasteryCsv)
            : Problems.NotFound("cohort", cohortId);
    }

    /// <summary>One learner's mastery per skill: their own figures, so nothing is suppressed.</summary>
    static async Task<Results<Ok<AnalyticsResponse<LearnerMasteryParameters, IReadOnlyList<LearnerSkillMastery>>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>>
        LearnerMastery(Guid learnerId, HttpContext http, AnalyticsSource analytics, CancellationToken ct, Guid? frameworkId = null, string? format = null)
    {
        var v = new Validation();
        var csv = AnalyticsAnswer.WantsCsv(v, http.Request, format);
        if (!v.IsValid) return v.ToProblem();
        var read = await analytics.ReadAsync(http.RequireActor(), (scope, c) => MasteryAnalytics.LearnerAsync(scope, learnerId, frameworkId, c), ct);
        return read.Data is { } data
            ? AnalyticsAnswer.Send(http, csv, new LearnerMasteryParameters(learnerId, frameworkId), data, read.Freshness,
                analytics.Options.MinimumGroupSize, $"learner-mastery-{learnerId}", LearnerMasteryCsv)
            : Problems.NotFound("learner", learnerId);
    }

    static Task<Results<Ok<AnalyticsResponse<LearnerMasteryParameters, IReadOnlyList<LearnerSkillMastery>>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>>
        MyMastery(HttpContext http, AnalyticsSource analytics, CancellationToken ct, Guid? frameworkId = null, string? format = null) =>
        LearnerMastery(http.RequireActor().UserId, http, analytics, ct, frameworkId, format);
}
