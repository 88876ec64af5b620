using System.Globalization;
using Hephaestus.Data;
using Hephaestus.Data.Analytics;
using Hephaestus.Data.Content;
using Hephaestus.Domain.Analytics;
using Hephaestus.Domain.Identity;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Analytics;

/// <summary>One item version's statistics (Moodle's percentages), with its item and the content version its stem came from.</summary>
public sealed record ItemAnalysisRow(Guid ItemVersionId, Guid ItemId, int Version, string Type, decimal Points, Guid? StemContentVersionId, long Attempts,
    double? Facility, double? StandardDeviation, double? RandomGuessScore, double? IntendedWeight, double? EffectiveWeight, double? DiscriminationIndex,
    double? DiscriminativeEfficiency, bool Flagged, string? Suppressed);

/// <summary>The parameters of an item analysis, echoed in its answer.</summary>
public sealed record ItemAnalysisParameters(Guid AssessmentId, Guid? CohortId, bool OrderStatistics);

/// <summary>The parameters of a 2PL calibration, echoed in its answer.</summary>
public sealed record IrtParameters(Guid AssessmentId, Guid? CohortId, int MinimumAnswers);

/// <summary>The parameters of a wrong-responses read, echoed in its answer.</summary>
public sealed record WrongResponsesParameters(Guid AssessmentId, Guid ItemVersionId, Guid? CohortId, int Limit);

/// <summary>
/// An assessment's item analysis: the attempt policy that chose the attempts counted, the cohort it is limited to,
/// whether the moment figures came from the live running sums, the flag bound, the test's figures and each item version's.
/// </summary>
public sealed record ItemAnalysisResponse(Guid AssessmentId, string AttemptPolicy, Guid? CohortId, bool FromRunningSums, bool OrderStatistics,
    double FlagBelow, TestStatistics Test, string? Suppressed, IReadOnlyList<ItemAnalysisRow> Items);

public sealed record IrtRow(Guid ItemVersionId, Guid ItemId, int Version, int Answered, double? Discrimination, double? Difficulty, double? DiscriminationSe,
    double? DifficultySe, string? Skipped);

/// <summary>A 2PL calibration: how many counted attempts (persons), how the EM ended, and each item version's a, b and standard errors.</summary>
public sealed record IrtResponse(Guid AssessmentId, string AttemptPolicy, Guid? CohortId, int Persons, int Iterations, bool Converged, double LogLikelihood,
    int QuadraturePoints, string RightWhen, string? Suppressed, IReadOnlyList<IrtRow> Items);

/// <summary>The most common wrong responses, or why they are suppressed (too few attempts drew the item).</summary>
public sealed record WrongResponsesResponse(Guid AssessmentId, Guid ItemVersionId, Guid? CohortId, long Answered, string? Suppressed,
    IReadOnlyList<WrongResponse> Responses);

/// <summary>A flag filed for an item version whose stem came from content (or found already filed by an earlier call).</summary>
public sealed record ItemAnalysisFlag(Guid ItemVersionId, Guid ContentVersionId, double DiscriminativeEfficiency, long FlagId, bool AlreadyFlagged);

public sealed record ItemAnalysisFlagsResponse(Guid AssessmentId, double FlagBelow, IReadOnlyList<ItemAnalysisFlag> Flags);

/// <summary>
/// Item analysis of an assessment (issue 12): Moodle's statistics, live from running sums; a 2PL calibration; the most
/// common wrong responses; flags for content whose items discriminate poorly. Analysts and admins see every learner;
/// an educator passes <c>cohortId</c>, one of the cohorts they teach.
/// </summary>
public static class ItemAnalysisApi
{
    /// <summary>Configuration: the discriminative efficiency (%) below which an item is flagged (Moodle's 15 by default).</summary>
    public const string FlagBelowKey = "Analytics:ItemAnalysis:FlagBelow";

    public const string FlagSource = "item_analysis";

