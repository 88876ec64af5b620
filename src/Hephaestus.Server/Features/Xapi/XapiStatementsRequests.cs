using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hephaestus.Data.Xapi;
using Hephaestus.Domain.Xapi;
using Hephaestus.Server.Api;
using Hephaestus.Storage;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Hephaestus.Server.Features.Xapi;

/// <summary>An attachment body that came as a part of a multipart/mixed request, stored in the object store.</summary>
/// <param name="Jws">The part's text when a signature attachment declares its hash (read to check the signature).</param>
sealed record XapiAttachmentPart(string Sha2, string ObjectSha256, long Length, string? Jws);

/// <summary>The Statements of a PUT or POST body with their pointers, and the attachment parts it carried.</summary>
sealed class XapiStatementsBody(JsonDocument document, bool isArray, Dictionary<string, XapiAttachmentPart> parts) : IDisposable
{
    public bool IsArray { get; } = isArray;
    public Dictionary<string, XapiAttachmentPart> Parts { get; } = parts;

    /// <summary>Each Statement with the JSON pointer of it in the body (<c>/0</c> in an array, <c>""</c> alone).</summary>
    public IEnumerable<(JsonElement Statement, string Pointer)> Statements => IsArray
        ? document.RootElement.EnumerateArray().Select((s, i) => (s, "/" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        : [(document.RootElement, "")];

    public void Dispose() => document.Dispose();
}

/// <summary>
/// Reading a Statements request: application/json (one Statement or an array), or multipart/mixed (xAPI-Communication.md
/// 1.5.2): the first part the Statements as application/json, then one part per attachment body with
/// <c>X-Experience-API-Hash</c> (its SHA-2, as the attachment's sha2) and <c>Content-Transfer-Encoding: binary</c>.
/// Bodies stream into the object store (content addressed by SHA-256) while their SHA-2 is checked.
/// </summary>
static class XapiStatementsRequests
{
    public const string HashHeader = "X-Experience-API-Hash";

    /// <summary>The body, or the problem that refuses it.</summary>
    public static async Task<(XapiStatementsBody? Body, IResult? Problem)> ReadAsync(HttpRequest request, IObjectStore store, long maxBytes, CancellationToken ct)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type))
        {
            return (null, Unsupported());
        }

        if (type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            var (document, problem) = await ParseAsync(request.Body, "", ct);
            return document is null ? (null, problem) : (new XapiStatementsBody(document, document.RootElement.ValueKind == JsonValueKind.Array, []), null);
        }

        if (!type.MediaType.Equals("multipart/mixed", StringComparison.OrdinalIgnoreCase) || HeaderUtilities.RemoveQuotes(type.Boundary).Value is not { Length: > 0 } boundary)
        {
            return (null, Unsupported());
        }

        var reader = new MultipartReader(boundary, request.Body);
        if (await reader.ReadNextSectionAsync(ct) is not { } first || !IsJson(first.ContentType))
        {
            return (null, new Validation().Add("/parts/0", "the first part must be the Statements as application/json").ToProblem());
        }

        var (json, jsonProblem) = await ParseAsync(first.Body, "", ct);
        if (json is null) return (null, jsonProblem);
        var body = new XapiStatementsBody(json, json.RootElement.ValueKind == JsonValueKind.Array, []);
        var signatureHashes = SignatureHashes(body);
        var v = new Validation();
        var index = 0;
        while (await reader.ReadNextSectionAsync(ct) is { } section)
        {
            index++;
            var at = "/parts/" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var hash = section.Headers?.TryGetValue(HashHeader, out var h) == true ? h.ToString().Trim().ToLowerInvariant() : "";
            var encoding = section.Headers?.TryGetValue("Content-Transfer-Encoding", out var e) == true ? e.ToString().Trim() : "";
            if (!XapiFormats.IsSha2Hex(hash)) v.Add(at, $"needs the {HashHeader} header: the hex SHA-2 of the part");
            else if (!encoding.Equals("binary", StringComparison.OrdinalIgnoreCase)) v.Add(at, "needs Content-Transfer-Encoding: binary");
            if (!v.IsValid) break;
            var part = await StoreAsync(section.Body, hash, signatureHashes.Contains(hash), store, maxBytes, ct);
            if (part is null) v.Add(at, $"its bytes do not hash to its {HashHeader}");
            else body.Parts.TryAdd(hash, part);
        }

