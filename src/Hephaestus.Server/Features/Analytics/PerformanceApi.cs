using System.Globalization;
using Hephaestus.Data;
using Hephaestus.Data.Analytics;
using Hephaestus.Domain.Identity;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hephaestus.Server.Features.Analytics;

/// <summary>Whose performance over what, echoed in the answer: paths is the comma-separated list as given.</summary>
public sealed record PerformanceParameters(Guid? LearnerId, Guid? CohortId, Guid? PathVersionId, string? Paths, Guid? FrameworkId);

/// <summary>The time panel's parameters: the scope and the window of occurrence.</summary>
public sealed record TimeOnTaskParameters(Guid? LearnerId, Guid? CohortId, Guid? PathVersionId, string? Paths, Guid? FrameworkId, DateTimeOffset? Since,
    DateTimeOffset? Until);

/// <summary>The progress panel's parameters: the scope, the last day and the number of weeks.</summary>
public sealed record ProgressParameters(Guid? LearnerId, Guid? CohortId, Guid? PathVersionId, string? Paths, Guid? FrameworkId, DateOnly Until, int Weeks);

/// <summary>A comparison's parameters: the two cohorts and what they are compared over.</summary>
public sealed record CohortComparisonParameters(Guid CohortA, Guid CohortB, Guid? PathVersionId, string? Paths, Guid? FrameworkId);

/// <summary>
/// Performance across modules and programs (issue 12, part 2): six panels under /api/v1/analytics/performance, each for a
/// learner (learnerId; a learner's own when they name no one), a cohort (cohortId), a path version (pathVersionId) or a
/// program (paths=a,b,…), plus two cohorts side by side. Who sees what: analysts and admins everything, educators the
/// cohorts they teach and their learners, learners only their own figures (never suppressed); aggregates over fewer
/// learners than Analytics:MinimumGroupSize are suppressed. Operations in Data/Analytics/PerformanceStore.
/// </summary>
public static class PerformanceApi
{
    const int MaxPaths = 50;

    const string ScopeText = "Scope: learnerId (one learner; a learner naming no one gets their own figures), or cohortId (its learners), or neither "
        + "(the learners enrolled in the paths); pathVersionId (one path version) or paths (a program: comma-separated path ids, every published or "
        + "retired version of each); frameworkId narrows the skills. Analysts and admins see everything, educators their cohorts and their "
        + "learners (cohortId or learnerId required), learners their own figures only. JSON, or CSV (format=csv or Accept: text/csv). ";