    public static IEndpointRouteBuilder MapItemAnalysis(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/analytics/assessments/{assessmentId:guid}").WithTags("Analytics")
            .RequireAuthorization(Policies.Provisioned).RequireAuthorization(Policies.AnalyticsStaff);
        group.MapGet("/item-analysis", Analyse).WithName("AssessmentItemAnalysis").AnswersAnalytics()
            .WithSummary("Moodle's item statistics of an assessment")
            .WithDescription("Over the attempts the assessment's attempt policy counts (highest: the best; latest; first; average: all). Test: "
                + "attempts, mean, median, standard deviation (points), skewness and kurtosis (k-statistics), CIC (Cronbach's alpha x 100), error "
                + "ratio, standard error. Per item version, in percent as Moodle shows them: facility, standard deviation, random guess score, "
                + "intended and effective weight, discrimination index and discriminative efficiency (against the rest of the test); flagged "
                + "when the efficiency is below Analytics:ItemAnalysis:FlagBelow (15). The moment figures are live (running sums); "
                + "orderStatistics=false skips the median and discriminative efficiency, which read every counted attempt. cohortId limits it "
                + "to a cohort's learners (required for educators). Figures over fewer attempts than Analytics:MinimumGroupSize are suppressed. "
                + "JSON, or CSV (format=csv or Accept: text/csv): one row per item version. Analysts, admins, educators (their cohorts).")
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        group.MapPost("/item-analysis/flags", Flag).WithName("FlagPoorlyDiscriminatingContent")
            .WithSummary("Flag the content behind poorly discriminating items")
            .WithDescription("Runs the item analysis and, for each flagged item version whose stem came from a content version, files a "
                + "regeneration flag (source item_analysis) on that content version, unless one for this assessment and item version is there "
                + "already. Analysts and admins.")
            .Produces<ItemAnalysisFlagsResponse>()
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        group.MapGet("/irt", Calibrate).WithName("AssessmentIrtCalibration").AnswersAnalytics()
            .WithSummary("2PL IRT calibration of an assessment's item versions")
            .WithDescription("Difficulty b and discrimination a per item version with standard errors, fitted by marginal maximum likelihood "
                + "(Bock-Aitkin EM over Gauss-Hermite quadrature of a standard normal ability) on the counted attempts; a mark is right when it is "
                + "at least half the item's points. Items answered by too few (minimumAnswers, default 30), or all right or all wrong, are "
                + "skipped with the reason. cohortId and suppression as for item-analysis. JSON or CSV.")
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        group.MapGet("/items/{itemVersionId:guid}/wrong-responses", WrongResponses).WithName("ItemWrongResponses").AnswersAnalytics()
            .WithSummary("The most common wrong responses to an item version")
            .WithDescription("Among the counted attempts, responses marked not correct, normalized by item type (an option id; a sorted set of "
                + "option ids; a number; text trimmed, lower-cased, spaces collapsed; an order), most frequent first (limit, default 10, at most "
                + "100), with counts and shares of the attempts that drew the item; null is no response. cohortId and suppression as for "
                + "item-analysis. JSON or CSV.")
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        return routes;
    }

    /// <summary>Analysts and admins see everyone; an educator only through one of their cohorts (the store checks which).</summary>
    static ProblemHttpResult? Refusal(Actor actor, Guid? cohortId) =>
        actor.Has(Role.Analyst) || actor.Has(Role.Admin) || cohortId is not null
            ? null
            : Problems.Forbidden("Educators analyse assessments through a cohort they teach: pass cohortId.");

    static ProblemHttpResult Missing(ItemAnalysisOutcome outcome, Guid assessmentId, Guid? cohortId) => outcome == ItemAnalysisOutcome.CohortNotFound
        ? Problems.NotFound("cohort", cohortId!.Value)
        : Problems.NotFound("assessment", assessmentId);

    static double FlagBelow(IConfiguration configuration) => configuration.GetValue(FlagBelowKey, ItemStatistics.DefaultFlagBelow);

