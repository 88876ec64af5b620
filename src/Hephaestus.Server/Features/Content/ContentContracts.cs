using System.Text.Json;
using Hephaestus.Data.Content;

namespace Hephaestus.Server.Features.Content;

public sealed record CreateContentItemRequest(string Key, string Kind, string Title, IReadOnlyList<Guid>? Skills = null);

/// <summary>An edit (PATCH, with If-Match): each field sent replaces the stored one.</summary>
public sealed record UpdateContentItemRequest(string? Title = null, IReadOnlyList<Guid>? Skills = null);

/// <summary>An item; its row version travels as the ETag, which If-Match sends back on an edit.</summary>
public sealed record ContentItemResponse(Guid Id, string Key, string Kind, string Title, IReadOnlyList<Guid> Skills, int LatestVersion,
    Guid? PublishedVersionId, int? PublishedVersion, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static ContentItemResponse From(ContentItem i)
    {
        ArgumentNullException.ThrowIfNull(i);
        return new(i.Id, i.Key, i.Kind, i.Title, i.SkillIds, i.LatestVersion, i.PublishedVersionId, i.PublishedVersion, i.CreatedAt, i.UpdatedAt);
    }
}

/// <summary>A body uploaded before: named by its SHA-256 (lowercase hex), as the upload answered.</summary>
public sealed record BodyReference(string Sha256);

public sealed record PromptTemplateReference(string Id, string Version);

public sealed record GroundingSource(string Uri, string? Title = null, string? Sha256 = null);

public sealed record TokenCounts(int Input, int Output);

/// <summary>
/// Who or what made a version. Generated: model and promptTemplate are required; the rest is recorded when given.
/// Human: only author (a user id) may be given.
/// </summary>
public sealed record ProvenanceBody(string Origin, string? Model = null, PromptTemplateReference? PromptTemplate = null, string? PromptSha256 = null,
    JsonElement? Parameters = null, IReadOnlyList<GroundingSource>? GroundingSources = null, TokenCounts? Tokens = null, decimal? CostUsd = null,
    int? LatencyMs = null, Guid? Author = null);

public sealed record CreateContentVersionRequest(BodyReference Body, string MediaType, ProvenanceBody Provenance, Guid? DerivedFrom = null,
    Guid? RegeneratedFrom = null, JsonElement? Metadata = null);

public sealed record StoredBodyResponse(string Sha256, long Size);

public sealed record ContentVersionResponse(Guid Id, Guid ItemId, int Version, StoredBodyResponse Body, string MediaType, Guid? DerivedFrom, Guid? RegeneratedFrom,
    ProvenanceBody Provenance, JsonElement Metadata, string Status, DateTimeOffset? PublishedAt, Guid? CreatedBy, DateTimeOffset CreatedAt)
{
    public static ContentVersionResponse From(ContentVersion v)
    {
        ArgumentNullException.ThrowIfNull(v);
        var p = v.Provenance;
        var provenance = p.Origin == Data.Content.Provenance.Human
            ? new ProvenanceBody(p.Origin, Author: p.AuthorId)
            : new ProvenanceBody(p.Origin, p.Model, p.PromptTemplateId is null ? null : new PromptTemplateReference(p.PromptTemplateId, p.PromptTemplateVersion ?? ""),
                p.PromptSha256, p.Parameters, p.GroundingSources?.Deserialize<List<GroundingSource>>(JsonSerializerOptions.Web),
                p.InputTokens is { } input && p.OutputTokens is { } output ? new TokenCounts(input, output) : null, p.CostUsd, p.LatencyMs);
        return new(v.Id, v.ItemId, v.Version, new StoredBodyResponse(v.BodySha256, v.BodySize), v.MediaType, v.DerivedFrom, v.RegeneratedFrom, provenance,
            v.Metadata, v.Status, v.PublishedAt, v.CreatedBy, v.CreatedAt);
    }
}

public sealed record LineageEntryResponse(int Depth, ContentVersionResponse Version);

/// <summary>A version's ancestors (what it was derived or regenerated from, and theirs) and descendants, nearest first.</summary>
public sealed record LineageResponse(ContentVersionResponse Version, IReadOnlyList<LineageEntryResponse> Ancestors, IReadOnlyList<LineageEntryResponse> Descendants);
