using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Hephaestus.Domain;
using Hephaestus.Domain.Mastery;
using Hephaestus.Server.Api;

namespace Hephaestus.Server.Features.Competencies;

/// <summary>Checks the catalog's endpoints share: codes, and mastery methods with their parameters.</summary>
internal static class CompetencyValidation
{
    public static void Code(Validation v, string field, string? code)
    {
        if (code is null) v.Add(field, "is required");
        else if (!CatalogCode.Shape().IsMatch(code)) v.Add(field, "must be 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit");
    }

    /// <summary>The JSON names MasteryParameters reads, so that a misspelt parameter is refused rather than silently ignored.</summary>
    static readonly HashSet<string> ParameterNames = typeof(MasteryParameters).GetProperties()
        .Select(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name)
        .OfType<string>()
        .Where(n => n != "method")
        .ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// The method must be one of the wire names; the parameters are parsed and validated by the same code that reads
    /// them when mastery is recorded (MasteryParameters.FromStored, MasteryParameters.Validate), each error named.
    /// </summary>
    public static void Method(Validation v, string? method, JsonElement? parameters, string inheritedMethod = "bkt")
    {
        if (method is not null && !MasteryMethods.TryParse(method, out _))
        {
            v.Add("masteryMethod", "must be one of " + string.Join(", ", MasteryMethods.All.Select(m => m.ToWireName())));
            method = null;
        }

        if (parameters is not { } json) return;
        if (json.ValueKind != JsonValueKind.Object)
        {
            v.Add("masteryParameters", "must be a JSON object");
            return;
        }

        var known = true;
        foreach (var property in json.EnumerateObject().Where(p => !ParameterNames.Contains(p.Name)))
        {
            v.Add($"masteryParameters.{property.Name}", property.Name == "method"
                ? "the method is set by masteryMethod"
                : "is not a mastery parameter; known: " + string.Join(", ", ParameterNames));
            known = false;
        }

        if (!known) return;
        try
        {
            var parsed = MasteryParameters.FromStored(method ?? inheritedMethod, json.GetRawText());
            foreach (var error in parsed.Validate()) v.Add("masteryParameters" + error.Path.Replace('/', '.'), error.Message);
        }
        catch (JsonException e)
        {
            var at = e.Path is { Length: > 1 } path ? "masteryParameters" + path[1..] : "masteryParameters";
            v.Add(at, "has the wrong type: " + e.Message.Split(" Path:", 2)[0]);
        }
    }
}