    static readonly AnalyticsAnswer.CsvTable<ItemAnalysisResponse> AnalysisCsv = new(
        ["item_version_id", "item_id", "version", "type", "points", "attempts", "facility", "standard_deviation", "random_guess_score", "intended_weight",
            "effective_weight", "discrimination_index", "discriminative_efficiency", "flagged", "suppressed", "test_attempts", "test_mean", "test_median",
            "test_sd", "test_skewness", "test_kurtosis", "test_cic", "test_error_ratio", "test_standard_error"],
        r => r.Items.Select(i => (string?[])[i.ItemVersionId.ToString(), i.ItemId.ToString(), Int(i.Version), i.Type,
            i.Points.ToString(CultureInfo.InvariantCulture), Int(i.Attempts), Csv.Number(i.Facility), Csv.Number(i.StandardDeviation),
            Csv.Number(i.RandomGuessScore), Csv.Number(i.IntendedWeight), Csv.Number(i.EffectiveWeight), Csv.Number(i.DiscriminationIndex),
            Csv.Number(i.DiscriminativeEfficiency), i.Flagged ? "true" : "false", i.Suppressed ?? r.Suppressed, Int(r.Test.Attempts), Csv.Number(r.Test.Mean),
            Csv.Number(r.Test.Median), Csv.Number(r.Test.StandardDeviation), Csv.Number(r.Test.Skewness), Csv.Number(r.Test.Kurtosis),
            Csv.Number(r.Test.Cic), Csv.Number(r.Test.ErrorRatio), Csv.Number(r.Test.StandardError)]));

    static readonly AnalyticsAnswer.CsvTable<IrtResponse> IrtCsv = new(
        ["item_version_id", "item_id", "version", "answered", "discrimination", "difficulty", "discrimination_se", "difficulty_se", "skipped"],
        r => r.Items.Select(i => (string?[])[i.ItemVersionId.ToString(), i.ItemId.ToString(), Int(i.Version), Int(i.Answered), Csv.Number(i.Discrimination),
            Csv.Number(i.Difficulty), Csv.Number(i.DiscriminationSe), Csv.Number(i.DifficultySe), i.Skipped ?? r.Suppressed]));

    static readonly AnalyticsAnswer.CsvTable<WrongResponsesResponse> WrongCsv = new(
        ["response", "count", "share"],
        r => r.Responses.Select(w => (string?[])[w.Response, Int(w.Count), Csv.Number(w.Share)]));

    static async Task<Results<Ok<AnalyticsResponse<ItemAnalysisParameters, ItemAnalysisResponse>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>>
        Analyse(Guid assessmentId, HttpContext http, AnalyticsSource analytics, IConfiguration configuration, CancellationToken ct, Guid? cohortId = null,
            bool orderStatistics = true, string? format = null)
    {
        var v = new Validation();
        var csv = AnalyticsAnswer.WantsCsv(v, http.Request, format);
        if (!v.IsValid) return v.ToProblem();
        var actor = http.RequireActor();
        if (Refusal(actor, cohortId) is { } refusal) return refusal;
        var (bound, minimum) = (FlagBelow(configuration), analytics.Options.MinimumGroupSize);
        var read = await analytics.ReadAsync(actor, (scope, c) => ItemAnalysisStore.AnalyseAsync(scope, assessmentId, cohortId, orderStatistics, bound, c), ct);
        if (read.Data.Analysis is not { } analysis) return Missing(read.Data.Outcome, assessmentId, cohortId);
        return AnalyticsAnswer.Send(http, csv, new ItemAnalysisParameters(assessmentId, cohortId, orderStatistics), Shape(analysis, orderStatistics, bound, minimum),
            read.Freshness, minimum, $"item-analysis-{assessmentId}", AnalysisCsv);
    }