        if (v.IsValid) return (body, null);
        body.Dispose();
        return (null, v.ToProblem());
    }

    static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var t) && t.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);

    static IResult Unsupported() => TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
        detail: "Send Statements as application/json, or as multipart/mixed with the Statements first and one part per attachment body.");

    static async Task<(JsonDocument?, IResult?)> ParseAsync(Stream body, string pointer, CancellationToken ct)
    {
        try
        {
            return (await JsonDocument.ParseAsync(body, default, ct), null);
        }
        catch (JsonException e)
        {
            return (null, new Validation().Add(pointer, "is not valid JSON: " + e.Message).ToProblem());
        }
    }

    /// <summary>The sha2 of every signature attachment the Statements declare (their parts are read as text too).</summary>
    static HashSet<string> SignatureHashes(XapiStatementsBody body)
    {
        var hashes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (statement, _) in body.Statements)
        {
            if (statement.ValueKind != JsonValueKind.Object || !statement.TryGetProperty("attachments", out var list) || list.ValueKind != JsonValueKind.Array) continue;
            foreach (var attachment in list.EnumerateArray())
            {
                if (attachment.ValueKind == JsonValueKind.Object && attachment.TryGetProperty("usageType", out var usage) && usage.ValueKind == JsonValueKind.String
                    && usage.GetString() == XapiStatementValidator.SignatureUsageType && attachment.TryGetProperty("sha2", out var sha2) && sha2.ValueKind == JsonValueKind.String)
                {
                    hashes.Add(sha2.GetString()!.ToLowerInvariant());
                }
            }
        }

        return hashes;
    }

    /// <summary>The longest signature (a JWS over one Statement, its certificate chain included) read as text.</summary>
    const int MaxSignatureBytes = 1 << 20;

    /// <summary>Streams a part into the object store while hashing it with the SHA-2 its hash's length names; null when it hashes otherwise.</summary>
    static async Task<XapiAttachmentPart?> StoreAsync(Stream part, string sha2, bool isSignature, IObjectStore store, long maxBytes, CancellationToken ct)
    {
        var algorithm = (sha2.Length / 2) switch
        {
            28 => HashAlgorithmName.SHA256, // SHA-224 has no .NET implementation: refused below as a mismatch
            32 => HashAlgorithmName.SHA256,
            48 => HashAlgorithmName.SHA384,
            _ => HashAlgorithmName.SHA512,
        };
        using var hashing = new HashingStream(part, IncrementalHash.CreateHash(algorithm), isSignature ? MaxSignatureBytes : 0);
        var stored = await store.PutAsync(hashing, new ObjectExpectation(maxBytes), ct);
        var digest = Convert.ToHexStringLower(hashing.Hash.GetHashAndReset());
        return digest == sha2 ? new XapiAttachmentPart(sha2, stored.Sha256, stored.Size, isSignature ? hashing.Text : null) : null;
    }

    /// <summary>Passes a part through while hashing it (and keeping its first bytes as text when asked: a signature).</summary>
    sealed class HashingStream(Stream inner, IncrementalHash hash, int keep) : Stream
    {
        readonly MemoryStream _kept = new();
        public IncrementalHash Hash { get; } = hash;
        public string Text => Encoding.UTF8.GetString(_kept.GetBuffer(), 0, (int)_kept.Length);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            Hash.AppendData(buffer.Span[..read]);
            if (_kept.Length < keep) _kept.Write(buffer.Span[..Math.Min(read, keep - (int)_kept.Length)]);
            return read;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _kept.Dispose();
                Hash.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>
    /// The Statements of a valid body ready to store, or the validation that refuses them: every MUST of the data model,
    /// ids unique within the request (and equal to statementId on PUT), every attachment without fileUrl present as a
    /// part with its declared length, no part that no attachment declares, and every signature well formed and matching
    /// its Statement.
    /// </summary>
    public static (List<XapiNewStatement>? Statements, Validation Errors) Prepare(XapiStatementsBody body, Guid? statementId, string accountHomePage)
    {
        var v = new Validation();
        var prepared = new List<XapiNewStatement>();
        var ids = new HashSet<Guid>();
        var declared = new HashSet<string>(StringComparer.Ordinal);
        if (body.IsArray && statementId is not null) v.Add("", "PUT takes one Statement, not an array");
        if (body.IsArray && !body.Statements.Any()) v.Add("", "must hold at least one Statement");
        foreach (var (statement, pointer) in body.Statements)
        {
            var errors = XapiStatementValidator.Validate(statement, pointer);
            if (errors.Count > 0)
            {
                v.AddRange(errors);
                continue;
            }

            var facts = XapiStatementFacts.From(statement);
            if (statementId is { } put)
            {
                if (facts.Id is { } own && own != put) v.Add(pointer + "/id", "must equal the statementId parameter");
                facts = facts with { Id = put };
            }

            if (facts.Id is { } id && !ids.Add(id)) v.Add(pointer + "/id", "is the id of another Statement of this request");
            if (facts.Actor.TryGetProperty("objectType", out var type) && type.GetString() == "Group")
            {
                v.Add(pointer + "/actor", "a Group as actor is not accepted: every Statement here is a learning event of one Hephaestus user");
            }

            var attachments = new List<XapiAttachmentObject>();
            for (var i = 0; i < facts.Attachments.Count; i++)
            {
                var header = facts.Attachments[i];
                declared.Add(header.Sha2);
                var at = $"{pointer}/attachments/{i}";
                body.Parts.TryGetValue(header.Sha2, out var part);
                if (part is null && (header.FileUrl is null || header.IsSignature)) v.Add(at + "/sha2", "has no part with this hash in the request (multipart/mixed)");
                if (part is not null && part.Length != header.Length) v.Add(at + "/length", "differs from the length of its part");
                if (header.IsSignature && part is not null)
                {
                    if (header.ContentType != "application/octet-stream") v.Add(at + "/contentType", "must be application/octet-stream for a signature");
                    if (XapiSignature.Check(part.Jws ?? "", statement) is { } refusal) v.Add(at, refusal);
                }

                attachments.Add(new(header.Sha2, header.ContentType, header.Length, part?.ObjectSha256));
            }

            prepared.Add(new XapiNewStatement(statement.GetRawText(), facts, XapiAgents.UserKey(facts.Actor, accountHomePage),
                statement.TryGetProperty("result", out var result) ? result.GetRawText() : null,
                statement.TryGetProperty("context", out var context) ? context.GetRawText() : null,
                attachments));
        }

        foreach (var hash in body.Parts.Keys.Where(h => !declared.Contains(h))) v.Add("/parts", $"a part with {HashHeader} {hash} matches no attachment of the Statements");
        return (v.IsValid ? prepared : null, v);
    }
}
