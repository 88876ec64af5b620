using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hephaestus.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Hephaestus.Server.Tests.Api;

public partial class LearnerAliasTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    /// <summary>Every mapped route under /api/v1/learners/{learnerId…}, as (method, pattern without constraints).</summary>
    List<(string Method, string Pattern)> LearnerRoutes() =>
        [.. db.Api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1/learners/{learnerId", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (m, Constraint().Replace(e.RoutePattern.RawText!, "}"))))];

    /// <summary>The route with the learner segment given and every other parameter filled with a fixed (absent) value.</summary>
    static string Fill(string pattern, string learner) =>
        Parameter().Replace(pattern.Replace("{learnerId}", learner, StringComparison.Ordinal), m => m.Value.EndsWith("Id}", StringComparison.Ordinal)
            ? "0190a000-0000-7000-8000-000000000001"
            : "some-key");

    /// <summary>Status and body of a call, without what differs between two calls by nature (the trace id).</summary>
    static async Task<(HttpStatusCode Status, string Body)> CallAsync(HttpClient client, string method, string url)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method is "POST" or "PUT" or "PATCH") request.Content = Json.Body("{}");
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (text.Length > 0 && JsonNode.Parse(text) is JsonObject body)
        {
            body.Remove("traceId");
            text = body.ToJsonString();
        }

        return (response.StatusCode, text);
    }

    [Fact]
    public async Task Every_learner_route_answers_under_me_exactly_as_under_the_signed_in_users_id()
    {
        var (id, learner) = await db.UserAsync("alias-learner@example.org", "learner");
        var routes = LearnerRoutes();
        Assert.True(routes.Count >= 15, $"only {routes.Count} learner routes found: the check would be vacuous");
        foreach (var (method, pattern) in routes)
        {
            var byId = await CallAsync(learner, method, Fill(pattern, id.ToString()));
            var byMe = await CallAsync(learner, method, Fill(pattern, "me"));
            Assert.True(byId == byMe, $"{method} {pattern}: by id {(int)byId.Status} {byId.Body}; by me {(int)byMe.Status} {byMe.Body}");
            // A miss of the route itself would be the unknown-route problem; and `me` is never a malformed id.
            Assert.False(byMe.Status == HttpStatusCode.NotFound && byMe.Body.Contains("No operation answers", StringComparison.Ordinal), $"{method} {pattern} is not routed under me");
            Assert.False(byMe.Status == HttpStatusCode.BadRequest && byMe.Body.Contains("learnerId", StringComparison.Ordinal), $"{method} {pattern}: {byMe.Body}");
        }

        // The control: a segment that is neither an id nor `me` is a malformed id naming learnerId, so the check above can fail.
        var miss = await CallAsync(learner, "GET", "/api/v1/learners/mine/enrollments");
        Assert.Equal(HttpStatusCode.BadRequest, miss.Status);
        Assert.Contains("/learnerId", miss.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Me_reads_the_signed_in_learners_own_data()
    {
        var (id, learner) = await db.UserAsync("alias-own@example.org", "learner");
        var response = await learner.GetAsync("/api/v1/learners/me/enrollments");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, (await Json.ReadAsync(response)).GetArrayLength());
        var framework = await Catalog.FrameworkAsync(db, "fw-alias");
        var skill = await Catalog.SkillAsync(db, framework, "alias.a");
        await db.ExecuteAsync("""
            INSERT INTO hephaestus.learner_skill_mastery (learner_id, skill_id, value, level_rank, mastered, evidence_count) VALUES ($1, $2, 0.5, 1, false, 1)
            """, id, skill);
        var mastery = await Json.ReadAsync(await learner.GetAsync("/api/v1/learners/me/mastery"));
        Assert.Equal(skill, Assert.Single(mastery.EnumerateArray()).GetProperty("skillId").GetGuid());
    }

    [Fact]
    public async Task Me_for_an_unprovisioned_token_is_the_same_refusal_as_any_unprovisioned_call()
    {
        var stranger = db.Api.ClientFor("test|nobody-" + Guid.NewGuid().ToString("N"));
        var byMe = await CallAsync(stranger, "GET", "/api/v1/learners/me/enrollments");
        var byId = await CallAsync(stranger, "GET", $"/api/v1/learners/{Guid.NewGuid()}/enrollments");
        Assert.Equal(HttpStatusCode.Unauthorized, byMe.Status);
        Assert.Equal(byId.Status, byMe.Status);
        var anonymous = await db.Api.CreateClient().GetAsync("/api/v1/learners/me/enrollments");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task The_openapi_document_describes_learnerId_as_a_uuid_or_me()
    {
        var document = await Json.ReadAsync(await db.Api.CreateClient().GetAsync("/openapi/v1.json"));
        var parameters = document.GetProperty("paths").EnumerateObject()
            .Where(p => p.Name.StartsWith("/api/v1/learners/{learnerId}", StringComparison.Ordinal))
            .SelectMany(p => p.Value.EnumerateObject())
            .SelectMany(o => o.Value.TryGetProperty("parameters", out var ps) ? ps.EnumerateArray() : Enumerable.Empty<JsonElement>())
            .Where(p => p.GetProperty("name").GetString() == "learnerId")
            .ToList();
        Assert.True(parameters.Count >= 15, $"only {parameters.Count} learnerId parameters documented");
        foreach (var p in parameters)
        {
            var pattern = new Regex(p.GetProperty("schema").GetProperty("pattern").GetString()!);
            Assert.Matches(pattern, "me");
            Assert.Matches(pattern, Guid.NewGuid().ToString());
            Assert.DoesNotMatch(pattern, "mine");
            Assert.Contains("`me`", p.GetProperty("description").GetString(), StringComparison.Ordinal);
        }
    }

    [GeneratedRegex(@":[^}]+\}")]
    private static partial Regex Constraint();

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex Parameter();
}
