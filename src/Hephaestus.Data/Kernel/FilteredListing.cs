using Npgsql;

namespace Hephaestus.Data;

/// <summary>
/// A keyset-paged listing by uuid whose WHERE holds only the filters given. With auto-prepared statements, a generic plan
/// of "$n IS NULL OR …" could not use a filter's index (text search, tags), so each combination of filters is its own
/// statement. <c>$1</c> is the cursor and <c>$2</c> the LIMIT; each filter's condition names its value as <c>{0}</c>.
/// </summary>
internal sealed class FilteredListing(string keyColumn)
{
    readonly List<string> _conditions = [$"($1::uuid IS NULL OR {keyColumn} > $1)"];
    readonly List<NpgsqlParameter> _values = [];

    public FilteredListing Where(string condition, NpgsqlParameter value)
    {
        _values.Add(value);
        _conditions.Add(string.Format(System.Globalization.CultureInfo.InvariantCulture, condition, $"${_values.Count + 2}"));
        return this;
    }

    /// <param name="select">The statement without WHERE: <c>{0}</c> stands for the conditions, and it orders by the key with LIMIT $2.</param>
    public async Task<Page<T>> ReadAsync<T>(ActorScope scope, string select, Guid? after, int size, Func<NpgsqlDataReader, T> read, Func<T, Guid> idOf,
        CancellationToken ct)
    {
        await using var command = scope.Command(string.Format(System.Globalization.CultureInfo.InvariantCulture, select, string.Join(" AND ", _conditions)));
        command.Parameters.Add(SqlParameters.NullableUuid(after));
        command.Parameters.Add(SqlParameters.Int(Paging.Fetch(size)));
        foreach (var value in _values) command.Parameters.Add(value);
        var rows = new List<T>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) rows.Add(read(reader));
        }

        return Paging.TrimById(rows, size, idOf);
    }
}