    static async Task<Results<Ok<ItemAnalysisFlagsResponse>, ProblemHttpResult>> Flag(Guid assessmentId, HttpContext http, NpgsqlDataSource db,
        AnalyticsSource analytics, IConfiguration configuration, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!actor.Has(Role.Analyst) && !actor.Has(Role.Admin)) return Problems.Forbidden("Flagging content from item analysis is for analysts and admins.");
        var bound = FlagBelow(configuration);
        // Read as every analytics read (the replica when usable), write the flags on the primary.
        var read = await analytics.ReadAsync(actor, (scope, c) => ItemAnalysisStore.AnalyseAsync(scope, assessmentId, null, orderStatistics: true, bound, c), ct);
        if (read.Data.Analysis is not { } analysis) return Missing(read.Data.Outcome, assessmentId, null);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var flags = new List<ItemAnalysisFlag>();
        foreach (var item in analysis.Report.Items.Where(i => i.Flagged))
        {
            if (analysis.Items[item.ItemVersionId].StemContentVersionId is not { } content) continue;
            var efficiency = item.DiscriminativeEfficiency!.Value;
            // The reason names the assessment and item version first, so a second call finds its own flag instead of filing another.
            var key = $"item analysis of assessment {assessmentId}: item version {item.ItemVersionId} ";
            var earlier = (await ContentRegenerationStore.FlagsAsync(scope, content, ct))?
                .LastOrDefault(f => f.Source == FlagSource && f.Reason.StartsWith(key, StringComparison.Ordinal));
            if (earlier is not null)
            {
                flags.Add(new ItemAnalysisFlag(item.ItemVersionId, content, efficiency, earlier.Id, AlreadyFlagged: true));
                continue;
            }

            var reason = key + string.Create(CultureInfo.InvariantCulture,
                $"has discriminative efficiency {efficiency:F1} %, below {bound:0.##} % ({item.Attempts} attempts)");
            var filed = await ContentRegenerationStore.FlagAsync(scope, content, FlagSource, reason, ct);
            if (filed is not null) flags.Add(new ItemAnalysisFlag(item.ItemVersionId, content, efficiency, filed.Id, AlreadyFlagged: false));
        }

