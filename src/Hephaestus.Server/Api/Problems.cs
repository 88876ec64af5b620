using Hephaestus.Data;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hephaestus.Server.Api;

/// <summary>The problem details the features share, so the same situation always reads the same way.</summary>
public static class Problems
{
    public static ProblemHttpResult NotFound(string what, Guid id) => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No {what} with id {id} is visible to you.");

    public static ProblemHttpResult Forbidden(string detail) => TypedResults.Problem(
        statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: detail);

    public static ProblemHttpResult Conflict(string detail, IDictionary<string, object?>? extensions = null) => TypedResults.Problem(
        statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: detail, extensions: extensions);

    public static ProblemHttpResult PreconditionFailed(string what, string currentETag) => TypedResults.Problem(
        statusCode: StatusCodes.Status412PreconditionFailed, title: "Precondition failed",
        detail: $"The {what} changed since you read it (its ETag is now {currentETag}). Read it again and reapply your change.",
        extensions: new Dictionary<string, object?> { ["currentETag"] = currentETag });

    public static ProblemHttpResult PreconditionRequired(string what) => TypedResults.Problem(
        statusCode: StatusCodes.Status428PreconditionRequired, title: "Precondition required",
        detail: $"Send If-Match with the ETag of the {what} you read, so that a concurrent change is not overwritten.");
}

/// <summary>ETags are PostgreSQL's xmin of the row: it changes with every update and costs nothing to read.</summary>
public static class ETags
{
    public static string Format(uint version) => $"\"{version}\"";

    /// <summary>
    /// The If-Match rule of every update of a versioned resource: required (428 without, so a client that never read the
    /// resource cannot overwrite a change it did not see) and equal to the current version (412 otherwise); null passes.
    /// </summary>
    public static ProblemHttpResult? Precondition(HttpRequest request, string what, uint current) => Parse(request) switch
    {
        null => Problems.PreconditionRequired(what),
        { } expected when expected != current => Problems.PreconditionFailed(what, Format(current)),
        _ => null,
    };

    /// <summary>Sets the ETag of the row the response shows (read in the response's transaction); false when there is no such row.</summary>
    public static async Task<bool> SetAsync(HttpResponse response, ActorScope scope, VersionedTable table, Guid id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (await RowVersions.ReadAsync(scope, table, id, ct) is not { } version) return false;
        response.Headers.ETag = Format(version);
        return true;
    }

    /// <summary>Null when the header is absent; a version that can never match when the header is malformed.</summary>
    public static uint? Parse(HttpRequest request)
    {
        var header = request.Headers.IfMatch.ToString();
        if (string.IsNullOrWhiteSpace(header)) return null;
        var trimmed = header.Trim();
        if (trimmed.StartsWith("W/", StringComparison.Ordinal)) trimmed = trimmed[2..];
        return uint.TryParse(trimmed.Trim('"'), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v)
            ? v
            : 0;
    }
}
