using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

// bench/events.sh drives this: `EventsLoad <mode> key=value …`, one line of results on stdout (key=value pairs).
//   http  url= token= learners=<file> clients= batch= seconds= [format=json|ndjson]   native batches, POST /api/v1/events
//   copy  conn= learners=<file> clients= batch= seconds=                               the same rows, raw binary COPY
//   xapi  url= token= learners=<file> clients= batch= seconds=                          statements, POST /xapi/statements
// Rows: learners drawn round-robin from the file (one uuid a line), occurred within the last hour, unique client ids.
var mode = args[0];
var options = args.Skip(1).Select(a => a.Split('=', 2)).ToDictionary(a => a[0], a => a[1]);
var learners = File.ReadAllLines(options["learners"]).Where(l => l.Length > 0).Select(Guid.Parse).ToArray();
var clients = int.Parse(options["clients"], CultureInfo.InvariantCulture);
var batchSize = int.Parse(options["batch"], CultureInfo.InvariantCulture);
var duration = TimeSpan.FromSeconds(double.Parse(options["seconds"], CultureInfo.InvariantCulture));
var run = Guid.NewGuid().ToString("N")[..8];
var latencies = new List<double>();
long events = 0, failures = 0;
var watch = Stopwatch.StartNew();

async Task Loop(int client, Func<int, long, Task<bool>> send)
{
    for (long n = 0; watch.Elapsed < duration; n++)
    {
        var started = Stopwatch.GetTimestamp();
        var ok = await send(client, n);
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        lock (latencies)
        {
            latencies.Add(ms);
            if (ok) events += batchSize;
            else failures++;
        }
    }
}

(Guid Learner, DateTime At, string Id) Row(int client, long n, int i) =>
    (learners[(int)((n * batchSize + i + client * 7919L) % learners.Length)], DateTime.UtcNow.AddSeconds(-(i % 3600)), $"{run}-{client}-{n}-{i}");

byte[] Native(int client, long n, bool ndjson)
{
    var buffer = new ArrayBufferWriter<byte>(batchSize * 200);
    using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
    {
        if (!ndjson) json.WriteStartArray();
        for (var i = 0; i < batchSize; i++)
        {
            var (learner, at, id) = Row(client, n, i);
            json.WriteStartObject();
            json.WriteString("learnerId", learner);
            json.WriteString("occurredAt", at);
            json.WriteString("clientEventId", id);
            json.WriteString("verb", i % 10 == 0 ? "answered" : "viewed");
            json.WriteStartObject("object");
            json.WriteString("type", "page");
            json.WriteString("id", "page-" + (i % 500).ToString(CultureInfo.InvariantCulture));
            json.WriteEndObject();
            if (i % 10 == 0)
            {
                json.WriteStartObject("result");
                json.WriteStartObject("score");
                json.WriteNumber("scaled", (i % 7) / 7.0);
                json.WriteEndObject();
                json.WriteString("duration", "PT45S");
                json.WriteEndObject();
            }

            json.WriteEndObject();
            if (ndjson)
            {
                json.Flush();
                buffer.Write("\n"u8);
                json.Reset();
            }
        }

        if (!ndjson) json.WriteEndArray();
    }

    return buffer.WrittenSpan.ToArray();
}

byte[] Statements(int client, long n)
{
    var buffer = new ArrayBufferWriter<byte>(batchSize * 400);
    using var json = new Utf8JsonWriter(buffer);
    json.WriteStartArray();
    for (var i = 0; i < batchSize; i++)
    {
        var (learner, at, _) = Row(client, n, i);
        json.WriteStartObject();
        json.WriteString("id", Guid.NewGuid());
        json.WriteString("timestamp", at);
        json.WriteStartObject("actor");
        json.WriteString("objectType", "Agent");
        json.WriteStartObject("account");
        // The LRS maps an account to a user only on its own home page (Xapi:AccountHomePage, by default the service's URL).
        json.WriteString("homePage", options.GetValueOrDefault("home") ?? options["url"]);
        json.WriteString("name", learner.ToString());
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteStartObject("verb");
        json.WriteString("id", "http://adlnet.gov/expapi/verbs/answered");
        json.WriteEndObject();
        json.WriteStartObject("object");
        json.WriteString("objectType", "Activity");
        json.WriteString("id", "https://hephaestus.example/activities/" + (i % 500).ToString(CultureInfo.InvariantCulture));
        json.WriteEndObject();
        json.WriteStartObject("result");
        json.WriteStartObject("score");
        json.WriteNumber("scaled", (i % 7) / 7.0);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    json.WriteEndArray();
    json.Flush();
    return buffer.WrittenSpan.ToArray();
}

HttpClient Http()
{
    var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = new Uri(options["url"]), Timeout = TimeSpan.FromMinutes(2) };
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options["token"]);
    http.DefaultRequestHeaders.Add("X-Experience-API-Version", "2.0.0");
    return http;
}

