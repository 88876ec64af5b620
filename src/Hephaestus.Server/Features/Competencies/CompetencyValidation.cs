using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Hephaestus.Data;
using Hephaestus.Domain.Mastery;
using Hephaestus.Server.Api;
using Hephaestus.Server.Features.Mastery;
using Npgsql;
using NpgsqlTypes;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Server.Features.Competencies;

/// <summary>The competency catalog's shared SQL, parameters and checks.</summary>
internal static partial class CompetencySql
{
    /// <summary>The scale inserted by migration 0008; a framework created without a scale uses it.</summary>
    public static readonly Guid DefaultScaleId = new("00000000-0000-7000-8000-000000000001");

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    public static partial Regex CodeShape();

    [GeneratedRegex("^[a-z][a-z0-9_]{0,39}$")]
    public static partial Regex LevelNameShape();

    [GeneratedRegex("^#[0-9a-fA-F]{6}$")]
    public static partial Regex ColorShape();

    public static NpgsqlParameter Jsonb(JsonElement? value) => new() { Value = value is { } v ? v.GetRawText() : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Jsonb };

    public static JsonElement ParseJson(string text) => JsonDocument.Parse(text).RootElement.Clone();
    public static JsonElement? ParseJsonOrNull(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : ParseJson(reader.GetString(ordinal));

    public static void Code(Validation v, string field, string? code)
    {
        if (code is null) v.Add(field, "is required");
        else if (!CodeShape().IsMatch(code)) v.Add(field, "must be 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit");
    }

    /// <summary>The JSON names MasteryParameters reads, so that a misspelt parameter is refused rather than silently ignored.</summary>
    static readonly HashSet<string> ParameterNames = typeof(MasteryParameters).GetProperties()
        .Select(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name)
        .OfType<string>()
        .Where(n => n != "method")
        .ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// The method must be one of the wire names; the parameters are parsed and validated by the same code that reads
    /// them when mastery is recorded (SkillMeasurement.ParseParameters, MasteryParameters.Validate), each error named.
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
            var parsed = SkillMeasurement.ParseParameters(method ?? inheritedMethod, json.GetRawText());
            foreach (var error in parsed.Validate()) v.Add("masteryParameters" + error.Path.Replace('/', '.'), error.Message);
        }
        catch (JsonException e)
        {
            var at = e.Path is { Length: > 1 } path ? "masteryParameters" + path[1..] : "masteryParameters";
            v.Add(at, "has the wrong type: " + e.Message.Split(" Path:", 2)[0]);
        }
    }

    public static async Task<bool> ExistsAsync(ActorScope scope, string sql, Guid id, CancellationToken ct)
    {
        await using var command = scope.Command(sql);
        command.Parameters.Add(Uuid(id));
        return await command.ExecuteScalarAsync(ct) is not null;
    }

    /// <summary>Codes of the given skills, for naming them in errors (codes are unique per framework, so both are given when they differ).</summary>
    public static async Task<Dictionary<Guid, string>> CodesAsync(ActorScope scope, IEnumerable<Guid> ids, CancellationToken ct)
    {
        await using var command = scope.Command("SELECT id, code FROM hephaestus.skills WHERE id = ANY ($1)");
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids.Distinct().ToArray() });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var codes = new Dictionary<Guid, string>();
        while (await reader.ReadAsync(ct)) codes[reader.GetGuid(0)] = reader.GetString(1);
        return codes;
    }
}
