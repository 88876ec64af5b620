using Hephaestus.Data;
using Hephaestus.Data.Assessments;
using Hephaestus.Domain.Assessments;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Assessments;

/// <summary>
/// Assessments: fixed items and pools drawn by skill, with validated settings, an availability window and a due date.
/// Authors and admins write; anyone signed in reads and lists (an assessment holds no answer key). Edits take If-Match;
/// an edit of settings or parts after attempts were made makes the next version.
/// </summary>
public static class AssessmentsApi
{
    public static IEndpointRouteBuilder MapAssessments(this IEndpointRouteBuilder routes)
    {
        var assessments = routes.MapGroup("/api/v1/assessments").WithTags("Assessments").RequireAuthorization(Policies.Provisioned);
        assessments.MapPost("/", Create).WithName("CreateAssessment").RequireAuthorization(Policies.Author)
            .WithSummary("Create an assessment")
            .WithDescription("Fixed items and pools drawn by skill, settings (attempts, time limit, pass score, feedback), a schedule (availability window, due date) and how attempts combine. Authors and admins. The ETag header is the version for If-Match.")
            .ReturnsETag();
        assessments.MapGet("/", List).WithName("ListAssessments")
            .WithSummary("List and search assessments")
            .WithDescription("Assessments in creation order, keyset paged; `q` searches title and description, `skill` what they assess, `status` active or retired. Any provisioned user.");
        assessments.MapGet("/{assessmentId:guid}", Get).WithName("GetAssessment")
            .WithSummary("Read an assessment")
            .WithDescription("An assessment at its current version. The ETag header is the version for If-Match.")
            .ProducesProblems(StatusCodes.Status404NotFound)
            .ReturnsETag();
        assessments.MapPatch("/{assessmentId:guid}", Update).WithName("UpdateAssessment").RequireAuthorization(Policies.Author)
            .WithSummary("Update an assessment")
            .WithDescription("Each field sent replaces the stored one; settings or parts changed after attempts were made make the next version. Requires If-Match (428 without, 412 when stale); a retired assessment is 409. Authors and admins.")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .TakesIfMatch(required: true);
        assessments.MapPost("/{assessmentId:guid}/retire", Retire).WithName("RetireAssessment").RequireAuthorization(Policies.Author)
            .WithSummary("Retire an assessment")
            .WithDescription("No new attempts (409 for whoever tries); open attempts can still be submitted and results stay. Idempotent; If-Match is honoured when sent. Authors and admins.")
            .ProducesProblems(StatusCodes.Status404NotFound)
            .TakesIfMatch(required: false);
        return routes;
    }

    static Validation ValidateSettings(Validation v, AssessmentSettings s)
    {
        if (s.AttemptsAllowed is < 1 or > 100) v.Add("settings.attemptsAllowed", "must be 1 to 100, or left out for unlimited");
        if (s.TimeLimitSeconds is < 10 or > 7 * 24 * 3600) v.Add("settings.timeLimitSeconds", "must be 10 seconds to 7 days, or left out");
        if (s.PassScore is < 0 or > 1) v.Add("settings.passScore", "must be between 0 and 1");
        if (!Enum.IsDefined(s.Feedback)) v.Add("settings.feedback", "must be 'none', 'score' or 'full'");
        return v;
    }

    static Validation ValidateParts(Validation v, IReadOnlyList<AssessmentPart>? parts)
    {
        if (parts is not { Count: > 0 }) return v.Add("parts", "must have at least one part");
        if (parts.Count > 200) v.Add("parts", "must have at most 200 parts");
        for (var i = 0; i < parts.Count; i++)
        {
            var p = parts[i];
            if ((p.ItemId is null) == (p.PoolSkillId is null)) v.Add($"parts[{i}]", "must name either itemId or poolSkillId");
            if (p.PoolSkillId is not null && p.PoolCount is not (>= 1 and <= 100)) v.Add($"parts[{i}].poolCount", "must be 1 to 100 for a pool");
            if (p.ItemId is not null && p.PoolCount is not null) v.Add($"parts[{i}].poolCount", "applies only to a pool");
            if (p.ItemVersion is < 1) v.Add($"parts[{i}].itemVersion", "must be 1 or more");
        }

        return v;
    }

    /// <summary>As Canvas: the window is non-empty and the due date lies inside it (late work is possible between due and until).</summary>
    static Validation ValidateSchedule(Validation v, AssessmentSchedule? s)
    {
        if (s is null) return v;
        if (s.AvailableFrom >= s.AvailableUntil) v.Add("schedule.availableUntil", "must be after availableFrom");
        if (s.DueAt < s.AvailableFrom) v.Add("schedule.dueAt", "must not be before availableFrom");
        if (s.DueAt > s.AvailableUntil) v.Add("schedule.dueAt", "must not be after availableUntil");
        return v;
    }

    static Validation Validate(AssessmentRequest request)
    {
        var v = new Validation().Text("title", request.Title, 1, 200).Text("description", request.Description, 0, 4000, required: false);
        ValidateSettings(v, request.Settings ?? new AssessmentSettings());
        ValidateSchedule(v, request.Schedule);
        return ValidateParts(v, request.Parts);
    }

