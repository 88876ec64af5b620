using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Hephaestus.Server.Features.Users;

/// <summary>The users SQL, beside its reader: positional parameters, ordinal reads.</summary>
internal static class UserQueries
{
    public const string Columns =
        "id, external_subject, email, display_name, locale, time_zone, roles, profile::text, created_at, updated_at, xmin";

    public const string ById = $"SELECT {Columns} FROM hephaestus.users WHERE id = $1";

    public const string VersionById = "SELECT xmin FROM hephaestus.users WHERE id = $1";

    /// <summary>
    /// Keyset page in id order (UUIDv7, so creation order). The optional filters are written so that one plan serves
    /// all combinations; the profile filter is containment, answered by the GIN (jsonb_path_ops) index.
    /// </summary>
    public const string Page = $"""
        SELECT {Columns} FROM hephaestus.users
        WHERE ($1::uuid IS NULL OR id > $1)
          AND ($2::text IS NULL OR $2 = ANY (roles))
          AND ($3::jsonb IS NULL OR profile @> $3::jsonb)
          AND ($4::text IS NULL OR lower(email) = lower($4))
        ORDER BY id
        LIMIT $5
        """;

    public const string Insert = $"""
        INSERT INTO hephaestus.users (id, external_subject, email, display_name, locale, time_zone, roles, profile)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
        RETURNING {Columns}
        """;

    /// <summary>Compare-and-set on xmin: the write happens only if nobody changed the row since the client read it.</summary>
    public const string Update = $"""
        UPDATE hephaestus.users SET
            email = coalesce($3, email),
            display_name = coalesce($4, display_name),
            locale = coalesce($5, locale),
            time_zone = coalesce($6, time_zone),
            roles = coalesce($7, roles),
            profile = coalesce($8::jsonb, profile),
            external_subject = coalesce($9, external_subject)
        WHERE id = $1 AND xmin = $2
        RETURNING {Columns}
        """;

    public const string Delete = "DELETE FROM hephaestus.users WHERE id = $1 AND ($2::xid IS NULL OR xmin = $2) RETURNING external_subject";

    public static UserResponse Read(NpgsqlDataReader reader, out uint version)
    {
        version = reader.GetFieldValue<uint>(10);
        return new UserResponse(
            reader.GetGuid(0),
            reader.GetString(1),
            reader.GetString(2),
            reader.GetString(3),
            reader.GetString(4),
            reader.GetString(5),
            reader.GetFieldValue<string[]>(6),
            JsonDocument.Parse(reader.GetString(7)).RootElement.Clone(),
            reader.GetFieldValue<DateTimeOffset>(8),
            reader.GetFieldValue<DateTimeOffset>(9));
    }

    public static NpgsqlParameter<Guid> Id(Guid id) => new() { TypedValue = id };
    public static NpgsqlParameter Xid(uint? version) => new() { Value = version.HasValue ? version.Value : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Xid };
    public static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
    public static NpgsqlParameter TextArray(string[]? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };
    public static NpgsqlParameter Json(JsonElement? value) => new() { Value = value is { } v ? v.GetRawText() : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
}
