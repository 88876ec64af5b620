using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace Hephaestus.Server.Tests.Security;

/// <summary>
/// Every operation the service maps × every kind of caller, from the endpoints themselves (a route added tomorrow is in
/// the sweep without an edit), checking what holds for all of them: no token is 401; a token of no user (erased or never provisioned) is 401 too; a role
/// outside the roles an endpoint's policies name is 403; another learner acting on a learner's routes never succeeds;
/// and nothing is ever a 5xx. The hand-written <see cref="AuthorizationMatrixTests"/> pins the exact status of chosen
/// operations for the callers the policies let through (row-level decisions: 404 versus 200).
/// </summary>
public class AuthorizationSweepTests(MatrixWorld world, ITestOutputHelper output) : IClassFixture<MatrixWorld>
{
    static readonly Dictionary<string, string> RoleOf = new(StringComparer.Ordinal)
    {
        ["self"] = "learner", ["cohort educator"] = "educator", ["other learner"] = "learner", ["other educator"] = "educator",
        ["author"] = "author", ["analyst"] = "analyst", ["reviewer"] = "reviewer", ["admin"] = "admin",
    };

    sealed record Operation(string Method, string Template, string Url, IReadOnlySet<string>? Roles);

    /// <summary>Every /api/v1 operation, with its URL filled (the world's learner for learnerId, unknown ids elsewhere).</summary>
    async Task<List<Operation>> OperationsAsync()
    {
        var policies = world.Api.Services.GetRequiredService<IAuthorizationPolicyProvider>();
        var operations = new List<Operation>();
        foreach (var endpoint in world.Api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var template = endpoint.RoutePattern.RawText ?? "";
            if (!template.TrimStart('/').StartsWith("api/v1/", StringComparison.Ordinal)) continue;
            HashSet<string>? roles = null;
            foreach (var data in endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>())
            {
                if (data.Policy is null || await policies.GetPolicyAsync(data.Policy) is not { } policy) continue;
                foreach (var allowed in policy.Requirements.OfType<RolesAuthorizationRequirement>())
                {
                    // Several role policies on one endpoint must all pass: the roles that pass are their intersection.
                    roles = roles is null ? [.. allowed.AllowedRoles] : [.. roles.Intersect(allowed.AllowedRoles)];
                }
            }

            var url = "/" + string.Join('/', endpoint.RoutePattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
            {
                RoutePatternLiteralPart literal => literal.Content,
                RoutePatternParameterPart { Name: "learnerId" } => world.Learner.ToString(),
                RoutePatternParameterPart { Name: "version" } => "1",
                RoutePatternParameterPart p when p.ParameterPolicies.Any(c => c.Content == "guid") => Guid.NewGuid().ToString(),
                RoutePatternParameterPart => "x",
                _ => "",
            }))));
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])
            {
                operations.Add(new Operation(method, template, url, roles));
            }
        }

        return operations;
    }

    static HttpRequestMessage Request(Operation operation)
    {
        var request = new HttpRequestMessage(new HttpMethod(operation.Method), operation.Url);
        if (operation.Method is "POST" or "PUT" or "PATCH") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        if (operation.Method is "PATCH" or "PUT") request.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\""));
        return request;
    }

    [Fact]
    public async Task Every_operation_refuses_every_caller_it_must_and_never_fails_with_a_5xx()
    {
        var operations = await OperationsAsync();
        Assert.True(operations.Count > 60, $"only {operations.Count} operations found: is the sweep still reading the routes?");
        var failures = new List<string>();
        var requests = 0;
        foreach (var operation in operations)
        {
            foreach (var (caller, client) in world.Clients)
            {
                // Callers the policies let through are only sent where the request cannot change anything: every id but
                // the learner's is unknown and the body is empty, so at most the learner's own record is asked for.
                using var response = await client.SendAsync(Request(operation));
                requests++;
                var status = (int)response.StatusCode;
                int? expected = caller switch
                {
                    "anonymous" => 401,
                    "unprovisioned" => 401,
                    _ when operation.Roles is { } roles && !roles.Contains(RoleOf[caller]) => 403,
                    _ => null,
                };
                if (status >= 500) failures.Add($"{operation.Method} {operation.Template} as {caller}: {status}");
                else if (expected is { } e && status != e) failures.Add($"{operation.Method} {operation.Template} as {caller}: {status}, expected {e}");
                else if (caller == "other learner" && operation.Template.Contains("{learnerId", StringComparison.Ordinal) && response.IsSuccessStatusCode)
                {
                    failures.Add($"{operation.Method} {operation.Template} as another learner: {status} (another learner's record)");
                }
            }
        }

        output.WriteLine($"{operations.Count} operations × {world.Clients.Count} callers = {requests} requests; {failures.Count} failures");
        Assert.Empty(failures);
        Assert.Equal(HttpStatusCode.OK, (await world.Clients["self"].GetAsync($"/api/v1/users/{world.Learner}")).StatusCode); // the world survived
    }

    [Fact]
    public async Task A_refusal_is_a_problem_document_even_when_the_request_accepts_only_csv()
    {
        // CSV downloads send Accept: text/csv. The framework's problem writer declines such a request, and a 401 used to end
        // as an empty 500; every GET, refused for want of a token or of a role, must still say why as problem JSON.
        var failures = new List<string>();
        foreach (var operation in (await OperationsAsync()).Where(o => o.Method == "GET"))
        {
            foreach (var caller in new[] { "anonymous", "other learner" })
            {
                int? expected = caller == "anonymous" ? 401 : operation.Roles is { } roles && !roles.Contains("learner") ? 403 : null;
                if (expected is null) continue;
                using var request = Request(operation);
                request.Headers.Accept.Clear();
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
                using var response = await world.Clients[caller].SendAsync(request);
                var type = response.Content.Headers.ContentType?.MediaType;
                if ((int)response.StatusCode != expected || type != "application/problem+json")
                {
                    failures.Add($"GET {operation.Template} as {caller} accepting text/csv: {(int)response.StatusCode} {type}, expected {expected} application/problem+json");
                }
            }
        }

        Assert.Empty(failures);
    }
}