    public static IEndpointRouteBuilder MapPerformanceAnalytics(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/analytics/performance").WithTags("Analytics").RequireAuthorization(Policies.Provisioned);
        group.MapGet("/mastery", Mastery).WithName("PerformanceMastery").AnswersAnalytics()
            .WithSummary("Mastery distribution per skill and per module")
            .WithDescription("Per skill in scope (the paths' target skills, else the framework's, else every skill the learners have a mastery row "
                + "for): learners assessed, mastered, their share, the mean value, counts per level. Per module (a skill with descendants: "
                + "the subtree's skills in scope): per learner the share of its skills mastered, its mean and median, and the learners who "
                + "mastered all. " + ScopeText)
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        group.MapGet("/steps", Steps).WithName("PerformanceSteps").AnswersAnalytics()
            .WithSummary("Completion and drop-off per step")
            .WithDescription("Per step of each path version in scope (pathVersionId or paths required): enrolled, reached (not locked), in "
                + "progress, completed, skipped, stopped here (unfinished enrollments whose first open step is this one) and of those "
                + "withdrawn, completion rate (completed / enrolled) and drop-off rate (stopped here / reached). " + ScopeText)
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        group.MapGet("/scores", Scores).WithName("PerformanceScores").AnswersAnalytics()
            .WithSummary("Assessment score distributions")
            .WithDescription("Per assessment (the paths' assessment steps when paths are named): each learner's score as the assessment's "
                + "attempt policy counts it (0..1); learners, mean, standard deviation (n - 1), minimum, quartiles (linear interpolation), "
                + "median, maximum. " + ScopeText)
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        group.MapGet("/time", Time).WithName("PerformanceTimeOnTask").AnswersAnalytics()
            .WithSummary("Time on task per learner, step and skill")
            .WithDescription("Sums of learning events' duration_ms (occurred in [since, until) when given): the learners' total, per step (events "
                + "whose object is the step's skill, content item or assessment, or a version of its content item) and per skill (object "
                + "type skill, an activity aligned to the skill, a version of content aligned to it); learners with time, total, mean and "
                + "median per learner in ms. " + ScopeText)
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        group.MapGet("/progress", Progress).WithName("PerformanceProgress").AnswersAnalytics()
            .WithSummary("Progress per week")
            .WithDescription("Weeks (Monday 00:00 UTC) ending with the week of until (default today), weeks of them (default 12, at most 104): "
                + "skills mastered in the week (by when they were mastered), steps completed in the week, and both up to the week's end. "
                + ScopeText)
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        group.MapGet("/cohorts/compare", Compare).WithName("PerformanceCohortComparison").AnswersAnalytics()
            .RequireAuthorization(Policies.AnalyticsStaff)
            .WithSummary("Two cohorts side by side")
            .WithDescription("cohortA and cohortB over the same pathVersionId or paths and frameworkId: per skill the mastered share, per step "
                + "(paths named) the completion rate, per assessment the mean and median score, and the mean time on task per learner, each "
                + "with the difference B - A (null where either side is suppressed or has no figure). Analysts, admins, and educators who "
                + "teach both cohorts. JSON or CSV.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        return routes;
    }

    /// <summary>
    /// The query from the request, or the problem: field errors first (400), then who may ask for it (403). A learner who
    /// names no one asks for their own figures.
    /// </summary>
    static (PerformanceQuery? Query, ProblemHttpResult? Refusal) Scope(Validation v, Actor actor, Guid? learnerId, Guid? cohortId, Guid? pathVersionId,
        string? paths, Guid? frameworkId)
    {
        var pathIds = PathList(v, paths);
        if (pathVersionId is not null && pathIds.Count > 0) v.Add("/paths", "give pathVersionId or paths, not both");
        if (learnerId is not null && cohortId is not null) v.Add("/cohortId", "give learnerId or cohortId, not both");
        var staff = actor.Has(Role.Educator) || actor.Has(Role.Analyst) || actor.Has(Role.Admin);
        if (!staff && cohortId is null) learnerId ??= actor.UserId;
        if (learnerId is null && cohortId is null && pathVersionId is null && pathIds.Count == 0)
        {
            v.Add("/cohortId", "name learners (learnerId or cohortId) or paths (pathVersionId or paths)");
        }

        if (!v.IsValid) return (null, null);
        if (!staff && cohortId is not null) return (null, Problems.Forbidden("Learners see their own performance only: name no cohort."));
        if (!actor.Has(Role.Analyst) && !actor.Has(Role.Admin) && learnerId is null && cohortId is null)
        {
            return (null, Problems.Forbidden("Educators analyse the cohorts they teach and their learners: pass cohortId or learnerId."));
        }

        return (new PerformanceQuery(learnerId, cohortId, pathVersionId, pathIds, frameworkId), null);
    }

    /// <summary>A comma-separated list of path ids (distinct, at most 50); each bad one is a field error on /paths.</summary>
    static List<Guid> PathList(Validation v, string? paths)
    {
        var ids = new List<Guid>();
        if (string.IsNullOrWhiteSpace(paths)) return ids;
        foreach (var part in paths.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!Guid.TryParse(part, out var id))
            {
                v.Add("/paths", "must be a comma-separated list of path ids");
                return [];
            }

            if (!ids.Contains(id)) ids.Add(id);
        }

        if (ids.Count > MaxPaths) v.Add("/paths", $"at most {MaxPaths} paths");
        return ids;
    }

    static ProblemHttpResult Missing(PerformanceOutcome outcome, Guid? id) => Problems.NotFound(outcome switch
    {
        PerformanceOutcome.LearnerNotFound => "learner",
        PerformanceOutcome.CohortNotFound => "cohort",
        PerformanceOutcome.PathVersionNotFound => "path version",
        _ => "path",
    }, id ?? Guid.Empty);

