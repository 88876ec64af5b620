using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Hephaestus.Server.Api;

/// <summary>An operation honours <c>If-Match</c>: required (428 without it) or optional; 412 when it is stale.</summary>
public sealed record IfMatchMetadata(bool Required);

/// <summary>An operation's success response carries the resource's <c>ETag</c>.</summary>
public sealed record ETagMetadata;

/// <summary>An operation honours <c>Idempotency-Key</c> and marks a replayed response with <c>Idempotent-Replayed: true</c>.</summary>
public sealed record IdempotencyKeyMetadata;

/// <summary>
/// What makes the OpenAPI document usable by a client generator, in one place: the bearer security scheme and a security
/// requirement on every operation that needs a token; one problem schema (RFC 9457) for every error response; the
/// statuses every operation can return whatever its handler does (the pipeline's: 400 for a malformed request, 401,
/// 403, 413, 429, 503); the headers an operation's metadata declares. Each endpoint states its own summary, description
/// and the problems its handler returns; the shapes of the JSON held as JsonElement are <see cref="OpenApiShapes"/>.
/// </summary>
public static class OpenApiConventions
{
    public const string BearerScheme = "bearer";
    public const string ProblemSchema = "Problem";
    const string ProblemJson = "application/problem+json";

    public static RouteHandlerBuilder ProducesProblems(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses) builder.ProducesProblem(status);
        return builder;
    }

    public static RouteHandlerBuilder ReturnsETag(this RouteHandlerBuilder builder) => builder.WithMetadata(new ETagMetadata());

    public static RouteHandlerBuilder TakesIfMatch(this RouteHandlerBuilder builder, bool required)
    {
        builder.WithMetadata(new IfMatchMetadata(required)).ReturnsETag().ProducesProblem(StatusCodes.Status412PreconditionFailed);
        return required ? builder.ProducesProblem(StatusCodes.Status428PreconditionRequired) : builder;
    }

    /// <summary>The endpoint declares the 409 (key in use) and 422 (key reused with another body) it answers.</summary>
    public static RouteHandlerBuilder TakesIdempotencyKey(this RouteHandlerBuilder builder) => builder.WithMetadata(new IdempotencyKeyMetadata());

    /// <summary>Query parameters a handler reads from the query itself (so the API explorer cannot see them), as the document shows them.</summary>
    public static RouteHandlerBuilder WithQueryParameters(this RouteHandlerBuilder builder, params OpenApiParameter[] parameters) =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.Parameters ??= [];
            foreach (var parameter in parameters)
            {
                parameter.In = ParameterLocation.Query;
                operation.Parameters.Add(parameter);
            }

            return Task.CompletedTask;
        });

    internal static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            DescribeDocument(document);
            return Task.CompletedTask;
        });
        options.AddOperationTransformer(DescribeOperationAsync);
        options.AddSchemaTransformer(OpenApiShapes.MarkAsync);
    }

    static void DescribeDocument(OpenApiDocument document)
    {
        document.Info.Title = "Hephaestus API";
        document.Info.Description = "System of record for personalized learning. Every operation under /api needs a bearer token (a JWT whose "
            + "subject is a provisioned user). Errors are RFC 9457 problem details; a field error names the field by JSON pointer. Updates of "
            + "versioned resources take If-Match with the ETag read; submission takes an Idempotency-Key.";
        document.Info.Contact = new OpenApiContact { Name = "Hephaestus" };
        document.Info.License = new OpenApiLicense { Name = "Proprietary", Identifier = "LicenseRef-Proprietary" };
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "A JWT from the configured issuer (or `hephaestus token <subject>` on a development machine).",
        };
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
        document.Components.Schemas[ProblemSchema] = Problem();
        OpenApiShapes.Resolve(document);
    }

    /// <summary>RFC 9457 with this API's extensions (Api/Validation, ApiHosting's CustomizeProblemDetails).</summary>
    static OpenApiSchema Problem() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "An RFC 9457 problem detail. `errors` maps a JSON pointer into the request (`\"\"` is the whole body, `/limit` a query "
            + "parameter) to its messages; `field` names the one field a conflict is about; other members depend on the problem "
            + "(`currentETag` on 412, `attemptsAllowed` on a used-up attempt, `cycle` on a cycle).",
        Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null, Description = "A URI reference naming the problem type." },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null, Description = "A short summary of the problem type." },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer | JsonSchemaType.Null, Format = "int32", Description = "The HTTP status." },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null, Description = "What happened, for a person." },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null, Description = "The request path." },
            ["traceId"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null, Description = "The trace id, to find the request in the logs." },
            ["field"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null, Description = "The JSON pointer of the field the problem is about." },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object | JsonSchemaType.Null,
                Description = "Field errors: JSON pointer → messages.",
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            },
        },
    };

    static Task DescribeOperationAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var document = context.Document!;
        operation.Responses ??= [];
        var secured = metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any();
        if (secured)
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] }];
            AddProblem(operation, StatusCodes.Status401Unauthorized, "No valid bearer token.");
            AddProblem(operation, StatusCodes.Status403Forbidden, "The token's subject is not a provisioned user, or lacks the role or the right.");
            AddProblem(operation, StatusCodes.Status429TooManyRequests, "Past the caller's rate limit; Retry-After says when to come back.");
            AddProblem(operation, StatusCodes.Status503ServiceUnavailable, "The database is away or saturated, or the learner's writes queue; retry after Retry-After.");
        }

        var hasBody = context.Description.ParameterDescriptions.Any(p => p.Source == Microsoft.AspNetCore.Mvc.ModelBinding.BindingSource.Body)
            || operation.RequestBody is not null;
        if (hasBody || operation.Parameters is { Count: > 0 })
        {
            AddProblem(operation, StatusCodes.Status400BadRequest, "A malformed request: a field's type or value, unknown fields, refused characters.");
        }

        if (hasBody) AddProblem(operation, StatusCodes.Status413PayloadTooLarge, "The body is larger than 1 MiB.");

        if (metadata.OfType<IfMatchMetadata>().LastOrDefault() is { } ifMatch)
        {
            AddHeaderParameter(operation, "If-Match", ifMatch.Required,
                ifMatch.Required
                    ? "The ETag of the resource as read; required (428 without it, 412 when it changed since)."
                    : "The ETag of the resource as read; optional, but when sent a changed resource is 412.");
        }

        if (metadata.OfType<IdempotencyKeyMetadata>().Any())
        {
            AddHeaderParameter(operation, "Idempotency-Key", false,
                "Up to 200 characters, new for each logical request. A retry with the same key and body gets the first response again "
                + "(with Idempotent-Replayed: true); the same key with another body is 422; while the first still runs, 409.");
        }

        foreach (var (status, response) in operation.Responses)
        {
            if (response is not OpenApiResponse concrete) continue;
            if (string.IsNullOrEmpty(concrete.Description)) concrete.Description = ReasonPhrase(status);
            if (status.StartsWith('4') || status.StartsWith('5'))
            {
                // One schema for every problem, whichever way the endpoint declared it (ProducesProblem, ValidationProblem).
                concrete.Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
                {
                    [ProblemJson] = new OpenApiMediaType { Schema = new OpenApiSchemaReference(ProblemSchema, document) },
                };
                continue;
            }

            if (!status.StartsWith('2')) continue;
            if (metadata.OfType<ETagMetadata>().Any()) AddHeader(concrete, "ETag", "The resource's version; send it back in If-Match to update it.");
            if (metadata.OfType<IdempotencyKeyMetadata>().Any())
            {
                AddHeader(concrete, "Idempotent-Replayed", "`true` when this is the stored response to an earlier request with the same Idempotency-Key.");
            }
        }

        return Task.CompletedTask;
    }

    static void AddProblem(OpenApiOperation operation, int status, string description)
    {
        var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (operation.Responses!.TryGetValue(key, out var existing))
        {
            if (existing is OpenApiResponse concrete && string.IsNullOrEmpty(concrete.Description)) concrete.Description = description;
            return;
        }

        operation.Responses[key] = new OpenApiResponse { Description = description };
    }

    static void AddHeaderParameter(OpenApiOperation operation, string name, bool required, string description)
    {
        operation.Parameters ??= [];
        if (operation.Parameters.Any(p => p.Name == name)) return;
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = name,
            In = ParameterLocation.Header,
            Required = required,
            Description = description,
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = name == "Idempotency-Key" ? 200 : null },
        });
    }

    static void AddHeader(OpenApiResponse response, string name, string description)
    {
        response.Headers ??= new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal);
        response.Headers[name] = new OpenApiHeader { Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
    }

    static string ReasonPhrase(string status) =>
        int.TryParse(status, out var code) && Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(code) is { Length: > 0 } phrase ? phrase : status;
}
