using System.Text.Json;
using Npgsql;

namespace Hephaestus.Data;

/// <summary>Reading columns the same way everywhere: nullable values, and jsonb natively as a JsonElement (no text round trip).</summary>
public static class DataReaderExtensions
{
    public static string? GetNullableString(this NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static Guid? GetNullableGuid(this NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetGuid(ordinal);

    public static int? GetNullableInt32(this NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);

    public static double? GetNullableDouble(this NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : (double)reader.GetDecimal(ordinal);

    public static DateTimeOffset GetTime(this NpgsqlDataReader reader, int ordinal) => reader.GetFieldValue<DateTimeOffset>(ordinal);

    public static DateTimeOffset? GetNullableTime(this NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    /// <summary>A json or jsonb column as a JsonElement that outlives the reader (Npgsql parses it straight from the wire).</summary>
    public static JsonElement GetJson(this NpgsqlDataReader reader, int ordinal) => reader.GetFieldValue<JsonElement>(ordinal);

    public static JsonElement? GetNullableJson(this NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<JsonElement>(ordinal);
}
