using Npgsql;
using NpgsqlTypes;

namespace Hephaestus.Data;

/// <summary>
/// Typed parameters for positional SQL ($1, $2, …), shared by every feature: a null becomes DBNull with an explicit
/// type, so PostgreSQL never has to guess one.
/// </summary>
public static class SqlParameters
{
    public static NpgsqlParameter<Guid> Uuid(Guid value) => new() { TypedValue = value };

    public static NpgsqlParameter NullableUuid(Guid? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid };

    public static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    public static NpgsqlParameter NullableInt(int? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer };
}
