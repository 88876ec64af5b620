using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Hephaestus.Server.Tests;

internal static class Json
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.False(string.IsNullOrEmpty(text), $"{(int)response.StatusCode} with an empty body");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts an RFC 9457 problem with this status and returns it.</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, int status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.True(problem.TryGetProperty("title", out _));
        return problem;
    }

    public static Task<HttpResponseMessage> PatchAsync(this HttpClient client, string url, object body, string? etag) =>
        client.SendJsonAsync(HttpMethod.Patch, url, body, etag);

    public static Task<HttpResponseMessage> SendJsonAsync(this HttpClient client, HttpMethod method, string url, object body, string? etag)
    {
        var request = new HttpRequestMessage(method, url) { Content = JsonContent.Create(body) };
        if (etag is not null) request.Headers.TryAddWithoutValidation("If-Match", etag);
        return client.SendAsync(request);
    }

    /// <summary>The ETag a GET of the resource answers with, to send as If-Match.</summary>
    public static async Task<string> ETagAsync(this HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return response.Headers.ETag?.ToString() ?? throw new InvalidOperationException($"GET {url} sent no ETag");
    }

    /// <summary>Follows <c>next</c> from the first page to the last (at most <paramref name="maxPages"/>) and returns every page's items.</summary>
    public static async Task<(List<JsonElement> Items, int Pages)> AllPagesAsync(HttpClient client, string url, int maxPages = 20)
    {
        var items = new List<JsonElement>();
        string? next = null;
        var pages = 0;
        do
        {
            var response = await client.GetAsync(url + (next is null ? "" : $"&after={next}"));
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            var page = await ReadAsync(response);
            items.AddRange(page.GetProperty("items").EnumerateArray());
            next = page.GetProperty("next").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next").GetString();
            pages++;
        }
        while (next is not null && pages < maxPages);

        return (items, pages);
    }
}
