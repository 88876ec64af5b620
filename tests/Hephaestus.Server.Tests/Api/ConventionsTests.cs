using System.Net;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Api;

public class ConventionsTests(ApiDatabase db) : IClassFixture<ApiDatabase>
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
    public async Task The_openapi_document_lists_every_feature_route_and_the_docs_page_is_served()
    {
        var client = db.Api.CreateClient();
        var document = await Json.ReadAsync(await client.GetAsync("/openapi/v1.json"));
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/api/v1/users/{id}", paths);
        Assert.Contains("/api/v1/users/{id}/export", paths);
        Assert.Contains("/api/v1/cohorts/{id}/members/{userId}", paths);
        var docs = await client.GetAsync("/docs");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        Assert.Contains("text/html", docs.Content.Headers.ContentType!.MediaType, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_route_is_a_problem_not_an_empty_404()
    {
        await Json.ProblemAsync(await db.Api.CreateClient().GetAsync("/api/v1/nothing-here"), 404);
    }
}
