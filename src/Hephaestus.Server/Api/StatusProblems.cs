using System.Globalization;
using Microsoft.AspNetCore.Mvc;

namespace Hephaestus.Server.Api;

/// <summary>
/// Every problem has a type and a detail, including those the framework writes without one (UseStatusCodePages' 404,
/// 405 and 415; 413, 428 and 429, which have no default type): a client reads what went wrong from the body alone.
/// </summary>
public static class StatusProblems
{
    public static void Complete(ProblemDetails problem, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(context);
        var status = problem.Status ?? context.Response.StatusCode;
        problem.Type ??= status switch
        {
            StatusCodes.Status413PayloadTooLarge => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
            StatusCodes.Status428PreconditionRequired => "https://tools.ietf.org/html/rfc6585#section-3",
            StatusCodes.Status429TooManyRequests => "https://tools.ietf.org/html/rfc6585#section-4",
            _ => "about:blank",
        };
        var request = context.Request;
        problem.Detail ??= status switch
        {
            StatusCodes.Status404NotFound => $"No operation answers {request.Method} {request.Path}; the API's operations are listed at /openapi/v1.json.",
            StatusCodes.Status405MethodNotAllowed => $"{request.Path} does not answer {request.Method}; it answers {context.Response.Headers.Allow}.",
            StatusCodes.Status415UnsupportedMediaType => "The request body must be JSON, sent with Content-Type: application/json.",
            StatusCodes.Status403Forbidden => "You may not do this.",
            StatusCodes.Status401Unauthorized => "This needs a bearer token: send Authorization: Bearer <token>.",
            _ => string.Create(CultureInfo.InvariantCulture, $"The request was refused with status {status} ({problem.Title})."),
        };
    }
}