    /// <summary>Validates the scope, reads the panel through the analytics source, and answers it as JSON or CSV.</summary>
    static async Task<Results<Ok<AnalyticsResponse<TParameters, T>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>> AnswerAsync<TParameters, T>(
        HttpContext http, AnalyticsSource analytics, Validation v, string? format, Func<PerformanceQuery, TParameters> parameters,
        Func<ActorScope, PerformanceQuery, int, CancellationToken, Task<PerformanceRead<T>>> read, string name, AnalyticsAnswer.CsvTable<T> table,
        (Guid? LearnerId, Guid? CohortId, Guid? PathVersionId, string? Paths, Guid? FrameworkId) asked, CancellationToken ct, bool pathsRequired = false)
        where T : class
    {
        var csv = AnalyticsAnswer.WantsCsv(v, http.Request, format);
        var actor = http.RequireActor();
        var (query, refusal) = Scope(v, actor, asked.LearnerId, asked.CohortId, asked.PathVersionId, asked.Paths, asked.FrameworkId);
        if (pathsRequired && asked.PathVersionId is null && string.IsNullOrWhiteSpace(asked.Paths))
        {
            v.Add("/pathVersionId", "completion per step needs pathVersionId or paths");
        }

        if (!v.IsValid) return v.ToProblem();
        if (refusal is not null) return refusal;
        var minimum = analytics.Options.MinimumGroupSize;
        var result = await analytics.ReadAsync(actor, (scope, c) => read(scope, query!, minimum, c), ct);
        return result.Data.Data is { } data
            ? AnalyticsAnswer.Send(http, csv, parameters(query!), data, result.Freshness, minimum, name, table)
            : Missing(result.Data.Outcome, result.Data.Missing);
    }

    static PerformanceParameters Echo(PerformanceQuery q, string? paths) => new(q.LearnerId, q.CohortId, q.PathVersionId, Normalized(paths), q.FrameworkId);

    static string? Normalized(string? paths) => string.IsNullOrWhiteSpace(paths) ? null : string.Join(',', paths.Split(',', StringSplitOptions.TrimEntries));

    static Task<Results<Ok<AnalyticsResponse<PerformanceParameters, MasteryPerformance>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>> Mastery(
        HttpContext http, AnalyticsSource analytics, CancellationToken ct, Guid? learnerId = null, Guid? cohortId = null, Guid? pathVersionId = null,
        string? paths = null, Guid? frameworkId = null, string? format = null) =>
        AnswerAsync(http, analytics, new Validation(), format, q => Echo(q, paths), PerformanceStore.MasteryAsync, "performance-mastery", MasteryCsv,
            (learnerId, cohortId, pathVersionId, paths, frameworkId), ct);

    static Task<Results<Ok<AnalyticsResponse<PerformanceParameters, StepsPerformance>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>> Steps(
        HttpContext http, AnalyticsSource analytics, CancellationToken ct, Guid? learnerId = null, Guid? cohortId = null, Guid? pathVersionId = null,
        string? paths = null, Guid? frameworkId = null, string? format = null) =>
        AnswerAsync(http, analytics, new Validation(), format, q => Echo(q, paths), PerformanceStore.StepsAsync, "performance-steps", StepsCsv,
            (learnerId, cohortId, pathVersionId, paths, frameworkId), ct, pathsRequired: true);

    static Task<Results<Ok<AnalyticsResponse<PerformanceParameters, ScoresPerformance>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>> Scores(
        HttpContext http, AnalyticsSource analytics, CancellationToken ct, Guid? learnerId = null, Guid? cohortId = null, Guid? pathVersionId = null,
        string? paths = null, Guid? frameworkId = null, string? format = null) =>
        AnswerAsync(http, analytics, new Validation(), format, q => Echo(q, paths), PerformanceStore.ScoresAsync, "performance-scores", ScoresCsv,
            (learnerId, cohortId, pathVersionId, paths, frameworkId), ct);

