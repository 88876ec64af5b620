using Hephaestus.Data.Imports;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;
using Npgsql;

namespace Hephaestus.Server.Features.Imports;

/// <summary>What an import did: its audit id, the lines it read, and per kind of row what was created, updated, left unchanged or deleted.</summary>
public sealed record ImportResponse(Guid ImportId, int Lines, IReadOnlyDictionary<string, ImportCounts> Counts);

/// <summary>
/// Bulk imports: a OneRoster 1.2 CSV export (users, classes, enrollments) as users, cohorts and memberships, for admins;
/// items from JSON Lines, for authors and admins. All or nothing: every bad line is a field error of one 422 and nothing
/// is written. The bodies may be far larger than the API's 1 MiB (Imports:MaxBodyBytes, 50 MiB by default) and are
/// parsed as they arrive, never buffered whole. The CLI's `import` verbs run the same operations.
/// </summary>
public static class ImportsApi
{
    public const long MaxBodyBytesDefault = 50L * 1024 * 1024;
    public static readonly string[] JsonLinesMediaTypes = ["application/x-ndjson", "application/jsonl"];

    public static IEndpointRouteBuilder MapImports(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var limit = new BodySizeLimit(routes.ServiceProvider.GetRequiredService<IConfiguration>().GetValue("Imports:MaxBodyBytes", MaxBodyBytesDefault));
        var imports = routes.MapGroup("/api/v1/imports").WithTags("Imports").RequireAuthorization(Policies.Provisioned)
            .WithMetadata(limit).LimitRowWrites();
        imports.MapPost("/oneroster", OneRoster).WithName("ImportOneRoster").RequireAuthorization(Policies.Admin)
            .WithSummary("Import users, cohorts and memberships from a OneRoster 1.2 CSV export")
            .WithDescription("multipart/form-data with three parts named users, classes and enrollments (users.csv, classes.csv, "
                + "enrollments.csv as the school information system exports them; columns read by header name). Users are found again by "
                + "sourcedId (or, the first time, by username as their subject), classes become cohorts, students a cohort's learners and "
                + "teachers its educators; status tobedeleted removes a cohort or membership. All or nothing: every bad line is an error "
                + "keyed /<file>/lines/<line>/<column> and nothing is written. Re-importing the same files changes nothing.")
            .AddOpenApiOperationTransformer((operation, _, _) => Body(operation, "multipart/form-data", new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Required = new HashSet<string>(OneRosterFiles.Parts),
                Properties = OneRosterFiles.Parts.ToDictionary(p => p, IOpenApiSchema (_) => new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" }),
            }))
            .Produces<ImportResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity);
        imports.MapPost("/items", Items).WithName("ImportItems").RequireAuthorization(Policies.Author)
            .WithSummary("Import items into the bank from JSON Lines")
            .WithDescription("One item a line, as POST /api/v1/items takes it, with code required: a re-import finds the item by it. Same "
                + "code and content: unchanged; changed definition or skills: the item's next version; changed tags only: the tags. All or "
                + "nothing: every bad line is an error keyed /lines/<line>/<field> and nothing is written.")
            .AddOpenApiOperationTransformer((operation, _, _) => Body(operation, JsonLinesMediaTypes, new OpenApiSchema { Type = JsonSchemaType.String }))
            .Produces<ImportResponse>()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity);
        return routes;
    }

    /// <summary>
    /// The request body as OpenAPI describes it. Not <c>Accepts</c>: its content-type constraint would answer 415 at
    /// routing, before authorization says 401 or 403; the handlers check the media type themselves.
    /// </summary>
    static Task Body(OpenApiOperation operation, IEnumerable<string> mediaTypes, OpenApiSchema schema)
    {
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = mediaTypes.ToDictionary(m => m, _ => new OpenApiMediaType { Schema = schema }),
        };
        return Task.CompletedTask;
    }

    static Task Body(OpenApiOperation operation, string mediaType, OpenApiSchema schema) => Body(operation, [mediaType], schema);

    static async Task<Results<Ok<ImportResponse>, ValidationProblem, ProblemHttpResult>> OneRoster(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var type) || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(type.Boundary).Value is not { Length: > 0 } boundary)
        {
            return Unsupported("multipart/form-data with parts named users, classes and enrollments");
        }

        var files = new OneRosterFiles();
        var v = new Validation();
        var reader = new MultipartReader(boundary, http.Request.Body);
        while (await reader.ReadNextSectionAsync(ct) is { } section)
        {
            var name = ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                ? HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? ""
                : "";
            if (name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)) name = name[..^4];
            if (!OneRosterFiles.Parts.Contains(name)) v.Add(name.Length == 0 ? "parts" : $"parts/{name}", "is not a part of a OneRoster import (users, classes, enrollments)");
            else if (files.Read.Contains(name)) v.Add($"parts/{name}", "is given twice");
            else await files.ReadAsync(name, section.Body, ct);
        }

        if (!v.IsValid) return v.ToProblem();
        return Respond(await RosterImportStore.ImportAsync(db, http.RequireActor(), files, ct));
    }

    static async Task<Results<Ok<ImportResponse>, ValidationProblem, ProblemHttpResult>> Items(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var type) || !JsonLinesMediaTypes.Contains(type.MediaType.Value, StringComparer.OrdinalIgnoreCase))
        {
            return Unsupported(string.Join(" or ", JsonLinesMediaTypes));
        }

        var (lines, errors, count) = await ItemImportStore.ReadAsync(http.Request.Body, ct);
        if (errors.Count > 0) return Respond(ImportResult.Invalid(count, errors));
        return Respond(await ItemImportStore.ImportAsync(db, http.RequireActor(), lines, count, ct));
    }

    static ProblemHttpResult Unsupported(string expected) => TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType,
        title: "Unsupported media type", detail: $"The body must be {expected}.");

    static Results<Ok<ImportResponse>, ValidationProblem, ProblemHttpResult> Respond(ImportResult result) => result.Outcome switch
    {
        ImportOutcome.Invalid => new Validation().AddRange(result.Errors!).ToUnprocessable(
            $"{result.Errors!.Count} error(s) in {result.Errors!.Select(e => Line(e.Path)).Distinct().Count()} line(s); nothing was imported."),
        ImportOutcome.Conflict => Problems.Conflict("A user or item made at the same time took an email, username or code of this import; nothing was imported, retry."),
        _ => TypedResults.Ok(new ImportResponse(result.ImportId!.Value, result.Lines, result.Counts!)),
    };

    /// <summary>The line an error is about (its file and line), for the summary.</summary>
    static string Line(string path) => path.IndexOf(']', StringComparison.Ordinal) is var end and >= 0 ? path[..(end + 1)] : path;
}
