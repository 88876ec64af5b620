using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml;
using Hephaestus.Domain;
using Hephaestus.Domain.Events;

namespace Hephaestus.Data.Events;

/// <summary>How a batch's body is framed: one JSON array of events, or one event per line (NDJSON).</summary>
public enum EventBatchFormat
{
    JsonArray,
    JsonLines,
}

/// <summary>
/// A native batch held as columns, in the order binary COPY writes them: parsing fills these lists directly, so an event
/// costs its strings and nothing else (no object per event, no JSON document).
/// </summary>
public sealed class EventBatch
{
    public const int ClientEventIdLength = 200;
    public const int VerbLength = 200;
    public const int ObjectTypeLength = 64;
    public const int ObjectIdLength = 2048;

    /// <summary>At most this many errors are listed: a batch gone wrong throughout says so without a megabyte of problems.</summary>
    public const int MaxErrors = 1000;

    internal List<Guid> LearnerIds { get; } = [];
    internal List<int> Indexes { get; } = [];
    internal List<DateTime> OccurredAt { get; } = [];
    internal List<string> ClientEventIds { get; } = [];
    internal List<string> Verbs { get; } = [];
    internal List<string> ObjectTypes { get; } = [];
    internal List<string> ObjectIds { get; } = [];
    internal List<string?> Results { get; } = [];
    internal List<string?> Contexts { get; } = [];
    internal List<double?> ScoresScaled { get; } = [];
    internal List<long?> DurationsMs { get; } = [];

    public List<ValidationError> Errors { get; } = [];

    /// <summary>The events read (valid or not).</summary>
    public int Count { get; private set; }

    public int Valid => LearnerIds.Count;

    /// <summary>The learner each valid event names, in order.</summary>
    public IReadOnlyList<Guid> Learners => LearnerIds;

    /// <summary>The index in the body of the <paramref name="valid"/>-th valid event.</summary>
    internal int IndexOfValid(int valid) => Indexes[valid];

    internal IEnumerable<DateOnly> Days => OccurredAt.Select(DateOnly.FromDateTime).Distinct();

    internal void Error(int index, string field, string message)
    {
        if (Errors.Count < MaxErrors) Errors.Add(new ValidationError(string.Create(CultureInfo.InvariantCulture, $"/{index}{field}"), message));
    }