    static Task<Results<Ok<AnalyticsResponse<TimeOnTaskParameters, TimePerformance>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>> Time(
        HttpContext http, AnalyticsSource analytics, CancellationToken ct, Guid? learnerId = null, Guid? cohortId = null, Guid? pathVersionId = null,
        string? paths = null, Guid? frameworkId = null, DateTimeOffset? since = null, DateTimeOffset? until = null, string? format = null)
    {
        var v = new Validation();
        if (since is not null && until is not null && until <= since) v.Add("/until", "must be after since");
        return AnswerAsync(http, analytics, v, format,
            q => new TimeOnTaskParameters(q.LearnerId, q.CohortId, q.PathVersionId, Normalized(paths), q.FrameworkId, since, until),
            (scope, q, minimum, c) => PerformanceStore.TimeAsync(scope, q, since, until, minimum, c), "performance-time", TimeCsv,
            (learnerId, cohortId, pathVersionId, paths, frameworkId), ct);
    }

    static Task<Results<Ok<AnalyticsResponse<ProgressParameters, ProgressPerformance>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>> Progress(
        HttpContext http, AnalyticsSource analytics, CancellationToken ct, Guid? learnerId = null, Guid? cohortId = null,
        Guid? pathVersionId = null, string? paths = null, Guid? frameworkId = null, DateOnly? until = null, int? weeks = null, string? format = null)
    {
        var v = new Validation();
        if (weeks is < 1 or > 104) v.Add("/weeks", "must be from 1 to 104");
        var last = until ?? DateOnly.FromDateTime(DateTime.UtcNow);
        var count = weeks ?? 12;
        return AnswerAsync(http, analytics, v, format,
            q => new ProgressParameters(q.LearnerId, q.CohortId, q.PathVersionId, Normalized(paths), q.FrameworkId, last, count),
            (scope, q, minimum, c) => PerformanceStore.ProgressAsync(scope, q, last, count, minimum, c), "performance-progress", ProgressCsv,
            (learnerId, cohortId, pathVersionId, paths, frameworkId), ct);
    }

    static async Task<Results<Ok<AnalyticsResponse<CohortComparisonParameters, CohortComparison>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>>
        Compare(HttpContext http, AnalyticsSource analytics, CancellationToken ct, Guid? cohortA = null, Guid? cohortB = null, Guid? pathVersionId = null,
            string? paths = null, Guid? frameworkId = null, string? format = null)
    {
        var v = new Validation();
        var csv = AnalyticsAnswer.WantsCsv(v, http.Request, format);
        if (cohortA is null) v.Add("/cohortA", "is required");
        if (cohortB is null) v.Add("/cohortB", "is required");
        if (cohortA is not null && cohortA == cohortB) v.Add("/cohortB", "must differ from cohortA");
        var pathIds = PathList(v, paths);
        if (pathVersionId is not null && pathIds.Count > 0) v.Add("/paths", "give pathVersionId or paths, not both");
        if (!v.IsValid) return v.ToProblem();
        var (a, b, minimum) = (cohortA!.Value, cohortB!.Value, analytics.Options.MinimumGroupSize);
        var over = new PerformanceQuery(null, null, pathVersionId, pathIds, frameworkId);
        var result = await analytics.ReadAsync(http.RequireActor(), (scope, c) => PerformanceStore.CompareAsync(scope, over, a, b, minimum, c), ct);
        return result.Data.Data is { } data
            ? AnalyticsAnswer.Send(http, csv, new CohortComparisonParameters(a, b, pathVersionId, Normalized(paths), frameworkId), data, result.Freshness,
                minimum, $"performance-cohorts-{a}-{b}", CompareCsv)
            : Missing(result.Data.Outcome, result.Data.Missing);
    }

    static string? Int(long? value) => value?.ToString(CultureInfo.InvariantCulture);

