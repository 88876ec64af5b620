using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.OpenApi;

namespace Hephaestus.Server.Api;

/// <summary>
/// CSV downloads, one way everywhere: RFC 4180 (CRLF line ends, a header row, a field quoted when it holds a comma, a
/// quote or a line break, its quotes doubled), and safe to open in a spreadsheet: a cell that starts with = + - @, a tab
/// or a carriage return is prefixed with a single quote (and quoted), as OWASP advises against formula injection, so a
/// learner's display name can never run as a formula on an educator's machine.
/// </summary>
public static class Csv
{
    public const string MediaType = "text/csv";

    /// <summary>
    /// Whether the caller asked for CSV: <c>?format=csv</c>, or (without <c>format</c>) an Accept header naming
    /// text/csv. Null when <paramref name="format"/> is neither json nor csv.
    /// </summary>
    public static bool? Wanted(HttpRequest request, string? format)
    {
        ArgumentNullException.ThrowIfNull(request);
        return format switch
        {
            null => request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals(MediaType, StringComparison.OrdinalIgnoreCase)),
            "csv" => true,
            "json" => false,
            _ => null,
        };
    }

    /// <summary>The rows (the header first) as CSV text.</summary>
    public static string Write(IEnumerable<IEnumerable<string?>> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            text.AppendJoin(',', row.Select(Field));
            text.Append("\r\n");
        }

        return text.ToString();
    }

    /// <summary>One field: neutralised if it could start a formula, then quoted if it must be.</summary>
    public static string Field(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        var formula = value[0] is '=' or '+' or '-' or '@' or '\t' or '\r';
        if (formula) value = "'" + value;
        return formula || value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    /// <summary>A number as a spreadsheet reads it in any locale; empty when there is none.</summary>
    public static string? Number(double? value) => value?.ToString(CultureInfo.InvariantCulture);

    /// <summary>The CSV as a download named <paramref name="fileName"/> (Content-Disposition: attachment).</summary>
    public static FileContentHttpResult Download(string csv, string fileName) =>
        TypedResults.File(Encoding.UTF8.GetBytes(csv), MediaType + "; charset=utf-8", fileName);

    /// <summary>
    /// Documents the CSV form of an endpoint's 200 beside its JSON: <c>Produces</c> would replace the JSON response
    /// rather than add a media type to it.
    /// </summary>
    public static RouteHandlerBuilder ProducesCsv(this RouteHandlerBuilder endpoint) =>
        endpoint.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (operation.Responses?.TryGetValue("200", out var ok) == true && ok.Content is { } content)
            {
                content[MediaType] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
            }

            return Task.CompletedTask;
        });
}
