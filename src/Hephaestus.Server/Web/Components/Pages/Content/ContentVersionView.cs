using System.Text.Json;

namespace Hephaestus.Server.Web.Components.Pages.Content;

/// <summary>The parts of the API's content version (GET /api/v1/content/versions/{id}) the content pages show.</summary>
public sealed record ContentVersionView(Guid Id, Guid ItemId, int Version, string MediaType, Guid? DerivedFrom, Guid? RegeneratedFrom,
    ProvenanceView Provenance, JsonElement Metadata, string Status, DateTimeOffset? PublishedAt, Guid? CreatedBy, DateTimeOffset CreatedAt);

/// <summary>Who or what made a version, as the API records it: a generator (model, prompt template, tokens, cost) or a person.</summary>
public sealed record ProvenanceView(string Origin, string? Model, PromptTemplateView? PromptTemplate, string? PromptSha256, TokensView? Tokens, decimal? CostUsd,
    int? LatencyMs, Guid? Author, List<GroundingSourceView>? GroundingSources);

public sealed record PromptTemplateView(string Id, string Version);

public sealed record TokensView(int Input, int Output);

public sealed record GroundingSourceView(string Uri, string? Title);
