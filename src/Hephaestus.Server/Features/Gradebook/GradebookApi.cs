using Hephaestus.Data;
using Hephaestus.Data.Gradebook;
using Hephaestus.Domain;
using Hephaestus.Domain.Assessments;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Gradebook;

/// <summary>A page of a cohort's gradebook: the columns (the same on every page), then one row per learner.</summary>
public sealed record GradebookResponse<TColumn, TCell>(Guid CohortId, IReadOnlyList<TColumn> Columns, IReadOnlyList<GradebookRow<TCell>> Items, string? Next);

/// <summary>
/// Reading results back: attempts with their current result (per assessment with filters, per learner), every result
/// revision of an attempt with per-item scores, rubric assessments; and a cohort's gradebooks (learner × assessment,
/// learner × skill) as JSON pages or one CSV download. Row-level security decides whose rows exist: a learner reads
/// their own (a learner they may not read is not found), an educator the learners of the cohorts they teach, an admin
/// everyone. A learner sees of their own results what the assessment's feedback level allows; staff see everything.
/// </summary>
public static class GradebookApi
{
    public static IEndpointRouteBuilder MapGradebook(this IEndpointRouteBuilder routes)
    {
        var results = routes.MapGroup("/api/v1").WithTags("Results").RequireAuthorization(Policies.Provisioned);
        results.MapGet("/assessments/{assessmentId:guid}/results", ForAssessment).WithName("ListAssessmentResults")
            .WithSummary("An assessment's results")
            .WithDescription("Attempts of the assessment with their current result, keyset paged, filtered by learner, status or submission time. Educators (their cohorts' learners) and admins.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        results.MapGet("/learners/{learnerId:guid}/results", ForLearner).WithName("ListLearnerResults")
            .WithSummary("A learner's results")
            .WithDescription("The learner's attempts with their current result, keyset paged. The learner, their educators, admins.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        results.MapGet("/learners/me/results", ForMe).WithName("ListMyResults")
            .WithSummary("My results")
            .WithDescription("The signed-in learner's attempts with their current result, keyset paged.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        results.MapGet("/learners/{learnerId:guid}/attempts/{attemptId:guid}/results", OfAttempt).WithName("GetAttemptResults")
            .WithSummary("An attempt's results")
            .WithDescription("Every revision of the attempt's result (regrades) with per-item scores; learners see what the feedback setting allows.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        results.MapGet("/learners/{learnerId:guid}/rubric-assessments", RubricAssessments).WithName("ListRubricAssessments")
            .WithSummary("A learner's rubric assessments")
            .WithDescription("Rubric assessments of the learner with their ratings, keyset paged.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        results.MapGet("/learners/me/rubric-assessments", MyRubricAssessments).WithName("ListMyRubricAssessments")
            .WithSummary("My rubric assessments")
            .WithDescription("Rubric assessments of the signed-in learner, keyset paged.")
            .ProducesProblems(StatusCodes.Status404NotFound);

        var cohort = routes.MapGroup("/api/v1/cohorts/{cohortId:guid}").WithTags("Gradebooks").RequireAuthorization(Policies.Provisioned);
        cohort.MapGet("/gradebook", Gradebook).WithName("CohortGradebook").ProducesCsv()
            .WithSummary("A cohort's gradebook")
            .WithDescription("Learner × assessment with the combined score (by the assessment's attempt policy) and status, as JSON or as CSV (`Accept: text/csv` or `format=csv`). Educators of the cohort and admins; a learner sees their own row.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        cohort.MapGet("/mastery-gradebook", MasteryGradebook).WithName("CohortMasteryGradebook").ProducesCsv()
            .WithSummary("A cohort's learning-mastery gradebook")
            .WithDescription("Learner × skill with value, level and mastered, as JSON or as CSV (`Accept: text/csv` or `format=csv`). Educators of the cohort and admins; a learner sees their own row.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        return routes;
    }

    /// <summary>An assessment's attempts with their current result; filter by learner, cohort, attempt status and submission time.</summary>
    static async Task<Results<Ok<Page<AttemptResultRow>>, ValidationProblem, ProblemHttpResult>> ForAssessment(Guid assessmentId, HttpContext http, NpgsqlDataSource db,
        CancellationToken ct, Guid? learnerId = null, Guid? cohortId = null, string? status = null, DateTimeOffset? submittedSince = null,
        DateTimeOffset? submittedUntil = null, Guid? after = null, int? limit = null)
    {
        var v = new Validation();
        var size = v.PageSize(limit);
        var filter = Filter(v, status, submittedSince, submittedUntil) with { LearnerId = learnerId, CohortId = cohortId };
        if (!v.IsValid) return v.ToProblem();
        var page = await ResultStore.ListForAssessmentAsync(db, http.RequireActor(), assessmentId, filter, after, size, ct);
        return page is null ? Problems.NotFound("assessment", assessmentId) : TypedResults.Ok(page);
    }

    /// <summary>A learner's attempts with their current result; filter by assessment, attempt status and submission time.</summary>
    static async Task<Results<Ok<Page<AttemptResultRow>>, ValidationProblem, ProblemHttpResult>> ForLearner(Guid learnerId, HttpContext http, NpgsqlDataSource db,
        CancellationToken ct, Guid? assessmentId = null, string? status = null, DateTimeOffset? submittedSince = null, DateTimeOffset? submittedUntil = null,
        Guid? after = null, int? limit = null)
    {
        var v = new Validation();
        var size = v.PageSize(limit);
        var filter = Filter(v, status, submittedSince, submittedUntil) with { AssessmentId = assessmentId };
        if (!v.IsValid) return v.ToProblem();
        var page = await ResultStore.ListForLearnerAsync(db, http.RequireActor(), learnerId, filter, after, size, ct);
        return page is null ? Problems.NotFound("learner", learnerId) : TypedResults.Ok(page);
    }

    /// <summary>The caller's own attempts with their current result.</summary>
    static Task<Results<Ok<Page<AttemptResultRow>>, ValidationProblem, ProblemHttpResult>> ForMe(HttpContext http, NpgsqlDataSource db, CancellationToken ct,
        Guid? assessmentId = null, string? status = null, DateTimeOffset? submittedSince = null, DateTimeOffset? submittedUntil = null, Guid? after = null,
        int? limit = null) =>
        ForLearner(http.RequireActor().UserId, http, db, ct, assessmentId, status, submittedSince, submittedUntil, after, limit);

    /// <summary>Every result revision of an attempt (a regrade adds one), with each item's score for staff or under full feedback.</summary>
    static async Task<Results<Ok<AttemptResults>, ProblemHttpResult>> OfAttempt(Guid learnerId, Guid attemptId, HttpContext http, NpgsqlDataSource db,
        CancellationToken ct)
    {
        var attempt = await ResultStore.ReadAttemptAsync(db, http.RequireActor(), learnerId, attemptId, ct);
        return attempt is null ? Problems.NotFound("attempt", attemptId) : TypedResults.Ok(attempt);
    }

    /// <summary>A learner's rubric assessments: each rating given, by whom, against which rubric.</summary>
    static async Task<Results<Ok<Page<RubricAssessmentRow>>, ValidationProblem, ProblemHttpResult>> RubricAssessments(Guid learnerId, HttpContext http,
        NpgsqlDataSource db, CancellationToken ct, Guid? after = null, int? limit = null)
    {
        var v = new Validation();
        var size = v.PageSize(limit);
        if (!v.IsValid) return v.ToProblem();
        var page = await ResultStore.ListRubricAssessmentsAsync(db, http.RequireActor(), learnerId, after, size, ct);
        return page is null ? Problems.NotFound("learner", learnerId) : TypedResults.Ok(page);
    }

    /// <summary>The caller's own rubric assessments.</summary>
    static Task<Results<Ok<Page<RubricAssessmentRow>>, ValidationProblem, ProblemHttpResult>> MyRubricAssessments(HttpContext http, NpgsqlDataSource db,
        CancellationToken ct, Guid? after = null, int? limit = null) =>
        RubricAssessments(http.RequireActor().UserId, http, db, ct, after, limit);

    /// <summary>
    /// Learner × assessment: each cell's status (not_started, in_progress, submitted, graded), attempts, combined score
    /// and last submission. JSON is paged by learner; <c>?format=csv</c> or <c>Accept: text/csv</c> downloads every learner.
    /// </summary>
    static Task<Results<Ok<GradebookResponse<AssessmentColumn, GradeCell>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>> Gradebook(
        Guid cohortId, HttpContext http, NpgsqlDataSource db, CancellationToken ct, string? format = null, Guid? after = null, int? limit = null) =>
        ServeAsync(cohortId, http, format, after, limit, (page, size) => GradebookStore.ReadAsync(db, http.RequireActor(), cohortId, page, size, ct),
            GradebookCsv.Grades, "gradebook");

    /// <summary>Learner × skill: each cell's mastery level, value and whether it is mastered; JSON paged by learner, or one CSV download.</summary>
    static Task<Results<Ok<GradebookResponse<SkillColumn, MasteryCell>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>> MasteryGradebook(
        Guid cohortId, HttpContext http, NpgsqlDataSource db, CancellationToken ct, string? format = null, Guid? after = null, int? limit = null) =>
        ServeAsync(cohortId, http, format, after, limit, (page, size) => GradebookStore.ReadMasteryAsync(db, http.RequireActor(), cohortId, page, size, ct),
            GradebookCsv.Mastery, "mastery-gradebook");

    /// <summary>A gradebook as a JSON page, or every learner as a CSV download named after the gradebook and the cohort.</summary>
    static async Task<Results<Ok<GradebookResponse<TColumn, TCell>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult>> ServeAsync<TColumn, TCell>(
        Guid cohortId, HttpContext http, string? format, Guid? after, int? limit, Func<Guid?, int?, Task<CohortGradebook<TColumn, TCell>?>> read,
        Func<CohortGradebook<TColumn, TCell>, string> csvOf, string name)
    {
        var v = new Validation();
        var size = v.PageSize(limit);
        var csv = Csv.Wanted(http.Request, format);
        if (csv is null) v.Add("/format", "must be 'json' or 'csv'");
        if (!v.IsValid) return v.ToProblem();
        var book = csv == true ? await read(null, null) : await read(after, size);
        if (book is null) return Problems.NotFound("cohort", cohortId);
        if (csv == true) return Csv.Download(csvOf(book), $"{name}-{cohortId}.csv");
        return TypedResults.Ok(new GradebookResponse<TColumn, TCell>(cohortId, book.Columns, book.Learners.Items, book.Learners.Next));
    }

    static ResultFilter Filter(Validation v, string? status, DateTimeOffset? since, DateTimeOffset? until)
    {
        AttemptStatus? parsed = null;
        if (status is not null)
        {
            if (WireNames<AttemptStatus>.TryParse(status, out var s)) parsed = s;
            else v.Add("/status", $"must be one of {string.Join(", ", WireNames<AttemptStatus>.All)}");
        }

        if (since is not null && until is not null && until <= since) v.Add("/submittedUntil", "must be later than submittedSince");
        return new ResultFilter(Status: parsed, SubmittedSince: since, SubmittedUntil: until);
    }
}
