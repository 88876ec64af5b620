using System.Net;
using System.Net.Http.Json;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Competencies;

/// <summary>
/// Issue 9, item 9: If-Match on every update of a versioned catalog resource, as users, cohorts and assessments have it:
/// an ETag on GET and on the update's answer; 428 without If-Match, 412 when stale (and nothing changes); of two updates
/// sent with the same ETag exactly one applies.
/// </summary>
public class CatalogETagTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    /// <summary>A resource, how to update it (a changed body each time, sent to its own URL or another) and what the update stored.</summary>
    sealed record Versioned(string Url, HttpMethod Method, Func<string, object> Body, Func<Task<string?>> Stored, string? UpdateUrl = null)
    {
        public string Target => UpdateUrl ?? Url;
    }

    Func<Task<string?>> Column(string table, string column, Guid id) =>
        () => db.ScalarAsync<string>($"SELECT {column} FROM hephaestus.{table} WHERE id = $1", id);

    async Task<(HttpClient Author, Versioned Resource)> ResourceAsync(string kind)
    {
        var (_, author) = await db.UserAsync($"etag-{kind.Replace(' ', '-')}-{Guid.NewGuid():N}@example.org", "author");
        var framework = await Catalog.FrameworkAsync(db, "et-" + Guid.NewGuid().ToString("N")[..8]);
        switch (kind)
        {
            case "skill":
                var skill = await Catalog.SkillAsync(db, framework, "s");
                return (author, new Versioned($"/api/v1/skills/{skill}", HttpMethod.Patch, title => new { title }, Column("skills", "title", skill)));
            case "framework":
                return (author, new Versioned($"/api/v1/frameworks/{framework}", HttpMethod.Patch, title => new { title }, Column("competency_frameworks", "title", framework)));
            case "path draft":
                var path = await Json.ReadAsync(await author.PostAsJsonAsync("/api/v1/paths", new { code = "et-" + Guid.NewGuid().ToString("N")[..10], title = "P" }));
                var (pathId, draft) = (path.GetProperty("id").GetGuid(), path.GetProperty("versions")[0].GetProperty("id").GetGuid());
                var stepSkill = await Catalog.SkillAsync(db, framework, "s");
                return (author, new Versioned($"/api/v1/paths/{pathId}/versions/{draft}", HttpMethod.Put,
                    title => new { steps = new object[] { new { key = "only", kind = "skill", refId = stepSkill, title } } },
                    () => db.ScalarAsync<string>("SELECT string_agg(title, ',') FROM hephaestus.path_steps WHERE path_version_id = $1", draft),
                    $"/api/v1/paths/{pathId}/versions/{draft}/steps"));
            default:
                var created = await author.PostAsJsonAsync("/api/v1/mastery-scales", new
                {
                    name = "Scale",
                    levels = new object[] { new { name = "no", threshold = 0, isMastery = false }, new { name = "yes", threshold = 0.7, isMastery = true } },
                });
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                Assert.NotNull(created.Headers.ETag);
                var scale = (await Json.ReadAsync(created)).GetProperty("id").GetGuid();
                return (author, new Versioned($"/api/v1/mastery-scales/{scale}", HttpMethod.Put, name => new
                {
                    name,
                    levels = new object[] { new { name = "no", threshold = 0, isMastery = false }, new { name = "yes", threshold = 0.7, isMastery = true } },
                }, Column("mastery_scales", "name", scale)));
        }
    }

    static Task<string?> StoredAsync(Versioned resource) => resource.Stored();

    [Theory]
    [InlineData("skill")]
    [InlineData("framework")]
    [InlineData("scale")]
    [InlineData("path draft")]
    public async Task An_update_needs_the_current_etag_and_answers_with_the_next(string kind)
    {
        var (author, resource) = await ResourceAsync(kind);
        var before = await StoredAsync(resource);
        var etag = await author.ETagAsync(resource.Url);

        var missing = await Json.ProblemAsync(await author.SendJsonAsync(resource.Method, resource.Target, resource.Body("Without"), null), 428);
        Assert.Contains("If-Match", missing.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var stale = await Json.ProblemAsync(await author.SendJsonAsync(resource.Method, resource.Target, resource.Body("Stale"), "\"1\""), 412);
        Assert.Equal(etag, stale.GetProperty("currentETag").GetString());
        Assert.Equal(before, await StoredAsync(resource));

        var updated = await author.SendJsonAsync(resource.Method, resource.Target, resource.Body("Changed"), etag);
        Assert.True(updated.StatusCode == HttpStatusCode.OK, await updated.Content.ReadAsStringAsync());
        var next = updated.Headers.ETag?.ToString();
        Assert.NotNull(next);
        Assert.NotEqual(etag, next);
        Assert.Equal("Changed", await StoredAsync(resource));
        Assert.Equal(next, await author.ETagAsync(resource.Url));
        // The ETag just used is stale now.
        await Json.ProblemAsync(await author.SendJsonAsync(resource.Method, resource.Target, resource.Body("Again"), etag), 412);
        Assert.Equal("Changed", await StoredAsync(resource));
    }

    [Theory]
    [InlineData("skill")]
    [InlineData("framework")]
    [InlineData("scale")]
    [InlineData("path draft")]
    public async Task Of_concurrent_updates_with_the_same_etag_exactly_one_applies(string kind)
    {
        var (author, resource) = await ResourceAsync(kind);
        var etag = await author.ETagAsync(resource.Url);
        var titles = Enumerable.Range(0, 6).Select(i => $"Racer {i}").ToList();
        var responses = await Task.WhenAll(titles.Select(t => author.SendJsonAsync(resource.Method, resource.Target, resource.Body(t), etag)));
        var statuses = responses.Select(r => (int)r.StatusCode).ToList();
        Assert.Equal(1, statuses.Count(s => s == 200));
        Assert.Equal(titles.Count - 1, statuses.Count(s => s == 412));
        var winner = titles[statuses.IndexOf(200)];
        Assert.Equal(winner, await StoredAsync(resource));
    }
}
