using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hephaestus.Data;
using Hephaestus.Server.Api;
using Hephaestus.Testing;
using Npgsql;

namespace Hephaestus.Server.Tests.Api;

/// <summary>
/// A bounded, deterministic sweep of hostile input over every operation of the OpenAPI document that takes a JSON
/// body or query parameters: never a 5xx, and a refused write changes no row. HEPHAESTUS_FUZZ_ROUNDS runs more rounds.
/// </summary>
public class HostileInputTests(ApiDatabase db, ITestOutputHelper output) : IClassFixture<ApiDatabase>
{
    static readonly string[] Tables = ["users", "cohorts", "skills", "competency_frameworks", "learning_paths", "path_steps", "items", "assessments", "rubrics", "mastery_scales", "evidence", "enrollments"];

    async Task<string> CountsAsync()
    {
        var counts = new List<long>();
        foreach (var table in Tables) counts.Add(await db.ScalarAsync<long>($"SELECT count(*) FROM hephaestus.{table}"));
        return string.Join(",", counts);
    }

    [Fact]
    public async Task No_hostile_request_is_a_5xx_and_a_refused_write_changes_nothing()
    {
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("HEPHAESTUS_FUZZ_ROUNDS"), out var r) && r > 0 ? r : 1;
        var random = new Random(20261201);
        var (_, admin) = await db.UserAsync("fuzz-admin@example.org", "admin");
        var (learnerId, learner) = await db.UserAsync("fuzz-learner@example.org", "learner");
        var document = JsonNode.Parse(await admin.GetStringAsync("/openapi/v1.json"))!;
        var schemas = document["components"]?["schemas"]?.AsObject();
        var statuses = new SortedDictionary<int, int>();
        var failures = new List<string>();
        var sent = 0;

        var oversized = new string('x', TextInputGuard.MaxStringLength + 1);
        async Task SendAsync(HttpClient client, HttpMethod method, string url, HttpContent? content, bool mustRefuse = false)
        {
            var before = method == HttpMethod.Get ? null : await CountsAsync();
            using var response = await client.SendAsync(new HttpRequestMessage(method, url) { Content = content });
            sent++;
            var status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            if (status >= 500) failures.Add($"{status} {method} {url}: {await response.Content.ReadAsStringAsync()}");
            else if (mustRefuse && status < 400) failures.Add($"{status} {method} {url} accepted an oversized string");
            else if (before is not null && status >= 400 && before != await CountsAsync()) failures.Add($"{status} {method} {url} changed rows");
        }

        for (var round = 0; round < rounds; round++)
        {
            foreach (var (template, item) in document["paths"]!.AsObject())
            {
                foreach (var (verb, op) in item!.AsObject())
                {
                    var method = new HttpMethod(verb.ToUpperInvariant());
                    var query = (op!["parameters"]?.AsArray() ?? []).Where(p => (string?)p!["in"] == "query").Select(p => (string)p!["name"]!).ToList();
                    var schema = op["requestBody"]?["content"]?["application/json"]?["schema"];
                    if (schema is null && query.Count == 0) continue;
                    var path = PathWithIds(template, random);

                    foreach (var name in query)
                    {
                        foreach (var value in new[] { "%00", "x%00y", "%ED%A0%80", "-1", "99999999999999999999", "not-a-guid", "" })
                        {
                            await SendAsync(admin, method, $"{path}?{name}={value}", schema is null ? null : Body("{}"));
                        }
                    }

                    if (schema is null) continue;
                    var sample = Sample(schema, schemas, 0);
                    var bodies = new List<string> { "{", "[]", "42", "null", "\"\\u0000\"", sample?.ToJsonString() ?? "{}", "{\"x\":\"" + new string('x', 1_100_000) + "\"}" };
                    bodies.AddRange(Mutations(sample).Select(m => m.ToJsonString()));
                    foreach (var body in bodies) await SendAsync(admin, method, path, Body(body), mustRefuse: body.Contains(oversized, StringComparison.Ordinal));
                    await SendAsync(admin, method, PathWithIds(template, random).Replace("00000000", "not-a-guid", StringComparison.Ordinal), Body(sample?.ToJsonString() ?? "{}"));
                }
            }

            // A learner's own writes with hostile text.
            var etag = (await learner.GetAsync($"/api/v1/users/{learnerId}")).Headers.ETag!.ToString();
            foreach (var text in new[] { @"x\u0000", @"\ud800", @"a\udc00b" })
            {
                var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/users/{learnerId}") { Content = Body($"{{\"displayName\":\"{text}\"}}") };
                request.Headers.TryAddWithoutValidation("If-Match", etag);
                var before = await CountsAsync();
                using var response = await learner.SendAsync(request);
                sent++;
                statuses[(int)response.StatusCode] = statuses.GetValueOrDefault((int)response.StatusCode) + 1;
                if ((int)response.StatusCode != 400) failures.Add($"learner PATCH {text}: {(int)response.StatusCode}");
                Assert.Equal(before, await CountsAsync());
            }
        }

