using Hephaestus.Data;
using Hephaestus.Data.Assessments;
using Hephaestus.Domain.Assessments;
using Hephaestus.Domain.Identity;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Assessments;

/// <summary>
/// The item bank. Items are typed JSON validated per type; editing an item makes a new version (results keep pointing
/// at the version answered). Authors and admins write; educators read the full item; learners never read the bank
/// (they see items only inside their attempts, without the answer key).
/// </summary>
public static class ItemsApi
{
    public static IEndpointRouteBuilder MapItems(this IEndpointRouteBuilder routes)
    {
        var items = routes.MapGroup("/api/v1/items").WithTags("Item bank").RequireAuthorization(Policies.Provisioned);
        items.MapPost("/", Create).WithName("CreateItem").RequireAuthorization(Policies.Author)
            .WithSummary("Create an item")
            .WithDescription("A typed item (single_choice, multiple_choice, numeric, short_text, ordering) with its answer key, aligned to skills with weights, with tags; `stemContentVersionId` names the content version the stem came from (a generated item stem; 400 when it does not exist). Authors and admins. 409 when the code is taken.")
            .ProducesProblems(StatusCodes.Status409Conflict);
        items.MapGet("/", List).WithName("ListItems")
            .WithSummary("List and search the item bank")
            .WithDescription("Items at their current versions, keyset paged; filters combine: `skill`, `type`, `q` (words of the prompt), `tag`. Authors, educators and admins (items hold answer keys).");
        items.MapPut("/{itemId:guid}", NewVersion).WithName("CreateItemVersion").RequireAuthorization(Policies.Author)
            .WithSummary("Create an item's next version")
            .WithDescription("Editing an item makes a new version; results keep pointing at the version answered (regrade moves them). `stemContentVersionId` belongs to the new version (left out: none). Authors and admins.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        items.MapGet("/{itemId:guid}", Get).WithName("GetItem")
            .WithSummary("Read an item")
            .WithDescription("The current version, or `version`. Authors, educators and admins.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        items.MapGet("/{itemId:guid}/versions/{version:int}", Get).WithName("GetItemVersion")
            .WithSummary("Read an item version")
            .WithDescription("One version of an item. Authors, educators and admins.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        return routes;
    }

    /// <summary>Items hold answer keys: those who write them and educators read them, no one else.</summary>
    static bool SeesKeys(Actor actor) => actor.Has(Role.Author) || actor.Has(Role.Admin) || actor.Has(Role.Educator);

    static ProblemHttpResult KeysRefused() => Problems.Forbidden("Items hold answer keys; learners see items only inside their attempts.");

    /// <summary>The bank's rules (<see cref="ItemRules"/>), which an items import applies to each of its lines too.</summary>
    static Validation Validate(ItemRequest request, out ItemDefinition? item)
    {
        var (parsed, errors) = ItemRules.Validate(request.Definition, request.Skills?.Select(s => (s.SkillId, s.Weight)).ToList(), request.Code, request.Tags);
        item = parsed;
        return new Validation().AddRange(errors);
    }

    static async Task<Results<Created<ItemResponseBody>, ValidationProblem, ProblemHttpResult>> Create(ItemRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var v = Validate(request, out var item);
        if (!v.IsValid) return v.ToProblem();
        var written = await ItemStore.CreateAsync(db, http.RequireActor(), request.Code, item!, request.Skills, request.Tags ?? [], request.StemContentVersionId, ct);
        return written.Outcome switch
        {
            ItemWriteOutcome.CodeTaken => Problems.Conflict($"An item with code '{request.Code}' already exists.", new Dictionary<string, object?> { ["field"] = "code" }),
            ItemWriteOutcome.UnknownReferences => new Validation().AddRange(written.Errors!).ToProblem(),
            _ => TypedResults.Created($"/api/v1/items/{written.Item!.ItemId}", Body(written.Item)),
        };
    }

    /// <summary>Editing makes a new version.</summary>
    static async Task<Results<Ok<ItemResponseBody>, ValidationProblem, ProblemHttpResult>> NewVersion(Guid itemId, ItemRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var v = Validate(request, out var item);
        if (!v.IsValid) return v.ToProblem();
        var written = await ItemStore.NewVersionAsync(db, http.RequireActor(), itemId, item!, request.Skills, request.Tags, request.StemContentVersionId, ct);
        return written.Outcome switch
        {
            ItemWriteOutcome.ItemNotFound => Problems.NotFound("item", itemId),
            ItemWriteOutcome.UnknownReferences => new Validation().AddRange(written.Errors!).ToProblem(),
            _ => TypedResults.Ok(Body(written.Item!)),
        };
    }

    static async Task<Results<Ok<ItemResponseBody>, ProblemHttpResult>> Get(Guid itemId, HttpContext http, NpgsqlDataSource db, CancellationToken ct, int? version = null)
    {
        var actor = http.RequireActor();
        if (!SeesKeys(actor)) return KeysRefused();
        var item = await ItemStore.ReadAsync(db, actor, itemId, version, ct);
        return item is null ? Problems.NotFound("item", itemId) : TypedResults.Ok(Body(item));
    }

    /// <summary>
    /// The bank at current versions, in creation order, keyset paged; filters combine (and): <c>skill</c> aligned,
    /// <c>type</c>, <c>q</c> words of the stem (web search syntax), <c>tag</c>. Whole items with their keys, so the same
    /// readers as the item read: authors, educators, admins.
    /// </summary>
    static async Task<Results<Ok<Page<ItemResponseBody>>, ValidationProblem, ProblemHttpResult>> List(HttpContext http, NpgsqlDataSource db, CancellationToken ct,
        Guid? skill = null, string? type = null, string? q = null, string? tag = null, Guid? after = null, int? limit = null)
    {
        var actor = http.RequireActor();
        if (!SeesKeys(actor)) return KeysRefused();
        var v = new Validation();
        var size = v.PageSize(limit);
        if (type is not null && !ItemTypes.All.Contains(type)) v.Add("type", $"must be one of: {string.Join(", ", ItemTypes.All)}");
        if (q is { Length: 0 or > 200 }) v.Add("q", "must be 1 to 200 characters long");
        v.Text("tag", tag, 1, 64, required: false);
        if (!v.IsValid) return v.ToProblem();
        var page = await ItemStore.ListAsync(db, actor, new ItemFilter(skill, type, q, tag), after, size, ct);
        return TypedResults.Ok(new Page<ItemResponseBody>([.. page.Items.Select(Body)], page.Next));
    }

    static ItemResponseBody Body(StoredItem i) => new(i.ItemId, i.Code, i.VersionId, i.Version, i.Type, i.Definition, i.Skills, i.CreatedAt, i.Tags, i.StemContentVersionId);
}
