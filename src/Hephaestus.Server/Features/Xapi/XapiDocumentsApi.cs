using System.Security.Cryptography;
using System.Text.Json;
using Hephaestus.Data.Xapi;
using Hephaestus.Server.Api;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Primitives;
using Microsoft.OpenApi;
using Npgsql;

namespace Hephaestus.Server.Features.Xapi;

/// <summary>
/// The three document resources of the LRS: State (<c>/xapi/activities/state</c>: activity + agent [+ registration]),
/// Activity Profile (<c>/xapi/activities/profile</c>) and Agent Profile (<c>/xapi/agents/profile</c>). Each answers GET
/// (one document by its id, or the ids, since a time), PUT (store), POST (store, or merge two JSON objects), DELETE (one,
/// or for State every document of the context). Concurrency as xAPI 2.0 says: an ETag on every GET, If-Match and
/// If-None-Match honoured on PUT, POST and DELETE (412 when they fail), and a profile PUT over an existing document
/// without either is a 409; State PUTs need neither (authoring tools write their suspend data blind). Bodies up to the
/// API's 1 MiB (413 past it) keep their content type.
/// </summary>
public static class XapiDocumentsApi
{
    sealed record Resource(XapiDocumentKind Kind, string Path, string Name, string IdParameter, bool HasActivity, bool HasAgent, bool RequirePrecondition)
    {
        public string[] Parameters => [.. new[] { HasActivity ? "activityId" : null, HasAgent ? "agent" : null, Kind == XapiDocumentKind.State ? "registration" : null, IdParameter }
            .OfType<string>()];
    }

    static readonly Resource State = new(XapiDocumentKind.State, "/activities/state", "State", "stateId", HasActivity: true, HasAgent: true, RequirePrecondition: false);
    static readonly Resource ActivityProfile = new(XapiDocumentKind.ActivityProfile, "/activities/profile", "ActivityProfile", "profileId", HasActivity: true, HasAgent: false, RequirePrecondition: true);
    static readonly Resource AgentProfile = new(XapiDocumentKind.AgentProfile, "/agents/profile", "AgentProfile", "profileId", HasActivity: false, HasAgent: true, RequirePrecondition: true);

    public static IEndpointRouteBuilder MapXapiDocuments(this IEndpointRouteBuilder xapi)
    {
        Map(xapi, State, "a state document", "Stores an agent's state in an activity (and registration): a learning record provider's scratch space that "
            + "follows the learner across devices.");
        Map(xapi, ActivityProfile, "an activity profile document", "Documents about an activity, shared by all its learners; read by anyone signed in, "
            + "written by activity providers, authors and admins.");
        Map(xapi, AgentProfile, "an agent profile document", "Documents about an agent, across activities.");
        return xapi;
    }

