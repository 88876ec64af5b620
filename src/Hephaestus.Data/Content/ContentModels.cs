using System.Text.Json;

namespace Hephaestus.Data.Content;

/// <summary>
/// A content item as read: its stable key, kind, title, aligned skills, the highest version number given out, the
/// published version if any, and its row version (xmin), which the edge sends as the ETag.
/// </summary>
public sealed record ContentItem(Guid Id, string Key, string Kind, string Title, IReadOnlyList<Guid> SkillIds, int LatestVersion,
    Guid? PublishedVersionId, int? PublishedVersion, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, uint RowVersion);

/// <summary>
/// Filters of the item listing, each optional: the kind, an aligned skill, a status some version of the item is in
/// (e.g. "published": items with a published version), words of the title (a substring, ignoring case).
/// </summary>
public sealed record ContentItemFilter(string? Kind = null, Guid? SkillId = null, string? Status = null, string? Title = null);

/// <summary>
/// Who or what made a version: a generator (model, prompt template and its version, the prompt's SHA-256, parameters,
/// grounding sources, tokens, cost, latency) or a person (<see cref="AuthorId"/>, optional: an admin may record the
/// work of someone without an account).
/// </summary>
public sealed record Provenance(string Origin, string? Model = null, string? PromptTemplateId = null, string? PromptTemplateVersion = null,
    string? PromptSha256 = null, JsonElement? Parameters = null, JsonElement? GroundingSources = null, int? InputTokens = null, int? OutputTokens = null,
    decimal? CostUsd = null, int? LatencyMs = null, Guid? AuthorId = null)
{
    public const string Generated = "generated";
    public const string Human = "human";
}

/// <summary>What a new version is made of; its number comes from the item.</summary>
public sealed record NewContentVersion(string BodySha256, string MediaType, Guid? DerivedFrom, Guid? RegeneratedFrom, Provenance Provenance, JsonElement Metadata);

/// <summary>A version as stored, with its body's size (from content_bodies).</summary>
public sealed record ContentVersion(Guid Id, Guid ItemId, int Version, string BodySha256, long BodySize, string MediaType, Guid? DerivedFrom,
    Guid? RegeneratedFrom, Provenance Provenance, JsonElement Metadata, string Status, DateTimeOffset? PublishedAt, Guid? CreatedBy, DateTimeOffset CreatedAt);

public enum ContentItemOutcome
{
    Done,
    NotFound,
    KeyTaken,
    UnknownSkills,
    PreconditionRequired,
    PreconditionFailed,
}

/// <summary>The result of an item write: the item (Done), its current row version (PreconditionFailed), the unknown skills.</summary>
public sealed record ContentItemWrite(ContentItemOutcome Outcome, ContentItem? Item = null, uint? CurrentVersion = null, IReadOnlyList<Guid>? UnknownSkills = null);

public enum ContentVersionOutcome
{
    Created,
    ItemNotFound,
    /// <summary>No content_bodies row has the body's SHA-256: upload it first.</summary>
    BodyNotFound,
    DerivedFromNotFound,
    /// <summary>The version it was regenerated from does not exist or belongs to another item.</summary>
    RegeneratedFromNotFound,
    AuthorNotFound,
}

public sealed record ContentVersionWrite(ContentVersionOutcome Outcome, ContentVersion? Version = null);

/// <summary>A version in a lineage walk: how far from the start (1 = parent or child) and in which direction.</summary>
public sealed record LineageEntry(ContentVersion Version, int Depth);

/// <summary>A version's ancestors (through derived_from and regenerated_from) and descendants, each to a bounded depth.</summary>
public sealed record Lineage(ContentVersion Version, IReadOnlyList<LineageEntry> Ancestors, IReadOnlyList<LineageEntry> Descendants);

public enum MetadataSearchOutcome
{
    Done,
    /// <summary>PostgreSQL could not parse the JSON path.</summary>
    InvalidJsonPath,
}

public sealed record MetadataSearch(MetadataSearchOutcome Outcome, Page<ContentVersion>? Page = null, string? Error = null);
