using System.Text.RegularExpressions;

namespace Hephaestus.Storage;

/// <summary>
/// Objects under names the caller chooses (a data lake's `events/date=2026-12-01/part-00001.parquet`), beside the
/// content-addressed ones and never among them: a name may not start with `sha256/` or `incoming/`. A write replaces
/// what the name held and becomes visible only whole and durable, so a retried write of the same name is harmless.
/// </summary>
public interface INamedObjects
{
    /// <summary>Streams the body under the name; returns once it is durable. Replaces an existing object of that name.</summary>
    Task<long> PutNamedAsync(string name, Stream body, CancellationToken ct);

    /// <summary>Opens the named object for reading; null when there is none.</summary>
    Task<Stream?> OpenNamedAsync(string name, CancellationToken ct);

    /// <summary>The names that start with the prefix, in ordinal order.</summary>
    Task<IReadOnlyList<string>> ListNamedAsync(string prefix, CancellationToken ct);
}

/// <summary>What a name may be: lower-case path segments of letters, digits and `._=-`, no `..`, not the stores' own folders.</summary>
public static partial class ObjectNames
{
    public static bool IsValid(string name) =>
        name is { Length: >= 1 and <= 1024 } && Shape().IsMatch(name) && !name.Contains("..", StringComparison.Ordinal)
        && !name.StartsWith("sha256/", StringComparison.Ordinal) && !name.StartsWith("incoming/", StringComparison.Ordinal);

    public static string Require(string name) =>
        IsValid(name) ? name : throw new ArgumentException($"'{name}' is not an object name (lower-case segments of [a-z0-9._=-] separated by '/').", nameof(name));

    [GeneratedRegex("^[a-z0-9][a-z0-9._=-]*(/[a-z0-9][a-z0-9._=-]*)*$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