    /// <summary>
    /// Reads a batch as it arrives, never holding more of the body than the event being read (plus one read's worth):
    /// every event is checked, and every problem is listed by the event's index (0-based; in NDJSON, blank lines are not
    /// events) and field, e.g. <c>/3/occurredAt</c>. The body's framing is refused as a whole (<c>""</c>) when it is not
    /// JSON of the expected shape.
    /// </summary>
    public static async Task<EventBatch> ReadAsync(Stream body, EventBatchFormat format, EventRetention retention, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(retention);
        var batch = new EventBatch();
        var window = (Earliest: retention.Earliest(now), Latest: retention.Latest(now));
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var filled = 0;
            var final = false;
            var framing = new Framing(format);
            while (true)
            {
                if (!final)
                {
                    if (filled == buffer.Length) buffer = Grow(buffer, filled);
                    var read = await body.ReadAsync(buffer.AsMemory(filled), ct);
                    if (read == 0) final = true;
                    filled += read;
                }

                var consumed = framing.Consume(buffer.AsSpan(0, filled), final, batch, window);
                if (consumed > 0)
                {
                    Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
                    filled -= consumed;
                }

                if (final || framing.Failed) break;
            }

            if (!framing.Failed) framing.Finish(batch);
            return batch;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    static byte[] Grow(byte[] buffer, int filled)
    {
        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
        Buffer.BlockCopy(buffer, 0, larger, 0, filled);
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }

    /// <summary>Splits the body into events: the elements of the top-level array, or the non-blank lines.</summary>
    sealed class Framing(EventBatchFormat format)
    {
        JsonReaderState _state;
        bool _inArray;
        bool _arrayEnded;

        public bool Failed { get; private set; }

        /// <summary>Reads every whole event in <paramref name="data"/> and returns how many bytes it consumed.</summary>
        public int Consume(ReadOnlySpan<byte> data, bool final, EventBatch batch, (DateTimeOffset Earliest, DateTimeOffset Latest) window) =>
            format == EventBatchFormat.JsonLines ? ConsumeLines(data, final, batch, window) : ConsumeArray(data, final, batch, window);

        int ConsumeLines(ReadOnlySpan<byte> data, bool final, EventBatch batch, (DateTimeOffset, DateTimeOffset) window)
        {
            var consumed = 0;
            while (consumed < data.Length)
            {
                var rest = data[consumed..];
                var end = rest.IndexOf((byte)'\n');
                if (end < 0 && !final) break;
                var line = end < 0 ? rest : rest[..end];
                consumed += end < 0 ? rest.Length : end + 1;
                if (line.Trim(" \t\r"u8).IsEmpty) continue;
                ReadEvent(line, batch, window);
            }

            return consumed;
        }

        int ConsumeArray(ReadOnlySpan<byte> data, bool final, EventBatch batch, (DateTimeOffset, DateTimeOffset) window)
        {
            var reader = new Utf8JsonReader(data, final, _state);
            var consumed = 0;
            try
            {
                while (true)
                {
                    var before = reader.CurrentState;
                    var start = reader.BytesConsumed;
                    if (!reader.Read()) break;
                    if (_arrayEnded)
                    {
                        Fail(batch, "must be one JSON array of events, with nothing after it");
                        return 0;
                    }

                    if (!_inArray)
                    {
                        if (reader.TokenType != JsonTokenType.StartArray)
                        {
                            Fail(batch, "must be a JSON array of events (or NDJSON with Content-Type application/x-ndjson)");
                            return 0;
                        }

                        _inArray = true;
                    }
                    else if (reader.TokenType == JsonTokenType.EndArray)
                    {
                        _arrayEnded = true;
                    }
                    else
                    {
                        var elementStart = (int)reader.TokenStartIndex;
                        if (!reader.TrySkip())
                        {
                            // The element is not all here yet: keep it for the next read, from where it starts.
                            _state = before;
                            return (int)start;
                        }

                        ReadEvent(data[elementStart..(int)reader.BytesConsumed], batch, window);
                    }

                    consumed = (int)reader.BytesConsumed;
                    _state = reader.CurrentState;
                }
            }
            catch (JsonException e)
            {
                Fail(batch, "is not valid JSON: " + e.Message);
                return 0;
            }

            return consumed;
        }

        public void Finish(EventBatch batch)
        {
            if (format == EventBatchFormat.JsonArray && !_arrayEnded) Fail(batch, "must be a JSON array of events, closed by ]");
        }

        void Fail(EventBatch batch, string message)
        {
            Failed = true;
            batch.Errors.Add(new ValidationError("", message));
        }
    }

    /// <summary>Reads one event (a complete JSON value) into the columns, or lists what is wrong with it.</summary>
    static void ReadEvent(ReadOnlySpan<byte> json, EventBatch batch, (DateTimeOffset Earliest, DateTimeOffset Latest) window)
    {
        var index = batch.Count++;
        var errorsBefore = batch.Errors.Count;
        Guid? learner = null;
        DateTimeOffset? occurred = null;
        string? clientEventId = null, verb = null, objectType = null, objectId = null, result = null, context = null;
        double? scaled = null;
        long? durationMs = null;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 32 });
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                batch.Error(index, "", "must be an object");
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("learnerId"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && reader.TryGetGuid(out var id)) learner = id;
                    else batch.Error(index, "/learnerId", "must be a UUID");
                }
                else if (reader.ValueTextEquals("occurredAt"u8))
                {
                    reader.Read();
                    occurred = Time(ref reader, index, batch, window);
                }
                else if (reader.ValueTextEquals("clientEventId"u8))
                {
                    reader.Read();
                    clientEventId = Text(ref reader, index, "/clientEventId", ClientEventIdLength, batch);
                }
                else if (reader.ValueTextEquals("verb"u8))
                {
                    reader.Read();
                    verb = Text(ref reader, index, "/verb", VerbLength, batch);
                }
                else if (reader.ValueTextEquals("object"u8))
                {
                    reader.Read();
                    (objectType, objectId) = Object(ref reader, index, batch);
                }
                else if (reader.ValueTextEquals("result"u8))
                {
                    reader.Read();
                    var start = (int)reader.TokenStartIndex;
                    if (Json(ref reader, index, "/result", batch, measure: true, out scaled, out durationMs)) result = Encoding.UTF8.GetString(json[start..(int)reader.BytesConsumed]);
                }
                else if (reader.ValueTextEquals("context"u8))
                {
                    reader.Read();
                    var start = (int)reader.TokenStartIndex;
                    if (Json(ref reader, index, "/context", batch, measure: false, out _, out _)) context = Encoding.UTF8.GetString(json[start..(int)reader.BytesConsumed]);
                }
                else
                {
                    batch.Error(index, "/" + reader.GetString(), "is not a field of an event (learnerId, occurredAt, clientEventId, verb, object, result, context)");
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            batch.Error(index, "", "is not valid JSON: " + e.Message);
            return;
        }

        if (learner is null && !Named(batch, errorsBefore, index, "/learnerId")) batch.Error(index, "/learnerId", "is required");
        if (occurred is null && !Named(batch, errorsBefore, index, "/occurredAt")) batch.Error(index, "/occurredAt", "is required");
        if (clientEventId is null && !Named(batch, errorsBefore, index, "/clientEventId")) batch.Error(index, "/clientEventId", "is required");
        if (verb is null && !Named(batch, errorsBefore, index, "/verb")) batch.Error(index, "/verb", "is required");
        if ((objectType is null || objectId is null) && !Named(batch, errorsBefore, index, "/object")) batch.Error(index, "/object", "is required");
        if (batch.Errors.Count > errorsBefore) return;
        batch.Indexes.Add(index);
        batch.LearnerIds.Add(learner!.Value);
        batch.OccurredAt.Add(occurred!.Value.UtcDateTime);
        batch.ClientEventIds.Add(clientEventId!);
        batch.Verbs.Add(verb!);
        batch.ObjectTypes.Add(objectType!);
        batch.ObjectIds.Add(objectId!);
        batch.Results.Add(result);
        batch.Contexts.Add(context);
        batch.ScoresScaled.Add(scaled);
        batch.DurationsMs.Add(durationMs);
    }

    /// <summary>Whether an error about this field (or inside it) was listed already, so "is required" is not added to it.</summary>
    static bool Named(EventBatch batch, int from, int index, string field)
    {
        var prefix = string.Create(CultureInfo.InvariantCulture, $"/{index}{field}");
        for (var i = from; i < batch.Errors.Count; i++)
        {
            if (batch.Errors[i].Path.StartsWith(prefix, StringComparison.Ordinal)) return true;
        }

        return batch.Errors.Count >= MaxErrors;
    }

    /// <summary>An RFC 3339 time with its offset (Z or ±hh:mm), inside the accepted window; PostgreSQL keeps microseconds.</summary>
    static DateTimeOffset? Time(ref Utf8JsonReader reader, int index, EventBatch batch, (DateTimeOffset Earliest, DateTimeOffset Latest) window)
    {
        if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTimeOffset(out var time) || !HasOffset(reader.ValueSpan))
        {
            batch.Error(index, "/occurredAt", "must be an RFC 3339 time with its offset, e.g. 2026-12-02T10:15:00.250Z");
            return null;
        }

        if (time < window.Earliest || time > window.Latest)
        {
            batch.Error(index, "/occurredAt", string.Create(CultureInfo.InvariantCulture,
                $"is outside the times accepted now ({window.Earliest.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} to {window.Latest.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}): too far in the {(time < window.Earliest ? "past" : "future")}"));
            return null;
        }

        return new DateTimeOffset(time.UtcTicks - time.UtcTicks % 10, TimeSpan.Zero);
    }

    static bool HasOffset(ReadOnlySpan<byte> text) =>
        text.Length > 0 && (text[^1] is (byte)'Z' or (byte)'z' || (text.Length > 6 && text[^6] is (byte)'+' or (byte)'-' && text[^3] == (byte)':'));

    static string? Text(ref Utf8JsonReader reader, int index, string field, int max, EventBatch batch)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            batch.Error(index, field, "must be a string");
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) reader.Skip();
            return null;
        }

        var text = reader.GetString()!;
        if (text.Length < 1 || text.Length > max)
        {
            batch.Error(index, field, string.Create(CultureInfo.InvariantCulture, $"must be 1 to {max} characters long"));
            return null;
        }

        if (!Storable(text))
        {
            batch.Error(index, field, StorableRefusal);
            return null;
        }

        return text;
    }

    static (string? Type, string? Id) Object(ref Utf8JsonReader reader, int index, EventBatch batch)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            batch.Error(index, "/object", "must be an object {type, id}");
            if (reader.TokenType == JsonTokenType.StartArray) reader.Skip();
            return (null, null);
        }

        string? type = null, id = null;
        bool typeSeen = false, idSeen = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                typeSeen = true;
                type = Text(ref reader, index, "/object/type", ObjectTypeLength, batch);
            }
            else if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                idSeen = true;
                id = Text(ref reader, index, "/object/id", ObjectIdLength, batch);
            }
            else
            {
                batch.Error(index, "/object/" + reader.GetString(), "is not a field of an event's object (type, id)");
                reader.Read();
                reader.Skip();
            }
        }

        if (!typeSeen) batch.Error(index, "/object/type", "is required");
        if (!idSeen) batch.Error(index, "/object/id", "is required");
        return (type, id);
    }

    /// <summary>
    /// An optional JSON object (result or context), kept as sent. Every string in it must be storable; a result's
    /// <c>score.scaled</c> (a number in -1..1) and <c>duration</c> (ISO 8601, e.g. PT1M30S) are checked and copied out.
    /// False for null or a refused value.
    /// </summary>
    static bool Json(ref Utf8JsonReader reader, int index, string field, EventBatch batch, bool measure, out double? scaled, out long? durationMs)
    {
        scaled = null;
        durationMs = null;
        if (reader.TokenType == JsonTokenType.Null) return false;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            batch.Error(index, field, "must be an object");
            if (reader.TokenType == JsonTokenType.StartArray) reader.Skip();
            return false;
        }

        var ok = true;
        var depth = reader.CurrentDepth;
        // The property names on the way down from the object, for score.scaled and duration.
        string? first = null, second = null;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (reader.TokenType is JsonTokenType.PropertyName or JsonTokenType.String && reader.ValueIsEscaped && !Storable(reader.GetString()!))
            {
                batch.Error(index, field, StorableRefusal);
                ok = false;
            }

            if (!measure) continue;
            var level = reader.CurrentDepth - depth;
            if (reader.TokenType == JsonTokenType.PropertyName)
            {
                if (level == 1) first = reader.GetString();
                else if (level == 2) second = reader.GetString();
                continue;
            }

            if (level == 1 && first == "duration")
            {
                if (reader.TokenType == JsonTokenType.String && Duration(reader.GetString()!) is { } ms) durationMs = ms;
                else
                {
                    batch.Error(index, field + "/duration", "must be an ISO 8601 duration, e.g. PT1M30S");
                    ok = false;
                }
            }
            else if (level == 2 && first == "score" && second == "scaled")
            {
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var value) && value is >= -1 and <= 1) scaled = value;
                else
                {
                    batch.Error(index, field + "/score/scaled", "must be a number from -1 to 1");
                    ok = false;
                }
            }
        }

        return ok;
    }

    static long? Duration(string text)
    {
        try
        {
            var span = XmlConvert.ToTimeSpan(text);
            return span < TimeSpan.Zero ? null : (long)span.TotalMilliseconds;
        }
        catch (FormatException)
        {
            return null;
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    const string StorableRefusal = "must not contain NUL (U+0000) or unpaired surrogates (U+D800 to U+DFFF)";

    /// <summary>False for text PostgreSQL cannot store: a NUL or an unpaired surrogate.</summary>
    static bool Storable(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0') return false;
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
                else return false;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }
}
