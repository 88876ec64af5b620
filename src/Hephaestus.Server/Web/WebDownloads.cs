using Hephaestus.Server.Auth;

namespace Hephaestus.Server.Web;

/// <summary>
/// CSV downloads for the pages: <c>/download/api/v1/…?…</c> asks the API for the same resource as CSV
/// (<c>format=csv</c>) as the signed-in user and passes the answer through, file name included. A browser link cannot
/// send the bearer token the API needs; this is the same call the page made, in the other format.
/// </summary>
public static class WebDownloads
{
    internal static WebApplication MapWebDownloads(this WebApplication app)
    {
        // No AuthenticationSchemes of its own: the default scheme is already the session cookie on web paths, and naming a
        // scheme makes authorization replace the authenticate result with one without the cookie's properties, so the
        // session's access token would be lost and the API would answer 401.
        app.MapGet("/download/{**apiPath}", DownloadAsync).RequireAuthorization(Policies.Provisioned).ExcludeFromDescription();
        return app;
    }

    static async Task DownloadAsync(string apiPath, HttpContext http, WebApi api)
    {
        if (!apiPath.StartsWith("api/v1/", StringComparison.Ordinal))
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var query = QueryString.Create(http.Request.Query.Where(q => q.Key != "format").SelectMany(q => q.Value.Select(v => KeyValuePair.Create(q.Key, v))))
            .Add("format", "csv");
        using var answer = await api.GetRawAsync("/" + apiPath + query, "text/csv", http.RequestAborted);
        http.Response.StatusCode = (int)answer.StatusCode;
        http.Response.ContentType = answer.Content.Headers.ContentType?.ToString() ?? "text/csv";
        if (answer.Content.Headers.ContentDisposition is { } disposition) http.Response.Headers.ContentDisposition = disposition.ToString();
        await answer.Content.CopyToAsync(http.Response.Body, http.RequestAborted);
    }
}
