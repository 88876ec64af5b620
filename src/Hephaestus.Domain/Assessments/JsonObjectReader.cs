using System.Text.Json;

namespace Hephaestus.Domain.Assessments;

/// <summary>
/// Reads one JSON object property by property, collecting every error with its JSON pointer instead of stopping at
/// the first, and remembers which properties were read so that anything else can be reported as unknown.
/// </summary>
internal sealed class JsonObjectReader
{
    private readonly JsonElement _element;
    private readonly List<ValidationError> _errors;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private JsonObjectReader(JsonElement element, string path, List<ValidationError> errors)
    {
        _element = element;
        _errors = errors;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Null (with an error) when the element is not an object. Duplicate property names are errors too.</summary>
    public static JsonObjectReader? Open(JsonElement element, string path, List<ValidationError> errors)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(path, "must be a JSON object"));
            return null;
        }

        // JSON allows repeated names and parsers disagree on which wins; refuse rather than guess.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                errors.Add(new(JsonPointer.Append(path, property.Name), "duplicate property"));
            }
        }

        return new JsonObjectReader(element, path, errors);
    }

    public string Child(string name) => JsonPointer.Append(Path, name);

    public void Error(string name, string message) => _errors.Add(new(Child(name), message));

    public bool Has(string name) => _element.TryGetProperty(name, out _);

    public string? String(string name, bool required, bool nonEmpty = true)
    {
        if (!TryGet(name, required, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            Error(name, "must be a string");
            return null;
        }

        var text = value.GetString()!;
        if (nonEmpty && string.IsNullOrWhiteSpace(text))
        {
            Error(name, "must not be empty");
            return null;
        }

        return text;
    }

    public decimal? Decimal(string name, bool required)
    {
        if (!TryGet(name, required, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number)
        {
            Error(name, "must be a number");
            return null;
        }

        // decimal, not double: tolerances and points must compare exactly (3.15 − 3.14 is exactly 0.01).
        if (!value.TryGetDecimal(out var number))
        {
            Error(name, "must be a number within ±7.9e28");
            return null;
        }

        return number;
    }

    public bool? Boolean(string name)
    {
        if (!TryGet(name, required: false, out var value))
        {
            return null;
        }

        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            Error(name, "must be true or false");
            return null;
        }

        return value.GetBoolean();
    }

    public JsonElement? Array(string name, bool required)
    {
        if (!TryGet(name, required, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            Error(name, "must be an array");
            return null;
        }

        return value;
    }

    /// <summary>An enum given by its wire name; absent means <paramref name="fallback"/>.</summary>
    public TEnum? Enum<TEnum>(string name, TEnum fallback)
        where TEnum : struct, Enum
    {
        var text = String(name, required: false);
        if (text is null)
        {
            return Has(name) ? null : fallback;
        }

        if (WireNames<TEnum>.TryParse(text, out var parsed))
        {
            return parsed;
        }

        Error(name, $"must be one of: {string.Join(", ", WireNames<TEnum>.All)}");
        return null;
    }

    /// <summary>Reports every property that no reader method asked for.</summary>
    public void RejectUnknown()
    {
        foreach (var property in _element.EnumerateObject())
        {
            if (!_read.Contains(property.Name))
            {
                _errors.Add(new(Child(property.Name), "unknown property"));
            }
        }
    }

    /// <summary>Reads a string array, each element a non-empty string; returns the strings with their indexes.</summary>
    public List<string>? StringArray(string name, bool required)
    {
        if (Array(name, required) is not { } array)
        {
            return null;
        }

        var result = new List<string>();
        var ok = true;
        var index = 0;
        foreach (var element in array.EnumerateArray())
        {
            if (element.ValueKind != JsonValueKind.String)
            {
                _errors.Add(new($"{Child(name)}/{index}", "must be a string"));
                ok = false;
            }
            else
            {
                result.Add(element.GetString()!);
            }

            index++;
        }

        return ok ? result : null;
    }

    private bool TryGet(string name, bool required, out JsonElement value)
    {
        _read.Add(name);
        if (_element.TryGetProperty(name, out value))
        {
            return true;
        }

        if (required)
        {
            Error(name, "is required");
        }

        return false;
    }
}

internal static class JsonPointer
{
    /// <summary>RFC 6901: '~' becomes "~0" and '/' becomes "~1" inside a reference token.</summary>
    public static string Append(string path, string token) =>
        path + "/" + token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
}