    static readonly AnalyticsAnswer.CsvTable<MasteryPerformance> MasteryCsv = new(
        ["row", "skill_id", "code", "title", "learners", "mastered", "mastered_share", "mean_value", "level_rank", "level", "level_learners",
            "module_skills", "median_mastered_share", "learners_mastered_all", "suppressed"],
        m => m.Skills.SelectMany(s => s.Levels is null
                ? [SkillRow(s, null)]
                : s.Levels.Select(level => SkillRow(s, level)))
            .Concat(m.Modules.Select(x => (string?[])["module", x.ModuleSkillId.ToString(), x.ModuleCode, x.ModuleTitle, Int(x.Learners), null,
                Csv.Number(x.MeanMasteredShare), null, null, null, null, Int(x.Skills), Csv.Number(x.MedianMasteredShare), Int(x.LearnersMasteredAll),
                x.Suppressed])));

    static string?[] SkillRow(SkillPerformance s, LevelCount? level) =>
    [
        "skill", s.SkillId.ToString(), s.SkillCode, s.SkillTitle, Int(s.Learners), Int(s.Mastered), Csv.Number(s.MasteredShare), Csv.Number(s.MeanValue),
        Int(level?.Rank), level?.Level, Int(level?.Learners), null, null, null, s.Suppressed,
    ];

    static readonly AnalyticsAnswer.CsvTable<StepsPerformance> StepsCsv = new(
        ["path_id", "path_code", "version", "path_version_id", "step_id", "step_key", "title", "kind", "position", "enrolled", "reached", "in_progress",
            "completed", "skipped", "stopped_here", "withdrawn_here", "completion_rate", "drop_off_rate", "suppressed"],
        p => p.Steps.Select(s => (string?[])[s.PathId.ToString(), s.PathCode, Int(s.Version), s.PathVersionId.ToString(), s.StepId.ToString(), s.StepKey,
            s.Title, s.Kind, Int(s.Position), Int(s.Enrolled), Int(s.Reached), Int(s.InProgress), Int(s.Completed), Int(s.Skipped), Int(s.StoppedHere),
            Int(s.WithdrawnHere), Csv.Number(s.CompletionRate), Csv.Number(s.DropOffRate), s.Suppressed]));

    static readonly AnalyticsAnswer.CsvTable<ScoresPerformance> ScoresCsv = new(
        ["assessment_id", "title", "learners", "mean", "standard_deviation", "minimum", "first_quartile", "median", "third_quartile", "maximum", "suppressed"],
        p => p.Assessments.Select(a => (string?[])[a.AssessmentId.ToString(), a.Title, Int(a.Learners), Csv.Number(a.Mean), Csv.Number(a.StandardDeviation),
            Csv.Number(a.Minimum), Csv.Number(a.FirstQuartile), Csv.Number(a.Median), Csv.Number(a.ThirdQuartile), Csv.Number(a.Maximum), a.Suppressed]));

    static readonly AnalyticsAnswer.CsvTable<TimePerformance> TimeCsv = new(
        ["kind", "subject_id", "code", "title", "path_version_id", "learners", "total_ms", "mean_ms_per_learner", "median_ms_per_learner", "suppressed"],
        p => ((TimeOnTask[])[p.Total]).Concat(p.Steps).Concat(p.Skills).Select(t => (string?[])[t.Kind, t.SubjectId?.ToString(), t.Code, t.Title,
            t.PathVersionId?.ToString(), Int(t.Learners), Int(t.TotalMs), Csv.Number(t.MeanMsPerLearner), Csv.Number(t.MedianMsPerLearner), t.Suppressed]));

    static readonly AnalyticsAnswer.CsvTable<ProgressPerformance> ProgressCsv = new(
        ["week_start", "mastered_skills", "completed_steps", "mastered_skills_to_date", "completed_steps_to_date", "suppressed"],
        p => p.Weeks.Select(w => (string?[])[w.WeekStart.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), Int(w.MasteredSkills), Int(w.CompletedSteps),
            Int(w.MasteredSkillsToDate), Int(w.CompletedStepsToDate), p.Suppressed]));

    static readonly AnalyticsAnswer.CsvTable<CohortComparison> CompareCsv = new(
        ["measure", "subject_id", "subject", "cohort_a", "cohort_b", "difference"],
        c => c.Rows.Select(r => (string?[])[r.Measure, r.SubjectId?.ToString(), r.Subject, Csv.Number(r.A), Csv.Number(r.B), Csv.Number(r.Difference)]));
}
