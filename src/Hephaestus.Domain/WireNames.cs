using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hephaestus.Domain;

/// <summary>
/// The one spelling of an enum's members on the wire and in the database, for every enum: a member's
/// <see cref="JsonStringEnumMemberNameAttribute"/> when it has one, else its name in snake_case — the rule the API's JSON
/// converter applies too (JsonStringEnumConverter with SnakeCaseLower), so a status reads the same in a response body,
/// a query string and a CHECK constraint. Parsing is exact: the wire form has one spelling.
/// </summary>
public static class WireNames<TEnum> where TEnum : struct, Enum
{
    static readonly (TEnum Value, string Name)[] Members = typeof(TEnum).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => ((TEnum)f.GetValue(null)!, f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(f.Name)))
        .ToArray();

    static readonly Dictionary<TEnum, string> NameOf = Members.ToDictionary(m => m.Value, m => m.Name);
    static readonly Dictionary<string, TEnum> ValueOf = Members.ToDictionary(m => m.Name, m => m.Value, StringComparer.Ordinal);

    /// <summary>Every wire name, in declaration order.</summary>
    public static IReadOnlyList<string> All { get; } = [.. Members.Select(m => m.Name)];

    public static string Of(TEnum value) =>
        NameOf.TryGetValue(value, out var name) ? name : throw new ArgumentOutOfRangeException(nameof(value), value, $"Not a {typeof(TEnum).Name}.");

    public static bool TryParse(string? name, out TEnum value)
    {
        if (name is not null && ValueOf.TryGetValue(name, out value)) return true;
        value = default;
        return false;
    }

    public static TEnum Parse(string name) =>
        TryParse(name, out var value)
            ? value
            : throw new FormatException($"Unknown {typeof(TEnum).Name} '{name}'. Expected one of: {string.Join(", ", All)}.");
}
