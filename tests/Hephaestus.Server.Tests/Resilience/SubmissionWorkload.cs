using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hephaestus.Testing;
using Npgsql;

namespace Hephaestus.Server.Tests.Resilience;

/// <summary>What a crash test measured: every acknowledged submission must be stored once (lost = duplicated = 0).</summary>
internal sealed record CrashFigures(int Acknowledged, int AnsweredByReplay, int FailedRequests, int Lost, int Duplicated)
{
    public override string ToString() =>
        $"acknowledged {Acknowledged}, answered by a replay after a failure {AnsweredByReplay}, failed requests retried {FailedRequests}, " +
        $"lost {Lost}, duplicated {Duplicated}";
}

/// <summary>
/// Learners submitting an assessment again and again through the HTTP API while something underneath is killed, as a
/// careful client would: each starts an attempt, saves an answer and submits with an Idempotency-Key; whatever got no
/// answer (connection refused or cut, 503, 409 "still being processed") is sent again, byte for byte, until it is
/// acknowledged. The ledger of acknowledgements is then compared with the database and replayed.
/// </summary>
internal sealed class SubmissionWorkload
{
    static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(100);

    // A 503 says Retry-After: 5; the test waits at most this long, so it measures the service's recovery and not its patience.
    static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(1);

    readonly Func<HttpClient> _newClient;
    readonly string _tag;
    readonly IReadOnlyList<Guid> _learners;
    readonly Guid _assessment;
    readonly Guid _itemVersion;
    readonly Guid _skill;
    readonly ConcurrentQueue<Acknowledgement> _acknowledged = new();
    readonly List<(long Started, long Ended, bool Served)> _requests = [];

    SubmissionWorkload(Func<HttpClient> newClient, string tag, IReadOnlyList<Guid> learners, Guid assessment, Guid itemVersion, Guid skill, int submissionsEach)
    {
        (_newClient, _tag, _learners, _assessment, _itemVersion, _skill) = (newClient, tag, learners, assessment, itemVersion, skill);
        SubmissionsEach = submissionsEach;
    }

    public int SubmissionsEach { get; }
    public int Acknowledged => _acknowledged.Count;
    public int Expected => _learners.Count * SubmissionsEach;

    sealed record Acknowledgement(Guid LearnerId, Guid AttemptId, string Key, string Request, string Body, bool AfterFailure, bool Replayed);

    /// <summary>
    /// An author (arranged as the owner, then acting through the API) makes a skill, a one-item assessment; the learners are
    /// arranged as the owner. <paramref name="newClient"/> makes an unauthenticated client of the service under test.
    /// </summary>
    public static async Task<SubmissionWorkload> ArrangeAsync(NpgsqlDataSource owner, Func<HttpClient> newClient, int learners, int submissionsEach)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var authorEmail = $"author-{tag}@crash.test";
        await TestDatabase.CreateUserAsync(owner, authorEmail, "author");
        using var author = Client(newClient, authorEmail);
        var framework = await CreatedIdAsync(await author.PostAsJsonAsync("/api/v1/frameworks", new { code = "crash-" + tag, title = "Crash" }), "id");
        var skill = await CreatedIdAsync(await author.PostAsJsonAsync($"/api/v1/frameworks/{framework}/skills", new { code = "sums", title = "Sums" }), "id");
        var item = await author.PostAsJsonAsync("/api/v1/items", new
        {
            definition = new
            {
                type = "single_choice",
                prompt = "2 + 2 = ?",
                points = 1,
                options = new[] { new { id = "a", text = "3" }, new { id = "b", text = "4" } },
                correctOptionId = "b",
            },
            skills = new[] { new { skillId = skill, weight = 1 } },
        });
        var itemBody = await CreatedAsync(item);
        var assessment = await CreatedIdAsync(await author.PostAsJsonAsync("/api/v1/assessments",
            new { title = "Crash quiz", parts = new[] { new { itemId = itemBody.GetProperty("itemId").GetGuid() } } }), "id");