    static async Task<Results<Created<AssessmentResponseBody>, ValidationProblem, ProblemHttpResult>> Create(AssessmentRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var v = Validate(request);
        if (!v.IsValid) return v.ToProblem();
        var written = await AssessmentStore.CreateAsync(db, http.RequireActor(), new NewAssessment(request.Title, request.Parts,
            request.Settings ?? new AssessmentSettings(), string.IsNullOrEmpty(request.Description) ? null : request.Description, request.Schedule,
            request.AttemptPolicy ?? AttemptPolicy.Highest), ct);
        if (written.Created is not { } created) return v.AddRange(written.Errors).ToProblem();
        http.Response.Headers.ETag = ETags.Format(created.RowVersion);
        return TypedResults.Created($"/api/v1/assessments/{created.Id}", Body(created));
    }

    /// <summary>Assessments in creation order, keyset paged; <c>q</c> searches title and description, <c>skill</c> what the current version assesses.</summary>
    static async Task<Results<Ok<Page<AssessmentResponseBody>>, ValidationProblem>> List(HttpContext http, NpgsqlDataSource db, CancellationToken ct,
        string? q = null, Guid? skill = null, string? status = null, Guid? after = null, int? limit = null)
    {
        var v = new Validation();
        var size = v.PageSize(limit);
        if (q is { Length: 0 or > 200 }) v.Add("q", "must be 1 to 200 characters long");
        AssessmentStatus? wanted = null;
        if (status is not null)
        {
            if (Domain.WireNames<AssessmentStatus>.TryParse(status, out var parsed)) wanted = parsed;
            else v.Add("status", $"must be one of: {string.Join(", ", Domain.WireNames<AssessmentStatus>.All)}");
        }

        if (!v.IsValid) return v.ToProblem();
        var page = await AssessmentStore.ListAsync(db, http.RequireActor(), new AssessmentFilter(q, skill, wanted), after, size, ct);
        return TypedResults.Ok(new Page<AssessmentResponseBody>([.. page.Items.Select(Body)], page.Next));
    }

    static async Task<Results<Ok<AssessmentResponseBody>, ProblemHttpResult>> Get(Guid assessmentId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var assessment = await AssessmentStore.ReadAsync(db, http.RequireActor(), assessmentId, ct);
        if (assessment is null) return Problems.NotFound("assessment", assessmentId);
        http.Response.Headers.ETag = ETags.Format(assessment.RowVersion);
        return TypedResults.Ok(Body(assessment));
    }

    /// <summary>
    /// Edits with If-Match (428 without it, 412 when stale). Settings or parts changed after an attempt took the current
    /// version make the next version (its number is in the body); attempts on the old one keep it.
    /// </summary>
    static async Task<Results<Ok<AssessmentResponseBody>, ValidationProblem, ProblemHttpResult>> Update(
        Guid assessmentId, AssessmentPatchRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var v = new Validation().Text("title", request.Title, 1, 200, required: false).Text("description", request.Description, 0, 4000, required: false);
        if (request.Settings is { } settings) ValidateSettings(v, settings);
        if (request.Parts is not null) ValidateParts(v, request.Parts);
        ValidateSchedule(v, request.Schedule);
        if (!v.IsValid) return v.ToProblem();
        var change = new AssessmentChange(request.Title, request.Description, request.Parts, request.Settings, request.Schedule);
        var edit = await AssessmentStore.UpdateAsync(db, http.RequireActor(), assessmentId, change, ETags.Parse(http.Request), ct);
        if (edit.Outcome == AssessmentEditOutcome.InvalidParts) return v.AddRange(edit.Errors!).ToProblem();
        if (edit.Outcome == AssessmentEditOutcome.Retired) return Problems.Conflict("The assessment is retired; it is no longer edited.");
        var (ok, refused) = Written(edit, http, assessmentId);
        return ok is not null ? ok : refused!;
    }

    /// <summary>
    /// Retires: no new attempts (409 for whoever tries). Attempts already open can still be answered until their deadline
    /// and submitted, and results stay. Idempotent; If-Match is honoured when sent.
    /// </summary>
    static async Task<Results<Ok<AssessmentResponseBody>, ProblemHttpResult>> Retire(Guid assessmentId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var (ok, refused) = Written(await AssessmentStore.RetireAsync(db, http.RequireActor(), assessmentId, ETags.Parse(http.Request), ct), http, assessmentId);
        return ok is not null ? ok : refused!;
    }

    /// <summary>The written assessment with its new ETag, or the refusal every edit shares.</summary>
    static (Ok<AssessmentResponseBody>? Ok, ProblemHttpResult? Refused) Written(AssessmentEdit edit, HttpContext http, Guid assessmentId)
    {
        switch (edit)
        {
            case { Outcome: AssessmentEditOutcome.Written, Assessment: { } assessment }:
                http.Response.Headers.ETag = ETags.Format(assessment.RowVersion);
                return (TypedResults.Ok(Body(assessment)), null);
            case { Outcome: AssessmentEditOutcome.PreconditionRequired }:
                return (null, Problems.PreconditionRequired("assessment"));
            case { Outcome: AssessmentEditOutcome.PreconditionFailed, CurrentRowVersion: { } current }:
                return (null, Problems.PreconditionFailed("assessment", ETags.Format(current)));
            default:
                return (null, Problems.NotFound("assessment", assessmentId));
        }
    }

    static AssessmentResponseBody Body(Assessment a) =>
        new(a.Id, a.Title, a.Description, a.Version, a.Status, a.Settings, a.Parts, a.Schedule, a.CreatedAt, a.UpdatedAt, a.RetiredAt,
            a.AttemptPolicy);
}
