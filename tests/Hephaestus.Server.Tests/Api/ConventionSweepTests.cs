using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hephaestus.Data;
using Hephaestus.Testing;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace Hephaestus.Server.Tests.Api;

/// <summary>
/// Issue 9, item 9: the conventions every operation follows, read from the mapped endpoints (a route added tomorrow is
/// swept without an edit): a malformed id is a 400 naming the segment; every 4xx is a problem with type, title, detail
/// and status; every list is keyset-paged; a token of no account is a 401 that says so.
/// </summary>
public class ConventionSweepTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    sealed record Route(string Method, RouteEndpoint Endpoint)
    {
        public string Template => Endpoint.RoutePattern.RawText!;

        /// <summary>The URL with every parameter filled: a fresh UUID, 1 for an integer, "x" for anything else.</summary>
        public string Url(string? malformed = null) => "/" + string.Join('/', Endpoint.RoutePattern.PathSegments.Select(segment =>
            string.Concat(segment.Parts.Select(part => part switch
            {
                RoutePatternLiteralPart literal => literal.Content,
                RoutePatternParameterPart p when p.Name == malformed => "not-an-id",
                RoutePatternParameterPart p when Kind(p) == "guid" => Guid.NewGuid().ToString(),
                RoutePatternParameterPart p when Kind(p) == "int" => "1",
                _ => "x",
            }))));

        public static string? Kind(RoutePatternParameterPart p) => p.ParameterPolicies.Select(c => c.Content).FirstOrDefault(c => c is "guid" or "int");
    }

    List<Route> Routes() => db.Api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
        .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1", StringComparison.Ordinal) == true)
        .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => new Route(m, e)))
        .ToList();

    static HttpRequestMessage Request(string method, string url, string? body = "{}", string contentType = "application/json")
    {
        var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method is "POST" or "PUT" or "PATCH" && body is not null) request.Content = new StringContent(body, Encoding.UTF8, contentType);
        return request;
    }

    static async Task<string?> NotAProblemAsync(HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        if (status is < 400 or >= 500) return null;
        var text = await response.Content.ReadAsStringAsync();
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json") return $"{status} is {response.Content.Headers.ContentType?.MediaType ?? "no body"}: {text}";
        using var problem = JsonDocument.Parse(text);
        var missing = new[] { "type", "title", "detail", "status" }.Where(p => !problem.RootElement.TryGetProperty(p, out var v) || v.ValueKind == JsonValueKind.Null).ToList();
        return missing.Count == 0 ? null : $"{status} without {string.Join(", ", missing)}: {text}";
    }

    [Fact]
    public async Task A_malformed_id_in_any_route_is_a_400_naming_the_segment()
    {
        var (_, admin) = await db.UserAsync("ids-admin@example.org", "admin");
        var failures = new List<string>();
        var sent = 0;
        foreach (var route in Routes())
        {
            foreach (var parameter in route.Endpoint.RoutePattern.Parameters.Where(p => Route.Kind(p) is not null))
            {
                using var response = await admin.SendAsync(Request(route.Method, route.Url(malformed: parameter.Name)));
                sent++;
                var text = await response.Content.ReadAsStringAsync();
                if ((int)response.StatusCode != 400) { failures.Add($"{route.Method} {route.Template} /{parameter.Name}: {(int)response.StatusCode} {text}"); continue; }
                using var problem = JsonDocument.Parse(text);
                var expected = Route.Kind(parameter) == "guid" ? "must be a UUID" : "must be an integer";
                if (!problem.RootElement.GetProperty("errors").TryGetProperty("/" + parameter.Name, out var errors) || errors[0].GetString() != expected)
                {
                    failures.Add($"{route.Method} {route.Template} /{parameter.Name}: {text}");
                }
            }
        }

        Assert.True(sent > 60, $"only {sent} id segments found: is the sweep still reading the routes?");
        Assert.Empty(failures);
    }

    [Fact]
    public async Task Every_4xx_of_every_operation_is_a_problem_with_type_title_detail_and_status()
    {
        var (_, admin) = await db.UserAsync("problems-admin@example.org", "admin");
        var (_, learner) = await db.UserAsync("problems-learner@example.org", "learner");
        var anonymous = db.Api.CreateClient();
        var unknown = db.Api.ClientFor("test|nobody-" + Guid.NewGuid().ToString("N"));
        var failures = new List<string>();
        var fourHundreds = 0;
        async Task CheckAsync(HttpClient client, HttpRequestMessage request, string what)
        {
            using var response = await client.SendAsync(request);
            if ((int)response.StatusCode is >= 400 and < 500) fourHundreds++;
            if (await NotAProblemAsync(response) is { } failure) failures.Add($"{request.Method} {request.RequestUri} ({what}): {failure}");
        }

        foreach (var route in Routes())
        {
            var url = route.Url();
            await CheckAsync(anonymous, Request(route.Method, url), "no token");
            await CheckAsync(unknown, Request(route.Method, url), "unknown account");
            await CheckAsync(learner, Request(route.Method, url), "a learner, unknown ids");
            await CheckAsync(admin, Request(route.Method, url + "?limit=0&after=not-a-cursor"), "bad paging");
            await CheckAsync(admin, Request(route.Method, url, "{\"no\":"), "malformed JSON");
            await CheckAsync(admin, Request(route.Method, url, "<x/>", "application/xml"), "not JSON");
            await CheckAsync(admin, Request(route.Method == "DELETE" ? "PATCH" : "DELETE", url), "another method");
        }

        await CheckAsync(admin, Request("GET", "/api/v1/nothing-here"), "unknown route");
        Assert.True(fourHundreds > 300, $"only {fourHundreds} 4xx answers: the sweep would be vacuous");
        Assert.Empty(failures);
    }

    /// <summary>Lists that are a whole by nature, not pages of a collection: a graph, an order, one learner's small sets.</summary>
    static readonly HashSet<string> WholeLists = new(StringComparer.Ordinal)
    {
        "GET /api/v1/skills/{skillId:guid}/prerequisites",
        "GET /api/v1/skills/{skillId:guid}/dependents",
        "GET /api/v1/frameworks/{frameworkId:guid}/topological-order",
        "GET /api/v1/learners/{learnerId:guid}/mastery",
        "GET /api/v1/learners/{learnerId:guid}/enrollments/",
        "GET /api/v1/learners/{learnerId:guid}/enrollments/{enrollmentId:guid}/overrides",
        "GET /api/v1/learners/{learnerId:guid}/attempts/{attemptId:guid}/results",
        // The declared quality dimensions (a handful, set by an admin) and one version's flags: small by nature.
        "GET /api/v1/content/quality-dimensions",
        "GET /api/v1/content/versions/{versionId:guid}/flags",
    };

    [Fact]
    public void Every_list_is_a_keyset_page_with_after_and_limit()
    {
        var failures = new List<string>();
        var pages = 0;
        foreach (var route in Routes().Where(r => r.Method == "GET"))
        {
            var ok = route.Endpoint.Metadata.OfType<IProducesResponseTypeMetadata>().FirstOrDefault(p => p.StatusCode == 200)?.Type;
            if (ok is null) continue;
            var isPage = ok.IsGenericType && ok.GetGenericTypeDefinition() == typeof(Page<>);
            var isList = ok != typeof(string) && ok.IsAssignableTo(typeof(System.Collections.IEnumerable));
            var parameters = route.Endpoint.Metadata.OfType<System.Reflection.MethodInfo>().SingleOrDefault()?.GetParameters().Select(p => p.Name).ToHashSet() ?? [];
            var key = $"GET {route.Template}";
            if (isPage)
            {
                pages++;
                if (!parameters.Contains("after") || !parameters.Contains("limit")) failures.Add($"{key}: a page without after and limit");
            }
            else if (isList && !WholeLists.Contains(key))
            {
                failures.Add($"{key}: a list that is not paged");
            }
        }

        Assert.True(pages >= 12, $"only {pages} paged lists found");
        Assert.Empty(failures);
    }

    [Theory]
    [InlineData("/api/v1/frameworks")]
    [InlineData("/api/v1/rubrics")]
    [InlineData("/api/v1/mastery-scales")]
    [InlineData("/api/v1/skills")]
    [InlineData("/api/v1/paths")]
    public async Task Catalog_lists_are_keyset_pages_that_together_hold_every_row_once(string list)
    {
        var (_, author) = await db.UserAsync($"paging-{Guid.NewGuid():N}@example.org", "author");
        var framework = await Catalog.FrameworkAsync(db, "pg-" + Guid.NewGuid().ToString("N")[..8]);
        for (var i = 0; i < 3; i++)
        {
            var skill = await Catalog.SkillAsync(db, framework, $"s{i}");
            // At least three of each list's rows made here, so the test holds on a fresh database run alone.
            await Catalog.FrameworkAsync(db, "pg-" + Guid.NewGuid().ToString("N")[..8]);
            await Catalog.RubricAsync(db, skill, 1, 1, 0);
            await Catalog.ScaleAsync(db);
            await author.PostAsJsonAsync("/api/v1/paths", new { code = $"p-{Guid.NewGuid():N}"[..20], title = "P" });
        }

        var (all, _) = await Json.AllPagesAsync(author, list + "?limit=200");
        Assert.True(all.Count >= 3, $"{list}: {all.Count} rows");
        var (paged, pageCount) = await Json.AllPagesAsync(author, list + "?limit=2", maxPages: 100);
        Assert.True(pageCount >= 2);
        Assert.Equal(all.Select(r => r.GetProperty("id").GetGuid()), paged.Select(r => r.GetProperty("id").GetGuid()));
        Assert.Equal(all.Count, paged.Select(r => r.GetProperty("id").GetGuid()).Distinct().Count());
    }

    [Fact]
    public async Task Cohort_members_are_their_own_keyset_list_and_the_cohort_no_longer_embeds_them()
    {
        var (_, admin) = await db.UserAsync("members-admin@example.org", "admin");
        var cohort = (await Json.ReadAsync(await admin.PostAsJsonAsync("/api/v1/cohorts", new { name = "Members" }))).GetProperty("id").GetGuid();
        var learners = new List<(Guid Id, HttpClient Client)>();
        for (var i = 0; i < 5; i++)
        {
            var learner = await db.UserAsync($"member-{i}@example.org", "learner");
            learners.Add(learner);
            Assert.True((await admin.PutAsJsonAsync($"/api/v1/cohorts/{cohort}/members/{learner.Id}", new { role = "learner" })).IsSuccessStatusCode);
        }

        var read = await Json.ReadAsync(await admin.GetAsync($"/api/v1/cohorts/{cohort}"));
        Assert.False(read.TryGetProperty("members", out _));
        var (members, pages) = await Json.AllPagesAsync(admin, $"/api/v1/cohorts/{cohort}/members?limit=2");
        Assert.Equal(3, pages);
        Assert.Equal(learners.Select(l => l.Id).Order(), members.Select(m => m.GetProperty("userId").GetGuid()));
        // A learner sees only their own membership; a cohort they cannot see at all is a 404.
        var (own, _) = await Json.AllPagesAsync(learners[0].Client, $"/api/v1/cohorts/{cohort}/members?limit=2");
        Assert.Equal(learners[0].Id, Assert.Single(own).GetProperty("userId").GetGuid());
        await Json.ProblemAsync(await learners[0].Client.GetAsync($"/api/v1/cohorts/{Guid.NewGuid()}/members"), 404);
        var limit = await Json.ProblemAsync(await admin.GetAsync($"/api/v1/cohorts/{cohort}/members?limit=0"), 400);
        Assert.True(limit.GetProperty("errors").TryGetProperty("/limit", out _));
    }

    [Fact]
    public async Task Bad_limits_and_cursors_are_field_errors_on_every_list_including_next()
    {
        var (learnerId, learner) = await db.UserAsync("limits-learner@example.org", "learner");
        var next = await Json.ProblemAsync(await learner.GetAsync($"/api/v1/learners/{learnerId}/enrollments/{Guid.NewGuid()}/next?limit=0"), 400);
        Assert.True(next.GetProperty("errors").TryGetProperty("/limit", out _), next.ToString());
        var evidence = await Json.ProblemAsync(await learner.GetAsync($"/api/v1/learners/{learnerId}/evidence?limit=5000"), 400);
        Assert.True(evidence.GetProperty("errors").TryGetProperty("/limit", out _), evidence.ToString());
        var cursor = await Json.ProblemAsync(await learner.GetAsync("/api/v1/frameworks?after=42"), 400);
        Assert.Equal("must be a UUID", cursor.GetProperty("errors").GetProperty("/after")[0].GetString());
    }

    [Fact]
    public async Task A_token_for_no_account_is_a_401_that_says_the_account_does_not_exist()
    {
        var unknown = db.Api.ClientFor("test|nobody-" + Guid.NewGuid().ToString("N"));
        var problem = await Json.ProblemAsync(await unknown.GetAsync("/api/v1/users/me"), 401);
        Assert.Equal(Hephaestus.Server.Auth.TokenChallenge.UnknownAccountType, problem.GetProperty("type").GetString());
        var anonymous = await Json.ProblemAsync(await db.Api.CreateClient().GetAsync("/api/v1/users/me"), 401);
        Assert.NotEqual(Hephaestus.Server.Auth.TokenChallenge.UnknownAccountType, anonymous.GetProperty("type").GetString());
        Assert.Contains("bearer token", anonymous.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
