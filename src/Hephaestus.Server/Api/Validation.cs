using System.Globalization;
using Hephaestus.Domain;

namespace Hephaestus.Server.Api;

/// <summary>Collects every problem of a request (not just the first), keyed by the JSON pointer of the field (<see cref="JsonPointer"/>).</summary>
public sealed class Validation
{
    readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    /// <summary>The longest description (of a path, framework or skill): a few paragraphs; also a CHECK in the database.</summary>
    public const int DescriptionLength = 5000;

    public bool IsValid => _errors.Count == 0;

    /// <summary>The JSON pointers of the fields found wrong so far.</summary>
    public IEnumerable<string> Fields => _errors.Keys;

    /// <summary>
    /// The page size of a keyset-paged list (<c>?limit=</c>): the default without one, a field error on <c>/limit</c>
    /// outside 1..<paramref name="max"/>. The one parser of every list's limit; a malformed <c>after</c> or <c>limit</c>
    /// (not a UUID, not a number) is refused by the binder as a field error too (ProblemExceptionHandler).
    /// </summary>
    public int PageSize(int? limit, int max = Hephaestus.Data.Paging.MaxSize, int defaultSize = Hephaestus.Data.Paging.DefaultSize)
    {
        var size = limit ?? defaultSize;
        if (size < 1 || size > max) Add("/limit", string.Create(CultureInfo.InvariantCulture, $"must be between 1 and {max}"));
        return size;
    }

    public Validation Add(string field, string message)
    {
        field = JsonPointer.From(field);
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        list.Add(message);
        return this;
    }

    public Validation AddRange(IEnumerable<ValidationError> errors, string prefix = "")
    {
        foreach (var error in errors) Add(prefix + error.Path, error.Message);
        return this;
    }

    public Validation Text(string field, string? value, int min, int max, bool required = true)
    {
        if (value is null)
        {
            if (required) Add(field, "is required");
        }
        else if (value.Length < min || value.Length > max)
        {
            Add(field, string.Create(CultureInfo.InvariantCulture, $"must be {min} to {max} characters long"));
        }

        return this;
    }

    /// <summary>
    /// The same problem as 422: the request is well-formed but what it describes is refused (provenance that does not say
    /// what generated it, a body that was never uploaded, an import's bad lines), where 400 would say the request itself is
    /// malformed. Same shape as <see cref="ToProblem"/>: <c>errors</c> keyed by pointer.
    /// </summary>
    public Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult ToUnprocessable(string? detail = null) => TypedResults.Problem(
        new HttpValidationProblemDetails(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()))
        {
            Status = StatusCodes.Status422UnprocessableEntity,
            Title = "One or more fields are invalid",
            Detail = detail ?? "The request has invalid fields: " + string.Join(", ", _errors.Keys.Select(k => k.Length == 0 ? "(the body)" : k)),
        });

    public Microsoft.AspNetCore.Http.HttpResults.ValidationProblem ToProblem(string? detail = null) => TypedResults.ValidationProblem(
        _errors.ToDictionary(e => e.Key, e => e.Value.ToArray()),
        detail: detail ?? "The request has invalid fields: " + string.Join(", ", _errors.Keys.Select(k => k.Length == 0 ? "(the body)" : k)),
        title: "One or more fields are invalid");
}
