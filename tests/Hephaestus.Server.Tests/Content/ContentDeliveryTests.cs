using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Hephaestus.Testing;
using static Hephaestus.Server.Tests.Content.ContentWorld;

namespace Hephaestus.Server.Tests.Content;

public class ContentDeliveryTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    /// <summary>A published path whose one step is the content item; returns the path's id.</summary>
    async Task<Guid> PathWithAsync(HttpClient author, Guid item)
    {
        var path = await Json.ReadAsync(await author.PostAsJsonAsync("/api/v1/paths", new { code = "p-" + Guid.NewGuid().ToString("N")[..10], title = "Reading" }));
        var (pathId, draft) = (path.GetProperty("id").GetGuid(), path.GetProperty("versions")[0].GetProperty("id").GetGuid());
        var put = await author.SendJsonAsync(HttpMethod.Put, $"/api/v1/paths/{pathId}/versions/{draft}/steps",
            new { steps = new[] { new { key = "read", kind = "content", refId = item, title = "Read" } } }, await author.ETagAsync($"/api/v1/paths/{pathId}/versions/{draft}"));
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        Assert.True((await author.PostAsync($"/api/v1/paths/{pathId}/versions/{draft}/publish", null)).IsSuccessStatusCode);
        return pathId;
    }

    [Fact]
    public async Task A_learner_reads_only_the_published_version_of_items_on_their_paths_and_is_recorded_as_shown_it()
    {
        var (_, author) = await db.UserAsync($"author-{Guid.NewGuid():N}@example.org", "author");
        var (learnerId, learner) = await db.UserAsync($"learner-{Guid.NewGuid():N}@example.org", "learner");
        var (otherId, other) = await db.UserAsync($"other-{Guid.NewGuid():N}@example.org", "learner");
        var item = await ItemAsync(author);
        var published = Bytes(5000, 30);
        var v1 = (await VersionAsync(author, item, Human(await BodyAsync(author, published)))).GetProperty("id").GetGuid();
        var draft = (await VersionAsync(author, item, Human(await BodyAsync(author, Bytes(10, 31))))).GetProperty("id").GetGuid();
        var pathId = await PathWithAsync(author, item);
        var enrollment = await Json.ReadAsync(await learner.PostAsJsonAsync($"/api/v1/learners/{learnerId}/enrollments", new { pathId }));

        // Nothing published yet: a draft is never delivered to a learner.
        await Json.ProblemAsync(await learner.GetAsync($"/api/v1/content/items/{item}/published"), 404);
        await Json.ProblemAsync(await learner.GetAsync($"/api/v1/content/items/{item}/published/body"), 404);
        await Json.ProblemAsync(await learner.GetAsync($"/api/v1/content/versions/{draft}/body"), 403);

        await PublishAsync(db, v1);
        var metadata = await Json.ReadAsync(await learner.GetAsync($"/api/v1/content/items/{item}/published"));
        Assert.Equal(v1, metadata.GetProperty("id").GetGuid());
        var body = await learner.GetAsync($"/api/v1/content/items/{item}/published/body");
        Assert.Equal(HttpStatusCode.OK, body.StatusCode);
        Assert.Equal(published, await body.Content.ReadAsByteArrayAsync());

        // Recorded once, with the enrollment and step it was reached through; a range request or a reload is not a new exposure.
        var ranged = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/content/items/{item}/published/body");
        ranged.Headers.Range = new RangeHeaderValue(0, 99);
        Assert.Equal(HttpStatusCode.PartialContent, (await learner.SendAsync(ranged)).StatusCode);
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.content_exposures WHERE learner_id = $1", learnerId));
        Assert.Equal(enrollment.GetProperty("id").GetGuid(),
            await db.ScalarAsync<Guid>("SELECT enrollment_id FROM hephaestus.content_exposures WHERE learner_id = $1 AND content_version_id = $2 AND step_key = 'read'", learnerId, v1));
        // The learner's export holds it.
        var export = await Json.ReadAsync(await learner.GetAsync($"/api/v1/users/{learnerId}/export"));
        Assert.Equal(v1, export.GetProperty("sections").GetProperty("contentExposures")[0].GetProperty("contentVersionId").GetGuid());

        // A learner not enrolled: 404, as for an item that does not exist, and nothing recorded.
        await Json.ProblemAsync(await other.GetAsync($"/api/v1/content/items/{item}/published"), 404);
        await Json.ProblemAsync(await other.GetAsync($"/api/v1/content/items/{item}/published/body"), 404);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.content_exposures WHERE learner_id = $1", otherId));
        await Json.ProblemAsync(await learner.GetAsync($"/api/v1/content/items/{Guid.NewGuid()}/published"), 404);

        // Exposures are written only by the learner record: the application role cannot insert one otherwise.
        Assert.Equal("42501", await db.AppRefusalAsync(
            $"INSERT INTO hephaestus.content_exposures (learner_id, id, content_version_id) VALUES ('{learnerId}', gen_random_uuid(), '{v1}')"));
    }

    [Fact]
    public async Task A_content_step_an_educator_inserted_for_a_learner_delivers_its_item_to_that_learner_only()
    {
        var (_, author) = await db.UserAsync($"author-{Guid.NewGuid():N}@example.org", "author");
        var (_, admin) = await db.UserAsync($"admin-{Guid.NewGuid():N}@example.org", "admin");
        var (learnerId, learner) = await db.UserAsync($"learner-{Guid.NewGuid():N}@example.org", "learner");
        var (otherId, other) = await db.UserAsync($"other-{Guid.NewGuid():N}@example.org", "learner");
        var onPath = await ItemAsync(author);
        var remediation = await ItemAsync(author);
        var remediationBody = Bytes(300, 41);
        var version = (await VersionAsync(author, remediation, Human(await BodyAsync(author, remediationBody)))).GetProperty("id").GetGuid();
        await PublishAsync(db, version);
        var pathId = await PathWithAsync(author, onPath);
        var enrollment = (await Json.ReadAsync(await learner.PostAsJsonAsync($"/api/v1/learners/{learnerId}/enrollments", new { pathId }))).GetProperty("id").GetGuid();
        await other.PostAsJsonAsync($"/api/v1/learners/{otherId}/enrollments", new { pathId });

        // Not on the path: not delivered.
        await Json.ProblemAsync(await learner.GetAsync($"/api/v1/content/items/{remediation}/published/body"), 404);

        var inserted = await admin.PostAsJsonAsync($"/api/v1/learners/{learnerId}/enrollments/{enrollment}/overrides", new
        {
            kind = "insert", reason = "Needs the basics again",
            step = new { key = "basics", kind = "content", refId = remediation.ToString().ToUpperInvariant(), title = "Basics", afterStep = "read" },
        });
        Assert.True(inserted.IsSuccessStatusCode, await inserted.Content.ReadAsStringAsync());

        var body = await learner.GetAsync($"/api/v1/content/items/{remediation}/published/body");
        Assert.Equal(HttpStatusCode.OK, body.StatusCode);
        Assert.Equal(remediationBody, await body.Content.ReadAsByteArrayAsync());
        Assert.Equal(enrollment, await db.ScalarAsync<Guid>(
            "SELECT enrollment_id FROM hephaestus.content_exposures WHERE learner_id = $1 AND content_version_id = $2 AND step_key = 'basics'", learnerId, version));
        // The insert was for one learner: another on the same path still gets nothing.
        await Json.ProblemAsync(await other.GetAsync($"/api/v1/content/items/{remediation}/published/body"), 404);
    }

    [Fact]
    public async Task A_content_step_must_name_an_existing_content_item_on_save_and_at_publish()
    {
        var (_, author) = await db.UserAsync($"author-{Guid.NewGuid():N}@example.org", "author");
        var path = await Json.ReadAsync(await author.PostAsJsonAsync("/api/v1/paths", new { code = "p-" + Guid.NewGuid().ToString("N")[..10], title = "Broken" }));
        var (pathId, draft) = (path.GetProperty("id").GetGuid(), path.GetProperty("versions")[0].GetProperty("id").GetGuid());
        var missing = Guid.NewGuid();
        var refused = await Json.ProblemAsync(await author.SendJsonAsync(HttpMethod.Put, $"/api/v1/paths/{pathId}/versions/{draft}/steps",
            new { steps = new[] { new { key = "read", kind = "content", refId = missing, title = "Read" } } }, await author.ETagAsync($"/api/v1/paths/{pathId}/versions/{draft}")), 400);
        Assert.Contains("no content item", refused.GetProperty("errors").GetProperty("/steps/0/refId")[0].GetString(), StringComparison.Ordinal);
        // Below the API the foreign key holds it.
        var step = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => db.ExecuteAsync(
            "INSERT INTO hephaestus.path_steps (id, path_version_id, step_key, kind, ref_id, title, position) VALUES (gen_random_uuid(), $1, 'x', 'content', $2, 'X', 0)",
            draft, missing));
        Assert.Equal("fk_path_steps_content_item", step.ConstraintName);
    }
}
