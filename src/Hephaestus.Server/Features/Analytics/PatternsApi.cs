using System.Globalization;
using Hephaestus.Data;
using Hephaestus.Data.Analytics;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hephaestus.Server.Features.Analytics;

/// <summary>The parameters of the stuck-skills panel, echoed in its answer.</summary>
public sealed record StuckParameters(Guid? CohortId, Guid? PathId, int MinimumEvidence);

/// <summary>The parameters of the time-to-mastery panel, echoed in its answer.</summary>
public sealed record MasteryTimeParameters(Guid? CohortId, Guid? PathId);

/// <summary>The parameters of the early-quits panel, echoed in its answer.</summary>
public sealed record EarlyQuitParameters(Guid? CohortId, Guid? PathId, int MaximumSteps, int IdleDays);

/// <summary>The parameters of the repeated-wrong-answers panel, echoed in its answer.</summary>
public sealed record RepeatedWrongParameters(Guid? CohortId, Guid? PathId, int MinimumRepeats);

/// <summary>The parameters of the at-risk panel, echoed in its answer.</summary>
public sealed record AtRiskParameters(Guid? CohortId, Guid? PathId, int IdleDays, int FallingDays, double FallingBy, Guid? After, int Limit);

/// <summary>
/// Learning patterns (issue 12, part 4) under /api/v1/analytics/patterns, for a cohort (<c>cohortId</c>), a path
/// (<c>pathId</c>: its enrolled learners) or both (the cohort's learners on the path). Analysts and admins any group;
/// educators pass a cohort they teach. Defaults: stuck after 5 evidence rows without mastery; early quits after at most 2
/// completed steps, idle after 14 days; a wrong response repeated 2 times; at risk after 14 idle days or a fall of 0.1
/// in mastery over 14 days.
/// </summary>
public static class PatternsApi
{
    public const int DefaultMinimumEvidence = 5;
    public const int DefaultMaximumSteps = 2;
    public const int DefaultIdleDays = 14;
    public const int DefaultMinimumRepeats = 2;
    public const int DefaultFallingDays = 14;
    public const double DefaultFallingBy = 0.1;

    const string GroupText = "For `cohortId` (its learners), `pathId` (the learners enrolled in it) or both (the cohort's learners on the path); " +
        "one of them is required, and educators pass a cohort they teach. ";

    public static RouteGroupBuilder MapPatterns(this RouteGroupBuilder analytics)
    {
        ArgumentNullException.ThrowIfNull(analytics);
        var patterns = analytics.MapGroup("/patterns").RequireAuthorization(Policies.AnalyticsStaff);
        patterns.MapGet("/stuck", Stuck).WithName("PatternStuckSkills").AnswersAnalytics()
            .WithSummary("Skills where learners get stuck")
            .WithDescription(GroupText + "Per skill: the group's learners with evidence on it, and those stuck: at least `minimumEvidence` " +
                "(default 5) evidence rows and not mastered, with their share and mean evidence count; most stuck first. A skill with fewer " +
                "learners than Analytics:MinimumGroupSize is suppressed. JSON or CSV.")
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        patterns.MapGet("/time-to-mastery", TimeToMastery).WithName("PatternTimeToMastery").AnswersAnalytics()
            .WithSummary("Time to mastery per skill")
            .WithDescription(GroupText + "Per skill, over the learners who mastered it: days from their first evidence to the moment they first " +
                "reached mastery (replayed from the evidence log under the skill's method): minimum, quartiles (linear interpolation), maximum, " +
                "mean. Suppressed below Analytics:MinimumGroupSize learners who mastered it. JSON or CSV.")
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        patterns.MapGet("/early-quits", EarlyQuits).WithName("PatternEarlyQuits").AnswersAnalytics()
            .WithSummary("Early quits per path")
            .WithDescription(GroupText + "Per path: the group's enrollments, and those that quit early: withdrawn, or active and unchanged for " +
                "`idleDays` (default 14), with at most `maximumSteps` (default 2) steps completed; split by the number of steps completed. A " +
                "path with fewer enrollments than Analytics:MinimumGroupSize is suppressed. JSON or CSV.")
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        patterns.MapGet("/repeated-wrong-answers", RepeatedWrong).WithName("PatternRepeatedWrongAnswers").AnswersAnalytics()
            .WithSummary("Items where learners repeat a wrong answer")
            .WithDescription(GroupText + "Per item (all its versions): learners who answered it in two or more submitted attempts, those who gave " +
                "the same wrong response (compared as JSON; wrong by the attempt's current result) at least `minimumRepeats` times (default " +
                "2), their share, and the response repeated by most learners. Suppressed below Analytics:MinimumGroupSize learners answering " +
                "it twice. JSON or CSV.")
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        patterns.MapGet("/at-risk", AtRisk).WithName("PatternLearnersAtRisk").AnswersAnalytics()
            .WithSummary("Learners at risk")
            .WithDescription(GroupText + "The group's learners who are idle (no evidence and no enrollment change for `idleDays`, default 14) or " +
                "whose mastery of a skill fell by at least `fallingBy` (default 0.1) over the last `fallingDays` (default 14; replayed from the " +
                "evidence log), with the skills that fell. Individual rows for staff who may read those learners, so not suppressed. A keyset " +
                "page by learner id (`after`, `limit`, default 50, at most 200). JSON or CSV (one row per learner).")
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        return analytics;
    }

