using System.Text.Json;

namespace Hephaestus.Domain.Assessments;

/// <summary>
/// The one validating way from stored or submitted JSON to an <see cref="ItemDefinition"/>. Reports every problem it
/// can find in one pass, each with the JSON pointer of the offending value, so an author fixes them all at once.
/// </summary>
public static class ItemDefinitionParser
{
    public static (ItemDefinition? Item, IReadOnlyList<ValidationError> Errors) Parse(JsonElement json)
    {
        var errors = new List<ValidationError>();
        var reader = JsonObjectReader.Open(json, "", errors);
        if (reader is null)
        {
            return (null, errors);
        }

        var type = reader.String("type", required: true);
        if (type is null)
        {
            return (null, errors);
        }

        if (!ItemTypes.All.Contains(type))
        {
            reader.Error("type", $"unknown item type '{type}'; expected one of: {string.Join(", ", ItemTypes.All)}");
            return (null, errors);
        }

        var prompt = reader.String("prompt", required: true);
        var points = ReadPoints(reader);
        ItemDefinition? item = type switch
        {
            ItemTypes.SingleChoice => ParseSingleChoice(reader, prompt, points, errors),
            ItemTypes.MultipleChoice => ParseMultipleChoice(reader, prompt, points, errors),
            ItemTypes.Numeric => ParseNumeric(reader, prompt, points),
            ItemTypes.ShortText => ParseShortText(reader, prompt, points, errors),
            _ => ParseOrdering(reader, prompt, points, errors),
        };
        reader.RejectUnknown();
        return errors.Count > 0 ? (null, errors) : (item, errors);
    }

    private static decimal? ReadPoints(JsonObjectReader reader)
    {
        var points = reader.Decimal("points", required: false);
        if (!reader.Has("points"))
        {
            return 1m;
        }

        if (points <= 0)
        {
            reader.Error("points", "must be greater than 0");
            return null;
        }

        return points;
    }

    private static SingleChoiceItem? ParseSingleChoice(JsonObjectReader reader, string? prompt, decimal? points, List<ValidationError> errors)
    {
        var options = ParseChoices(reader, "options", "option", errors);
        var correct = reader.String("correctOptionId", required: true);
        if (options is not null && correct is not null && !options.Any(o => o.Id == correct))
        {
            reader.Error("correctOptionId", $"unknown option id '{correct}'");
            return null;
        }

        return prompt is null || points is null || options is null || correct is null
            ? null
            : new SingleChoiceItem(prompt, points.Value, options, correct);
    }

    private static MultipleChoiceItem? ParseMultipleChoice(JsonObjectReader reader, string? prompt, decimal? points, List<ValidationError> errors)
    {
        var options = ParseChoices(reader, "options", "option", errors);
        var correct = reader.StringArray("correctOptionIds", required: true);
        var scoring = reader.Enum("scoring", MultipleChoiceScoring.AllOrNothing);
        if (correct is not null)
        {
            if (correct.Count == 0)
            {
                reader.Error("correctOptionIds", "must name at least one correct option");
                correct = null;
            }
            else if (!CheckIdReferences(reader.Child("correctOptionIds"), correct, options, "option", errors))
            {
                correct = null;
            }
        }

        return prompt is null || points is null || options is null || correct is null || scoring is null
            ? null
            : new MultipleChoiceItem(prompt, points.Value, options, correct, scoring.Value);
    }

    private static NumericItem? ParseNumeric(JsonObjectReader reader, string? prompt, decimal? points)
    {
        var value = reader.Decimal("value", required: true);
        var tolerance = reader.Decimal("tolerance", required: false) ?? (reader.Has("tolerance") ? null : 0m);
        if (tolerance < 0)
        {
            reader.Error("tolerance", "must be 0 or greater");
            tolerance = null;
        }

        var kind = reader.Enum("toleranceKind", ToleranceKind.Absolute);
        if (kind == ToleranceKind.Relative && tolerance > 1)
        {
            reader.Error("tolerance", "a relative tolerance is a fraction of the value (0.05 = 5%) and must be at most 1");
            tolerance = null;
        }

        if (kind == ToleranceKind.Relative && value == 0)
        {
            // A relative tolerance of zero is no tolerance at all: the author meant an absolute one.
            reader.Error("toleranceKind", "a relative tolerance needs a non-zero value; use an absolute tolerance around 0");
            kind = null;
        }

        return prompt is null || points is null || value is null || tolerance is null || kind is null
            ? null
            : new NumericItem(prompt, points.Value, value.Value, tolerance.Value, kind.Value);
    }

