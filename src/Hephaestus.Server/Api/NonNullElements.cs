using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Hephaestus.Server.Api;

/// <summary>
/// A list declared with non-nullable elements (<c>IReadOnlyList&lt;StepDefinition&gt;</c>, <c>string[]</c>) refuses
/// <c>null</c> elements when it is read, as the nullable annotations already make the reader refuse a null field; so
/// <c>"steps":[null]</c> is a 400 naming <c>/steps/0</c>, not a NullReferenceException in the validation.
/// </summary>
public static class NonNullElements
{
    public static void Modify(JsonTypeInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (info.Kind != JsonTypeInfoKind.Object || info.Type.Namespace?.StartsWith("Hephaestus", StringComparison.Ordinal) != true) return;
        var nullability = new NullabilityInfoContext();
        var lists = info.Properties
            .Where(p => p.Get is not null && p.AttributeProvider is PropertyInfo member && ElementsAreNonNull(nullability.Create(member)))
            .Select(p => (p.Name, Get: p.Get!))
            .ToList();
        if (lists.Count == 0) return;

        var previous = info.OnDeserialized;
        info.OnDeserialized = value =>
        {
            previous?.Invoke(value);
            foreach (var (name, get) in lists)
            {
                if (get(value) is not IEnumerable items) continue;
                var index = 0;
                foreach (var item in items)
                {
                    if (item is null) throw new NullElementException(name, index);
                    index++;
                }
            }
        };
    }

    static bool ElementsAreNonNull(NullabilityInfo list)
    {
        if (list.Type == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(list.Type)) return false;
        var element = list.ElementType ?? (list.GenericTypeArguments.Length == 1 ? list.GenericTypeArguments[0] : null);
        return element is not null && !element.Type.IsValueType && element.ReadState == NullabilityState.NotNull;
    }
}

/// <summary>A null element of a list that declares none; the reader adds the path of the object holding the list.</summary>
public sealed class NullElementException(string property, int index) : JsonException("must not be null")
{
    /// <summary>The element's pointer relative to the object holding the list (<c>/steps/0</c>).</summary>
    public string Relative { get; } = "/" + property + "/" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
