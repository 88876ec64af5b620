using System.Globalization;
using System.Text;
using System.Text.Json;
using Hephaestus.Data.Analytics;
using Hephaestus.Server.Api;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.OpenApi;

namespace Hephaestus.Server.Features.Analytics;

/// <summary>
/// Every analytics answer in one envelope: the query's parameters, the moment the data reflects (<c>asOf</c>), where it
/// was read (<c>source</c>: primary or replica), the replica's lag, why a configured replica was not used
/// (<c>sourceNote</c>), the minimum group size suppression applied, and the data.
/// </summary>
public sealed record AnalyticsResponse<TParameters, TData>(
    TParameters Parameters,
    DateTimeOffset AsOf,
    AnalyticsSourceKind Source,
    double? ReplicaLagSeconds,
    string? SourceNote,
    int MinimumGroupSize,
    TData Data);

/// <summary>
/// Answers an analytics read as JSON (the envelope) or as CSV (<c>?format=csv</c> or <c>Accept: text/csv</c>). The CSV
/// is plain RFC 4180 through <see cref="Csv"/> (formula-safe cells), one header row; its freshness and parameters travel
/// in response headers, set on the JSON answer too, so a file stays parseable by any CSV reader and a client reads the
/// same headers for both: <c>Analytics-As-Of</c>, <c>Analytics-Source</c>, <c>Analytics-Replica-Lag-Seconds</c>,
/// <c>Analytics-Source-Note</c>, <c>Analytics-Parameters</c> (the parameters as a query string). The file name carries
/// the as-of time too, so a saved download still says when its data was current.
/// </summary>
public static class AnalyticsAnswer
{
    public const string AsOfHeader = "Analytics-As-Of";
    public const string SourceHeader = "Analytics-Source";
    public const string LagHeader = "Analytics-Replica-Lag-Seconds";
    public const string NoteHeader = "Analytics-Source-Note";
    public const string ParametersHeader = "Analytics-Parameters";

    /// <summary>One CSV table: its header row and a function giving the rows of a result.</summary>
    public sealed record CsvTable<TData>(IReadOnlyList<string> Header, Func<TData, IEnumerable<IEnumerable<string?>>> Rows);

    public static Results<Ok<AnalyticsResponse<TParameters, TData>>, FileContentHttpResult, ValidationProblem, ProblemHttpResult> Send<TParameters, TData>(
        HttpContext http, bool csv, TParameters parameters, TData data, AnalyticsFreshness freshness, int minimumGroupSize, string name, CsvTable<TData> table)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(freshness);
        ArgumentNullException.ThrowIfNull(table);
        var headers = http.Response.Headers;
        headers[AsOfHeader] = freshness.AsOf.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
        headers[SourceHeader] = Domain.WireNames<AnalyticsSourceKind>.Of(freshness.Source);
        if (freshness.ReplicaLagSeconds is { } lag) headers[LagHeader] = Csv.Number(Math.Round(lag, 3));
        if (freshness.SourceNote is { } note) headers[NoteHeader] = Ascii(note);
        headers[ParametersHeader] = QueryString(parameters);
        if (!csv)
        {
            return TypedResults.Ok(new AnalyticsResponse<TParameters, TData>(parameters, freshness.AsOf, freshness.Source, freshness.ReplicaLagSeconds,
                freshness.SourceNote, minimumGroupSize, data));
        }

        var rows = new List<IEnumerable<string?>> { table.Header };
        rows.AddRange(table.Rows(data));
        var stamp = freshness.AsOf.ToUniversalTime().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        return Csv.Download(Csv.Write(rows), $"{name}-{stamp}.csv");
    }

    /// <summary>Whether CSV was asked for (<see cref="Csv.Wanted"/>); a <c>format</c> that is neither json nor csv is a field error on /format.</summary>
    public static bool WantsCsv(Validation validation, HttpRequest request, string? format)
    {
        ArgumentNullException.ThrowIfNull(validation);
        var csv = Csv.Wanted(request, format);
        if (csv is null) validation.Add("/format", "must be 'json' or 'csv'");
        return csv == true;
    }

    /// <summary>The parameters as <c>name=value&amp;…</c> (camelCase names, nulls left out), in their declared order.</summary>
    internal static string QueryString<TParameters>(TParameters parameters)
    {
        var json = JsonSerializer.SerializeToElement(parameters, JsonSerializerOptions.Web);
        var text = new StringBuilder();
        foreach (var property in json.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Null) continue;
            if (text.Length > 0) text.Append('&');
            var value = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : property.Value.GetRawText();
            text.Append(Uri.EscapeDataString(property.Name)).Append('=').Append(Uri.EscapeDataString(value ?? ""));
        }

        return text.ToString();
    }

    /// <summary>A header value is ASCII without control characters (a server's error message may hold anything).</summary>
    static string Ascii(string value) => string.Concat(value.Select(c => c is >= ' ' and <= '~' ? c : '?'));

    /// <summary>Documents the freshness headers on the endpoint's 200, and its CSV form beside the JSON.</summary>
    public static RouteHandlerBuilder AnswersAnalytics(this RouteHandlerBuilder endpoint) =>
        endpoint.ProducesCsv().AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (operation.Responses?.TryGetValue("200", out var ok) == true && ok is OpenApiResponse response)
            {
                response.Headers ??= new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal);
                foreach (var (header, description) in FreshnessHeaders)
                {
                    response.Headers[header] = new OpenApiHeader { Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
                }
            }

            return Task.CompletedTask;
        });

    static readonly (string Header, string Description)[] FreshnessHeaders =
    [
        (AsOfHeader, "The moment (ISO 8601, UTC) the data reflects: the read's start less the replica's lag."),
        (SourceHeader, "`primary` or `replica`: where the data was read."),
        (LagHeader, "The replica's lag in seconds when it was probed; absent without a replica or when it did not answer."),
        (NoteHeader, "Why a configured replica was not used (down, not a standby, lagging); absent when it was."),
        (ParametersHeader, "The query's parameters as a query string."),
    ];
}
