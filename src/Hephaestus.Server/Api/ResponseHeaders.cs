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
            // Headers a route group promises on every answer (xAPI's X-Experience-API-Version), 401s and problems included.
            foreach (var fixedHeader in context.GetEndpoint()?.Metadata.GetOrderedMetadata<FixedResponseHeader>() ?? [])
            {
                headers[fixedHeader.Name] = fixedHeader.Value;
            }

            return Task.CompletedTask;
        });
        return next(context);
    }
}

/// <summary>Endpoint metadata: a header every response of the endpoint carries, whatever its status (<see cref="ResponseHeaders"/>).</summary>
public sealed record FixedResponseHeader(string Name, string Value);