switch (mode)
{
    case "http":
    {
        using var http = Http();
        var ndjson = options.GetValueOrDefault("format") == "ndjson";
        var media = ndjson ? "application/x-ndjson" : "application/json";
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Loop(c, async (client, n) =>
        {
            using var content = new ByteArrayContent(Native(client, n, ndjson));
            content.Headers.ContentType = new MediaTypeHeaderValue(media);
            using var response = await http.PostAsync("/api/v1/events", content);
            if (!response.IsSuccessStatusCode) await Console.Error.WriteLineAsync($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            return response.IsSuccessStatusCode;
        })));
        break;
    }
    case "xapi":
    {
        using var http = Http();
        using (var probe = new ByteArrayContent("[]"u8.ToArray()))
        {
            probe.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var answer = await http.PostAsync("/xapi/statements", probe);
            if (answer.StatusCode == HttpStatusCode.NotFound)
            {
                Console.WriteLine("absent=1");
                return 0;
            }
        }

        watch.Restart();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Loop(c, async (client, n) =>
        {
            using var content = new ByteArrayContent(Statements(client, n));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await http.PostAsync("/xapi/statements", content);
            if (!response.IsSuccessStatusCode) await Console.Error.WriteLineAsync($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            return response.IsSuccessStatusCode;
        })));
        break;
    }
    case "copy":
    {
        await using var source = NpgsqlDataSource.Create(options["conn"]);
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Loop(c, async (client, n) =>
        {
            await using var connection = await source.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var writer = await connection.BeginBinaryImportAsync("""
                COPY hephaestus.learning_events (learner_id, occurred_at, id, source, client_event_id, verb, object_type, object_id, result,
                    score_scaled, duration_ms) FROM STDIN (FORMAT BINARY)
                """))
            {
                for (var i = 0; i < batchSize; i++)
                {
                    var (learner, at, id) = Row(client, n, i);
                    await writer.StartRowAsync();
                    await writer.WriteAsync(learner, NpgsqlDbType.Uuid);
                    await writer.WriteAsync(at, NpgsqlDbType.TimestampTz);
                    await writer.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid);
                    await writer.WriteAsync("native", NpgsqlDbType.Text);
                    await writer.WriteAsync("raw-" + id, NpgsqlDbType.Text);
                    await writer.WriteAsync(i % 10 == 0 ? "answered" : "viewed", NpgsqlDbType.Text);
                    await writer.WriteAsync("page", NpgsqlDbType.Text);
                    await writer.WriteAsync("page-" + (i % 500).ToString(CultureInfo.InvariantCulture), NpgsqlDbType.Text);
                    if (i % 10 == 0)
                    {
                        await writer.WriteAsync(string.Create(CultureInfo.InvariantCulture, $$"""{"score":{"scaled":{{(i % 7) / 7.0}}},"duration":"PT45S"}"""), NpgsqlDbType.Jsonb);
                        await writer.WriteAsync((i % 7) / 7.0, NpgsqlDbType.Double);
                        await writer.WriteAsync(45_000L, NpgsqlDbType.Bigint);
                    }
                    else
                    {
                        await writer.WriteNullAsync();
                        await writer.WriteNullAsync();
                        await writer.WriteNullAsync();
                    }
                }

                await writer.CompleteAsync();
            }

            await transaction.CommitAsync();
            return true;
        })));
        break;
    }
    default:
        throw new ArgumentException("mode: http, copy or xapi");
}

var seconds = watch.Elapsed.TotalSeconds;
latencies.Sort();
double Quantile(double q) => latencies.Count == 0 ? 0 : latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"events={events} seconds={seconds:F1} rate={events / seconds:F0} batches={latencies.Count} failures={failures} p50={Quantile(0.5):F1} p99={Quantile(0.99):F1}"));
return failures > 0 ? 1 : 0;
