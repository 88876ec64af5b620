using System.Text.Json;
using Hephaestus.Domain.Paths;

namespace Hephaestus.Domain.Tests.Paths;

internal static class RuleTestJson
{
    public static readonly Guid SkillA = Guid.Parse("0b3c2a34-9d5e-4f61-8a7b-1c2d3e4f5a6b");
    public static readonly Guid SkillB = Guid.Parse("7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2910");

    public static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public static UnlockRule Rule(string json)
    {
        var result = UnlockRuleParser.Parse(Json(json));
        Assert.Empty(result.Errors);
        Assert.NotNull(result.Rule);
        return result.Rule;
    }

    public static IReadOnlyList<(string Pointer, string Message)> Errors(string json)
    {
        var result = UnlockRuleParser.Parse(Json(json));
        Assert.Null(result.Rule);
        Assert.NotEmpty(result.Errors);
        return result.Errors.Select(e => (e.Path, e.Message)).ToList();
    }

    /// <summary>Only the pointers, in the order reported: most tests care where, the messages are checked once each.</summary>
    public static IReadOnlyList<string> Pointers(string json) => Errors(json).Select(e => e.Pointer).ToList();
}