    static void Map(IEndpointRouteBuilder xapi, Resource r, string what, string about)
    {
        var who = " A learner reaches only their own agent's documents (their mbox, its SHA-1, or their account here); an activity provider "
            + "any agent (a cohort-scoped one only its cohort's learners); an admin any.";
        var parameters = Parameters(r);
        xapi.MapGet(r.Path, (HttpContext http, NpgsqlDataSource db, IConfiguration configuration, CancellationToken ct) => GetAsync(r, http, db, configuration, ct))
            .WithName($"XapiGet{r.Name}")
            .WithSummary($"Read {what}, or the ids of {r.Name} documents")
            .WithDescription($"{about} With `{r.IdParameter}`: the document as stored, its content type, `ETag` (the SHA-1 of the body) and "
                + $"`Last-Modified`. Without it: the ids (a JSON array), only those changed after `since` when given, and `Last-Modified` of the latest.{who}")
            .WithQueryParameters([.. parameters, XapiQuery.Parameter("since", "Only ids of documents stored or changed after this ISO 8601 time (not with the id).", false)])
            .ReturnsETag()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
        // HEAD answers as GET without the body (xAPI: every resource with GET supports HEAD); one operation in the document.
        xapi.MapMethods(r.Path, [HttpMethods.Head], (HttpContext http, NpgsqlDataSource db, IConfiguration configuration, CancellationToken ct) => GetAsync(r, http, db, configuration, ct))
            .ExcludeFromDescription();
        xapi.MapPut(r.Path, (HttpContext http, NpgsqlDataSource db, IConfiguration configuration, CancellationToken ct) => WriteAsync(r, merge: false, http, db, configuration, ct))
            .WithName($"XapiPut{r.Name}")
            .WithSummary($"Store {what}")
            .WithDescription($"Stores the body as the document, with its Content-Type. "
                + (r.RequirePrecondition
                    ? "Over an existing document this needs If-Match with its ETag (or If-None-Match: * to create only): 409 without either, 412 when stale."
                    : "If-Match and If-None-Match are honoured (412 when they fail) but not required: state is written blind by most tools.")
                + $" A JSON Content-Type needs a JSON body (400).{who}")
            .WithMetadata(OpaqueBody.Instance)
            .AddOpenApiOperationTransformer(DescribeBody)
            .TakesIfMatch(required: false)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict)
            .WithQueryParameters(parameters);
        xapi.MapPost(r.Path, (HttpContext http, NpgsqlDataSource db, IConfiguration configuration, CancellationToken ct) => WriteAsync(r, merge: true, http, db, configuration, ct))
            .WithName($"XapiPost{r.Name}")
            .WithSummary($"Store or merge {what}")
            .WithDescription("Stores the body when there is no document; over an existing one both must be application/json objects and the posted "
                + $"object's top-level properties replace the stored ones (400 otherwise, nothing changed). If-Match and If-None-Match are honoured (412).{who}")
            .WithMetadata(OpaqueBody.Instance)
            .AddOpenApiOperationTransformer(DescribeBody)
            .TakesIfMatch(required: false)
            .ProducesProblems(StatusCodes.Status400BadRequest)
            .WithQueryParameters(parameters);
        xapi.MapDelete(r.Path, (HttpContext http, NpgsqlDataSource db, IConfiguration configuration, CancellationToken ct) => DeleteAsync(r, http, db, configuration, ct))
            .WithName($"XapiDelete{r.Name}")
            .WithSummary(r.Kind == XapiDocumentKind.State ? "Delete a state document, or all of a context" : $"Delete {what}")
            .WithDescription((r.Kind == XapiDocumentKind.State
                    ? "With `stateId`, deletes that document (404 when there is none); without it, every state document of the activity, agent and registration. "
                    : $"Deletes the document (404 when there is none). ")
                + $"If-Match is honoured (412 when stale).{who}")
            .TakesIfMatch(required: false)
            .ProducesProblems(StatusCodes.Status404NotFound)
            .WithQueryParameters(parameters);
    }

    static async Task<Results<FileContentHttpResult, ProblemHttpResult, ValidationProblem>> GetAsync(
        Resource r, HttpContext http, NpgsqlDataSource db, IConfiguration configuration, CancellationToken ct)
    {
        var query = new XapiQuery(http.Request, [.. r.Parameters, "since"]);
        var address = Address(r, query);
        var id = query.Text(r.IdParameter, required: false);
        var since = query.Timestamp("since");
        if (id is not null && since is not null) query.Validation.Add("/since", $"is not allowed with {r.IdParameter}");
        if (!query.Validation.IsValid || address is null) return query.Validation.ToProblem();
        var caller = XapiApi.Caller(http, configuration);
        var head = HttpMethods.IsHead(http.Request.Method);
        if (id is null)
        {
            var ids = await XapiDocumentStore.ListIdsAsync(db, caller, address, since, ct);
            if (ids.Outcome is XapiDocumentOutcome.Forbidden) return XapiApi.Forbidden();
            var json = JsonSerializer.SerializeToUtf8Bytes(ids.Ids);
            http.Response.Headers.ETag = Quoted(Convert.ToHexStringLower(SHA1.HashData(json)));
            if (ids.LastModified is { } latest) http.Response.Headers.LastModified = XapiApi.HttpDate(latest);
            return TypedResults.Bytes(head ? [] : json, "application/json");
        }

        var read = await XapiDocumentStore.GetAsync(db, caller, address, id, ct);
        switch (read)
        {
            case { Outcome: XapiDocumentOutcome.Forbidden }:
                return XapiApi.Forbidden();
            case { Document: { } document }:
                http.Response.Headers.ETag = Quoted(document.ETag);
                http.Response.Headers.LastModified = XapiApi.HttpDate(document.Updated);
                return TypedResults.Bytes(head ? [] : document.Body, document.ContentType);
            default:
                return NotFound(r, id);
        }
    }

    static async Task<Results<NoContent, ProblemHttpResult, ValidationProblem>> WriteAsync(
        Resource r, bool merge, HttpContext http, NpgsqlDataSource db, IConfiguration configuration, CancellationToken ct)
    {
        var query = new XapiQuery(http.Request, r.Parameters);
        var address = Address(r, query);
        var id = query.Text(r.IdParameter, required: true);
        if (!query.Validation.IsValid || address is null || id is null) return query.Validation.ToProblem();
        var body = await ReadBodyAsync(http.Request, ct);
        var contentType = string.IsNullOrWhiteSpace(http.Request.ContentType) ? "application/octet-stream" : http.Request.ContentType;
        if (contentType.Length > 255) return new Validation().Add("", "has a Content-Type longer than 255 characters").ToProblem();
        if (XapiDocumentStore.IsJson(contentType) && !IsJson(body)) return new Validation().Add("", "must be JSON, as its Content-Type says").ToProblem();
        var write = new XapiDocumentWrite(body, contentType, merge, Preconditions(http.Request));
        var result = await XapiDocumentStore.WriteAsync(db, XapiApi.Caller(http, configuration), address, id, write, r.RequirePrecondition, ct);
        switch (result)
        {
            case { Outcome: XapiDocumentOutcome.Done, Document: { } document }:
                http.Response.Headers.ETag = Quoted(document.ETag);
                return TypedResults.NoContent();
            case { Outcome: XapiDocumentOutcome.Forbidden }:
                return XapiApi.Forbidden();
            case { Outcome: XapiDocumentOutcome.PreconditionMissing }:
                return Problems.Conflict($"The {r.IdParameter} {id} exists. Read its current state (GET) and send If-Match with its ETag to "
                    + "replace it, or If-None-Match: * to create only when absent.");
            case { Outcome: XapiDocumentOutcome.NotMergeable }:
                return new Validation().Add("", "cannot be merged: both the stored document and the posted one must be application/json objects "
                    + "(use PUT to replace a document)").ToProblem();
            default:
                return PreconditionFailed(result.Document);
        }
    }

    static async Task<Results<NoContent, ProblemHttpResult, ValidationProblem>> DeleteAsync(
        Resource r, HttpContext http, NpgsqlDataSource db, IConfiguration configuration, CancellationToken ct)
    {
        var query = new XapiQuery(http.Request, r.Parameters);
        var address = Address(r, query);
        var id = query.Text(r.IdParameter, required: r.Kind != XapiDocumentKind.State);
        if (!query.Validation.IsValid || address is null) return query.Validation.ToProblem();
        var caller = XapiApi.Caller(http, configuration);
        if (id is null)
        {
            return await XapiDocumentStore.DeleteAllAsync(db, caller, address, ct) is XapiDocumentOutcome.Forbidden
                ? XapiApi.Forbidden()
                : TypedResults.NoContent();
        }

        var result = await XapiDocumentStore.DeleteAsync(db, caller, address, id, Preconditions(http.Request), ct);
        return result.Outcome switch
        {
            XapiDocumentOutcome.Done => TypedResults.NoContent(),
            XapiDocumentOutcome.Forbidden => XapiApi.Forbidden(),
            XapiDocumentOutcome.NotFound => NotFound(r, id),
            _ => PreconditionFailed(result.Document),
        };
    }

    /// <summary>The document's address from the query; null (with field errors) when a part is missing or malformed.</summary>
    static XapiDocumentAddress? Address(Resource r, XapiQuery query)
    {
        var activityId = r.HasActivity ? query.Iri("activityId", required: true) : "";
        var agent = r.HasAgent ? query.Agent("agent", required: true) : null;
        var registration = r.Kind == XapiDocumentKind.State ? query.Uuid("registration") : null;
        if (activityId is null || (r.HasAgent && agent is null)) return null;
        return new XapiDocumentAddress(r.Kind, activityId, agent, registration);
    }

    /// <summary>If-Match and If-None-Match as lists of entity tags (quotes and W/ removed), null when absent.</summary>
    static XapiPreconditions Preconditions(HttpRequest request) => new(Tags(request.Headers.IfMatch), Tags(request.Headers.IfNoneMatch));

    static List<string>? Tags(StringValues header) => StringValues.IsNullOrEmpty(header) || string.IsNullOrWhiteSpace(header.ToString())
        ? null
        : [.. header.ToString().Split(',').Select(t => t.Trim()).Select(t => t.StartsWith("W/", StringComparison.Ordinal) ? t[2..] : t).Select(t => t.Trim('"'))];

    static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        return buffer.ToArray();
    }

    static bool IsJson(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    static string Quoted(string etag) => $"\"{etag}\"";

    static ProblemHttpResult NotFound(Resource r, string id) => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
        detail: $"No {r.Name} document {id} is stored for these parameters.");

    static ProblemHttpResult PreconditionFailed(XapiDocument? current) => current is null
        ? TypedResults.Problem(statusCode: StatusCodes.Status412PreconditionFailed, title: "Precondition failed",
            detail: "If-Match names a document that does not exist (it was deleted, or never stored).")
        : Problems.PreconditionFailed("document", Quoted(current.ETag));

    static OpenApiParameter[] Parameters(Resource r)
    {
        var list = new List<OpenApiParameter>();
        if (r.HasActivity) list.Add(XapiQuery.Parameter("activityId", "The activity's IRI.", true));
        if (r.HasAgent) list.Add(XapiAgentsApi.AgentParameter("The agent the document belongs to (a JSON Agent object)."));
        if (r.Kind == XapiDocumentKind.State) list.Add(XapiQuery.Parameter("registration", "The registration (a UUID) the state belongs to; absent: state outside any registration.", false));
        list.Add(XapiQuery.Parameter(r.IdParameter, $"The document's id within its context (1 to {XapiQuery.MaxIdLength} characters).", false));
        return [.. list];
    }

    /// <summary>A document body is any bytes of any content type: the document shows it as binary.</summary>
    static Task DescribeBody(OpenApiOperation operation, Microsoft.AspNetCore.OpenApi.OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = "The document, in any content type (application/json for documents POST merges).",
            Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
            {
                ["application/octet-stream"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } },
            },
        };
        return Task.CompletedTask;
    }
}