    static readonly AnalyticsAnswer.CsvTable<StuckReport> StuckCsv = new(
        ["skill_id", "skill_code", "skill_title", "learners", "stuck", "stuck_share", "mean_evidence_of_stuck", "suppressed"],
        r => r.Skills.Select(s => (string?[])[s.SkillId.ToString(), s.Code, s.Title, Int(s.Learners), Int(s.Stuck), Csv.Number(s.StuckShare),
            Csv.Number(s.MeanEvidenceOfStuck), s.Suppressed]));

    static readonly AnalyticsAnswer.CsvTable<MasteryTimeReport> MasteryTimeCsv = new(
        ["skill_id", "skill_code", "skill_title", "learners", "mastered", "minimum_days", "first_quartile_days", "median_days", "third_quartile_days",
            "maximum_days", "mean_days", "suppressed"],
        r => r.Skills.Select(s => (string?[])[s.SkillId.ToString(), s.Code, s.Title, Int(s.Learners), Int(s.Mastered), Csv.Number(s.MinimumDays),
            Csv.Number(s.FirstQuartileDays), Csv.Number(s.MedianDays), Csv.Number(s.ThirdQuartileDays), Csv.Number(s.MaximumDays), Csv.Number(s.MeanDays),
            s.Suppressed]));

    static readonly AnalyticsAnswer.CsvTable<EarlyQuitReport> EarlyQuitCsv = new(
        ["path_id", "path_code", "path_title", "enrollments", "steps_completed", "withdrawn", "idle", "share", "suppressed"],
        r => r.Paths.SelectMany(p => p.ByStepsCompleted is null
            ? [(string?[])[p.PathId.ToString(), p.Code, p.Title, Int(p.Enrollments), null, null, null, null, p.Suppressed]]
            : p.ByStepsCompleted.Select(s => (string?[])[p.PathId.ToString(), p.Code, p.Title, Int(p.Enrollments), Int(s.StepsCompleted), Int(s.Withdrawn),
                Int(s.Idle), Csv.Number(p.Share), null])));

    static readonly AnalyticsAnswer.CsvTable<RepeatedWrongReport> RepeatedWrongCsv = new(
        ["item_id", "item_code", "learners_retrying", "learners_repeating", "share", "top_response", "top_response_learners", "suppressed"],
        r => r.Items.Select(i => (string?[])[i.ItemId.ToString(), i.Code, Int(i.LearnersRetrying), Int(i.LearnersRepeating), Csv.Number(i.Share),
            i.TopResponse, Int(i.TopResponseLearners), i.Suppressed]));

