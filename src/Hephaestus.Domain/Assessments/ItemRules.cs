using System.Globalization;
using System.Text.Json;

namespace Hephaestus.Domain.Assessments;

/// <summary>
/// What makes an item request valid, wherever it comes from (the bank's create and edit endpoints, a line of an items
/// import): a definition its type's parser accepts, at least one skill with a weight in (0, 1] and none twice, a code of
/// catalog shape, at most 50 distinct tags of 1 to 64 characters. Errors are keyed by the request's field names.
/// </summary>
public static class ItemRules
{
    public const int MaxTags = 50;
    public const int MaxTagLength = 64;

    public static (ItemDefinition? Item, List<ValidationError> Errors) Validate(
        JsonElement definition, IReadOnlyList<(Guid SkillId, decimal Weight)>? skills, string? code, IReadOnlyList<string>? tags)
    {
        var errors = new List<ValidationError>();
        ItemDefinition? item = null;
        if (definition.ValueKind != JsonValueKind.Object) errors.Add(new("definition", "must be a JSON object with a type"));
        else
        {
            var (parsed, parseErrors) = ItemDefinitionParser.Parse(definition);
            errors.AddRange(parseErrors.Select(e => e with { Path = "definition" + e.Path }));
            item = parsed;
        }

        if (skills is not { Count: > 0 }) errors.Add(new("skills", "must align the item to at least one skill"));
        else
        {
            for (var i = 0; i < skills.Count; i++)
            {
                if (skills[i].Weight is <= 0 or > 1) errors.Add(new($"skills[{i}].weight", "must be greater than 0 and at most 1"));
            }

            if (skills.Select(s => s.SkillId).Distinct().Count() != skills.Count) errors.Add(new("skills", "must not repeat a skill"));
        }

        if (code is not null && !CatalogCode.Shape().IsMatch(code)) errors.Add(new("code", "must be letters, digits, '.', '_' or '-'"));
        if (tags is not null)
        {
            if (tags.Count > MaxTags) errors.Add(new("tags", $"must have at most {MaxTags} tags"));
            for (var i = 0; i < tags.Count; i++)
            {
                if (tags[i] is null || tags[i].Length is < 1 or > MaxTagLength)
                {
                    errors.Add(new($"tags[{i}]", string.Create(CultureInfo.InvariantCulture, $"must be 1 to {MaxTagLength} characters long")));
                }
            }

            if (tags.Distinct(StringComparer.Ordinal).Count() != tags.Count) errors.Add(new("tags", "must not repeat a tag"));
        }

        return (item, errors);
    }
}