        output.WriteLine($"rounds {rounds}, requests {sent}, statuses {string.Join(", ", statuses.Select(s => $"{s.Key}×{s.Value}"))}, 5xx {statuses.Where(s => s.Key >= 500).Sum(s => s.Value)}");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
    }

    static string PathWithIds(string template, Random random) =>
        System.Text.RegularExpressions.Regex.Replace(template, "{[^}]+}", _ => random.Next(4) == 0 ? "00000000-0000-0000-0000-000000000000" : new Guid(RandomBytes(random)).ToString());

    static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[16];
        random.NextBytes(bytes);
        return bytes;
    }

    static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>A value that matches the schema's shape (not its rules): every property, one array element.</summary>
    static JsonNode? Sample(JsonNode? schema, JsonObject? schemas, int depth)
    {
        if (schema is null || depth > 6) return null;
        if (schema["$ref"] is { } reference) return Sample(schemas?[((string)reference!).Split('/')[^1]], schemas, depth + 1);
        if (schema["enum"] is JsonArray values && values.Count > 0) return values[0]?.DeepClone();
        foreach (var key in new[] { "oneOf", "anyOf", "allOf" })
        {
            if (schema[key] is JsonArray options) return Sample(options.FirstOrDefault(o => (string?)o?["type"] != "null"), schemas, depth + 1);
        }

        var type = schema["type"] is JsonArray types ? (string?)types.FirstOrDefault(t => (string?)t != "null") : (string?)schema["type"];
        return type switch
        {
            "object" when schema["properties"] is JsonObject properties => new JsonObject(properties.Select(p => KeyValuePair.Create(p.Key, Sample(p.Value, schemas, depth + 1)))),
            "object" => new JsonObject { ["key"] = "value" },
            "array" => new JsonArray(Sample(schema["items"], schemas, depth + 1)),
            "integer" => 1,
            "number" => 1.5,
            "boolean" => true,
            "string" when (string?)schema["format"] == "uuid" => Guid.Empty.ToString(),
            "string" when (string?)schema["format"] == "date-time" => "2026-01-01T00:00:00Z",
            _ => "text",
        };
    }

    /// <summary>One mutation per leaf: NUL, a lone surrogate and oversized text in strings, huge and negative numbers, null elements.</summary>
    static IEnumerable<JsonNode> Mutations(JsonNode? sample)
    {
        if (sample is null) yield break;
        var leaves = new List<string>();
        Walk(sample, "", leaves);
        foreach (var pointer in leaves)
        {
            var target = Find(sample, pointer);
            JsonNode?[] replacements = target switch
            {
                JsonValue v when v.TryGetValue<string>(out _) => ["x\u0000y", "\ud800", "\udfff\ud800", new string('x', 5001), new string('x', TextInputGuard.MaxStringLength + 1)],
                JsonValue v when v.GetValueKind() == JsonValueKind.Number => [JsonValue.Create(2147483648L), JsonValue.Create(-1), JsonValue.Create(1e300)],
                JsonArray => [new JsonArray((JsonNode?)null)],
                JsonValue => ["not-that-type"],
                _ => [],
            };
            foreach (var replacement in replacements) yield return Replace(sample, pointer, replacement);
        }
    }

    static void Walk(JsonNode? node, string pointer, List<string> leaves)
    {
        if (pointer.Length > 0) leaves.Add(pointer);
        switch (node)
        {
            case JsonObject o: foreach (var (key, value) in o) Walk(value, pointer + "/" + key, leaves); break;
            case JsonArray a: for (var i = 0; i < a.Count; i++) Walk(a[i], pointer + "/" + i, leaves); break;
        }
    }

    static JsonNode? Find(JsonNode? node, string pointer)
    {
        foreach (var token in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            node = node switch { JsonObject o => o[token], JsonArray a => a[int.Parse(token, System.Globalization.CultureInfo.InvariantCulture)], _ => null };
        }

        return node;
    }

    static JsonNode Replace(JsonNode sample, string pointer, JsonNode? replacement)
    {
        var copy = sample.DeepClone();
        var cut = pointer.LastIndexOf('/');
        var parent = Find(copy, pointer[..cut]);
        var last = pointer[(cut + 1)..];
        if (parent is JsonObject o) o[last] = replacement;
        else if (parent is JsonArray a) a[int.Parse(last, System.Globalization.CultureInfo.InvariantCulture)] = replacement;
        return copy;
    }
}