    static readonly AnalyticsAnswer.CsvTable<AtRiskReport> AtRiskCsv = new(
        ["learner_id", "display_name", "last_progress_at", "idle", "falling_skills"],
        r => r.Learners.Items.Select(l => (string?[])[l.LearnerId.ToString(), l.DisplayName,
            l.LastProgressAt?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture), l.Idle ? "true" : "false",
            string.Join("; ", l.FallingSkills.Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Code}: {f.Before:0.###} -> {f.Now:0.###}")))]));

    static string? Int(long? value) => value?.ToString(CultureInfo.InvariantCulture);

    /// <summary>A whole-number parameter within bounds (its default when absent); a field error naming it otherwise.</summary>
    static int Bounded(Validation v, string name, int? value, int fallback, int min, int max)
    {
        var n = value ?? fallback;
        if (n < min || n > max) v.Add("/" + name, string.Create(CultureInfo.InvariantCulture, $"must be between {min} and {max}"));
        return n;
    }

    /// <summary>Validates the format and the group (a cohort, a path or both); whether CSV was asked for.</summary>
    static bool Start(Validation v, HttpContext http, string? format, Guid? cohortId, Guid? pathId)
    {
        var csv = AnalyticsAnswer.WantsCsv(v, http.Request, format);
        if (cohortId is null && pathId is null) v.Add("/cohortId", "give cohortId, pathId or both");
        return csv;
    }

    static ProblemHttpResult Missing(PatternOutcome outcome, PatternGroup group) => outcome == PatternOutcome.CohortNotFound
        ? Problems.NotFound("cohort", group.CohortId!.Value)
        : Problems.NotFound("path", group.PathId!.Value);

    /// <summary>The common path of every panel: validation, the educator rule, the read, the answer.</summary>
    static async Task<Results<Ok<AnalyticsResponse<TParameters, TData>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>> AnswerAsync<TParameters, TData>(
        HttpContext http, AnalyticsSource analytics, Validation v, bool csv, PatternGroup group, TParameters parameters, string name,
        AnalyticsAnswer.CsvTable<TData> table, Func<ActorScope, int, CancellationToken, Task<PatternResult<TData>>> read, CancellationToken ct)
    {
        if (!v.IsValid) return v.ToProblem();
        var actor = http.RequireActor();
        if (ContentEffectivenessApi.EducatorNeedsCohort(actor, group.CohortId, "patterns") is { } refusal) return refusal;
        var minimum = analytics.Options.MinimumGroupSize;
        var result = await analytics.ReadAsync(actor, (scope, c) => read(scope, minimum, c), ct);
        return result.Data.Data is { } data
            ? AnalyticsAnswer.Send(http, csv, parameters, data, result.Freshness, minimum, name, table)
            : Missing(result.Data.Outcome, group);
    }

    static string Name(string panel, PatternGroup group) => $"patterns-{panel}-{group.CohortId?.ToString() ?? group.PathId.ToString()}";

    static Task<Results<Ok<AnalyticsResponse<StuckParameters, StuckReport>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>>
        Stuck(HttpContext http, AnalyticsSource analytics, CancellationToken ct, Guid? cohortId = null, Guid? pathId = null, int? minimumEvidence = null,
            string? format = null)
    {
        var v = new Validation();
        var csv = Start(v, http, format, cohortId, pathId);
        var least = Bounded(v, "minimumEvidence", minimumEvidence, DefaultMinimumEvidence, 1, 10_000);
        var group = new PatternGroup(cohortId, pathId);
        return AnswerAsync(http, analytics, v, csv, group, new StuckParameters(cohortId, pathId, least), Name("stuck", group), StuckCsv,
            (scope, minimum, c) => PatternStore.StuckAsync(scope, group, least, minimum, c), ct);
    }

    static Task<Results<Ok<AnalyticsResponse<MasteryTimeParameters, MasteryTimeReport>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>>
        TimeToMastery(HttpContext http, AnalyticsSource analytics, CancellationToken ct, Guid? cohortId = null, Guid? pathId = null, string? format = null)
    {
        var v = new Validation();
        var csv = Start(v, http, format, cohortId, pathId);
        var group = new PatternGroup(cohortId, pathId);
        return AnswerAsync(http, analytics, v, csv, group, new MasteryTimeParameters(cohortId, pathId), Name("time-to-mastery", group), MasteryTimeCsv,
            (scope, minimum, c) => PatternStore.TimeToMasteryAsync(scope, group, minimum, c), ct);
    }

    static Task<Results<Ok<AnalyticsResponse<EarlyQuitParameters, EarlyQuitReport>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>>
        EarlyQuits(HttpContext http, AnalyticsSource analytics, CancellationToken ct, Guid? cohortId = null, Guid? pathId = null, int? maximumSteps = null,
            int? idleDays = null, string? format = null)
    {
        var v = new Validation();
        var csv = Start(v, http, format, cohortId, pathId);
        var steps = Bounded(v, "maximumSteps", maximumSteps, DefaultMaximumSteps, 0, 100);
        var idle = Bounded(v, "idleDays", idleDays, DefaultIdleDays, 1, 3650);
        var group = new PatternGroup(cohortId, pathId);
        return AnswerAsync(http, analytics, v, csv, group, new EarlyQuitParameters(cohortId, pathId, steps, idle), Name("early-quits", group), EarlyQuitCsv,
            (scope, minimum, c) => PatternStore.EarlyQuitsAsync(scope, group, steps, idle, minimum, c), ct);
    }

    static Task<Results<Ok<AnalyticsResponse<RepeatedWrongParameters, RepeatedWrongReport>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>>
        RepeatedWrong(HttpContext http, AnalyticsSource analytics, CancellationToken ct, Guid? cohortId = null, Guid? pathId = null, int? minimumRepeats = null,
            string? format = null)
    {
        var v = new Validation();
        var csv = Start(v, http, format, cohortId, pathId);
        var repeats = Bounded(v, "minimumRepeats", minimumRepeats, DefaultMinimumRepeats, 2, 1000);
        var group = new PatternGroup(cohortId, pathId);
        return AnswerAsync(http, analytics, v, csv, group, new RepeatedWrongParameters(cohortId, pathId, repeats), Name("repeated-wrong-answers", group),
            RepeatedWrongCsv, (scope, minimum, c) => PatternStore.RepeatedWrongAsync(scope, group, repeats, minimum, c), ct);
    }

    static Task<Results<Ok<AnalyticsResponse<AtRiskParameters, AtRiskReport>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>>
        AtRisk(HttpContext http, AnalyticsSource analytics, CancellationToken ct, Guid? cohortId = null, Guid? pathId = null,
            int? idleDays = null, int? fallingDays = null, double? fallingBy = null, Guid? after = null, int? limit = null, string? format = null)
    {
        var v = new Validation();
        var csv = Start(v, http, format, cohortId, pathId);
        var idle = Bounded(v, "idleDays", idleDays, DefaultIdleDays, 1, 3650);
        var falling = Bounded(v, "fallingDays", fallingDays, DefaultFallingDays, 1, 3650);
        var by = fallingBy ?? DefaultFallingBy;
        if (!(by is > 0 and <= 1)) v.Add("/fallingBy", "must be greater than 0 and at most 1");
        var size = v.PageSize(limit);
        var group = new PatternGroup(cohortId, pathId);
        return AnswerAsync(http, analytics, v, csv, group, new AtRiskParameters(cohortId, pathId, idle, falling, by, after, size), Name("at-risk", group), AtRiskCsv,
            (scope, _, c) => PatternStore.AtRiskAsync(scope, group, idle, falling, by, after, size, c), ct);
    }
}
