using System.Text.Json;
using System.Text.RegularExpressions;

namespace Hephaestus.Server.Api;

/// <summary>
/// The reader's and binder's messages rewritten for a client: they name the field and what is expected, never a .NET
/// type ("could not be converted to Hephaestus.Server.Features.Users.UpdateUserRequest" becomes "expected an object").
/// </summary>
public static partial class JsonMessages
{
    public static string ForClient(JsonException json, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(json);
        var message = json.Message.Split(" Path:", 2)[0];
        if (ConvertedTo().Match(message) is { Success: true } converted) return "expected " + Expected(converted.Groups["type"].Value, options);
        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal)) return "is not a field of this request";
        if (message.Contains("doesn't allow", StringComparison.Ordinal) && message.Contains("null", StringComparison.Ordinal)) return "must not be null";
        if (MissingRequired().Match(message) is { Success: true } missing) return "missing required fields: " + missing.Groups["names"].Value;
        return Scrub(message);
    }

    /// <summary>Removes .NET type names from a binder message ("Required parameter \"UpdateUserRequest request\"" keeps "request").</summary>
    public static string Scrub(string message) => TypeName().Replace(ParameterWithType().Replace(message, "\"${name}\""), "the expected value");

    /// <summary>
    /// The field (a JSON pointer) and what it must be, from the binder's message about a query parameter or header it
    /// could not convert or did not get (<c>Failed to bind parameter "Nullable&lt;Guid&gt; after" from "x".</c>); null for
    /// any other message.
    /// </summary>
    public static (string Field, string Message)? ParameterProblem(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (BindFailure().Match(message) is { Success: true } failed)
        {
            return (JsonPointer.From(failed.Groups["name"].Value), "must be " + ExpectedParameter(failed.Groups["type"].Value));
        }

        return RequiredParameter().Match(message) is { Success: true } required && required.Groups["source"].Value != "body"
            ? (JsonPointer.From(required.Groups["name"].Value), "is required")
            : null;
    }

    static string ExpectedParameter(string typeName)
    {
        var type = typeName.Replace("Nullable<", "", StringComparison.Ordinal).TrimEnd('>', '?');
        return type switch
        {
            "Guid" => "a UUID",
            "int" or "Int32" or "long" or "Int64" or "short" => "an integer",
            "DateTimeOffset" or "DateTime" => "an RFC 3339 date-time",
            "DateOnly" => "a date (yyyy-MM-dd)",
            "bool" or "Boolean" => "true or false",
            "double" or "decimal" or "float" => "a number",
            _ => "a valid value",
        };
    }

    static string Expected(string typeName, JsonSerializerOptions options)
    {
        var type = Resolve(typeName);
        type = type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
        if (type is null) return typeName.Contains("[]", StringComparison.Ordinal) || typeName.Contains("List", StringComparison.Ordinal) ? "an array" : "a value of another type";
        if (type.IsEnum)
        {
            var names = Enum.GetValues(type).Cast<object>().Select(value => JsonSerializer.Serialize(value, type, options));
            return "one of " + string.Join(", ", names);
        }

        return type switch
        {
            _ when type == typeof(string) => "a string",
            _ when type == typeof(bool) => "true or false",
            _ when type == typeof(Guid) => "a UUID string",
            _ when type == typeof(DateTimeOffset) || type == typeof(DateTime) => "an RFC 3339 date-time string",
            _ when type == typeof(DateOnly) => "a date string (yyyy-MM-dd)",
            _ when type == typeof(int) || type == typeof(short) => $"an integer from {int.MinValue} to {int.MaxValue}",
            _ when type == typeof(long) => "an integer",
            _ when type == typeof(double) || type == typeof(decimal) || type == typeof(float) => "a number",
            _ when type == typeof(JsonElement) => "a JSON value",
            _ when type != typeof(string) && typeof(System.Collections.IDictionary).IsAssignableFrom(type) => "an object",
            _ when type.IsArray || (type.IsGenericType && typeof(System.Collections.IEnumerable).IsAssignableFrom(type)) => "an array",
            _ => "an object",
        };
    }

    static Type? Resolve(string name)
    {
        var type = Type.GetType(name);
        if (type is not null) return type;
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (assembly.GetType(name) is { } found) return found;
        }

        return null;
    }

    [GeneratedRegex(@"^Failed to bind parameter ""(?<type>[\w.`<>\[\],?]+) (?<name>\w+)"" from ")]
    private static partial Regex BindFailure();

    [GeneratedRegex(@"^Required parameter ""(?<type>[\w.`<>\[\],?]+) (?<name>\w+)"" was not provided from (?<source>\w+)")]
    private static partial Regex RequiredParameter();

    [GeneratedRegex(@"could not be converted to (?<type>[^\s]+?)\.?(\s|$)")]
    private static partial Regex ConvertedTo();

    [GeneratedRegex(@"missing required properties including: (?<names>.*?)\.?$")]
    private static partial Regex MissingRequired();

    [GeneratedRegex(@"""(?<type>[\w.`<>\[\],?]+) (?<name>\w+)""")]
    private static partial Regex ParameterWithType();

    [GeneratedRegex(@"'?\b(Hephaestus|System|Microsoft)\.[\w.`\[\],+]+'?")]
    private static partial Regex TypeName();
}
