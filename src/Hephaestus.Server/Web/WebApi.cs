using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Hephaestus.Server.Web;

/// <summary>
/// The web app's only way to data: the service's own HTTP API, over loopback, with the signed-in user's access token. A
/// page therefore sees and may do exactly what that user's API client may (row-level security, policies, validation,
/// rate limits and problem details included), and one panel is one call.
/// </summary>
public sealed class WebApi(IHttpClientFactory clients, WebApiAddress address, IHttpContextAccessor accessor)
{
    public const string ClientName = "hephaestus-web-api";

    /// <summary>How the pages read the API's JSON: its names and enum spellings; fields a view does not use are ignored.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public Task<ApiAnswer<T>> GetAsync<T>(string path, CancellationToken ct, string? token = null) =>
        SendAsync<T>(HttpMethod.Get, path, body: null, ct, token: token);

    public Task<ApiAnswer<T>> PostAsync<T>(string path, object? body, CancellationToken ct) => SendAsync<T>(HttpMethod.Post, path, body, ct);

    public Task<ApiAnswer<T>> PutAsync<T>(string path, object? body, CancellationToken ct, string? ifMatch = null) =>
        SendAsync<T>(HttpMethod.Put, path, body, ct, ifMatch);

    public Task<ApiAnswer<T>> PatchAsync<T>(string path, object? body, CancellationToken ct, string? ifMatch = null) =>
        SendAsync<T>(HttpMethod.Patch, path, body, ct, ifMatch);

    public async Task<ApiAnswer<T>> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken ct, string? ifMatch = null, string? token = null)
    {
        using var request = Request(method, path, token);
        if (body is not null) request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        using var response = await clients.CreateClient(ClientName).SendAsync(request, ct);
        var etag = response.Headers.ETag?.ToString();
        if (!response.IsSuccessStatusCode) return new ApiAnswer<T>(default, await ProblemAsync(response, ct), etag);
        if (response.Content.Headers.ContentLength == 0 || response.StatusCode == System.Net.HttpStatusCode.NoContent)
        {
            return new ApiAnswer<T>(default, null, etag);
        }

        return new ApiAnswer<T>(await response.Content.ReadFromJsonAsync<T>(Json, ct), null, etag);
    }

    /// <summary>A response passed through as it is (CSV downloads): the caller copies it and disposes it.</summary>
    public async Task<HttpResponseMessage> GetRawAsync(string path, string accept, CancellationToken ct)
    {
        var request = Request(HttpMethod.Get, path, token: null);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        // A refusal comes back as a problem the caller passes on; with the file's type alone the API could not write one.
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/problem+json", 0.5));
        return await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
    }

    /// <summary>
    /// The start of a body the API streams (a content version's): its first <paramref name="maxBytes"/> bytes, asked for as
    /// a range so a long body is not read whole, decoded as UTF-8 when its media type is text, and its media type and size.
    /// </summary>
    public async Task<ApiAnswer<BodyPreview>> GetBodyPreviewAsync(string path, int maxBytes, CancellationToken ct)
    {
        using var request = Request(HttpMethod.Get, path, token: null);
        request.Headers.Range = new RangeHeaderValue(0, maxBytes - 1);
        using var response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        // An empty body has no first byte to ask for: the API answers 416 and says its size is 0.
        if (response.StatusCode == System.Net.HttpStatusCode.RequestedRangeNotSatisfiable && response.Content.Headers.ContentRange?.Length == 0)
        {
            return new ApiAnswer<BodyPreview>(new BodyPreview("text/plain", 0, "", false), null, null);
        }

        if (!response.IsSuccessStatusCode) return new ApiAnswer<BodyPreview>(null, await ProblemAsync(response, ct), null);
        var mediaType = response.Content.Headers.ContentType?.MediaType ?? "application/octet-stream";
        var size = response.Content.Headers.ContentRange?.Length ?? response.Content.Headers.ContentLength;
        if (!mediaType.StartsWith("text/", StringComparison.OrdinalIgnoreCase)) return new ApiAnswer<BodyPreview>(new BodyPreview(mediaType, size, null, false), null, null);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        var shown = Math.Min(bytes.Length, maxBytes);
        // A cut inside a multi-byte character decodes to one replacement character at the end, which is honest about the cut.
        return new ApiAnswer<BodyPreview>(new BodyPreview(mediaType, size, System.Text.Encoding.UTF8.GetString(bytes, 0, shown), size > shown), null, null);
    }

    HttpRequestMessage Request(HttpMethod method, string path, string? token)
    {
        if (!path.StartsWith("/api/", StringComparison.Ordinal)) throw new ArgumentException("The web app calls only the API (/api/…).", nameof(path));
        var http = accessor.HttpContext ?? throw new InvalidOperationException("The web app calls the API within a request.");
        // The token the authentication middleware already read from the session cookie on this request: no second
        // decryption, and safe from the parallel calls of a page's panels.
        token ??= http.Features.Get<IAuthenticateResultFeature>()?.AuthenticateResult?.Properties?.GetTokenValue(WebSignIn.AccessToken);
        var request = new HttpRequestMessage(method, new Uri(address.Base, path));
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        // The browser's languages, passed on (HttpClient itself carries the trace context, so a page view is one trace).
        request.Headers.AcceptLanguage.ParseAdd(http.Request.Headers.AcceptLanguage.ToString() is { Length: > 0 } language ? language : "en");
        return request;
    }

    static async Task<ApiProblem> ProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        try
        {
            if (response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true
                && await response.Content.ReadFromJsonAsync<ApiProblem>(Json, ct) is { } problem)
            {
                return problem with { Status = status };
            }
        }
        catch (JsonException)
        {
            // Not a problem document: described by its status below.
        }

        return new ApiProblem(status, response.ReasonPhrase ?? "Error", null, null);
    }
}

/// <summary>What an API call gave: the value, or the problem the API answered with (RFC 9457), and the ETag.</summary>
public sealed record ApiAnswer<T>(T? Value, ApiProblem? Problem, string? ETag)
{
    public bool Ok => Problem is null;
}

/// <summary>The start of a body: its media type, whole size, its text when it is text, and whether the text was cut short.</summary>
public sealed record BodyPreview(string MediaType, long? Size, string? Text, bool Truncated);

/// <summary>An RFC 9457 problem as the API writes it; <c>errors</c> names the fields (JSON pointers) a refusal is about.</summary>
public sealed record ApiProblem(int Status, string Title, string? Detail, IReadOnlyDictionary<string, string[]>? Errors);

/// <summary>
/// Where this process's API answers, for the web app's loopback calls: Web:ApiBaseUrl when set, otherwise the first
/// address Kestrel listens on, with a wildcard host made loopback.
/// </summary>
public sealed class WebApiAddress(IServer server, IConfiguration configuration)
{
    Uri? _base;

    public Uri Base => _base ??= Resolve();

    Uri Resolve()
    {
        if (configuration["Web:ApiBaseUrl"] is { Length: > 0 } configured) return new Uri(configured);
        var listening = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault(a => a.StartsWith("http", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("The web app needs the service to listen on HTTP (Urls) or Web:ApiBaseUrl to reach the API.");
        var uri = new UriBuilder(listening.Replace("://*", "://127.0.0.1", StringComparison.Ordinal).Replace("://+", "://127.0.0.1", StringComparison.Ordinal));
        if (uri.Host is "0.0.0.0" or "[::]" or "::" or "localhost") uri.Host = "127.0.0.1";
        return new Uri(uri.Uri.GetLeftPart(UriPartial.Authority));
    }
}
