using Hephaestus.Server.Auth;

namespace Hephaestus.Server.Features.Competencies;

/// <summary>
/// The competency catalog: mastery scales, frameworks as trees of skills, the skill prerequisite DAG, and rubrics.
/// Authors and admins write (<see cref="Policies.Author"/> on each write; row-level security enforces it again); anyone
/// signed in reads. One transaction per request.
/// </summary>
public static class CompetenciesApi
{
    public static IEndpointRouteBuilder MapCompetencies(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1").RequireAuthorization(Policies.Provisioned);
        MasteryScalesApi.Map(api);
        FrameworksApi.Map(api);
        SkillsApi.Map(api);
        PrerequisitesApi.Map(api);
        RubricsApi.Map(api);
        return routes;
    }
}
