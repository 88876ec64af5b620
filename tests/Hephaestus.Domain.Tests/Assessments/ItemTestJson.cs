using System.Text.Json;
using Hephaestus.Domain.Assessments;

namespace Hephaestus.Domain.Tests.Assessments;

internal static class ItemTestJson
{
    public static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public static ItemDefinition Item(string json)
    {
        var (item, errors) = ItemDefinitionParser.Parse(Json(json));
        Assert.Empty(errors);
        return item!;
    }

    public static IReadOnlyList<(string Path, string Message)> DefinitionErrors(string json)
    {
        var (item, errors) = ItemDefinitionParser.Parse(Json(json));
        Assert.Null(item);
        return errors.Select(e => (e.Path, e.Message)).ToList();
    }

    public static ItemScore Score(ItemDefinition item, string responseJson)
    {
        var (response, errors) = ItemResponseParser.Parse(item, Json(responseJson));
        Assert.Empty(errors);
        return ItemScorer.Score(item, response!);
    }

    public static IReadOnlyList<(string Path, string Message)> ResponseErrors(ItemDefinition item, string responseJson)
    {
        var (response, errors) = ItemResponseParser.Parse(item, Json(responseJson));
        Assert.Null(response);
        return errors.Select(e => (e.Path, e.Message)).ToList();
    }
}
