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
    double? DiscriminativeEfficiency, bool Flagged);

/// <summary>
/// An assessment's item analysis: the attempt policy that chose the attempts counted, the cohort it is limited to,
/// whether the moment figures came from the live running sums, the flag bound, the test's figures and each item version's.
/// </summary>
public sealed record ItemAnalysisResponse(Guid AssessmentId, string AttemptPolicy, Guid? CohortId, bool FromRunningSums, bool OrderStatistics,
    double FlagBelow, TestStatistics Test, IReadOnlyList<ItemAnalysisRow> Items);

public sealed record IrtRow(Guid ItemVersionId, Guid ItemId, int Version, int Answered, double? Discrimination, double? Difficulty, double? DiscriminationSe,
    double? DifficultySe, string? Skipped);

/// <summary>A 2PL calibration: how many counted attempts (persons), how the EM ended, and each item version's a, b and standard errors.</summary>
public sealed record IrtResponse(Guid AssessmentId, string AttemptPolicy, Guid? CohortId, int Persons, int Iterations, bool Converged, double LogLikelihood,
    int QuadraturePoints, string RightWhen, IReadOnlyList<IrtRow> Items);

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
        var group = routes.MapGroup("/api/v1/analytics/assessments/{assessmentId:guid}").WithTags("Analytics: item analysis")
            .RequireAuthorization(Policies.Provisioned);
        group.MapGet("/item-analysis", Analyse).WithName("AssessmentItemAnalysis").ProducesCsv()
            .WithSummary("Moodle's item statistics of an assessment")
            .WithDescription("Over the attempts the assessment's attempt policy counts (highest: the best; latest; first; average: all). Test: "
                + "attempts, mean, median, standard deviation (points), skewness and kurtosis (k-statistics), CIC (Cronbach's alpha x 100), error "
                + "ratio, standard error. Per item version, in percent as Moodle shows them: facility, standard deviation, random guess score, "
                + "intended and effective weight, discrimination index and discriminative efficiency (against the rest of the test); flagged "
                + "when the efficiency is below the configured bound. The moment figures are live (running sums); orderStatistics=false skips "
                + "the median and discriminative efficiency, which read every counted attempt. cohortId limits it to a cohort's learners "
                + "(required for educators). JSON, or CSV (format=csv or Accept: text/csv): one row per item version.")
            .Produces<ItemAnalysisResponse>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        group.MapPost("/item-analysis/flags", Flag).WithName("FlagPoorlyDiscriminatingContent")
            .WithSummary("Flag the content behind poorly discriminating items")
            .WithDescription("Runs the item analysis and, for each flagged item version whose stem came from a content version, files a "
                + "regeneration flag (source item_analysis) on that content version, unless one for this assessment and item version is there "
                + "already. Analysts and admins.")
            .Produces<ItemAnalysisFlagsResponse>()
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        group.MapGet("/irt", Calibrate).WithName("AssessmentIrtCalibration").ProducesCsv()
            .WithSummary("2PL IRT calibration of an assessment's item versions")
            .WithDescription("Difficulty b and discrimination a per item version with standard errors, fitted by marginal maximum likelihood "
                + "(Bock-Aitkin EM over Gauss-Hermite quadrature of a standard normal ability) on the counted attempts; a mark is right when it is "
                + "at least half the item's points. Items answered by too few (minimumAnswers, default 30), or all right or all wrong, are "
                + "skipped with the reason. cohortId as for item-analysis. JSON or CSV.")
            .Produces<IrtResponse>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        group.MapGet("/items/{itemVersionId:guid}/wrong-responses", WrongResponses).WithName("ItemWrongResponses").ProducesCsv()
            .WithSummary("The most common wrong responses to an item version")
            .WithDescription("Among the counted attempts, responses marked not correct, normalized by item type (an option id; a sorted set of "
                + "option ids; a number; text trimmed, lower-cased, spaces collapsed; an order), most frequent first (limit, default 10, at most "
                + "100), with counts and shares of the attempts that drew the item; null is no response. cohortId as for item-analysis. JSON or CSV.")
            .Produces<WrongResponses>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        return routes;
    }

    /// <summary>Analysts and admins see everyone; an educator only through one of their cohorts (the store checks which).</summary>
    static ProblemHttpResult? Refusal(Actor actor, Guid? cohortId) =>
        actor.Has(Role.Analyst) || actor.Has(Role.Admin) || (actor.Has(Role.Educator) && cohortId is not null)
            ? null
            : Problems.Forbidden("Item analysis is for analysts and admins; educators pass cohortId, a cohort they teach.");

    static ProblemHttpResult Missing(ItemAnalysisOutcome outcome, Guid assessmentId, Guid? cohortId) => outcome == ItemAnalysisOutcome.CohortNotFound
        ? Problems.NotFound("cohort", cohortId!.Value)
        : Problems.NotFound("assessment", assessmentId);

    static double FlagBelow(IConfiguration configuration) => configuration.GetValue(FlagBelowKey, ItemStatistics.DefaultFlagBelow);

    static async Task<Results<Ok<ItemAnalysisResponse>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>> Analyse(Guid assessmentId,
        HttpContext http, NpgsqlDataSource db, IConfiguration configuration, CancellationToken ct, Guid? cohortId = null, bool orderStatistics = true,
        string? format = null)
    {
        var v = new Validation();
        var csv = Csv.Wanted(http.Request, format);
        if (csv is null) v.Add("/format", "must be 'json' or 'csv'");
        if (!v.IsValid) return v.ToProblem();
        var actor = http.RequireActor();
        if (Refusal(actor, cohortId) is { } refusal) return refusal;
        var bound = FlagBelow(configuration);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var result = await ItemAnalysisStore.AnalyseAsync(scope, assessmentId, cohortId, orderStatistics, bound, ct);
        if (result.Analysis is not { } analysis) return Missing(result.Outcome, assessmentId, cohortId);
        var response = Shape(analysis, orderStatistics, bound);
        return csv == true ? Csv.Download(AnalysisCsv(response), $"item-analysis-{assessmentId}.csv") : TypedResults.Ok(response);
    }

    static async Task<Results<Ok<ItemAnalysisFlagsResponse>, ProblemHttpResult>> Flag(Guid assessmentId, HttpContext http, NpgsqlDataSource db,
        IConfiguration configuration, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!actor.Has(Role.Analyst) && !actor.Has(Role.Admin)) return Problems.Forbidden("Flagging content from item analysis is for analysts and admins.");
        var bound = FlagBelow(configuration);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var result = await ItemAnalysisStore.AnalyseAsync(scope, assessmentId, null, orderStatistics: true, bound, ct);
        if (result.Analysis is not { } analysis) return Missing(result.Outcome, assessmentId, null);
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

    static async Task<Results<Ok<IrtResponse>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>> Calibrate(Guid assessmentId, HttpContext http,
        NpgsqlDataSource db, CancellationToken ct, Guid? cohortId = null, int? minimumAnswers = null, string? format = null)
    {
        var v = new Validation();
        var csv = Csv.Wanted(http.Request, format);
        if (csv is null) v.Add("/format", "must be 'json' or 'csv'");
        if (minimumAnswers is < 2 or > 100_000) v.Add("/minimumAnswers", "must be from 2 to 100000");
        if (!v.IsValid) return v.ToProblem();
        var actor = http.RequireActor();
        if (Refusal(actor, cohortId) is { } refusal) return refusal;
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var options = new IrtOptions(MinimumAnswers: minimumAnswers ?? new IrtOptions().MinimumAnswers);
        var result = await ItemAnalysisStore.CalibrateAsync(scope, assessmentId, cohortId, options, ct);
        if (result.Calibration is not { } c) return Missing(result.Outcome, assessmentId, cohortId);
        var response = new IrtResponse(assessmentId, c.AttemptPolicy, cohortId, c.Persons, c.Fit.Iterations, c.Fit.Converged, c.Fit.LogLikelihood,
            c.Fit.Quadrature, "mark >= half the item's points",
            [.. c.Items.Select(i => new IrtRow(i.Item.ItemVersionId, i.Item.ItemId, i.Item.Version, i.Fit.Answered, i.Fit.Discrimination, i.Fit.Difficulty,
                i.Fit.DiscriminationSe, i.Fit.DifficultySe, i.Fit.Skipped))]);
        if (csv != true) return TypedResults.Ok(response);
        return Csv.Download(Csv.Write([
            ["item_version_id", "item_id", "version", "answered", "discrimination", "difficulty", "discrimination_se", "difficulty_se", "skipped"],
            .. response.Items.Select(i => (string?[])[i.ItemVersionId.ToString(), i.ItemId.ToString(), Int(i.Version), Int(i.Answered), Csv.Number(i.Discrimination),
                Csv.Number(i.Difficulty), Csv.Number(i.DiscriminationSe), Csv.Number(i.DifficultySe), i.Skipped]),
        ]), $"irt-{assessmentId}.csv");
    }

    static async Task<Results<Ok<WrongResponses>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>> WrongResponses(Guid assessmentId,
        Guid itemVersionId, HttpContext http, NpgsqlDataSource db, CancellationToken ct, Guid? cohortId = null, int? limit = null, string? format = null)
    {
        var v = new Validation();
        var csv = Csv.Wanted(http.Request, format);
        if (csv is null) v.Add("/format", "must be 'json' or 'csv'");
        if (limit is < 1 or > 100) v.Add("/limit", "must be from 1 to 100");
        if (!v.IsValid) return v.ToProblem();
        var actor = http.RequireActor();
        if (Refusal(actor, cohortId) is { } refusal) return refusal;
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var result = await ItemAnalysisStore.WrongResponsesAsync(scope, assessmentId, itemVersionId, cohortId, limit ?? 10, ct);
        if (result.Responses is not { } responses) return Missing(result.Outcome, assessmentId, cohortId);
        if (csv != true) return TypedResults.Ok(responses);
        return Csv.Download(Csv.Write([
            ["response", "count", "share"],
            .. responses.Responses.Select(r => (string?[])[r.Response, r.Count.ToString(CultureInfo.InvariantCulture), Csv.Number(r.Share)]),
        ]), $"wrong-responses-{itemVersionId}.csv");
    }

    static ItemAnalysisResponse Shape(ItemAnalysis analysis, bool orderStatistics, double bound) =>
        new(analysis.AssessmentId, analysis.AttemptPolicy, analysis.CohortId, analysis.FromRunningSums, orderStatistics, bound, analysis.Report.Test,
            [.. analysis.Report.Items.Select(s =>
            {
                var item = analysis.Items[s.ItemVersionId];
                return new ItemAnalysisRow(s.ItemVersionId, item.ItemId, item.Version, item.Type, item.Points, item.StemContentVersionId, s.Attempts, s.Facility,
                    s.StandardDeviation, s.RandomGuessScore, s.IntendedWeight, s.EffectiveWeight, s.DiscriminationIndex, s.DiscriminativeEfficiency, s.Flagged);
            })]);

    /// <summary>One row per item version, the test's figures repeated on each (a spreadsheet filters rows, not documents).</summary>
    static string AnalysisCsv(ItemAnalysisResponse r)
    {
        var t = r.Test;
        string?[] test = [Int(t.Attempts), Csv.Number(t.Mean), Csv.Number(t.Median), Csv.Number(t.StandardDeviation), Csv.Number(t.Skewness), Csv.Number(t.Kurtosis),
            Csv.Number(t.Cic), Csv.Number(t.ErrorRatio), Csv.Number(t.StandardError)];
        return Csv.Write([
            ["item_version_id", "item_id", "version", "type", "points", "attempts", "facility", "standard_deviation", "random_guess_score", "intended_weight",
                "effective_weight", "discrimination_index", "discriminative_efficiency", "flagged", "test_attempts", "test_mean", "test_median", "test_sd",
                "test_skewness", "test_kurtosis", "test_cic", "test_error_ratio", "test_standard_error"],
            .. r.Items.Select(i => (string?[])[i.ItemVersionId.ToString(), i.ItemId.ToString(), Int(i.Version), i.Type,
                i.Points.ToString(CultureInfo.InvariantCulture), Int(i.Attempts), Csv.Number(i.Facility), Csv.Number(i.StandardDeviation),
                Csv.Number(i.RandomGuessScore), Csv.Number(i.IntendedWeight), Csv.Number(i.EffectiveWeight), Csv.Number(i.DiscriminationIndex),
                Csv.Number(i.DiscriminativeEfficiency), i.Flagged ? "true" : "false", .. test]),
        ]);
    }

    static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);
}
