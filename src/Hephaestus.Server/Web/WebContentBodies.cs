using Hephaestus.Server.Auth;

namespace Hephaestus.Server.Web;

/// <summary>
/// A learner's download of a content item's published body from a page: <c>/content-bodies/{id}</c> asks the API
/// (<c>GET /api/v1/content/items/{id}/published/body</c>) as the signed-in user, who is allowed it exactly when the API
/// allows them, and passes the body through as an attachment: an uploaded HTML or SVG body is saved, never rendered as a
/// page of this site.
/// </summary>
public static class WebContentBodies
{
    internal static WebApplication MapWebContentBodies(this WebApplication app)
    {
        // The policy alone, no scheme named: a web path's default scheme is the session cookie, and naming a scheme would
        // make authorization replace the authentication result with one that lacks the session's API token.
        app.MapGet("/content-bodies/{itemId:guid}", DownloadAsync).RequireAuthorization(Policies.Provisioned).ExcludeFromDescription();
        return app;
    }

    static async Task DownloadAsync(Guid itemId, HttpContext http, WebApi api)
    {
        using var answer = await api.GetRawAsync($"/api/v1/content/items/{itemId}/published/body", "*/*", http.RequestAborted);
        http.Response.StatusCode = (int)answer.StatusCode;
        http.Response.ContentType = answer.Content.Headers.ContentType?.ToString() ?? "application/octet-stream";
        if (answer.Content.Headers.ContentLength is { } length) http.Response.ContentLength = length;
        if (answer.IsSuccessStatusCode) http.Response.Headers.ContentDisposition = $"attachment; filename=\"content-{itemId}\"";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        await answer.Content.CopyToAsync(http.Response.Body, http.RequestAborted);
    }
}
