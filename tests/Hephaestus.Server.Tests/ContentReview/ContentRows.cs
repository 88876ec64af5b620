using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.ContentReview;

/// <summary>
/// Content items and versions made with SQL as the schema owner, so these tests need nothing of the endpoints that create
/// content (another slice's); bodies are recorded with a made-up SHA-256, as the object store is not the point here.
/// </summary>
internal static class ContentRows
{
    public static async Task<Guid> ItemAsync(TestDatabase db, Guid? author = null)
    {
        var id = Guid.CreateVersion7();
        await db.ExecuteAsync("INSERT INTO hephaestus.content_items (id, key, kind, title, created_by) VALUES ($1, $2, 'lesson', 'Fractions', $3)",
            id, "review/" + id.ToString("N"), (object?)author ?? DBNull.Value);
        return id;
    }

    /// <summary>The item's next version, in the given status (inserted so: the transition trigger watches updates only).</summary>
    public static async Task<Guid> VersionAsync(TestDatabase db, Guid item, Guid? author, string status = "draft", Guid? regeneratedFrom = null)
    {
        var id = Guid.CreateVersion7();
        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id.ToString())));
        await db.ExecuteAsync("INSERT INTO hephaestus.content_bodies (sha256, size_bytes) VALUES ($1, 10)", sha);
        await db.ExecuteAsync("""
            WITH bumped AS (UPDATE hephaestus.content_items SET latest_version = latest_version + 1 WHERE id = $2 RETURNING latest_version)
            INSERT INTO hephaestus.content_versions (id, content_item_id, version, body_sha256, media_type, origin, model_id, prompt_template_id,
                status, published_at, created_by, regenerated_from)
            SELECT $1, $2, latest_version, $3, 'text/markdown', 'generated', 'gpt-test', 'lesson-v1', $4,
                   CASE WHEN $4 = 'published' THEN now() END, $5, $6
            FROM bumped
            """, id, item, sha, status, (object?)author ?? DBNull.Value, (object?)regeneratedFrom ?? DBNull.Value);
        return id;
    }

    public static Task<string?> StatusAsync(TestDatabase db, Guid version) =>
        db.ScalarAsync<string>("SELECT status FROM hephaestus.content_versions WHERE id = $1", version);

    public static async Task<string> ETagAsync(HttpClient client, Guid version)
    {
        var response = await client.GetAsync($"/api/v1/content/versions/{version}/review");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return response.Headers.ETag!.ToString();
    }

    public static Task<HttpResponseMessage> MoveAsync(HttpClient client, Guid version, string to, string? etag, string? reason = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/content/versions/{version}/transitions") { Content = JsonContent.Create(new { to, reason }) };
        if (etag is not null) request.Headers.TryAddWithoutValidation("If-Match", etag);
        return client.SendAsync(request);
    }

    /// <summary>Moves with the version's current ETag.</summary>
    public static async Task<HttpResponseMessage> MoveNowAsync(HttpClient client, Guid version, string to, string? reason = null) =>
        await MoveAsync(client, version, to, await ETagAsync(client, version), reason);

    public static Task<HttpResponseMessage> ScoreAsync(HttpClient client, Guid version, object scores, object? evaluator = null) =>
        client.PostAsJsonAsync($"/api/v1/content/versions/{version}/quality-scores", new { evaluator = evaluator ?? new { kind = "human" }, scores });

    /// <summary>Scores that pass the default gate (accuracy 4 of 1..5 is 0.75 ≥ 0.6; safety_bias 5 is 1.0 ≥ 0.8).</summary>
    public static object Passing => new[] { new { dimension = "accuracy", score = 4m, rationale = "correct" }, new { dimension = "safety_bias", score = 5m, rationale = "safe" } };

    public static async Task<JsonElement> OkJsonAsync(HttpResponseMessage response)
    {
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await Json.ReadAsync(response);
    }
}
