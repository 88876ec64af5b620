using System.Text.Json;
using Hephaestus.Data;
using Hephaestus.Data.Content;
using Hephaestus.Domain;
using Hephaestus.Domain.Content;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Hephaestus.Server.Hosting;
using Hephaestus.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Content;

/// <summary>
/// AI-generated and authored content: items (a stable key, a kind, skills), their immutable numbered versions (body,
/// lineage, provenance, metadata), bodies in the object store, and delivery to learners. Content writers
/// (<see cref="Policies.ContentWriter"/>) write; content staff read every version; learners read only the published
/// version of items on the paths they are enrolled in.
/// </summary>
public static partial class ContentApi
{
    static readonly IReadOnlyList<string> Kinds = WireNames<ContentKind>.All;
    /// <summary>The review lifecycle's wire names, from the one enum Domain keeps (content_versions.status's CHECK matches it).</summary>
    static readonly IReadOnlyList<string> Statuses = WireNames<ContentStatus>.All;

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9][a-z0-9._/-]{0,199}$")]
    private static partial System.Text.RegularExpressions.Regex KeyShape();

    public static IEndpointRouteBuilder MapContent(this IEndpointRouteBuilder routes)
    {
        var options = routes.ServiceProvider.GetRequiredService<ContentOptions>();
        var content = routes.MapGroup("/api/v1/content").WithTags("Content").RequireAuthorization(Policies.Provisioned);
        var staff = content.MapGroup("").RequireAuthorization(Policies.ContentStaff);
        var write = content.MapGroup("").RequireAuthorization(Policies.ContentWriter);

        write.MapPost("/items", CreateItem).WithName("CreateContentItem")
            .WithSummary("Create a content item")
            .WithDescription("A stable key (e.g. fractions/intro-lesson), a kind and a title, aligned to skills. Versions are added separately.")
            .Produces<ContentItemResponse>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        staff.MapGet("/items", ListItems).WithName("ListContentItems")
            .WithSummary("List content items")
            .WithDescription("In creation order, keyset paged (after, limit); filters combine: kind, skill, status (items with a version in it), title (a substring).")
            .Produces<Page<ContentItemResponse>>().ProducesValidationProblem();
        staff.MapGet("/items/{itemId:guid}", GetItem).WithName("GetContentItem")
            .WithSummary("Read a content item")
            .WithDescription("The item with its skills, latest version number and published version; the ETag is what If-Match sends back on an edit.")
            .Produces<ContentItemResponse>().ProducesProblem(StatusCodes.Status404NotFound)
            .ReturnsETag();
        write.MapPatch("/items/{itemId:guid}", UpdateItem).WithName("UpdateContentItem")
            .WithSummary("Edit a content item's title or skills")
            .WithDescription("Needs If-Match with the ETag read (428 without, 412 when stale). The key and kind never change; content changes are new versions.")
            .Produces<ContentItemResponse>().ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .TakesIfMatch(required: true);
        write.MapPost("/items/{itemId:guid}/versions", CreateVersion).WithName("CreateContentVersion")
            .WithSummary("Add a version to a content item")
            .WithDescription("Numbered by the item (1, 2, 3, no gaps under concurrent creation), immutable once made, in status draft. The body must have been "
                + "uploaded (POST /api/v1/content/bodies). derivedFrom may name a version of any item; regeneratedFrom a version of this item. Provenance "
                + "says what generated it (model, prompt template, ...) or who wrote it. Malformed JSON is 400; rules broken (a generated version without a "
                + "model, a body or lineage version that does not exist) are 422 naming the field.")
            .Produces<ContentVersionResponse>(StatusCodes.Status201Created).ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        staff.MapGet("/items/{itemId:guid}/versions", ListVersions).WithName("ListContentVersions")
            .WithSummary("List a content item's versions")
            .WithDescription("Every version, newest first, drafts included.")
            .Produces<IReadOnlyList<ContentVersionResponse>>().ProducesProblem(StatusCodes.Status404NotFound);
        staff.MapGet("/versions/{versionId:guid}", GetVersion).WithName("GetContentVersion")
            .WithSummary("Read a content version")
            .WithDescription("Any version, with its body's address and size, lineage links, provenance, metadata and status.")
            .Produces<ContentVersionResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        staff.MapGet("/versions/{versionId:guid}/lineage", GetLineage).WithName("GetContentLineage")
            .WithSummary("Walk a version's lineage both ways")
            .WithDescription($"Ancestors (through derivedFrom and regeneratedFrom) and descendants (versions naming this one, and theirs), up to {ContentStore.LineageDepth} steps each way, nearest first.")
            .Produces<LineageResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        staff.MapGet("/versions", SearchVersions).WithName("SearchContentVersions")
            .WithSummary("Search content versions by metadata")
            .WithDescription("metadata: a JSON object the version's metadata must contain (jsonb @>); jsonPath: an SQL/JSON path that must match "
                + "(jsonb @?), e.g. $.tags[*] ? (@ == \"fractions\"). At least one; both combine (and). Keyset paged by id (after, limit). Answered by a GIN index.")
            .Produces<Page<ContentVersionResponse>>().ProducesValidationProblem();

        MapBodies(content, staff, write, options);
        return routes;
    }

    static ValidationProblem? ValidateItem(Validation v, string? title, IReadOnlyList<Guid>? skills)
    {
        v.Text("title", title, 1, 300, required: false);
        if (skills is { Count: > 100 }) v.Add("skills", "must have at most 100 skills");
        if (skills is not null && skills.Distinct().Count() != skills.Count) v.Add("skills", "must not repeat a skill");
        return v.IsValid ? null : v.ToProblem();
    }

    static ValidationProblem UnknownSkills(IReadOnlyList<Guid> requested, IReadOnlyList<Guid> unknown)
    {
        var v = new Validation();
        for (var i = 0; i < requested.Count; i++)
        {
            if (unknown.Contains(requested[i])) v.Add($"skills[{i}]", $"no skill with id {requested[i]}");
        }

        return v.ToProblem();
    }

    static async Task<Results<Created<ContentItemResponse>, ValidationProblem, ProblemHttpResult>> CreateItem(CreateContentItemRequest request, HttpContext http,
        NpgsqlDataSource db, CancellationToken ct)
    {
        var v = new Validation();
        if (!KeyShape().IsMatch(request.Key)) v.Add("key", "must be 1–200 of a-z, 0-9, '.', '_', '/' or '-', starting with a letter or digit");
        if (!Kinds.Contains(request.Kind, StringComparer.Ordinal)) v.Add("kind", $"must be one of: {string.Join(", ", Kinds)}");
        if (ValidateItem(v, request.Title, request.Skills) is { } invalid) return invalid;
        var skills = request.Skills ?? [];
        var written = await ContentStore.CreateItemAsync(db, http.RequireActor(), request.Key, request.Kind, request.Title, skills, ct);
        switch (written)
        {
            case { Item: { } item }:
                http.Response.Headers.ETag = ETags.Format(item.RowVersion);
                return TypedResults.Created($"/api/v1/content/items/{item.Id}", ContentItemResponse.From(item));
            case { Outcome: ContentItemOutcome.UnknownSkills, UnknownSkills: { } unknown }:
                return UnknownSkills(skills, unknown);
            default:
                return Problems.Conflict($"A content item with key '{request.Key}' already exists.", new Dictionary<string, object?> { ["field"] = "key" });
        }
    }

    static async Task<Results<Ok<Page<ContentItemResponse>>, ValidationProblem>> ListItems(HttpContext http, NpgsqlDataSource db, CancellationToken ct,
        string? kind = null, Guid? skill = null, string? status = null, string? title = null, Guid? after = null, int? limit = null)
    {
        var v = new Validation();
        var size = v.PageSize(limit);
        if (kind is not null && !Kinds.Contains(kind, StringComparer.Ordinal)) v.Add("kind", $"must be one of: {string.Join(", ", Kinds)}");
        if (status is not null && !Statuses.Contains(status, StringComparer.Ordinal)) v.Add("status", $"must be one of: {string.Join(", ", Statuses)}");
        v.Text("title", title, 1, 300, required: false);
        if (!v.IsValid) return v.ToProblem();
        var page = await ContentStore.ListItemsAsync(db, http.RequireActor(), new ContentItemFilter(kind, skill, status, title), after, size, ct);
        return TypedResults.Ok(new Page<ContentItemResponse>([.. page.Items.Select(ContentItemResponse.From)], page.Next));
    }

    static async Task<Results<Ok<ContentItemResponse>, ProblemHttpResult>> GetItem(Guid itemId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var item = await ContentStore.ReadItemAsync(db, http.RequireActor(), itemId, ct);
        if (item is null) return Problems.NotFound("content item", itemId);
        http.Response.Headers.ETag = ETags.Format(item.RowVersion);
        return TypedResults.Ok(ContentItemResponse.From(item));
    }

    static async Task<Results<Ok<ContentItemResponse>, ValidationProblem, ProblemHttpResult>> UpdateItem(Guid itemId, UpdateContentItemRequest request, HttpContext http,
        NpgsqlDataSource db, CancellationToken ct)
    {
        if (ValidateItem(new Validation(), request.Title, request.Skills) is { } invalid) return invalid;
        var written = await ContentStore.UpdateItemAsync(db, http.RequireActor(), itemId, request.Title, request.Skills, ETags.Parse(http.Request), ct);
        switch (written)
        {
            case { Item: { } item }:
                http.Response.Headers.ETag = ETags.Format(item.RowVersion);
                return TypedResults.Ok(ContentItemResponse.From(item));
            case { Outcome: ContentItemOutcome.UnknownSkills, UnknownSkills: { } unknown }:
                return UnknownSkills(request.Skills!, unknown);
            case { Outcome: ContentItemOutcome.PreconditionRequired }:
                return Problems.PreconditionRequired("content item");
            case { Outcome: ContentItemOutcome.PreconditionFailed, CurrentVersion: { } current }:
                return Problems.PreconditionFailed("content item", ETags.Format(current));
            default:
                return Problems.NotFound("content item", itemId);
        }
    }

    static async Task<Results<Created<ContentVersionResponse>, ValidationProblem, ProblemHttpResult>> CreateVersion(Guid itemId, CreateContentVersionRequest request,
        HttpContext http, NpgsqlDataSource db, ContentOptions options, CancellationToken ct)
    {
        var v = new Validation();
        if (!ObjectAddress.IsValid(request.Body.Sha256)) v.Add("body.sha256", "must be a SHA-256 as 64 lowercase hex digits");
        if (options.Allowed(request.MediaType) is null) v.Add("mediaType", $"must be one of: {string.Join(", ", options.MediaTypes)}");
        if (request.Metadata is { } metadata && metadata.ValueKind != JsonValueKind.Object) v.Add("metadata", "must be a JSON object");
        if (!v.IsValid) return v.ToProblem();
        var provenance = ContentProvenance.Check(request.Provenance, v);
        if (!v.IsValid) return v.ToUnprocessable();

        var version = new NewContentVersion(request.Body.Sha256, options.Allowed(request.MediaType)!, request.DerivedFrom, request.RegeneratedFrom, provenance!,
            request.Metadata ?? JsonDocument.Parse("{}").RootElement);
        var written = await ContentStore.CreateVersionAsync(db, http.RequireActor(), itemId, version, ct);
        return written.Outcome switch
        {
            ContentVersionOutcome.Created => TypedResults.Created($"/api/v1/content/versions/{written.Version!.Id}", ContentVersionResponse.From(written.Version)),
            ContentVersionOutcome.ItemNotFound => Problems.NotFound("content item", itemId),
            ContentVersionOutcome.BodyNotFound => v.Add("body.sha256", "no body with this SHA-256 was uploaded (POST /api/v1/content/bodies first)").ToUnprocessable(),
            ContentVersionOutcome.DerivedFromNotFound => v.Add("derivedFrom", $"no content version with id {request.DerivedFrom}").ToUnprocessable(),
            ContentVersionOutcome.RegeneratedFromNotFound => v.Add("regeneratedFrom", $"no version of this item has id {request.RegeneratedFrom}").ToUnprocessable(),
            _ => v.Add("provenance.author", $"no user with id {request.Provenance.Author}").ToUnprocessable(),
        };
    }

    static async Task<Results<Ok<Page<ContentVersionResponse>>, ValidationProblem, ProblemHttpResult>> ListVersions(Guid itemId, HttpContext http, NpgsqlDataSource db, CancellationToken ct,
        Guid? after = null, int? limit = null)
    {
        var v = new Validation();
        var size = v.PageSize(limit);
        if (!v.IsValid) return v.ToProblem();
        var versions = await ContentStore.ListVersionsAsync(db, http.RequireActor(), itemId, after, size, ct);
        return versions is null
            ? Problems.NotFound("content item", itemId)
            : TypedResults.Ok(new Page<ContentVersionResponse>([.. versions.Items.Select(ContentVersionResponse.From)], versions.Next));
    }

    static async Task<Results<Ok<ContentVersionResponse>, ProblemHttpResult>> GetVersion(Guid versionId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var version = await ContentStore.ReadVersionAsync(db, http.RequireActor(), versionId, ct);
        return version is null ? Problems.NotFound("content version", versionId) : TypedResults.Ok(ContentVersionResponse.From(version));
    }

    static async Task<Results<Ok<LineageResponse>, ProblemHttpResult>> GetLineage(Guid versionId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var lineage = await ContentStore.ReadLineageAsync(db, http.RequireActor(), versionId, ct);
        if (lineage is null) return Problems.NotFound("content version", versionId);
        static List<LineageEntryResponse> Entries(IEnumerable<LineageEntry> entries) => [.. entries.Select(e => new LineageEntryResponse(e.Depth, ContentVersionResponse.From(e.Version)))];
        return TypedResults.Ok(new LineageResponse(ContentVersionResponse.From(lineage.Version), Entries(lineage.Ancestors), Entries(lineage.Descendants)));
    }

    static async Task<Results<Ok<Page<ContentVersionResponse>>, ValidationProblem>> SearchVersions(HttpContext http, NpgsqlDataSource db, CancellationToken ct,
        string? metadata = null, string? jsonPath = null, Guid? after = null, int? limit = null)
    {
        var v = new Validation();
        var size = v.PageSize(limit);
        JsonElement? contains = null;
        if (metadata is not null)
        {
            try
            {
                using var parsed = JsonDocument.Parse(metadata);
                if (parsed.RootElement.ValueKind != JsonValueKind.Object) v.Add("metadata", "must be a JSON object");
                else contains = parsed.RootElement.Clone();
            }
            catch (JsonException)
            {
                v.Add("metadata", "must be a JSON object (URL-encoded)");
            }
        }

        v.Text("jsonPath", jsonPath, 1, 2000, required: false);
        if (metadata is null && jsonPath is null) v.Add("metadata", "metadata or jsonPath is required");
        if (!v.IsValid) return v.ToProblem();
        var found = await ContentStore.SearchByMetadataAsync(db, http.RequireActor(), contains, jsonPath, after, size, ct);
        if (found.Outcome == MetadataSearchOutcome.InvalidJsonPath) return v.Add("jsonPath", $"is not an SQL/JSON path: {found.Error}").ToProblem();
        return TypedResults.Ok(new Page<ContentVersionResponse>([.. found.Page!.Items.Select(ContentVersionResponse.From)], found.Page.Next));
    }
}
