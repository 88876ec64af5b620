using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Api;

public partial class ConventionsTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    [Fact]
    public async Task Health_endpoints_answer_without_a_token()
    {
        var client = db.Api.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        var ready = await Json.ReadAsync(await client.GetAsync("/health/ready"));
        Assert.Equal("ready", ready.GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_openapi_document_lists_every_api_route_and_method_and_the_docs_page_is_served()
    {
        var client = db.Api.CreateClient();
        var document = await Json.ReadAsync(await client.GetAsync("/openapi/v1.json"));
        var documented = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => $"{m.Name.ToUpperInvariant()} {p.Name}"))
            .ToHashSet(StringComparer.Ordinal);
        // Every route the application maps under /api, written as OpenAPI writes it: no route constraints, no trailing slash.
        var mapped = db.Api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m} {RouteConstraint().Replace(e.RoutePattern.RawText!, "}").TrimEnd('/')}"))
            .ToList();
        Assert.True(mapped.Count > 50, $"only {mapped.Count} routes found: the check would be vacuous");
        var missing = mapped.Where(r => !documented.Contains(r)).ToList();
        Assert.True(missing.Count == 0, "routes missing from the OpenAPI document: " + string.Join(", ", missing));
        var docs = await client.GetAsync("/docs");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        Assert.Contains("text/html", docs.Content.Headers.ContentType!.MediaType, StringComparison.Ordinal);
    }

    // Issue 9, item 4: submit answers 201 with the submission's JSON (or a problem); its entry used to say 200, no body.
    [Fact]
    public async Task Bug_9_submit_is_documented_as_201_with_its_json_body()
    {
        var document = await Json.ReadAsync(await db.Api.CreateClient().GetAsync("/openapi/v1.json"));
        var submit = document.GetProperty("paths").GetProperty("/api/v1/learners/{learnerId}/attempts/{attemptId}/submit").GetProperty("post");
        var responses = submit.GetProperty("responses");
        Assert.False(responses.TryGetProperty("200", out _));
        var created = responses.GetProperty("201").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        var reference = created.GetProperty("$ref").GetString()!;
        Assert.EndsWith("/SubmissionResult", reference, StringComparison.Ordinal);
        var properties = document.GetProperty("components").GetProperty("schemas").GetProperty("SubmissionResult").GetProperty("properties");
        Assert.True(properties.TryGetProperty("resultId", out _));
        Assert.True(properties.TryGetProperty("score", out _));
        foreach (var status in new[] { "400", "403", "404", "409", "422" })
        {
            Assert.True(responses.GetProperty(status).GetProperty("content").TryGetProperty("application/problem+json", out _), status);
        }

        Assert.True(submit.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
    }

    [GeneratedRegex(@":[^}]+\}")]
    private static partial Regex RouteConstraint();

    [Fact]
    public async Task A_refusal_by_policy_is_a_problem_that_names_the_roles_needed()
    {
        var (_, learner) = await db.UserAsync("policy-learner@example.org", "learner");
        var problem = await Json.ProblemAsync(await learner.PostAsync("/api/v1/paths", Json.Body("""{"code":"p1","title":"P"}""")), 403);
        Assert.Equal("This needs the role author or admin.", problem.GetProperty("detail").GetString());
        problem = await Json.ProblemAsync(await learner.PostAsync("/api/v1/cohorts", Json.Body("""{"name":"C"}""")), 403);
        Assert.Equal("This needs the role admin.", problem.GetProperty("detail").GetString());
        // An unknown token is still a plain 401, not a refusal by role.
        var anonymous = await db.Api.CreateClient().PostAsync("/api/v1/cohorts", Json.Body("""{"name":"C"}"""));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task An_unknown_route_is_a_problem_not_an_empty_404()
    {
        await Json.ProblemAsync(await db.Api.CreateClient().GetAsync("/api/v1/nothing-here"), 404);
    }
}
