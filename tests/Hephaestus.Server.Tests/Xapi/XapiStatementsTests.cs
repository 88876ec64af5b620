using System.Net;
using System.Text;
using System.Text.Json;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Xapi;

public class XapiStatementsTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    internal const string Url = "/xapi/statements";

    internal static HttpRequestMessage Request(HttpMethod method, string url, string? json = null)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Add("X-Experience-API-Version", "2.0.0");
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        return request;
    }

    internal static Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string url, string? json = null) =>
        client.SendAsync(Request(method, url, json));

    internal static string Statement(string email, string verb = "http://adlnet.gov/expapi/verbs/experienced", string activity = "http://example.com/a",
        string? id = null, string extra = "") =>
        "{" + (id is null ? "" : $"\"id\":\"{id}\",") + $"\"actor\":{{\"mbox\":\"mailto:{email}\"}},\"verb\":{{\"id\":\"{verb}\"}},\"object\":{{\"id\":\"{activity}\"}}{extra}}}";

    internal static async Task<Guid[]> PostAsync(HttpClient client, string json)
    {
        var response = await SendAsync(client, HttpMethod.Post, Url, json);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonSerializer.Deserialize<Guid[]>(await response.Content.ReadAsStringAsync())!;
    }

    async Task<(Guid Id, string Email, HttpClient Client)> LearnerAsync(params string[] roles)
    {
        var email = $"learner-{Guid.NewGuid():N}@example.org";
        var (id, client) = await db.UserAsync(email, roles.Length == 0 ? ["learner"] : roles);
        return (id, email, client);
    }

    [Fact]
    public async Task A_statement_put_is_returned_byte_for_byte_with_format_exact()
    {
        var (_, email, client) = await LearnerAsync();
        var id = Guid.NewGuid();
        // Whitespace, an unusual key order and unicode escapes: all must come back as sent.
        var client_text = "{\n  \"object\" : {\"id\":\"http://example.com/caf\\u00e9\", \"definition\":{\"name\":{\"fr\":\"caf\u00e9 \\ud83d\\ude00\"}}},\n\t\"verb\":{\"id\":\"http://adlnet.gov/expapi/verbs/experienced\"},"
            + $"  \"actor\":{{\"name\":\"\\u0041nn\",\"mbox\":\"mailto:{email}\"}}\n}}";
        var put = await SendAsync(client, HttpMethod.Put, $"{Url}?statementId={id}", client_text);
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        Assert.Equal("2.0.0", put.Headers.GetValues("X-Experience-API-Version").Single());

        var get = await SendAsync(client, HttpMethod.Get, $"{Url}?statementId={id}&format=exact");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        var text = await get.Content.ReadAsStringAsync();
        // The LRS's additions lead; after them every byte is the client's.
        Assert.EndsWith(client_text[1..], text, StringComparison.Ordinal);
        using var parsed = JsonDocument.Parse(text);
        Assert.Equal(id, parsed.RootElement.GetProperty("id").GetGuid());
        Assert.Equal("2.0.0", parsed.RootElement.GetProperty("version").GetString());
        Assert.Equal(db.Api.Server.BaseAddress.ToString().TrimEnd('/'), parsed.RootElement.GetProperty("authority").GetProperty("account").GetProperty("homePage").GetString());
        var stored = parsed.RootElement.GetProperty("stored").GetString();
        Assert.Equal(stored, parsed.RootElement.GetProperty("timestamp").GetString());
        Assert.True(get.Headers.Contains("X-Experience-API-Consistent-Through"));
        Assert.Equal(DateTimeOffset.Parse(stored!, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeSeconds(), get.Content.Headers.LastModified!.Value.ToUnixTimeSeconds());

        // The same Statement again is accepted and changes nothing; another under the same id is a conflict.
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(client, HttpMethod.Put, $"{Url}?statementId={id}", client_text)).StatusCode);
        var conflict = await Json.ProblemAsync(await SendAsync(client, HttpMethod.Put, $"{Url}?statementId={id}", Statement(email, activity: "http://example.com/other")), 409);
        Assert.Equal("/id", conflict.GetProperty("field").GetString());
        Assert.Equal(text, await (await SendAsync(client, HttpMethod.Get, $"{Url}?statementId={id}")).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Put_needs_a_statement_id_that_matches_the_body()
    {
        var (_, email, client) = await LearnerAsync();
        await Json.ProblemAsync(await SendAsync(client, HttpMethod.Put, Url, Statement(email)), 400);
        var mismatch = await Json.ProblemAsync(await SendAsync(client, HttpMethod.Put, $"{Url}?statementId={Guid.NewGuid()}", Statement(email, id: Guid.NewGuid().ToString())), 400);
        Assert.True(mismatch.GetProperty("errors").TryGetProperty("/id", out _));
    }

    [Fact]
    public async Task A_batch_is_stored_all_or_nothing_and_lands_in_the_event_store()
    {
        var (learner, email, client) = await LearnerAsync();
        var registration = Guid.NewGuid();
        var bad = $"[{Statement(email)},{{\"actor\":{{\"mbox\":\"{email}\"}},\"verb\":{{\"id\":\"http://example.com/v\"}},\"object\":{{\"id\":\"http://example.com/a\"}}}}]";
        var problem = await Json.ProblemAsync(await SendAsync(client, HttpMethod.Post, Url, bad), 400);
        Assert.True(problem.GetProperty("errors").TryGetProperty("/1/actor/mbox", out _));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.xapi_statements WHERE learner_id = $1", learner));

        var context = $",\"result\":{{\"score\":{{\"scaled\":0.75}},\"duration\":\"PT1M\"}},\"context\":{{\"registration\":\"{registration}\"}}";
        var ids = await PostAsync(client, $"[{Statement(email, extra: context)},{Statement(email, verb: "http://adlnet.gov/expapi/verbs/completed")}]");
        Assert.Equal(2, ids.Length);
        Assert.Equal(2L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.learning_events WHERE learner_id = $1 AND source = 'xapi'", learner));
        Assert.Equal(0.75, await db.ScalarAsync<double>("SELECT score_scaled FROM hephaestus.learning_events WHERE learner_id = $1 AND duration_ms = 60000", learner));
        Assert.Equal(registration, await db.ScalarAsync<Guid>("SELECT registration FROM hephaestus.xapi_statements WHERE statement_id = $1", ids[0]));

        // A batch naming an id twice is refused; posting a stored Statement again stores nothing new.
        var twice = Statement(email, id: ids[0].ToString());
        await Json.ProblemAsync(await SendAsync(client, HttpMethod.Post, Url, $"[{Statement(email, id: ids[1].ToString())},{Statement(email, id: ids[1].ToString())}]"), 400);
        Assert.NotEqual(ids[0], Guid.Empty);
        await Json.ProblemAsync(await SendAsync(client, HttpMethod.Post, Url, twice), 409);
        Assert.Equal(2L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.learning_events WHERE learner_id = $1", learner));
    }

    [Fact]
    public async Task A_batch_resending_a_stored_Statement_beside_new_ones_adds_events_for_the_new_ones_only()
    {
        // The Statement's row and its event are written by one statement: the event only for a Statement this request stored.
        var (learner, email, client) = await LearnerAsync();
        var first = Statement(email, id: Guid.NewGuid().ToString());
        await PostAsync(client, $"[{first}]");
        var ids = await PostAsync(client, $"[{Statement(email, verb: "http://adlnet.gov/expapi/verbs/completed")},{first},{Statement(email, verb: "http://adlnet.gov/expapi/verbs/passed")}]");
        Assert.Equal(3, ids.Length);
        Assert.Equal(3L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.learning_events WHERE learner_id = $1", learner));
        Assert.Equal(3L, await db.ScalarAsync<long>(
            "SELECT count(*) FROM hephaestus.learning_events e JOIN hephaestus.xapi_statements s ON s.event_id = e.id AND s.event_occurred_at = e.occurred_at "
            + "AND s.learner_id = e.learner_id AND s.verb = e.verb WHERE s.statement_id = ANY ($1)", ids));
    }

    [Fact]
    public async Task Queries_filter_by_agent_verb_activity_registration_and_time()
    {
        var (_, email, client) = await LearnerAsync();
        var activity = $"http://example.com/course/{Guid.NewGuid():N}";
        var registration = Guid.NewGuid();
        var ids = await PostAsync(client, "[" + string.Join(',',
            Statement(email, activity: activity),
            Statement(email, verb: "http://adlnet.gov/expapi/verbs/passed", activity: "http://example.com/q1",
                extra: $",\"context\":{{\"registration\":\"{registration}\",\"contextActivities\":{{\"parent\":{{\"id\":\"{activity}\"}}}}}}")) + "]");
        var agent = Uri.EscapeDataString($"{{\"mbox\":\"mailto:{email}\"}}");

        async Task<List<Guid>> Ids(string query)
        {
            var response = await SendAsync(client, HttpMethod.Get, $"{Url}?{query}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var result = await Json.ReadAsync(response);
            return [.. result.GetProperty("statements").EnumerateArray().Select(s => s.GetProperty("id").GetGuid())];
        }

        // Both were stored by one request, at one stored time: newest first is the reverse of the order sent, and
        // ascending is the exact reverse of that.
        Assert.Equal(ids.Reverse(), await Ids($"agent={agent}"));
        Assert.Equal(ids, await Ids($"agent={agent}&ascending=true"));
        Assert.Equal([ids[0]], await Ids($"agent={agent}&activity={Uri.EscapeDataString(activity)}"));
        Assert.Equal(ids.Reverse(), await Ids($"agent={agent}&activity={Uri.EscapeDataString(activity)}&related_activities=true"));
        Assert.Equal([ids[1]], await Ids($"agent={agent}&verb={Uri.EscapeDataString("http://adlnet.gov/expapi/verbs/passed")}"));
        Assert.Equal([ids[1]], await Ids($"registration={registration}"));
        var sha1 = Uri.EscapeDataString($"{{\"mbox_sha1sum\":\"{Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(Encoding.UTF8.GetBytes("mailto:" + email)))}\"}}");
        Assert.Equal(ids.Reverse(), await Ids($"agent={sha1}"));
        Assert.Empty(await Ids($"agent={agent}&since={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"))}"));

        await Json.ProblemAsync(await SendAsync(client, HttpMethod.Get, $"{Url}?colour=red"), 400);
        await Json.ProblemAsync(await SendAsync(client, HttpMethod.Get, $"{Url}?statementId={ids[0]}&verb=http://example.com/v"), 400);
        await Json.ProblemAsync(await SendAsync(client, HttpMethod.Get, $"{Url}?agent=%7B%22name%22%3A%22x%22%7D"), 400);
    }

    [Fact]
    public async Task Ids_and_canonical_formats_shape_the_statement()
    {
        var (_, email, client) = await LearnerAsync();
        var ids = await PostAsync(client, $"{{\"actor\":{{\"name\":\"Ann\",\"mbox\":\"mailto:{email}\"}},\"verb\":{{\"id\":\"http://example.com/v\",\"display\":{{\"en-US\":\"saw\",\"de\":\"sah\"}}}},\"object\":{{\"id\":\"http://example.com/a\"}}}}");
        var ids_format = await Json.ReadAsync(await SendAsync(client, HttpMethod.Get, $"{Url}?statementId={ids[0]}&format=ids"));
        Assert.False(ids_format.GetProperty("actor").TryGetProperty("name", out _));
        Assert.False(ids_format.GetProperty("verb").TryGetProperty("display", out _));
        var request = Request(HttpMethod.Get, $"{Url}?statementId={ids[0]}&format=canonical");
        request.Headers.AcceptLanguage.ParseAdd("de-DE, en;q=0.5");
        var canonical = await Json.ReadAsync(await client.SendAsync(request));
        Assert.Equal(["de"], canonical.GetProperty("verb").GetProperty("display").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task A_learner_writes_and_reads_only_their_own_statements()
    {
        var (_, email, client) = await LearnerAsync();
        var (_, otherEmail, other) = await LearnerAsync();
        var (_, _, admin) = await LearnerAsync("admin");
        var refused = await Json.ProblemAsync(await SendAsync(client, HttpMethod.Post, Url, Statement(otherEmail)), 403);
        Assert.Equal("/actor", refused.GetProperty("field").GetString());
        await Json.ProblemAsync(await SendAsync(client, HttpMethod.Post, Url, Statement("nobody-" + Guid.NewGuid().ToString("N") + "@example.org")), 403);
        await Json.ProblemAsync(await SendAsync(client, HttpMethod.Post, Url,
            $"{{\"actor\":{{\"openid\":\"https://id.example.com/{Guid.NewGuid():N}\"}},\"verb\":{{\"id\":\"http://example.com/v\"}},\"object\":{{\"id\":\"http://example.com/a\"}}}}"), 403);

        var theirs = (await PostAsync(other, Statement(otherEmail)))[0];
        await Json.ProblemAsync(await SendAsync(client, HttpMethod.Get, $"{Url}?statementId={theirs}"), 404);
        await Json.ProblemAsync(await SendAsync(client, HttpMethod.Get, $"{Url}?agent={Uri.EscapeDataString($"{{\"mbox\":\"mailto:{otherEmail}\"}}")}"), 403);
        var all = await Json.ReadAsync(await SendAsync(client, HttpMethod.Get, Url));
        Assert.DoesNotContain(all.GetProperty("statements").EnumerateArray(), s => s.GetProperty("id").GetGuid() == theirs);

        // An admin writes for anyone (the authority is the admin's own account) and reads everyone's.
        var byAdmin = (await PostAsync(admin, Statement(email)))[0];
        var read = await Json.ReadAsync(await SendAsync(admin, HttpMethod.Get, $"{Url}?statementId={byAdmin}"));
        Assert.NotEqual(read.GetProperty("actor").GetProperty("mbox").GetString(), "mailto:" + read.GetProperty("authority").GetProperty("account").GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, HttpMethod.Get, $"{Url}?statementId={byAdmin}")).StatusCode);
    }

    [Fact]
    public async Task An_account_on_the_service_home_page_names_the_user_by_id()
    {
        var (learner, _, client) = await LearnerAsync();
        var home = db.Api.Server.BaseAddress.ToString().TrimEnd('/');
        var ids = await PostAsync(client,
            $"{{\"actor\":{{\"account\":{{\"homePage\":\"{home}\",\"name\":\"{learner}\"}}}},\"verb\":{{\"id\":\"http://example.com/v\"}},\"object\":{{\"id\":\"http://example.com/a\"}}}}");
        Assert.Equal(learner, await db.ScalarAsync<Guid>("SELECT learner_id FROM hephaestus.xapi_statements WHERE statement_id = $1", ids[0]));
        await Json.ProblemAsync(await SendAsync(client, HttpMethod.Post, Url,
            $"{{\"actor\":{{\"account\":{{\"homePage\":\"https://elsewhere.example.com\",\"name\":\"{learner}\"}}}},\"verb\":{{\"id\":\"http://example.com/v\"}},\"object\":{{\"id\":\"http://example.com/a\"}}}}"), 403);
    }

    [Fact]
    public async Task Voiding_hides_a_statement_from_queries_but_not_from_voidedStatementId()
    {
        var (_, email, client) = await LearnerAsync();
        var (_, otherEmail, other) = await LearnerAsync();
        var agent = Uri.EscapeDataString($"{{\"mbox\":\"mailto:{email}\"}}");
        var target = (await PostAsync(client, Statement(email)))[0];
        var comment = (await PostAsync(client, Statement(email, extra: "", activity: "http://example.com/a").Replace(
            "\"object\":{\"id\":\"http://example.com/a\"}", $"\"object\":{{\"objectType\":\"StatementRef\",\"id\":\"{target}\"}}", StringComparison.Ordinal)))[0];
        string Voiding(string who, Guid id) => $"{{\"actor\":{{\"mbox\":\"mailto:{who}\"}},\"verb\":{{\"id\":\"http://adlnet.gov/expapi/verbs/voided\"}},\"object\":{{\"objectType\":\"StatementRef\",\"id\":\"{id}\"}}}}";

        // Someone else may not void it.
        await Json.ProblemAsync(await SendAsync(other, HttpMethod.Post, Url, Voiding(otherEmail, target)), 403);
        var voiding = (await PostAsync(client, Voiding(email, target)))[0];

        await Json.ProblemAsync(await SendAsync(client, HttpMethod.Get, $"{Url}?statementId={target}"), 404);
        var voided = await Json.ReadAsync(await SendAsync(client, HttpMethod.Get, $"{Url}?voidedStatementId={target}"));
        Assert.Equal(target, voided.GetProperty("id").GetGuid());
        await Json.ProblemAsync(await SendAsync(client, HttpMethod.Get, $"{Url}?voidedStatementId={comment}"), 404);
        var listed = (await Json.ReadAsync(await SendAsync(client, HttpMethod.Get, $"{Url}?agent={agent}"))).GetProperty("statements")
            .EnumerateArray().Select(s => s.GetProperty("id").GetGuid()).ToList();
        Assert.Equal([voiding, comment], listed);

        // A voiding Statement cannot be voided.
        var problem = await Json.ProblemAsync(await SendAsync(client, HttpMethod.Post, Url, Voiding(email, voiding)), 400);
        Assert.True(problem.GetProperty("errors").TryGetProperty("/object/id", out _));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, HttpMethod.Get, $"{Url}?statementId={voiding}")).StatusCode);
    }

    [Fact]
    public async Task More_links_page_consistently_while_statements_are_added()
    {
        var (_, email, client) = await LearnerAsync();
        var agent = Uri.EscapeDataString($"{{\"mbox\":\"mailto:{email}\"}}");
        var first = await PostAsync(client, "[" + string.Join(',', Enumerable.Range(0, 7).Select(i => Statement(email, activity: $"http://example.com/a/{i}"))) + "]");
        var second = await PostAsync(client, "[" + string.Join(',', Enumerable.Range(0, 5).Select(i => Statement(email, activity: $"http://example.com/b/{i}"))) + "]");
        await Task.Delay(5); // the first page's bound lies after every Statement above

        var seen = new List<Guid>();
        var url = $"{Url}?agent={agent}&limit=5";
        var pages = 0;
        while (url.Length > 0)
        {
            var response = await SendAsync(client, HttpMethod.Get, url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var result = await Json.ReadAsync(response);
            seen.AddRange(result.GetProperty("statements").EnumerateArray().Select(s => s.GetProperty("id").GetGuid()));
            url = result.GetProperty("more").GetString()!;
            pages++;
            // Statements stored between pages are newer than the bound: they never shift a page.
            await PostAsync(client, Statement(email, activity: $"http://example.com/meanwhile/{pages}"));
        }

        Assert.Equal(3, pages);
        Assert.Equal(first.Concat(second).OrderBy(i => i).ToList(), seen.OrderBy(i => i).ToList());
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Equal(second.Reverse().Concat(first.Reverse()).ToList().Count, seen.Count);
        await Json.ProblemAsync(await SendAsync(client, HttpMethod.Get, $"{Url}?cursor=bm9wZQ"), 400);
    }

    [Fact]
    public async Task Ascending_is_the_exact_reverse_of_the_default_order_and_more_pages_neither_repeat_nor_skip_either_way()
    {
        var (_, email, client) = await LearnerAsync();
        var agent = Uri.EscapeDataString($"{{\"mbox\":\"mailto:{email}\"}}");
        // Three requests: ids made by the LRS, ids sent by the client (random, so only the tiebreaker orders them within
        // their stored time), and a mix.
        var made = await PostAsync(client, "[" + string.Join(',', Enumerable.Range(0, 5).Select(i => Statement(email, activity: $"http://example.com/m/{i}"))) + "]");
        var sent = await PostAsync(client, "[" + string.Join(',', Enumerable.Range(0, 4).Select(i => Statement(email, id: Guid.NewGuid().ToString(), activity: $"http://example.com/s/{i}"))) + "]");
        var mixed = await PostAsync(client, "[" + string.Join(',', Enumerable.Range(0, 4).Select(i =>
            Statement(email, id: i % 2 == 0 ? Guid.NewGuid().ToString() : null, activity: $"http://example.com/x/{i}"))) + "]");
        await Task.Delay(5); // the first page's bound lies after every Statement above

        async Task<List<Guid>> WalkAsync(string query)
        {
            var seen = new List<Guid>();
            var url = $"{Url}?agent={agent}&limit=2{query}";
            while (url.Length > 0)
            {
                var result = await Json.ReadAsync(await SendAsync(client, HttpMethod.Get, url));
                seen.AddRange(result.GetProperty("statements").EnumerateArray().Select(s => s.GetProperty("id").GetGuid()));
                url = result.GetProperty("more").GetString()!;
            }

            return seen;
        }

        var newestFirst = await WalkAsync("");
        var oldestFirst = await WalkAsync("&ascending=true");
        Assert.Equal(made.Concat(sent).Concat(mixed).Order().ToList(), newestFirst.Order().ToList());
        Assert.Equal(newestFirst.Count, newestFirst.Distinct().Count());
        Assert.Equal(Enumerable.Reverse(newestFirst).ToList(), oldestFirst);
        // Ids the LRS makes for one request read back in the order they were sent.
        Assert.Equal(made, oldestFirst.Where(made.Contains));
        // The one-page answers agree with the walks.
        var all = await Json.ReadAsync(await SendAsync(client, HttpMethod.Get, $"{Url}?agent={agent}&ascending=true&limit=0"));
        Assert.Equal(oldestFirst, all.GetProperty("statements").EnumerateArray().Select(s => s.GetProperty("id").GetGuid()));
    }

    [Fact]
    public async Task Stored_statements_keep_their_activities_definitions_for_the_activities_resource()
    {
        var (_, email, client) = await LearnerAsync();
        var (course, module) = ($"http://example.com/course/{Guid.NewGuid():N}", $"http://example.com/module/{Guid.NewGuid():N}");
        async Task<JsonElement> DefinitionAsync(string id) =>
            (await Json.ReadAsync(await SendAsync(client, HttpMethod.Get, $"/xapi/activities?activityId={Uri.EscapeDataString(id)}"))).GetProperty("definition");

        var withDefinitions = $"{{\"actor\":{{\"mbox\":\"mailto:{email}\"}},\"verb\":{{\"id\":\"http://example.com/v\"}},"
            + $"\"object\":{{\"id\":\"{module}\",\"definition\":{{\"name\":{{\"en-US\":\"Halves\"}}}}}},"
            + $"\"context\":{{\"contextActivities\":{{\"parent\":[{{\"id\":\"{course}\",\"definition\":{{\"name\":{{\"en-US\":\"Fractions\"}},\"type\":\"http://adlnet.gov/expapi/activities/course\"}}}}]}}}}}}";
        // A refused request defines nothing.
        await Json.ProblemAsync(await SendAsync(client, HttpMethod.Post, Url, $"[{withDefinitions},{Statement("nobody-" + Guid.NewGuid().ToString("N") + "@example.org")}]"), 403);
        var bare = await Json.ReadAsync(await SendAsync(client, HttpMethod.Get, $"/xapi/activities?activityId={Uri.EscapeDataString(module)}"));
        Assert.False(bare.TryGetProperty("definition", out _));

        await PostAsync(client, withDefinitions);
        Assert.Equal("Halves", (await DefinitionAsync(module)).GetProperty("name").GetProperty("en-US").GetString());
        var parent = await DefinitionAsync(course);
        Assert.Equal("Fractions", parent.GetProperty("name").GetProperty("en-US").GetString());
        Assert.Equal("http://adlnet.gov/expapi/activities/course", parent.GetProperty("type").GetString());

        // A later definition's properties replace the earlier ones; the others stay.
        await PostAsync(client, Statement(email, activity: course).Replace($"\"id\":\"{course}\"}}",
            $"\"id\":\"{course}\",\"definition\":{{\"description\":{{\"en-US\":\"Parts of a whole\"}}}}}}", StringComparison.Ordinal));
        parent = await DefinitionAsync(course);
        Assert.Equal("Fractions", parent.GetProperty("name").GetProperty("en-US").GetString());
        Assert.Equal("Parts of a whole", parent.GetProperty("description").GetProperty("en-US").GetString());
    }

    [Fact]
    public async Task A_statement_with_a_50000_character_description_is_stored_whole_and_nul_is_still_refused()
    {
        var (_, email, client) = await LearnerAsync();
        var activity = $"http://example.com/long/{Guid.NewGuid():N}";
        var description = string.Concat(Enumerable.Repeat("A long description of a simulation step. ", 1_250))[..50_000];
        var statement = Statement(email, activity: activity).Replace($"\"id\":\"{activity}\"}}",
            $"\"id\":\"{activity}\",\"definition\":{{\"description\":{{\"en-US\":\"{description}\"}},\"extensions\":{{\"http://example.com/ext/log\":\"{description}\"}}}}}}",
            StringComparison.Ordinal);
        var id = (await PostAsync(client, statement))[0];
        var stored = await Json.ReadAsync(await SendAsync(client, HttpMethod.Get, $"{Url}?statementId={id}"));
        Assert.Equal(description, stored.GetProperty("object").GetProperty("definition").GetProperty("description").GetProperty("en-US").GetString());

        // The body limit and the storable-text rule still hold: a NUL is refused before anything is stored.
        var problem = await Json.ProblemAsync(await SendAsync(client, HttpMethod.Post, Url, Statement(email, activity: activity).Replace("}}", ",\"definition\":{\"description\":{\"en-US\":\"a\\u0000b\"}}}}", StringComparison.Ordinal)), 400);
        Assert.True(problem.GetProperty("errors").TryGetProperty("/object/definition/description/en-US", out _));
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.xapi_statements WHERE activity_id = $1", activity));
    }

    [Fact]
    public async Task The_alternate_request_syntax_of_xapi_1_0_3_is_answered_as_an_unknown_parameter()
    {
        var (_, email, client) = await LearnerAsync();
        var activity = $"http://example.com/alt/{Guid.NewGuid():N}";
        // As xAPI 1.0.3's Communication 1.3 sends it: POST, the method in the query, headers and content as form fields.
        var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["X-Experience-API-Version"] = "1.0.3",
            ["Content-Type"] = "application/json",
            ["content"] = Statement(email, activity: activity),
        });
        var problem = await Json.ProblemAsync(await client.PostAsync($"{Url}?method=PUT", form), 400);
        Assert.True(problem.GetProperty("errors").TryGetProperty("/method", out _));
        var withVersion = Request(HttpMethod.Post, $"{Url}?method=POST");
        withVersion.Content = form;
        await Json.ProblemAsync(await client.SendAsync(withVersion), 400);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.xapi_statements WHERE activity_id = $1", activity));
    }

    [Fact]
    public async Task Concurrent_batches_with_the_same_ids_never_deadlock()
    {
        var (_, email, client) = await LearnerAsync();
        var ids = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid()).ToList();
        var statements = ids.Select(id => Statement(email, id: id.ToString())).ToList();
        // Eight batches of the same twenty Statements in different orders, at once.
        var batches = Enumerable.Range(0, 8).Select(b => "[" + string.Join(',', b % 2 == 0 ? statements : Enumerable.Reverse(statements).ToList()) + "]").ToList();
        var responses = await Task.WhenAll(batches.Select(batch => SendAsync(client, HttpMethod.Post, Url, batch)));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(20L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.xapi_statements WHERE statement_id = ANY ($1)", ids.ToArray()));
        Assert.Equal(20L, await db.ScalarAsync<long>(
            "SELECT count(*) FROM hephaestus.learning_events e JOIN hephaestus.xapi_statements s ON s.event_id = e.id WHERE s.statement_id = ANY ($1)", ids.ToArray()));
    }
}
