using System.Text.Json;

namespace Hephaestus.Domain.Assessments;

/// <summary>A learner's answer to one item, already checked against that item by <see cref="ItemResponseParser"/>.</summary>
public abstract record ItemResponse;

/// <summary>Wire: {"optionId": "b"}.</summary>
public sealed record SingleChoiceResponse(string OptionId) : ItemResponse;

/// <summary>Wire: {"optionIds": ["a", "c"]}; an empty selection is a valid (unrewarded) answer.</summary>
public sealed record MultipleChoiceResponse(IReadOnlyList<string> OptionIds) : ItemResponse;

/// <summary>Wire: {"value": 3.14}, a JSON number (not a string).</summary>
public sealed record NumericResponse(decimal Value) : ItemResponse;

/// <summary>Wire: {"text": "Paris"}.</summary>
public sealed record ShortTextResponse(string Text) : ItemResponse;

/// <summary>Wire: {"order": ["c", "a", "b"]}, every item id exactly once.</summary>
public sealed record OrderingResponse(IReadOnlyList<string> Order) : ItemResponse;

public static class ItemResponseParser
{
    /// <summary>Checks the response's shape for the item's type and that every id it names exists in the item.</summary>
    public static (ItemResponse? Response, IReadOnlyList<ValidationError> Errors) Parse(ItemDefinition item, JsonElement response)
    {
        ArgumentNullException.ThrowIfNull(item);
        var errors = new List<ValidationError>();
        if (JsonObjectReader.Open(response, "", errors) is not { } reader)
        {
            return (null, errors);
        }

        ItemResponse? parsed = item switch
        {
            SingleChoiceItem single => ParseSingle(reader, single),
            MultipleChoiceItem multiple => ParseMultiple(reader, multiple, errors),
            NumericItem => reader.Decimal("value", required: true) is { } value ? new NumericResponse(value) : null,
            ShortTextItem => reader.String("text", required: true, nonEmpty: false) is { } text ? new ShortTextResponse(text) : null,
            OrderingItem ordering => ParseOrdering(reader, ordering, errors),
            _ => throw new ArgumentException($"Unsupported item type {item.GetType().Name}.", nameof(item)),
        };
        reader.RejectUnknown();
        return errors.Count > 0 ? (null, errors) : (parsed, errors);
    }

    private static SingleChoiceResponse? ParseSingle(JsonObjectReader reader, SingleChoiceItem item)
    {
        if (reader.String("optionId", required: true) is not { } id)
        {
            return null;
        }

        if (!item.Options.Any(o => o.Id == id))
        {
            reader.Error("optionId", $"unknown option id '{id}'");
            return null;
        }

        return new SingleChoiceResponse(id);
    }

    private static MultipleChoiceResponse? ParseMultiple(JsonObjectReader reader, MultipleChoiceItem item, List<ValidationError> errors)
    {
        var ids = reader.StringArray("optionIds", required: true);
        return ids is not null && ItemDefinitionParser.CheckIdReferences(reader.Child("optionIds"), ids, item.Options, "option", errors)
            ? new MultipleChoiceResponse(ids)
            : null;
    }

    private static OrderingResponse? ParseOrdering(JsonObjectReader reader, OrderingItem item, List<ValidationError> errors)
    {
        var order = reader.StringArray("order", required: true);
        if (order is null || !ItemDefinitionParser.CheckIdReferences(reader.Child("order"), order, item.Items, "item", errors))
        {
            return null;
        }

        if (order.Count != item.Items.Count)
        {
            var missing = item.Items.Select(i => i.Id).Except(order, StringComparer.Ordinal);
            reader.Error("order", $"must list every item exactly once; missing: {string.Join(", ", missing)}");
            return null;
        }

        return new OrderingResponse(order);
    }
}
