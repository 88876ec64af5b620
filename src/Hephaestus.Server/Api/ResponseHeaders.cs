namespace Hephaestus.Server.Api;

/// <summary>
/// What every response of a public API carries: no MIME sniffing, and no caching of /api responses, which are personal
/// data (profiles, mastery, results) that a shared cache or a browser's history must not keep, unless the endpoint set
/// its own Cache-Control. Set before the
/// response starts, so problem details and 401/403s carry them too.
/// </summary>
public sealed class ResponseHeaders(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            // An endpoint that says how it may be cached (content bodies: private, revalidated by ETag) keeps its word.
            if (context.Request.Path.StartsWithSegments("/api") && headers.CacheControl.Count == 0) headers.CacheControl = "no-store";
            return Task.CompletedTask;
        });
        return next(context);
    }
}
