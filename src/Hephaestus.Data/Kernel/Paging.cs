namespace Hephaestus.Data;

/// <summary>A page of a keyset-paged list: the items and the cursor of the next page (null on the last page).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? Next);

/// <summary>
/// Keyset paging, one way everywhere: a query reads one row more than the page size (<see cref="Fetch"/>); when that
/// extra row arrives there is a next page, whose cursor is the key of the last item kept.
/// </summary>
public static class Paging
{
    public const int DefaultSize = 50;
    public const int MaxSize = 200;

    /// <summary>The LIMIT to send for a page of <paramref name="size"/>: one more, to learn whether a next page exists.</summary>
    public static int Fetch(int size) => size + 1;

    /// <summary>Trims the extra row read by <see cref="Fetch"/> and makes the page, its cursor the key of the last item.</summary>
    public static Page<T> Trim<T>(List<T> rows, int size, Func<T, string> cursorOf)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(cursorOf);
        if (rows.Count <= size) return new Page<T>(rows, null);
        rows.RemoveRange(size, rows.Count - size);
        return new Page<T>(rows, cursorOf(rows[^1]));
    }

    /// <summary>Keyset paging by uuid (UUIDv7 ids sort by creation): the cursor is the last id.</summary>
    public static Page<T> TrimById<T>(List<T> rows, int size, Func<T, Guid> idOf) =>
        Trim(rows, size, r => idOf(r).ToString());
}