/// <summary>Bug: one request's NUL poisoned the pooled connection for the next user (Npgsql auto-prepare, Bind failure).</summary>
public class PoolPoisoningTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    [Fact]
    public async Task A_NUL_after_four_patches_is_a_400_and_the_next_users_patch_succeeds_on_the_same_connection()
    {
        var (a, _) = await db.UserAsync("pool-a@example.org", "learner");
        var (b, _) = await db.UserAsync("pool-b@example.org", "learner");
        using var onePool = db.Api.WithWebHostBuilder(w => w.UseSetting("ConnectionStrings:Hephaestus", db.AppConnectionString + ";Maximum Pool Size=1"));
        HttpClient As(string email)
        {
            var client = onePool.CreateClient();
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiFactory.Token("test|" + email));
            return client;
        }

        var clientA = As("pool-a@example.org");
        for (var i = 0; i < 4; i++) Assert.Equal(200, (int)(await Patch(clientA, a, "A " + i)).StatusCode);
        var bad = await Patch(clientA, a, "x\u0000");
        var problem = await Json.ProblemAsync(bad, 400);
        Assert.True(problem.GetProperty("errors").TryGetProperty("/displayName", out _), problem.ToString());
        Assert.Equal(200, (int)(await Patch(As("pool-b@example.org"), b, "B")).StatusCode);
    }

    static async Task<HttpResponseMessage> Patch(HttpClient client, Guid id, string name)
    {
        var etag = (await client.GetAsync($"/api/v1/users/{id}")).Headers.ETag!.ToString();
        return await client.PatchAsync($"/api/v1/users/{id}", new { displayName = name }, etag);
    }

    [Fact]
    public async Task A_NUL_sent_through_the_data_layer_does_not_poison_the_next_operation_on_the_pool()
    {
        await using var dataSource = HephaestusDatabase.CreateDataSource(db.AppConnectionString + ";Maximum Pool Size=1", DatabaseLimits.Interactive);
        var id = await db.CreateUserAsync("pool-data@example.org", "admin");
        var actor = new Actor(id, ["admin"]);
        async Task UpdateAsync(string name)
        {
            await using var scope = await ActorScope.BeginAsync(dataSource, actor, TestContext.Current.CancellationToken);
            await using var command = scope.Command("UPDATE hephaestus.users SET display_name = $2 WHERE id = $1 RETURNING id, display_name");
            command.Parameters.Add(SqlParameters.Uuid(id));
            command.Parameters.Add(SqlParameters.Text(name));
            await using (var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken))
            {
                while (await reader.ReadAsync(TestContext.Current.CancellationToken)) { }
            }

            await scope.CommitAsync(TestContext.Current.CancellationToken);
        }

        for (var i = 0; i < 4; i++) await UpdateAsync("ok " + i);
        var failure = await Assert.ThrowsAsync<PostgresException>(() => UpdateAsync("x\u0000"));
        Assert.Equal("22021", failure.SqlState);
        HephaestusDatabase.AfterFailure(dataSource, failure);
        await UpdateAsync("next");
        Assert.Equal("next", await db.ScalarAsync<string>("SELECT display_name FROM hephaestus.users WHERE id = $1", id));
    }
}
