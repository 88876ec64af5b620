using System.Globalization;
using System.Text;
using Hephaestus.Data.Xapi;
using Hephaestus.Storage;
using Microsoft.AspNetCore.WebUtilities;
using Npgsql;

namespace Hephaestus.Server.Features.Xapi;

/// <summary>The <c>more</c> link of a StatementResult, and answers with attachments (multipart/mixed).</summary>
static class XapiStatementsResponses
{
    /// <summary>
    /// The relative IRL of the next page: this request's path and parameters with <c>cursor</c> = the page's bound and
    /// last Statement (base64url of "bound ticks.stored ticks.id"), so it needs no server-side state and stays usable.
    /// </summary>
    public static string MoreLink(HttpContext http, XapiCursor next)
    {
        var token = string.Create(CultureInfo.InvariantCulture, $"{next.Bound.UtcTicks}.{next.AfterStored!.Value.UtcTicks}.{next.AfterId!.Value:N}");
        var parameters = http.Request.Query.Where(p => p.Key != "cursor")
            .SelectMany(p => p.Value.Select(value => new KeyValuePair<string, string?>(p.Key, value)))
            .Append(new("cursor", Base64UrlTextEncoder.Encode(Encoding.ASCII.GetBytes(token))));
        return QueryHelpers.AddQueryString(http.Request.PathBase + http.Request.Path, parameters);
    }

    public static XapiCursor? ParseCursor(string token)
    {
        try
        {
            var parts = Encoding.ASCII.GetString(Base64UrlTextEncoder.Decode(token)).Split('.');
            return parts.Length == 3 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var bound)
                && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var stored) && Guid.TryParseExact(parts[2], "N", out var id)
                && bound <= DateTimeOffset.MaxValue.UtcTicks && stored <= DateTimeOffset.MaxValue.UtcTicks
                ? new XapiCursor(new DateTimeOffset(bound, TimeSpan.Zero), new DateTimeOffset(stored, TimeSpan.Zero), id)
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// attachments=true: multipart/mixed, the JSON first, then each stored attachment body of these Statements once, with
    /// its Content-Type, <c>X-Experience-API-Hash</c> and <c>Content-Transfer-Encoding: binary</c>, streamed from the object store.
    /// </summary>
    public static async Task<IResult> MultipartAsync(HttpContext http, NpgsqlDataSource db, XapiCaller caller, IObjectStore store, string json,
        IReadOnlyCollection<Guid> statementIds, CancellationToken ct)
    {
        var attachments = (await XapiStatementStore.AttachmentsAsync(db, caller, statementIds, ct))
            .Where(a => a.ObjectSha256 is not null).DistinctBy(a => a.Sha2).ToList();
        var boundary = "xapi-" + Guid.NewGuid().ToString("N");
        return Results.Stream(async output =>
        {
            await Write(output, $"--{boundary}\r\nContent-Type: application/json\r\n\r\n{json}\r\n");
            foreach (var attachment in attachments)
            {
                await Write(output, $"--{boundary}\r\nContent-Type: {attachment.ContentType}\r\nContent-Transfer-Encoding: binary\r\n"
                    + $"{XapiStatementsRequests.HashHeader}: {attachment.Sha2}\r\n\r\n");
                await using (var body = await store.OpenReadAsync(attachment.ObjectSha256!, null, ct))
                {
                    if (body is not null) await body.Content.CopyToAsync(output, ct);
                }

                await Write(output, "\r\n");
            }

            await Write(output, $"--{boundary}--\r\n");
        }, $"multipart/mixed; boundary={boundary}");

        Task Write(Stream output, string text) => output.WriteAsync(Encoding.UTF8.GetBytes(text), ct).AsTask();
    }
}
