using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Events;

/// <summary>POST /api/v1/events, the timeline and the counts, against the service on a real database.</summary>
public class EventsApiTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    static string Event(Guid learner, DateTimeOffset at, string clientEventId, string verb = "viewed", string objectId = "page-1", string? extra = null) =>
        $$$"""{"learnerId":"{{{learner}}}","occurredAt":"{{{at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture)}}}","clientEventId":"{{{clientEventId}}}","verb":"{{{verb}}}","object":{"type":"page","id":"{{{objectId}}}"}{{{extra}}}}""";

    static StringContent Array(params string[] events) => new("[" + string.Join(',', events) + "]", Encoding.UTF8, "application/json");

    static async Task<(int Stored, int Duplicates)> PostAsync(HttpClient client, HttpContent body)
    {
        var response = await client.PostAsync("/api/v1/events", body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var json = await Json.ReadAsync(response);
        return (json.GetProperty("stored").GetInt32(), json.GetProperty("duplicates").GetInt32());
    }

    Task<long> CountAsync(Guid learner) => db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.learning_events WHERE learner_id = $1", learner);

    async Task<(Guid Id, HttpClient Client)> LearnerAsync() => await db.UserAsync($"ev-{Guid.NewGuid():N}@example.org", "learner");

    [Fact]
    public async Task Duplicates_within_a_batch_and_across_batches_are_dropped_and_counted()
    {
        var (learner, client) = await LearnerAsync();
        var at = DateTimeOffset.UtcNow.AddMinutes(-5);
        Assert.Equal((2, 1), await PostAsync(client, Array(Event(learner, at, "a"), Event(learner, at, "a"), Event(learner, at.AddSeconds(1), "b"))));
        Assert.Equal((1, 2), await PostAsync(client, Array(Event(learner, at, "a"), Event(learner, at.AddSeconds(1), "b"), Event(learner, at, "c"))));
        Assert.Equal(3L, await CountAsync(learner));
    }

    [Fact]
    public async Task Ndjson_is_read_line_by_line_and_blank_lines_are_not_events()
    {
        var (learner, client) = await LearnerAsync();
        var at = DateTimeOffset.UtcNow.AddMinutes(-1);
        var body = new StringContent(Event(learner, at, "n1") + "\n\n" + Event(learner, at, "n2") + "\r\n" + Event(learner, at, "n3"), Encoding.UTF8, "application/x-ndjson");
        Assert.Equal((3, 0), await PostAsync(client, body));

        var bad = new StringContent(Event(learner, at, "n4") + "\n\n" + """{"verb":"x"}""", Encoding.UTF8, "application/x-ndjson");
        var problem = await Json.ProblemAsync(await client.PostAsync("/api/v1/events", bad), 422);
        Assert.True(problem.GetProperty("errors").TryGetProperty("/1/learnerId", out _), problem.ToString());
        Assert.Equal(3L, await CountAsync(learner));
    }

    [Fact]
    public async Task An_invalid_batch_is_refused_whole_naming_each_event_and_field_and_changes_nothing()
    {
        var (learner, client) = await LearnerAsync();
        var now = DateTimeOffset.UtcNow;
        var body = Array(
            Event(learner, now.AddMinutes(-1), "ok"),
            Event(learner, now.AddDays(2), "future"),
            Event(learner, now.AddDays(-400), "past"),
            $$"""{"learnerId":"{{learner}}","occurredAt":"2026-12-01T10:00:00","clientEventId":"","verb":"v","object":{"type":"page"},"colour":"red"}""",
            Event(learner, now, "scored", extra: ""","result":{"score":{"scaled":1.5},"duration":"soon"}"""),
            "42");

        var problem = await Json.ProblemAsync(await client.PostAsync("/api/v1/events", body), 422);
        var errors = problem.GetProperty("errors");
        var fields = errors.EnumerateObject().Select(e => e.Name).ToHashSet();
        Assert.Equal(new HashSet<string>
        {
            "/1/occurredAt", "/2/occurredAt", "/3/occurredAt", "/3/clientEventId", "/3/object/id", "/3/colour", "/4/result/score/scaled",
            "/4/result/duration", "/5",
        }, fields);
        Assert.Contains("future", errors.GetProperty("/1/occurredAt")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("past", errors.GetProperty("/2/occurredAt")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(0L, await CountAsync(learner));
    }

    [Fact]
    public async Task A_body_that_is_not_an_array_of_events_is_a_problem_and_other_media_types_are_415()
    {
        var (_, client) = await LearnerAsync();
        await Json.ProblemAsync(await client.PostAsync("/api/v1/events", new StringContent("{\"a\":1}", Encoding.UTF8, "application/json")), 422);
        await Json.ProblemAsync(await client.PostAsync("/api/v1/events", new StringContent("[{\"a\":", Encoding.UTF8, "application/json")), 422);
        await Json.ProblemAsync(await client.PostAsync("/api/v1/events", new StringContent("a,b", Encoding.UTF8, "text/csv")), 415);
    }

    [Fact]
    public async Task A_body_past_the_limit_is_a_413_with_or_without_its_length_and_stores_nothing()
    {
        var (learner, _) = await LearnerAsync();
        using var small = db.Api.WithWebHostBuilder(b => b.UseSetting("Events:MaxBodyBytes", "2000"));
        var client = small.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", ApiFactory.Token(await SubjectAsync(learner)));
        var events = Enumerable.Range(0, 30).Select(i => Event(learner, DateTimeOffset.UtcNow, $"big-{i}")).ToArray();
        Assert.Equal(413, (int)(await client.PostAsync("/api/v1/events", Array(events))).StatusCode);

        var chunked = new HttpRequestMessage(HttpMethod.Post, "/api/v1/events")
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("[" + string.Join(',', events) + "]"))),
        };
        chunked.Content.Headers.ContentType = new("application/json");
        chunked.Headers.TransferEncodingChunked = true;
        await Json.ProblemAsync(await client.SendAsync(chunked), 413);
        Assert.Equal(0L, await CountAsync(learner));
        Assert.Equal((1, 0), await PostAsync(client, Array(events[0])));
    }

    async Task<string> SubjectAsync(Guid user) => (await db.ScalarAsync<string>("SELECT external_subject FROM hephaestus.users WHERE id = $1", user))!;

    [Fact]
    public async Task A_learner_writes_and_reads_only_their_own_events_an_admin_writes_anyones_and_an_educator_reads_their_cohort()
    {
        var (learner, client) = await LearnerAsync();
        var (other, otherClient) = await LearnerAsync();
        var (educator, educatorClient) = await db.UserAsync($"ev-ed-{Guid.NewGuid():N}@example.org", "educator");
        var (_, admin) = await db.UserAsync($"ev-admin-{Guid.NewGuid():N}@example.org", "admin");
        await db.CohortAsync(learner, educator);
        var at = DateTimeOffset.UtcNow.AddMinutes(-2);

        await Json.ProblemAsync(await otherClient.PostAsync("/api/v1/events", Array(Event(other, at, "mine"), Event(learner, at, "theirs"))), 403);
        Assert.Equal(0L, await CountAsync(other));
        Assert.Equal(0L, await CountAsync(learner));

        Assert.Equal((2, 0), await PostAsync(admin, Array(Event(learner, at, "by-admin"), Event(other, at, "by-admin"))));
        var unknown = await Json.ProblemAsync(await admin.PostAsync("/api/v1/events", Array(Event(learner, at, "x"), Event(Guid.NewGuid(), at, "y"))), 422);
        Assert.True(unknown.GetProperty("errors").TryGetProperty("/1/learnerId", out _), unknown.ToString());
        Assert.Equal(1L, await CountAsync(learner));

        await Json.ProblemAsync(await otherClient.GetAsync($"/api/v1/learners/{learner}/events"), 404);
        await Json.ProblemAsync(await otherClient.GetAsync($"/api/v1/learners/{learner}/events/counts"), 404);
        await Json.ProblemAsync(await educatorClient.GetAsync($"/api/v1/learners/{other}/events"), 404);
        foreach (var reader in new[] { client, educatorClient, admin })
        {
            var page = await Json.ReadAsync(await reader.GetAsync($"/api/v1/learners/{learner}/events"));
            Assert.Equal("by-admin", Assert.Single(page.GetProperty("items").EnumerateArray()).GetProperty("clientEventId").GetString());
        }

        var mine = await Json.ReadAsync(await client.GetAsync("/api/v1/learners/me/events"));
        Assert.Single(mine.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Timeline_pages_neither_repeat_nor_skip_while_events_arrive_and_a_late_event_older_than_the_cursor_is_read_in_its_place()
    {
        var (learner, client) = await LearnerAsync();
        var t0 = DateTimeOffset.UtcNow.AddHours(-3);
        Assert.Equal((10, 0), await PostAsync(client, Array(Enumerable.Range(0, 10).Select(i => Event(learner, t0.AddMinutes(i), $"e{i}")).ToArray())));

        var first = await Json.ReadAsync(await client.GetAsync($"/api/v1/learners/{learner}/events?limit=3"));
        var seen = first.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("clientEventId").GetString()).ToList();
        Assert.Equal(["e9", "e8", "e7"], seen);

        // Meanwhile: an event newer than everything, one between events already read, and a late one among the unread.
        Assert.Equal((3, 0), await PostAsync(client, Array(Event(learner, t0.AddMinutes(30), "newest"), Event(learner, t0.AddMinutes(8.5), "inside-read"),
            Event(learner, t0.AddMinutes(2.5), "late"))));

        var next = first.GetProperty("next").GetString();
        while (next is not null)
        {
            var page = await Json.ReadAsync(await client.GetAsync($"/api/v1/learners/{learner}/events?limit=3&after={next}"));
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("clientEventId").GetString()));
            next = page.GetProperty("next").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next").GetString();
        }

        Assert.Equal(["e9", "e8", "e7", "e6", "e5", "e4", "e3", "late", "e2", "e1", "e0"], seen);

        var (all, _) = await Json.AllPagesAsync(client, $"/api/v1/learners/{learner}/events?limit=4");
        Assert.Equal(13, all.Count);
        Assert.Equal("newest", all[0].GetProperty("clientEventId").GetString());
    }

    [Fact]
    public async Task Timeline_pages_run_across_daily_partitions_in_order_each_event_once()
    {
        // The timeline reads the daily partitions newest first (an ordered Append) and stops at a page: pages that straddle
        // days, and a learner whose events are all days old, read exactly as one sorted list would.
        var (learner, client) = await LearnerAsync();
        var now = DateTimeOffset.UtcNow;
        var ages = new[] { 60.0, 50, 30, 25, 23, 2, 1 }; // hours ago, over three or four UTC days
        Assert.Equal((ages.Length, 0), await PostAsync(client, Array(ages.Select(h => Event(learner, now.AddHours(-h), $"h{h}")).ToArray())));
        var newestFirst = ages.OrderBy(h => h).Select(h => (string?)$"h{h}").ToList();

        foreach (var limit in new[] { 1, 2, 3, 4, 50 })
        {
            var (all, _) = await Json.AllPagesAsync(client, $"/api/v1/learners/{learner}/events?limit={limit}");
            Assert.Equal(newestFirst, all.Select(e => e.GetProperty("clientEventId").GetString()).ToList());
        }

        var (old, oldClient) = await LearnerAsync();
        Assert.Equal((2, 0), await PostAsync(oldClient, Array(Event(old, now.AddHours(-40), "older"), Event(old, now.AddHours(-30), "old"))));
        var first = await Json.ReadAsync(await oldClient.GetAsync($"/api/v1/learners/{old}/events?limit=1"));
        Assert.Equal("old", first.GetProperty("items")[0].GetProperty("clientEventId").GetString());
        // A since bound: nothing before it comes back, on every page.
        var since = Uri.EscapeDataString(now.AddHours(-23.5).ToString("O", CultureInfo.InvariantCulture));
        var (recent, _) = await Json.AllPagesAsync(client, $"/api/v1/learners/{learner}/events?limit=2&since={since}");
        Assert.Equal(["h1", "h2", "h23"], recent.Select(e => e.GetProperty("clientEventId").GetString()).ToList());
    }

    [Fact]
    public async Task Timeline_filters_narrow_it_and_bad_filters_are_field_errors()
    {
        var (learner, client) = await LearnerAsync();
        var t0 = DateTimeOffset.UtcNow.AddHours(-1);
        await PostAsync(client, Array(Event(learner, t0, "f1", "viewed", "a"), Event(learner, t0.AddMinutes(1), "f2", "answered", "a",
            ""","result":{"score":{"scaled":0.5},"duration":"PT1M30S"}"""), Event(learner, t0.AddMinutes(2), "f3", "viewed", "b")));

        async Task<List<string?>> IdsAsync(string query) =>
            (await Json.ReadAsync(await client.GetAsync($"/api/v1/learners/{learner}/events?{query}"))).GetProperty("items").EnumerateArray()
                .Select(e => e.GetProperty("clientEventId").GetString()).ToList();

        Assert.Equal(["f3", "f1"], await IdsAsync("verb=viewed"));
        Assert.Equal(["f2", "f1"], await IdsAsync("objectType=page&objectId=a"));
        var since = Uri.EscapeDataString(t0.AddSeconds(30).ToString("O", CultureInfo.InvariantCulture));
        var until = Uri.EscapeDataString(t0.AddMinutes(2).ToString("O", CultureInfo.InvariantCulture));
        Assert.Equal(["f2"], await IdsAsync($"since={since}&until={until}"));
        Assert.Equal(["f3", "f2", "f1"], await IdsAsync("source=native"));
        Assert.Empty(await IdsAsync("source=xapi"));
        Assert.Equal(0.5, await db.ScalarAsync<double>("SELECT score_scaled FROM hephaestus.learning_events WHERE learner_id = $1 AND client_event_id = 'f2'", learner));
        Assert.Equal(90_000L, await db.ScalarAsync<long>("SELECT duration_ms FROM hephaestus.learning_events WHERE learner_id = $1 AND client_event_id = 'f2'", learner));

        var problem = await Json.ProblemAsync(await client.GetAsync($"/api/v1/learners/{learner}/events?source=lms&after=nonsense&limit=0"), 400);
        var fields = problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "/source", "/after", "/limit" }, fields);
    }

    [Fact]
    public async Task Counts_per_verb_and_day_for_a_learner_and_for_a_cohort_within_a_bounded_range()
    {
        var (learner, client) = await LearnerAsync();
        var (classmate, classmateClient) = await LearnerAsync();
        var (educator, educatorClient) = await db.UserAsync($"ev-ced-{Guid.NewGuid():N}@example.org", "educator");
        var cohort = await db.CohortAsync(learner, educator);
        await db.ExecuteAsync("INSERT INTO hephaestus.cohort_members (cohort_id, user_id, member_role) VALUES ($1, $2, 'learner')", cohort, classmate);
        var today = DateTime.UtcNow.Date;
        var yesterday = new DateTimeOffset(today.AddDays(-1).AddHours(12), TimeSpan.Zero);
        await PostAsync(client, Array(Event(learner, yesterday, "c1"), Event(learner, yesterday.AddMinutes(1), "c2"), Event(learner, yesterday, "c3", "answered")));
        await PostAsync(classmateClient, Array(Event(classmate, yesterday, "c1")));

        var day = today.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var mine = await Json.ReadAsync(await client.GetAsync($"/api/v1/learners/{learner}/events/counts?from={day}&to={today:yyyy-MM-dd}"));
        var counts = mine.GetProperty("items").EnumerateArray().Select(c => (c.GetProperty("day").GetString(), c.GetProperty("verb").GetString(), c.GetProperty("count").GetInt64())).ToList();
        Assert.Equal([(day, "answered", 1L), (day, "viewed", 2L)], counts);

        var cohortCounts = await Json.ReadAsync(await educatorClient.GetAsync($"/api/v1/cohorts/{cohort}/events/counts"));
        Assert.Equal(3L, cohortCounts.GetProperty("items").EnumerateArray().Single(c => c.GetProperty("verb").GetString() == "viewed").GetProperty("count").GetInt64());
        var ownOnly = await Json.ReadAsync(await classmateClient.GetAsync($"/api/v1/cohorts/{cohort}/events/counts"));
        Assert.Equal(1L, ownOnly.GetProperty("items").EnumerateArray().Sum(c => c.GetProperty("count").GetInt64()));

        await Json.ProblemAsync(await client.GetAsync($"/api/v1/learners/{learner}/events/counts?from=2020-01-01&to=2026-01-01"), 400);
        var (_, stranger) = await LearnerAsync();
        await Json.ProblemAsync(await stranger.GetAsync($"/api/v1/cohorts/{cohort}/events/counts"), 404);
    }

    [Fact]
    public async Task Events_are_in_the_personal_data_export()
    {
        var (learner, client) = await LearnerAsync();
        await PostAsync(client, Array(Event(learner, DateTimeOffset.UtcNow.AddMinutes(-1), "exported")));
        var export = await Json.ReadAsync(await client.GetAsync($"/api/v1/users/{learner}/export"));
        var events = export.GetProperty("sections").GetProperty("events");
        Assert.Equal("exported", Assert.Single(events.EnumerateArray()).GetProperty("clientEventId").GetString());
    }
}
