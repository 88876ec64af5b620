using Hephaestus.Data.Assessments;
using Hephaestus.Domain.Assessments;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Assessments;

/// <summary>Assessments: fixed items and pools drawn by skill, with validated settings. Authors and admins write; anyone signed in reads.</summary>
public static class AssessmentsApi
{
    public static IEndpointRouteBuilder MapAssessments(this IEndpointRouteBuilder routes)
    {
        var assessments = routes.MapGroup("/api/v1/assessments").WithTags("Assessments").RequireAuthorization(Policies.Provisioned);
        assessments.MapPost("/", Create).WithName("CreateAssessment").RequireAuthorization(Policies.Author);
        assessments.MapGet("/{assessmentId:guid}", Get).WithName("GetAssessment");
        return routes;
    }

    static Validation Validate(AssessmentRequest request)
    {
        var v = new Validation().Text("title", request.Title, 1, 200);
        var s = request.Settings ?? new AssessmentSettings();
        if (s.AttemptsAllowed is < 1 or > 100) v.Add("settings.attemptsAllowed", "must be 1 to 100, or left out for unlimited");
        if (s.TimeLimitSeconds is < 10 or > 7 * 24 * 3600) v.Add("settings.timeLimitSeconds", "must be 10 seconds to 7 days, or left out");
        if (s.PassScore is < 0 or > 1) v.Add("settings.passScore", "must be between 0 and 1");
        if (!Enum.IsDefined(s.Feedback)) v.Add("settings.feedback", "must be 'none', 'score' or 'full'");
        if (request.Parts is not { Count: > 0 }) return v.Add("parts", "must have at least one part");
        if (request.Parts.Count > 200) v.Add("parts", "must have at most 200 parts");
        for (var i = 0; i < request.Parts.Count; i++)
        {
            var p = request.Parts[i];
            if ((p.ItemId is null) == (p.PoolSkillId is null)) v.Add($"parts[{i}]", "must name either itemId or poolSkillId");
            if (p.PoolSkillId is not null && p.PoolCount is not (>= 1 and <= 100)) v.Add($"parts[{i}].poolCount", "must be 1 to 100 for a pool");
            if (p.ItemId is not null && p.PoolCount is not null) v.Add($"parts[{i}].poolCount", "applies only to a pool");
            if (p.ItemVersion is < 1) v.Add($"parts[{i}].itemVersion", "must be 1 or more");
        }

        return v;
    }

    static async Task<Results<Created<AssessmentResponseBody>, ValidationProblem, ProblemHttpResult>> Create(AssessmentRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var v = Validate(request);
        if (!v.IsValid) return v.ToProblem();
        var written = await AssessmentStore.CreateAsync(db, http.RequireActor(), request.Title, request.Parts, request.Settings ?? new AssessmentSettings(),
            request.AttemptPolicy ?? AttemptPolicy.Highest, ct);
        if (written.Created is not { } created) return v.AddRange(written.Errors).ToProblem();
        return TypedResults.Created($"/api/v1/assessments/{created.Id}", Body(created));
    }

    static async Task<Results<Ok<AssessmentResponseBody>, ProblemHttpResult>> Get(Guid assessmentId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var assessment = await AssessmentStore.ReadAsync(db, http.RequireActor(), assessmentId, ct);
        return assessment is null ? Problems.NotFound("assessment", assessmentId) : TypedResults.Ok(Body(assessment));
    }

    static AssessmentResponseBody Body(Assessment a) => new(a.Id, a.Title, a.Settings, a.Parts, a.CreatedAt, a.AttemptPolicy);
}
