using System.Text;
using System.Text.Json;
using Hephaestus.Domain;

namespace Hephaestus.Server.Api;

/// <summary>
/// Refuses text PostgreSQL cannot store before anything reads it: a NUL (U+0000) or an unpaired UTF-16 surrogate in a
/// query parameter, a route value, or any string (or property name) of a JSON body, whatever its field (text or jsonb).
/// A 400 problem names each field by JSON pointer (<c>/displayName</c>, <c>/profile/goals/2</c>, <c>/email</c> for the
/// query). Malformed JSON is left to the binder, which names where it breaks.
/// It also bounds every string of a JSON body, wherever it sits (an item's stem or feedback, a text response, a profile
/// or attributes value), at <see cref="MaxStringLength"/>: each feature's own, tighter limits on its fields (a title,
/// a reason) are checked by its validation, and this one holds for the strings no contract names.
/// </summary>
public sealed class TextInputGuard(RequestDelegate next)
{
    public const string Refusal = StorableText.Refusal;

    /// <summary>The longest string (UTF-16 code units) any JSON body may hold: a long reading passage fits, a megabyte does not.</summary>
    public const int MaxStringLength = 10_000;

    public static readonly string TooLong = $"must be at most {MaxStringLength} characters long";

    public async Task InvokeAsync(HttpContext context)
    {
        var v = new Validation();
        foreach (var (key, values) in context.Request.Query)
        {
            if (!IsStorable(key) || values.Any(value => !IsStorable(value))) v.Add(Pointer(key), Refusal);
        }

        foreach (var (key, value) in context.Request.RouteValues)
        {
            if (value is string text && !IsStorable(text)) v.Add(Pointer(key), Refusal);
        }

        var metadata = context.GetEndpoint()?.Metadata;
        if (v.IsValid && IsJson(context.Request) && metadata?.GetMetadata<StreamedBody>() is null && metadata?.GetMetadata<OpaqueBody>() is null)
        {
            // The body is read once into memory and handed on as the request's body. EnableBuffering would also keep it,
            // but past 30 KB in a temporary file: every larger JSON request (a batch of events or xAPI Statements) wrote
            // and read back a file, a third of the xAPI door's CPU (docs/benchmarks.md, learning events: findings).
            // The size is bounded before this by RequestBodyLimit, as it was when the body was copied here.
            var body = new MemoryStream();
            context.Response.RegisterForDispose(body);
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            body.Position = 0;
            context.Request.Body = body;
            var maxLength = metadata?.GetMetadata<BodyBoundsStrings>() is null ? MaxStringLength : int.MaxValue;
            if (FirstRefused(body.GetBuffer().AsSpan(0, (int)body.Length), maxLength) is (var pointer, var message)) v.Add(pointer, message);
        }

        if (!v.IsValid)
        {
            await v.ToProblem().ExecuteAsync(context);
            return;
        }

        await next(context);
    }

    /// <summary>False for text with a NUL or an unpaired surrogate.</summary>
    public static bool IsStorable(string? text) => StorableText.Is(text);

    /// <summary>
    /// The pointer of the first string (value or property name) that cannot be stored or is longer than
    /// <paramref name="maxLength"/> (by default <see cref="MaxStringLength"/>), with why; null when all are fine, or the
    /// JSON is malformed.
    /// </summary>
    public static (string Pointer, string Message)? FirstRefused(ReadOnlySpan<byte> json, int maxLength = MaxStringLength)
    {
        // One frame per open container: its pointer, whether it is an array, the next index or the current property.
        var frames = new List<(string Pointer, bool Array, int Index, string? Name)>();
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        Advance(frames);
                        continue;
                    case JsonTokenType.PropertyName:
                        var top = frames[^1];
                        var name = Text(ref reader);
                        if (Refuse(name, maxLength) is { } refusedName) return (top.Pointer + "/" + Escape(name ?? ""), refusedName);
                        frames[^1] = top with { Name = name };
                        continue;
                }

                var pointer = frames.Count == 0 ? "" : frames[^1].Pointer + "/" + (frames[^1].Array
                    ? frames[^1].Index.ToString(System.Globalization.CultureInfo.InvariantCulture)
                    : Escape(frames[^1].Name!));
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        frames.Add((pointer, reader.TokenType == JsonTokenType.StartArray, 0, null));
                        break;
                    case JsonTokenType.String:
                        if (Refuse(Text(ref reader), maxLength) is { } refused) return (pointer, refused);
                        Advance(frames);
                        break;
                    default:
                        Advance(frames);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            return null;
        }

        return null;
    }

    static string? Refuse(string? text, int maxLength) =>
        text is null || !IsStorable(text) ? Refusal : text.Length > maxLength ? $"must be at most {maxLength} characters long" : null;

    static void Advance(List<(string Pointer, bool Array, int Index, string? Name)> frames)
    {
        if (frames.Count > 0 && frames[^1].Array) frames[^1] = frames[^1] with { Index = frames[^1].Index + 1 };
    }

    /// <summary>The string, or null (unstorable) when its bytes are not valid UTF-8 or its escapes not valid UTF-16.</summary>
    static string? Text(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    static bool IsJson(HttpRequest request) =>
        request.ContentType is { } type && (type.Contains("json", StringComparison.OrdinalIgnoreCase)) && request.Body.CanRead;

    static string Pointer(string name) => "/" + Escape(name);

    static string Escape(string token) => new StringBuilder(token).Replace("~", "~0").Replace("/", "~1").ToString();
}

/// <summary>
/// Marks an endpoint that reads its JSON body as it streams and refuses unstorable or overlong text itself (the events
/// batch, up to 16 MiB): <see cref="TextInputGuard"/> then checks its query and route values only, instead of buffering
/// the whole body to check it first.
/// </summary>
public sealed record StreamedBody;

/// <summary>
/// Endpoint metadata: the body's strings are bounded by the endpoint's body limit and its own rules rather than by
/// <see cref="TextInputGuard.MaxStringLength"/> (xAPI Statements, whose descriptions and extensions may rightly be long and
/// are stored whole), while NUL and unpaired surrogates are still refused before anything reads the body.
/// </summary>
public sealed record BodyBoundsStrings
{
    public static readonly BodyBoundsStrings Instance = new();
}

/// <summary>
/// Endpoint metadata: the body is stored as bytes and never as text (xAPI documents, which a client may fill with long
/// JSON strings such as an authoring tool's suspend data), so the JSON string checks do not apply; the body limit does.
/// </summary>
public sealed record OpaqueBody
{
    public static readonly OpaqueBody Instance = new();
}
