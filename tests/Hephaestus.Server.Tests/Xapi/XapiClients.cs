using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Xapi;

/// <summary>What the xAPI tests share: clients that speak 2.0.0, provider credentials, and URLs with agents in their query.</summary>
internal static class XapiClients
{
    public const string Version = "2.0.0";

    public static HttpClient Speaking(this HttpClient client, string version = Version)
    {
        client.DefaultRequestHeaders.Remove("X-Experience-API-Version");
        client.DefaultRequestHeaders.Add("X-Experience-API-Version", version);
        return client;
    }

    /// <summary>Issues credentials as the admin and returns the response (key, secret, id).</summary>
    public static async Task<(Guid Id, string Key, string Secret)> IssueAsync(HttpClient admin, string name, Guid? learnerScope = null)
    {
        var response = await admin.PostAsJsonAsync("/api/v1/xapi/credentials", new { name, learnerScope });
        var issued = await Json.ReadAsync(response);
        Assert.Equal(201, (int)response.StatusCode);
        return (issued.GetProperty("id").GetGuid(), issued.GetProperty("key").GetString()!, issued.GetProperty("secret").GetString()!);
    }

    public static HttpClient Provider(ApiDatabase db, string key, string secret)
    {
        var client = db.Api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{key}:{secret}")));
        return client.Speaking();
    }

    public static string Mbox(string email) => $"{{\"mbox\":\"mailto:{email}\"}}";

    public static string Q(string value) => Uri.EscapeDataString(value);

    public static string State(string activity, string agent, string? stateId = null, Guid? registration = null, string? since = null) =>
        $"/xapi/activities/state?activityId={Q(activity)}&agent={Q(agent)}"
        + (stateId is null ? "" : $"&stateId={Q(stateId)}")
        + (registration is null ? "" : $"&registration={registration}")
        + (since is null ? "" : $"&since={Q(since)}");

    public static HttpRequestMessage Send(HttpMethod method, string url, string? body = null, string contentType = "application/json",
        string? ifMatch = null, string? ifNoneMatch = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, contentType);
        if (body is not null) request.Content!.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        if (ifNoneMatch is not null) request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        return request;
    }
}
