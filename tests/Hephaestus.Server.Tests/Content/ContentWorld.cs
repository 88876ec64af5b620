using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Hephaestus.Storage;
using Hephaestus.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Hephaestus.Server.Tests.Content;

/// <summary>Arranging content through the API: bodies, items, versions; and what the store and the rows hold.</summary>
internal static class ContentWorld
{
    public static IObjectStore Store(ApiDatabase db) => db.Api.Services.GetRequiredService<IObjectStore>();

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static async Task<HttpResponseMessage> UploadAsync(HttpClient client, byte[] body, string mediaType = "text/markdown", string? digest = null)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        if (digest is not null) content.Headers.TryAddWithoutValidation("Content-Digest", digest);
        return await client.PostAsync("/api/v1/content/bodies", content);
    }

    public static async Task<string> BodyAsync(HttpClient author, byte[] body)
    {
        var response = await UploadAsync(author, body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await Json.ReadAsync(response)).GetProperty("sha256").GetString()!;
    }

    public static async Task<Guid> ItemAsync(HttpClient author, string kind = "lesson", Guid[]? skills = null)
    {
        var response = await author.PostAsJsonAsync("/api/v1/content/items",
            new { key = "t/" + Guid.NewGuid().ToString("N"), kind, title = "Fractions", skills = skills ?? [] });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await Json.ReadAsync(response)).GetProperty("id").GetGuid();
    }

    public static object Human(string sha256, object? metadata = null, Guid? derivedFrom = null, Guid? regeneratedFrom = null) => new
    {
        body = new { sha256 }, mediaType = "text/markdown", provenance = new { origin = "human" }, metadata = metadata ?? new { }, derivedFrom, regeneratedFrom,
    };

    public static async Task<JsonElement> VersionAsync(HttpClient author, Guid item, object request)
    {
        var response = await author.PostAsJsonAsync($"/api/v1/content/items/{item}/versions", request);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await Json.ReadAsync(response);
    }

    public static async Task<List<string>> ObjectsAsync(ApiDatabase db)
    {
        var list = new List<string>();
        await foreach (var o in Store(db).ListAsync(CancellationToken.None)) list.Add(o.Sha256);
        return list;
    }

    public static Task<long> RowsAsync(ApiDatabase db) => db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.content_bodies");

    /// <summary>Publishes a draft the way the review lifecycle allows (in review, approved, published), as the owner.</summary>
    public static async Task PublishAsync(ApiDatabase db, Guid version)
    {
        foreach (var status in new[] { "in_review", "approved", "published" })
        {
            await db.ExecuteAsync("UPDATE hephaestus.content_versions SET status = $2 WHERE id = $1", version, status);
        }
    }
}
