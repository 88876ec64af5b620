using Hephaestus.Domain.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Hephaestus.Server.Auth;

/// <summary>
/// Who may call what, declared once per route group or endpoint (<c>.RequireAuthorization(Policies.Author)</c>) instead of
/// role checks in handlers. Every policy needs a provisioned user (a token whose subject the database knows). Checks that
/// depend on the row (a learner's own data, an educator's cohort) stay with the operation and row-level security.
/// </summary>
public static class Policies
{
    /// <summary>Any user the database knows; the floor of every /api route.</summary>
    public const string Provisioned = "provisioned";

    /// <summary>Admins only: users, cohorts, regrades, moving learners between path versions.</summary>
    public const string Admin = "admin";

    /// <summary>Authors and admins: the catalog (frameworks, skills, scales, rubrics), paths, items, assessments.</summary>
    public const string Author = "author";

    /// <summary>Educators and admins: overrides of learners' paths, cohort views.</summary>
    public const string EducatorOrAdmin = "educator-or-admin";

    /// <summary>
    /// Who writes content (items, versions, bodies): authors and admins. The one place the edge says it, matching
    /// hephaestus.can_write_content() in the database; a new writer role (reviewers) is added to both.
    /// </summary>
    public const string ContentWriter = "content-writer";

    /// <summary>Who reads any content version, drafts included: content writers, reviewers, educators and analysts.</summary>
    public const string ContentStaff = "content-staff";

    internal static readonly string[] ContentWriterRoles = [Role.Author, Role.Admin];

    /// <summary>Reviewers and admins: quality scores (people, and automated judges posting as a reviewer account).</summary>
    public const string Reviewer = "reviewer";

    /// <summary>Authors, reviewers and admins: moving content versions through review and publishing, the regeneration queue.</summary>
    public const string ContentWorkflow = "content-workflow";

    /// <summary>Content staff and analysts: reading quality and review history, flagging versions for regeneration.</summary>
    public const string ContentReaders = "content-readers";

    /// <summary>
    /// The xAPI resources: a provisioned user (bearer token) or an activity provider (Basic credentials, only under /xapi);
    /// which agents each may touch is the operation's rule.
    /// </summary>
    public const string XapiClient = "xapi-client";

    /// <summary>
    /// Educators, analysts and admins: aggregates over groups of learners (Features/Analytics). Which groups an educator
    /// sees (the cohorts they teach) is the operation's check and row-level security's.
    /// </summary>
    public const string AnalyticsStaff = "analytics-staff";

    static readonly Dictionary<string, string[]> RolesByPolicy = new(StringComparer.Ordinal)
    {
        [Admin] = [Role.Admin],
        [Author] = [Role.Author, Role.Admin],
        [EducatorOrAdmin] = [Role.Educator, Role.Admin],
        [ContentWriter] = ContentWriterRoles,
        [ContentStaff] = [.. ContentWriterRoles, Role.Reviewer, Role.Educator, Role.Analyst],
        [Reviewer] = [Role.Reviewer, Role.Admin],
        [ContentWorkflow] = [Role.Author, Role.Reviewer, Role.Admin],
        [ContentReaders] = [Role.Author, Role.Reviewer, Role.Analyst, Role.Admin],
        [AnalyticsStaff] = [Role.Educator, Role.Analyst, Role.Admin],
    };

    /// <summary>Whether the actor may read every content version (see <see cref="ContentStaff"/>).</summary>
    public static bool IsContentStaff(Data.Actor actor) => RolesByPolicy[ContentStaff].Any(actor.Has);

    internal static AuthorizationBuilder AddHephaestusPolicies(this AuthorizationBuilder authorization)
    {
        authorization.AddPolicy(Provisioned, policy => Provisioning(policy));
        authorization.AddPolicy(XapiClient, policy => policy.RequireAuthenticatedUser()
            .RequireAssertion(c => c.User.HasClaim(claim => claim.Type == AuthHosting.UserIdClaim) || c.User.IsProvider()));
        foreach (var (name, roles) in RolesByPolicy)
        {
            authorization.AddPolicy(name, policy => Provisioning(policy).RequireRole(roles));
        }

        return authorization;
    }

    static AuthorizationPolicyBuilder Provisioning(AuthorizationPolicyBuilder policy) =>
        policy.RequireAuthenticatedUser().RequireClaim(AuthHosting.UserIdClaim);
}

/// <summary>
/// A refusal by policy is a problem detail that says which roles the endpoint needs, like the refusals handlers write,
/// instead of an empty 403.
/// </summary>
internal sealed class ForbiddenAsProblem(IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
{
    readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        var roles = authorizeResult.AuthorizationFailure?.FailedRequirements.OfType<Microsoft.AspNetCore.Authorization.Infrastructure.RolesAuthorizationRequirement>()
            .SelectMany(r => r.AllowedRoles).ToList();
        // The web app's pages answer a refusal with a page (the cookie scheme's redirect to /forbidden), not JSON.
        if (!authorizeResult.Forbidden || roles is not { Count: > 0 } || Web.WebPaths.IsWeb(context))
        {
            await _default.HandleAsync(next, context, policy, authorizeResult);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = StatusCodes.Status403Forbidden,
                Title = "Forbidden",
                Detail = $"This needs the role {string.Join(" or ", roles)}.",
            },
        });
    }
}
