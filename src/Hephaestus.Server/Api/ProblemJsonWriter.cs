using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Hephaestus.Server.Api;

/// <summary>
/// A problem is written as application/problem+json whatever the request's Accept said. The framework's writer declines
/// when Accept names only another type (a CSV download's text/csv), and a 401 or 403 for such a request then ended as a
/// 500 with no body: the refusal must still say why. Registered after the framework's writer, so it answers only what
/// that one declines.
/// </summary>
internal sealed class ProblemJsonWriter(IOptions<JsonOptions> json) : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.HttpContext.Response;
        return new ValueTask(response.WriteAsJsonAsync(context.ProblemDetails, context.ProblemDetails.GetType(), json.Value.SerializerOptions,
            "application/problem+json", context.HttpContext.RequestAborted));
    }
}
