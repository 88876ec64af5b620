using System.Text.Json;

namespace Hephaestus.Server.Web.Components.Pages.Content;

/// <summary>The parts of the API's item version (GET /api/v1/items…) the item bank shows; the definition stays JSON.</summary>
public sealed record ItemView(Guid ItemId, string? Code, Guid VersionId, int Version, string Type, JsonElement Definition, List<SkillWeightView> Skills,
    DateTimeOffset CreatedAt, List<string> Tags, Guid? StemContentVersionId)
{
    /// <summary>The prompt every item type has.</summary>
    public static string PromptOf(JsonElement definition) =>
        definition.ValueKind == JsonValueKind.Object && definition.TryGetProperty("prompt", out var prompt) && prompt.ValueKind == JsonValueKind.String
            ? prompt.GetString() ?? ""
            : "";
}

public sealed record SkillWeightView(Guid SkillId, decimal Weight);
