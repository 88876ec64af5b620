using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Hephaestus.Data;

/// <summary>
/// Typed parameters for positional SQL ($1, $2, …), one set for every feature: a null becomes DBNull with an explicit
/// type, so PostgreSQL never has to guess one, and arrays of nullable values keep their element type.
/// </summary>
public static class SqlParameters
{
    public static NpgsqlParameter<Guid> Uuid(Guid value) => new() { TypedValue = value };

    public static NpgsqlParameter NullableUuid(Guid? value) => Nullable(value, NpgsqlDbType.Uuid);

    public static NpgsqlParameter<Guid[]> Uuids(Guid[] values) => new() { TypedValue = values };

    public static NpgsqlParameter NullableUuids(IEnumerable<Guid?> values) => NullableArray(values, NpgsqlDbType.Uuid);

    public static NpgsqlParameter Text(string? value) => Nullable(value, NpgsqlDbType.Text);

    /// <summary>
    /// A LIKE pattern matching <paramref name="text"/> anywhere, lower-cased, its own % _ and \ taken literally: the shape the
    /// trigram indexes on lower-cased text answer (ix_users_search, ix_skills_search).
    /// </summary>
    public static NpgsqlParameter Substring(string text) =>
        Text("%" + text.ToLowerInvariant().Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%");

    public static NpgsqlParameter TextArray(string?[]? values) => Nullable(values, NpgsqlDbType.Array | NpgsqlDbType.Text);

    public static NpgsqlParameter<int> Int(int value) => new() { TypedValue = value };

    public static NpgsqlParameter NullableInt(int? value) => Nullable(value, NpgsqlDbType.Integer);

    public static NpgsqlParameter NullableInts(IEnumerable<int?> values) => NullableArray(values, NpgsqlDbType.Integer);

    public static NpgsqlParameter<bool> Bool(bool value) => new() { TypedValue = value };

    public static NpgsqlParameter NullableBool(bool? value) => Nullable(value, NpgsqlDbType.Boolean);

    public static NpgsqlParameter NullableDecimal(decimal? value) => Nullable(value, NpgsqlDbType.Numeric);

    public static NpgsqlParameter NullableDecimals(IEnumerable<decimal?> values) => NullableArray(values, NpgsqlDbType.Numeric);

    public static NpgsqlParameter NullableTime(DateTimeOffset? value) => Nullable(value, NpgsqlDbType.TimestampTz);

    public static NpgsqlParameter NullableTimes(IEnumerable<DateTimeOffset?> values) => NullableArray(values, NpgsqlDbType.TimestampTz);

    public static NpgsqlParameter NullableDate(DateOnly? value) => Nullable(value, NpgsqlDbType.Date);

    /// <summary>A row version (xmin) for optimistic concurrency; null means "no precondition".</summary>
    public static NpgsqlParameter Xid(uint? version) => Nullable(version, NpgsqlDbType.Xid);

    /// <summary>A JSON document as jsonb (already serialized text).</summary>
    public static NpgsqlParameter Jsonb(string? json) => Nullable(json, NpgsqlDbType.Jsonb);

    /// <summary>A JSON value as jsonb, as it was received.</summary>
    public static NpgsqlParameter Jsonb(JsonElement? value) => Nullable(value?.GetRawText(), NpgsqlDbType.Jsonb);

    /// <summary>Any value as jsonb, serialized with the given options.</summary>
    public static NpgsqlParameter JsonbOf<T>(T value, JsonSerializerOptions options) => Jsonb(JsonSerializer.Serialize(value, options));

    static NpgsqlParameter Nullable<T>(T? value, NpgsqlDbType type) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = type };

    static NpgsqlParameter NullableArray<T>(IEnumerable<T?> values, NpgsqlDbType elementType) where T : struct =>
        new() { Value = values.Select(v => v is { } x ? (object)x : DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | elementType };
}