        await scope.CommitAsync(ct);
        return TypedResults.Ok(new ItemAnalysisFlagsResponse(assessmentId, bound, flags));
    }

    static async Task<Results<Ok<AnalyticsResponse<IrtParameters, IrtResponse>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>> Calibrate(
        Guid assessmentId, HttpContext http, AnalyticsSource analytics, CancellationToken ct, Guid? cohortId = null, int? minimumAnswers = null,
        string? format = null)
    {
        var v = new Validation();
        var csv = AnalyticsAnswer.WantsCsv(v, http.Request, format);
        if (minimumAnswers is < 2 or > 100_000) v.Add("/minimumAnswers", "must be from 2 to 100000");
        if (!v.IsValid) return v.ToProblem();
        var actor = http.RequireActor();
        if (Refusal(actor, cohortId) is { } refusal) return refusal;
        var options = new IrtOptions(MinimumAnswers: minimumAnswers ?? new IrtOptions().MinimumAnswers);
        var minimum = analytics.Options.MinimumGroupSize;
        var read = await analytics.ReadAsync(actor, (scope, c) => ItemAnalysisStore.CalibrateAsync(scope, assessmentId, cohortId, options, c), ct);
        if (read.Data.Calibration is not { } cal) return Missing(read.Data.Outcome, assessmentId, cohortId);
        var suppressed = SmallGroups.SuppressionReason(cal.Persons, minimum);
        var response = new IrtResponse(assessmentId, cal.AttemptPolicy, cohortId, cal.Persons, cal.Fit.Iterations, cal.Fit.Converged, cal.Fit.LogLikelihood,
            cal.Fit.Quadrature, "mark >= half the item's points", suppressed,
            [.. cal.Items.Select(i => suppressed is null
                ? new IrtRow(i.Item.ItemVersionId, i.Item.ItemId, i.Item.Version, i.Fit.Answered, i.Fit.Discrimination, i.Fit.Difficulty, i.Fit.DiscriminationSe,
                    i.Fit.DifficultySe, i.Fit.Skipped)
                : new IrtRow(i.Item.ItemVersionId, i.Item.ItemId, i.Item.Version, i.Fit.Answered, null, null, null, null, suppressed))]);
        return AnalyticsAnswer.Send(http, csv, new IrtParameters(assessmentId, cohortId, options.MinimumAnswers), response, read.Freshness, minimum,
            $"irt-{assessmentId}", IrtCsv);
    }

    static async Task<Results<Ok<AnalyticsResponse<WrongResponsesParameters, WrongResponsesResponse>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>>
        WrongResponses(Guid assessmentId, Guid itemVersionId, HttpContext http, AnalyticsSource analytics, CancellationToken ct, Guid? cohortId = null,
            int? limit = null, string? format = null)
    {
        var v = new Validation();
        var csv = AnalyticsAnswer.WantsCsv(v, http.Request, format);
        if (limit is < 1 or > 100) v.Add("/limit", "must be from 1 to 100");
        if (!v.IsValid) return v.ToProblem();
        var actor = http.RequireActor();
        if (Refusal(actor, cohortId) is { } refusal) return refusal;
        var minimum = analytics.Options.MinimumGroupSize;
        var read = await analytics.ReadAsync(actor,
            (scope, c) => ItemAnalysisStore.WrongResponsesAsync(scope, assessmentId, itemVersionId, cohortId, limit ?? 10, c), ct);
        if (read.Data.Responses is not { } found) return Missing(read.Data.Outcome, assessmentId, cohortId);
        var suppressed = SmallGroups.SuppressionReason(found.Answered, minimum);
        var response = new WrongResponsesResponse(assessmentId, itemVersionId, cohortId, found.Answered, suppressed, suppressed is null ? found.Responses : []);
        return AnalyticsAnswer.Send(http, csv, new WrongResponsesParameters(assessmentId, itemVersionId, cohortId, limit ?? 10), response, read.Freshness,
            minimum, $"wrong-responses-{itemVersionId}", WrongCsv);
    }

    /// <summary>
    /// The answer, with small groups suppressed: the test's figures when fewer attempts are counted than the minimum group
    /// size, an item's when fewer attempts drew it (a pool item seen by three learners says something about each of them).
    /// </summary>
    static ItemAnalysisResponse Shape(ItemAnalysis analysis, bool orderStatistics, double bound, int minimum)
    {
        var test = analysis.Report.Test;
        var suppressed = SmallGroups.SuppressionReason(test.Attempts, minimum);
        if (suppressed is not null) test = new TestStatistics(test.Attempts, null, null, null, null, null, null, null, null, null);
        return new(analysis.AssessmentId, analysis.AttemptPolicy, analysis.CohortId, analysis.FromRunningSums, orderStatistics, bound, test, suppressed,
            [.. analysis.Report.Items.Select(s =>
            {
                var item = analysis.Items[s.ItemVersionId];
                var hidden = SmallGroups.SuppressionReason(s.Attempts, minimum);
                return hidden is null
                    ? new ItemAnalysisRow(s.ItemVersionId, item.ItemId, item.Version, item.Type, item.Points, item.StemContentVersionId, s.Attempts, s.Facility,
                        s.StandardDeviation, s.RandomGuessScore, s.IntendedWeight, s.EffectiveWeight, s.DiscriminationIndex, s.DiscriminativeEfficiency, s.Flagged,
                        null)
                    : new ItemAnalysisRow(s.ItemVersionId, item.ItemId, item.Version, item.Type, item.Points, item.StemContentVersionId, s.Attempts, null, null,
                        s.RandomGuessScore, s.IntendedWeight, null, null, null, false, hidden);
            })]);
    }

    static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);
}