    private static ShortTextItem? ParseShortText(JsonObjectReader reader, string? prompt, decimal? points, List<ValidationError> errors)
    {
        var answers = reader.StringArray("acceptedAnswers", required: true);
        if (answers is { Count: 0 })
        {
            reader.Error("acceptedAnswers", "must have at least one accepted answer");
            answers = null;
        }

        var caseSensitive = reader.Boolean("caseSensitive") ?? (reader.Has("caseSensitive") ? null : false);
        var whitespace = reader.Enum("whitespace", WhitespaceRule.Collapse);

        if (answers is not null && caseSensitive is not null && whitespace is not null)
        {
            // Check answers in the form they will be compared in, so that "Paris" and " paris " are caught as one.
            var probe = new ShortTextItem("", 1, [], caseSensitive.Value, whitespace.Value);
            var seen = new HashSet<string>(caseSensitive.Value ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);
            var ok = true;
            for (var i = 0; i < answers.Count; i++)
            {
                var normalized = probe.Normalize(answers[i]);
                if (string.IsNullOrWhiteSpace(normalized))
                {
                    errors.Add(new($"{reader.Child("acceptedAnswers")}/{i}", "must not be empty"));
                    ok = false;
                }
                else if (!seen.Add(normalized))
                {
                    errors.Add(new($"{reader.Child("acceptedAnswers")}/{i}", "duplicate accepted answer"));
                    ok = false;
                }
            }

            answers = ok ? answers : null;
        }

        return prompt is null || points is null || answers is null || caseSensitive is null || whitespace is null
            ? null
            : new ShortTextItem(prompt, points.Value, answers, caseSensitive.Value, whitespace.Value);
    }

    private static OrderingItem? ParseOrdering(JsonObjectReader reader, string? prompt, decimal? points, List<ValidationError> errors)
    {
        var items = ParseChoices(reader, "items", "item", errors);
        var order = reader.StringArray("correctOrder", required: true);
        var scoring = reader.Enum("scoring", OrderingScoring.AllOrNothing);
        if (order is not null && items is not null)
        {
            if (!CheckIdReferences(reader.Child("correctOrder"), order, items, "item", errors))
            {
                order = null;
            }
            else if (order.Count != items.Count)
            {
                var missing = items.Select(i => i.Id).Except(order, StringComparer.Ordinal);
                reader.Error("correctOrder", $"must list every item exactly once; missing: {string.Join(", ", missing)}");
                order = null;
            }
        }

        return prompt is null || points is null || items is null || order is null || scoring is null
            ? null
            : new OrderingItem(prompt, points.Value, items, order, scoring.Value);
    }

    /// <summary>Options or ordering items: an array of at least two {id, text} objects with unique, non-empty ids.</summary>
    private static List<ChoiceOption>? ParseChoices(JsonObjectReader reader, string name, string noun, List<ValidationError> errors)
    {
        if (reader.Array(name, required: true) is not { } array)
        {
            return null;
        }

        var path = reader.Child(name);
        var choices = new List<ChoiceOption>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var ok = true;
        var index = 0;
        foreach (var element in array.EnumerateArray())
        {
            var choicePath = $"{path}/{index++}";
            if (JsonObjectReader.Open(element, choicePath, errors) is not { } choice)
            {
                ok = false;
                continue;
            }

            var id = choice.String("id", required: true);
            var text = choice.String("text", required: true);
            choice.RejectUnknown();
            if (id is not null && !ids.Add(id))
            {
                errors.Add(new(choicePath + "/id", $"duplicate {noun} id"));
                ok = false;
            }
            else if (id is null || text is null)
            {
                ok = false;
            }
            else
            {
                choices.Add(new(id, text));
            }
        }

        if (index < 2)
        {
            errors.Add(new(path, $"must have at least 2 {noun}s"));
            ok = false;
        }

        return ok ? choices : null;
    }

    /// <summary>
    /// Each id names a choice and appears once: for answer keys here and for learners' responses. Skipped (true) when the
    /// choices themselves were invalid.
    /// </summary>
    internal static bool CheckIdReferences(string path, List<string> ids, IReadOnlyList<ChoiceOption>? choices, string noun, List<ValidationError> errors)
    {
        if (choices is null)
        {
            return true;
        }

        var known = choices.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var ok = true;
        for (var i = 0; i < ids.Count; i++)
        {
            if (!known.Contains(ids[i]))
            {
                errors.Add(new($"{path}/{i}", $"unknown {noun} id '{ids[i]}'"));
                ok = false;
            }
            else if (!seen.Add(ids[i]))
            {
                errors.Add(new($"{path}/{i}", $"duplicate {noun} id '{ids[i]}'"));
                ok = false;
            }
        }

        return ok;
    }
}
