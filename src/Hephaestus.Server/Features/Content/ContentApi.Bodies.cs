using Hephaestus.Data.Content;
using Hephaestus.Data.Learning;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Hephaestus.Server.Hosting;
using Hephaestus.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;
using Npgsql;

namespace Hephaestus.Server.Features.Content;

/// <summary>
/// Bodies: uploaded as a raw stream (never buffered) into the object store, then recorded (object first, row after);
/// delivered as a stream with a strong ETag (the SHA-256), conditional and range requests, or by redirect to a
/// presigned URL when the store has them.
/// </summary>
public static partial class ContentApi
{
    /// <summary>RFC 9530: the client may declare the SHA-256 of the body it sends; a body that hashes otherwise is refused.</summary>
    const string DigestHeader = "Content-Digest";

    static void MapBodies(RouteGroupBuilder content, RouteGroupBuilder staff, RouteGroupBuilder write, ContentOptions options)
    {
        write.MapPost("/bodies", Upload).WithName("UploadContentBody")
            .WithMetadata(new BodySizeLimit(options.MaxBodyBytes))
            .WithSummary("Upload a content body")
            .WithDescription("The request body is the content itself (not JSON), streamed into the object store; Content-Type is its media type "
                + "(one of Content:MediaTypes). Optional Content-Digest: sha-256=:<base64>: (RFC 9530) is checked. Stored once per SHA-256: 201 when new, "
                + "200 when the same bytes were already stored. 413 past Content:MaxBodyBytes, 415 for a media type not allowed, 422 when the digest differs; "
                + "nothing is stored then.")
            // Not .Accepts: that would make routing refuse other media types before the handler explains which are allowed.
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Description = "The body's bytes; Content-Type is its media type.",
                    Content = options.MediaTypes.ToDictionary(t => t, _ => new OpenApiMediaType
                    {
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" },
                    }),
                };
                return Task.CompletedTask;
            })
            .Produces<StoredBodyResponse>(StatusCodes.Status201Created).Produces<StoredBodyResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        BodyResponses(staff.MapGet("/versions/{versionId:guid}/body", VersionBody).WithName("GetContentVersionBody")
            .WithSummary("Download any version's body (staff)")
            .WithDescription("Streams the body with its media type. " + DeliveryNotes));
        content.MapGet("/items/{itemId:guid}/published", Published).WithName("GetPublishedContent")
            .WithSummary("Read the published version of a content item")
            .WithDescription("For a learner, only when the item is a step of a path version they are enrolled in (404 otherwise, as for an item "
                + "that does not exist or has no published version); content staff read it regardless.")
            .Produces<ContentVersionResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        BodyResponses(content.MapGet("/items/{itemId:guid}/published/body", PublishedBody).WithName("GetPublishedContentBody")
            .WithSummary("Download the published version's body")
            .WithDescription("Who may: as GET …/published. A learner's download from the first byte records a content exposure (at most one per "
                + "version per 10 minutes). " + DeliveryNotes));
    }

    const string DeliveryNotes = "ETag is the body's SHA-256 (strong): If-None-Match answers 304. Range (one range of bytes) answers 206 with "
        + "Content-Range; several ranges are ignored (200, the whole body); an unsatisfiable range is 416. ?redirect=true answers 302 to a "
        + "short-lived presigned URL when the object store offers them (S3), and streams otherwise.";

    static void BodyResponses(RouteHandlerBuilder endpoint) => endpoint
        .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
        .Produces(StatusCodes.Status206PartialContent, contentType: "application/octet-stream")
        .Produces(StatusCodes.Status302Found).Produces(StatusCodes.Status304NotModified)
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status416RangeNotSatisfiable);

    static async Task<IResult> Upload(HttpContext http, NpgsqlDataSource db, IObjectStore store, ContentOptions options, CancellationToken ct)
    {
        if (options.Allowed(http.Request.ContentType) is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: $"Content-Type '{http.Request.ContentType}' is not allowed for content bodies; allowed: {string.Join(", ", options.MediaTypes)}.");
        }

        if (http.Request.Headers.ContentEncoding.Count > 0)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported content encoding",
                detail: "Send the body as it is to be stored, without Content-Encoding.");
        }

        var (declared, digestError) = DeclaredSha256(http.Request.Headers[DigestHeader].ToString());
        if (digestError is not null) return new Validation().Add(DigestHeader, digestError).ToProblem();
        StoredObject stored;
        try
        {
            stored = await store.PutAsync(http.Request.Body, new ObjectExpectation(options.MaxBodyBytes, declared, http.Request.ContentLength), ct);
        }
        catch (ObjectRefusedException e)
        {
            return e.Reason switch
            {
                ObjectRefusal.TooLarge => TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Body too large", detail: e.Message),
                ObjectRefusal.HashMismatch => TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Digest mismatch", detail: e.Message,
                    extensions: new Dictionary<string, object?> { ["field"] = DigestHeader }),
                _ => TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Body length mismatch", detail: e.Message),
            };
        }

        var recorded = await ContentBodies.RecordAsync(db, http.RequireActor(), stored.Sha256, stored.Size,
            async c => await store.StatAsync(stored.Sha256, c) is not null, ct);
        var body = new StoredBodyResponse(stored.Sha256, stored.Size);
        return recorded switch
        {
            BodyRecordOutcome.Created => TypedResults.Created((string?)null, body),
            BodyRecordOutcome.Existed => TypedResults.Ok(body),
            _ => Unavailable("The same body was being collected as garbage while it was uploaded; send it again."),
        };
    }

    /// <summary>The sha-256 of a Content-Digest header (other algorithms in it are ignored); an error when it is malformed.</summary>
    internal static (string? Sha256, string? Error) DeclaredSha256(string header)
    {
        if (string.IsNullOrWhiteSpace(header)) return (null, null);
        foreach (var member in header.Split(','))
        {
            var parts = member.Split('=', 2);
            if (parts.Length != 2 || !parts[0].Trim().Equals("sha-256", StringComparison.OrdinalIgnoreCase)) continue;
            var value = parts[1].Trim();
            if (value.Length < 2 || value[0] != ':' || value[^1] != ':') return (null, "sha-256 must be a byte sequence: sha-256=:<base64>:");
            var bytes = new byte[32];
            return Convert.TryFromBase64String(value[1..^1], bytes, out var written) && written == 32
                ? (Convert.ToHexStringLower(bytes), null)
                : (null, "sha-256 must be the base64 of 32 bytes");
        }

        return (null, "must include sha-256=:<base64>: (the only algorithm checked)");
    }

    static ProblemHttpResult Unavailable(string detail)
    {
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Try again", detail: detail,
            extensions: new Dictionary<string, object?> { ["retryAfterSeconds"] = 1 });
    }

    static async Task<IResult> VersionBody(Guid versionId, HttpContext http, NpgsqlDataSource db, IObjectStore store, ContentOptions options, CancellationToken ct,
        bool? redirect = null)
    {
        var version = await ContentStore.ReadVersionAsync(db, http.RequireActor(), versionId, ct);
        return version is null
            ? Problems.NotFound("content version", versionId)
            : await SendBodyAsync(http, store, options, version, redirect, null, ct);
    }

    static async Task<Results<Ok<ContentVersionResponse>, ProblemHttpResult>> Published(Guid itemId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        var delivered = await ContentDelivery.PublishedAsync(db, actor, itemId, Policies.IsContentStaff(actor), ct);
        return delivered is null ? NoPublished(itemId) : TypedResults.Ok(ContentVersionResponse.From(delivered.Version));
    }

    static ProblemHttpResult NoPublished(Guid itemId) => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
        detail: $"No published content item with id {itemId} is on a path you are enrolled in.");

    static async Task<IResult> PublishedBody(Guid itemId, HttpContext http, NpgsqlDataSource db, IObjectStore store, ContentOptions options, LearnerRecord learning,
        CancellationToken ct, bool? redirect = null)
    {
        var actor = http.RequireActor();
        var delivered = await ContentDelivery.PublishedAsync(db, actor, itemId, Policies.IsContentStaff(actor), ct);
        if (delivered is null) return NoPublished(itemId);
        // A learner reached it through an enrollment: what they are shown is recorded, once per delivery from the first byte.
        Func<Task>? shown = delivered.EnrollmentId is null
            ? null
            : () => learning.RecordExposureAsync(db, actor, actor.UserId, delivered.Version.Id, delivered.EnrollmentId, delivered.StepKey, ct);
        return await SendBodyAsync(http, store, options, delivered.Version, redirect, shown, ct);
    }

    /// <summary>Streams a version's body (or a range of it), honouring If-None-Match, If-Range and Range; or redirects to a presigned URL.</summary>
    static async Task<IResult> SendBodyAsync(HttpContext http, IObjectStore store, ContentOptions options, ContentVersion version, bool? redirect, Func<Task>? shown,
        CancellationToken ct)
    {
        var etag = new EntityTagHeaderValue($"\"{version.BodySha256}\"");
        var request = http.Request.GetTypedHeaders();
        var headers = http.Response.Headers;
        headers.ETag = etag.ToString();
        headers.AcceptRanges = "bytes";
        // Personal to the reader (access is checked per request), so no shared cache keeps it; revalidated by ETag.
        headers.CacheControl = "private, no-cache";
        // A body is shown as data, never as a page of this origin (an uploaded SVG or HTML cannot run script here).
        headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
        if (request.IfNoneMatch is { Count: > 0 } noneMatch && noneMatch.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(etag, useStrongComparison: false)))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        if ((redirect ?? options.RedirectByDefault) && store.PresignRead(version.BodySha256, options.PresignedUrlLifetime, version.MediaType) is { } url)
        {
            if (shown is not null) await shown();
            return TypedResults.Redirect(url.AbsoluteUri);
        }

        var size = version.BodySize;
        ByteRange? range = null;
        var ifRange = request.IfRange;
        var rangeApplies = ifRange is null || (ifRange.EntityTag is { } tag && tag.Compare(etag, useStrongComparison: true));
        if (rangeApplies && request.Range is { Unit.Value: "bytes", Ranges.Count: 1 } asked)
        {
            var r = asked.Ranges.Single();
            long? first = r.From is { } from ? from : r.To is { } suffix && suffix > 0 ? Math.Max(0, size - suffix) : null;
            long? last = r.From is not null ? Math.Min(r.To ?? size - 1, size - 1) : size - 1;
            if (first is null || first >= size || last < first)
            {
                headers.ContentRange = $"bytes */{size}";
                return TypedResults.Problem(statusCode: StatusCodes.Status416RangeNotSatisfiable, title: "Range not satisfiable",
                    detail: $"The body has {size} bytes.");
            }

            range = new ByteRange(first.Value, last);
        }

        await using var body = await store.OpenReadAsync(version.BodySha256, range, ct)
            ?? throw new InvalidOperationException($"The body {version.BodySha256} of content version {version.Id} is missing from the object store; run `hephaestus content verify`.");
        if (body.First == 0 && shown is not null) await shown();
        http.Response.StatusCode = range is null ? StatusCodes.Status200OK : StatusCodes.Status206PartialContent;
        if (range is not null) headers.ContentRange = $"bytes {body.First}-{body.First + body.Length - 1}/{body.TotalSize}";
        http.Response.ContentType = version.MediaType;
        http.Response.ContentLength = body.Length;
        await body.Content.CopyToAsync(http.Response.Body, ct);
        return TypedResults.Empty;
    }
}