        var ids = new List<Guid>();
        for (var i = 0; i < learners; i++) ids.Add(await TestDatabase.CreateUserAsync(owner, LearnerEmail(tag, i), "learner"));
        return new SubmissionWorkload(newClient, tag, ids, assessment, itemBody.GetProperty("versionId").GetGuid(), skill, submissionsEach);
    }

    static string LearnerEmail(string tag, int index) => $"learner-{tag}-{index}@crash.test";

    static HttpClient Client(Func<HttpClient> newClient, string email)
    {
        var client = newClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiFactory.Token("test|" + email));
        return client;
    }

    static async Task<JsonElement> CreatedAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await Json.ReadAsync(response);
    }

    static async Task<Guid> CreatedIdAsync(HttpResponseMessage response, string property) => (await CreatedAsync(response)).GetProperty(property).GetGuid();

    /// <summary>Every learner submits <see cref="SubmissionsEach"/> attempts; ends when all are acknowledged.</summary>
    public Task RunAsync(CancellationToken ct) => Task.WhenAll(_learners.Select((learner, index) => Task.Run(() => LearnerAsync(learner, index, ct), ct)));

    async Task LearnerAsync(Guid learnerId, int index, CancellationToken ct)
    {
        using var client = Client(_newClient, LearnerEmail(_tag, index));
        for (var n = 0; n < SubmissionsEach; n++)
        {
            // A retried start that had been committed finds the open attempt (200) instead of opening another.
            var (started, _, _) = await UntilAnsweredAsync(client, () => new HttpRequestMessage(HttpMethod.Post, $"/api/v1/assessments/{_assessment}/attempts"),
                [HttpStatusCode.Created, HttpStatusCode.OK], ct);
            var attemptId = (await Json.ReadAsync(started)).GetProperty("id").GetGuid();
            var attemptUrl = $"/api/v1/learners/{learnerId}/attempts/{attemptId}";
            var option = (index + n) % 3 == 0 ? "a" : "b";
            await UntilAnsweredAsync(client, () => new HttpRequestMessage(HttpMethod.Put, $"{attemptUrl}/responses/{_itemVersion}")
            {
                Content = JsonContent.Create(new { response = new { optionId = option } }),
            }, [HttpStatusCode.NoContent], ct);

            var key = $"crash-{_tag}-{index}-{n}";
            // Serialized once: a retry sends the very same bytes, as the key's request hash requires.
            var request = JsonSerializer.Serialize(new { responses = new Dictionary<Guid, object> { [_itemVersion] = new { optionId = option } } });
            var (submitted, failedFirst, replayed) = await UntilAnsweredAsync(client, () => Submit(attemptUrl, key, request), [HttpStatusCode.Created], ct);
            _acknowledged.Enqueue(new Acknowledgement(learnerId, attemptId, key, request, await submitted.Content.ReadAsStringAsync(ct), failedFirst, replayed));
        }
    }

    static HttpRequestMessage Submit(string attemptUrl, string key, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"{attemptUrl}/submit") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    /// <summary>
    /// Sends until one of <paramref name="answered"/> comes back; a refused or cut connection, a 503 or 429 (after its
    /// Retry-After) or a 409 "still being processed" is retried, any other status fails the test. Says whether a failure came first and whether the answer was a replay.
    /// </summary>
    async Task<(HttpResponseMessage Response, bool FailedFirst, bool Replayed)> UntilAnsweredAsync(
        HttpClient client, Func<HttpRequestMessage> request, HttpStatusCode[] answered, CancellationToken ct)
    {
        var failedFirst = false;
        while (true)
        {
            var started = Stopwatch.GetTimestamp();
            HttpResponseMessage response;
            try
            {
                response = await client.SendAsync(request(), ct);
            }
            catch (Exception e) when (e is HttpRequestException or IOException || (e is TaskCanceledException && !ct.IsCancellationRequested))
            {
                Record(started, served: false);
                failedFirst = true;
                await Task.Delay(RetryPause, ct);
                continue;
            }

            if (answered.Contains(response.StatusCode))
            {
                Record(started, served: true);
                return (response, failedFirst, response.Headers.TryGetValues("Idempotent-Replayed", out var replay) && replay.Single() == "true");
            }

            var body = await response.Content.ReadAsStringAsync(ct);
            Record(started, served: false);
            failedFirst = true;
            if (response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests)
            {
                var retryAfter = response.Headers.RetryAfter?.Delta;
                Assert.True(retryAfter is not null, $"a {(int)response.StatusCode} without Retry-After");
                await Task.Delay(retryAfter.Value < MaxRetryAfter ? retryAfter.Value : MaxRetryAfter, ct);
            }
            else if (response.StatusCode == HttpStatusCode.Conflict && body.Contains("still being processed", StringComparison.Ordinal))
            {
                await Task.Delay(RetryPause, ct);
            }
            else
            {
                throw new InvalidOperationException($"unexpected {(int)response.StatusCode} for {request().RequestUri}: {body}");
            }
        }
    }

    void Record(long started, bool served)
    {
        lock (_requests) _requests.Add((started, Stopwatch.GetTimestamp(), served));
    }

    public async Task UntilAcknowledgedAsync(int count, Task running)
    {
        while (Acknowledged < count && !running.IsCompleted) await Task.Delay(20);
    }

    /// <summary>
    /// Time from <paramref name="killedAt"/> (a Stopwatch timestamp) to the first request served that was sent after a
    /// request had failed since the kill: a request served by a connection the kill had not reached yet does not count.
    /// Fails when no request failed at all (the kill interrupted nothing) or nothing is served within <paramref name="bound"/>.
    /// </summary>
    /// <param name="diagnostics">What to show when it fails (the restarted service's output, say).</param>
    public async Task<TimeSpan> RecoveredAsync(long killedAt, TimeSpan bound, Func<string>? diagnostics = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            lock (_requests)
            {
                var firstFailure = _requests.Where(r => !r.Served && r.Ended > killedAt).Select(r => r.Ended).DefaultIfEmpty(long.MaxValue).Min();
                var served = _requests.Where(r => r.Served && r.Started > firstFailure).Select(r => r.Ended).DefaultIfEmpty(long.MaxValue).Min();
                if (served != long.MaxValue) return Stopwatch.GetElapsedTime(killedAt, served);
            }

            Assert.True(clock.Elapsed < bound, $"no request failed and then was served within {bound} of the kill. {diagnostics?.Invoke()}");
            await Task.Delay(50);
        }
    }

    public int FailedRequests
    {
        get
        {
            lock (_requests) return _requests.Count(r => !r.Served);
        }
    }

    /// <summary>
    /// Compares the ledger with the database (as the owner) and the service: each acknowledged submission is one
    /// submitted attempt with one result, one evidence row and its key's stored response equal to the acknowledged body;
    /// no learner has an attempt more than they submitted; sending each again with its key replays that body; and each
    /// learner's stored mastery is what folding their evidence again gives.
    /// </summary>
    public async Task<CrashFigures> VerifyAsync(NpgsqlDataSource owner)
    {
        var acknowledged = _acknowledged.ToList();
        Assert.Equal(Expected, acknowledged.Count);
        var learners = _learners.ToArray();
        var attempts = await CountsAsync(owner, "SELECT learner_id, id, count(*) FILTER (WHERE status = 'submitted') FROM hephaestus.attempts WHERE learner_id = ANY ($1) GROUP BY 1, 2", learners);
        var results = await CountsAsync(owner, "SELECT learner_id, attempt_id, count(*) FROM hephaestus.results WHERE learner_id = ANY ($1) GROUP BY 1, 2", learners);
        var evidence = await CountsAsync(owner, "SELECT learner_id, attempt_id, count(*) FROM hephaestus.evidence WHERE learner_id = ANY ($1) GROUP BY 1, 2", learners);
        var keys = new Dictionary<(Guid, string), string>();
        await using (var command = owner.CreateCommand("SELECT learner_id, key, response_body FROM hephaestus.idempotency_keys WHERE learner_id = ANY ($1)"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = learners });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) keys[(reader.GetGuid(0), reader.GetString(1))] = reader.GetString(2);
        }

        var lost = acknowledged.Count(a => attempts.GetValueOrDefault((a.LearnerId, a.AttemptId)) != 1 || results.GetValueOrDefault((a.LearnerId, a.AttemptId)) == 0
            || evidence.GetValueOrDefault((a.LearnerId, a.AttemptId)) == 0 || !keys.ContainsKey((a.LearnerId, a.Key)));
        // One item on one skill: more than one result or evidence row for an attempt, an attempt nobody was acknowledged
        // for (a retried start that opened another) or a key nobody was acknowledged for is a duplicate.
        var extraAttempts = attempts.Count - acknowledged.Select(a => (a.LearnerId, a.AttemptId)).Distinct().Count();
        var duplicated = results.Values.Count(c => c > 1) + evidence.Values.Count(c => c > 1) + extraAttempts + (keys.Count - acknowledged.Count);
        Assert.All(acknowledged, a => Assert.Equal(a.Body, keys.GetValueOrDefault((a.LearnerId, a.Key))));

        var clients = _learners.Select((id, index) => (id, Client(_newClient, LearnerEmail(_tag, index)))).ToDictionary(c => c.id, c => c.Item2);
        try
        {
            foreach (var a in acknowledged)
            {
                var again = await clients[a.LearnerId].SendAsync(Submit($"/api/v1/learners/{a.LearnerId}/attempts/{a.AttemptId}", a.Key, a.Request));
                Assert.Equal(HttpStatusCode.Created, again.StatusCode);
                Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
                Assert.Equal(a.Body, await again.Content.ReadAsStringAsync());
            }

            foreach (var (learnerId, client) in clients)
            {
                var replay = await Json.ReadAsync(await client.GetAsync($"/api/v1/learners/{learnerId}/mastery/{_skill}/replay"));
                Assert.Equal(SubmissionsEach, replay.GetProperty("evidenceCount").GetInt32());
                Assert.Equal(replay.GetProperty("value").GetDouble(), replay.GetProperty("storedValue").GetDouble(), 5);
            }
        }
        finally
        {
            foreach (var client in clients.Values) client.Dispose();
        }

        return new CrashFigures(acknowledged.Count, acknowledged.Count(a => a.AfterFailure && a.Replayed), FailedRequests, lost, duplicated);
    }

    static async Task<Dictionary<(Guid, Guid), long>> CountsAsync(NpgsqlDataSource owner, string sql, Guid[] learners)
    {
        var counts = new Dictionary<(Guid, Guid), long>();
        await using var command = owner.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = learners });
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) counts[(reader.GetGuid(0), reader.GetGuid(1))] = reader.GetInt64(2);
        return counts;
    }

    /// <summary>Seconds with one decimal, for the figures printed to the test output.</summary>
    public static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) + " s";
}
