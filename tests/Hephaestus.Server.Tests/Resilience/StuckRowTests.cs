using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Hephaestus.Testing;
using Npgsql;

namespace Hephaestus.Server.Tests.Resilience;

/// <summary>
/// Issue 8, item 10: one learner's attempt row held by other work (a long transaction, an operator's psql) must not take
/// the API down. The submissions queued on it end as 503 with Retry-After within seconds (lock_timeout for the few
/// admitted, the per-learner row-write limit for the rest) instead of holding every pooled connection, while other
/// learners submit and read as usual; nothing is half written, and once the row is free the same submission succeeds.
/// </summary>
public sealed class StuckRowTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    const int Stuck = 150;

    [Fact]
    public async Task Submissions_behind_a_held_row_are_shed_with_503_while_other_learners_are_served()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, author) = await db.UserAsync("stuck-author@example.org", "author");
        var skill = await Catalog.SkillAsync(db, await Catalog.FrameworkAsync(db, "stuck"), "fractions");
        var item = await Json.ReadAsync(await author.PostAsJsonAsync("/api/v1/items", new
        {
            definition = new { type = "single_choice", prompt = "1/2 + 1/4 = ?", points = 1, options = new[] { new { id = "a", text = "2/6" }, new { id = "b", text = "3/4" } }, correctOptionId = "b" },
            skills = new[] { new { skillId = skill, weight = 1 } },
        }, ct));
        var assessment = (await Json.ReadAsync(await author.PostAsJsonAsync("/api/v1/assessments",
            new { title = "Quiz", parts = new[] { new { itemId = item.GetProperty("itemId").GetGuid() } } }, ct))).GetProperty("id").GetGuid();
        var versionId = item.GetProperty("versionId").GetGuid();

        async Task<(Guid Learner, HttpClient Client, Guid Attempt)> LearnerWithAttemptAsync(string name)
        {
            var (learner, client) = await db.UserAsync($"{name}@stuck.test", "learner");
            var attempt = Guid.CreateVersion7();
            await db.ExecuteAsync("INSERT INTO hephaestus.attempts (learner_id, id, assessment_id, number, item_version_ids) VALUES ($1, $2, $3, 1, $4)",
                learner, attempt, assessment, new[] { versionId });
            await db.ExecuteAsync("INSERT INTO hephaestus.attempt_responses (learner_id, attempt_id, item_version_id, response) VALUES ($1, $2, $3, '{\"optionId\":\"b\"}'::jsonb)",
                learner, attempt, versionId);
            return (learner, client, attempt);
        }

        var stuck = await LearnerWithAttemptAsync("stuck");
        var others = new List<(Guid Learner, HttpClient Client, Guid Attempt)>();
        for (var i = 0; i < 6; i++) others.Add(await LearnerWithAttemptAsync($"other{i}"));
        static string SubmitUrl((Guid Learner, HttpClient Client, Guid Attempt) l) => $"/api/v1/learners/{l.Learner}/attempts/{l.Attempt}/submit";

        // Other work holds the stuck learner's attempt row.
        await using var holder = await db.Owner.OpenConnectionAsync(ct);
        await using var hold = await holder.BeginTransactionAsync(ct);
        await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM hephaestus.attempts WHERE learner_id = $1 AND id = $2 FOR UPDATE", holder, hold))
        {
            lockRow.Parameters.Add(new NpgsqlParameter { Value = stuck.Learner });
            lockRow.Parameters.Add(new NpgsqlParameter { Value = stuck.Attempt });
            await lockRow.ExecuteNonQueryAsync(ct);
        }

        var clock = Stopwatch.StartNew();
        var queued = Enumerable.Range(0, Stuck).Select(async _ =>
        {
            using var response = await stuck.Client.PostAsync(SubmitUrl(stuck), null, ct);
            return (response.StatusCode, response.Headers.RetryAfter?.Delta, Body: await response.Content.ReadAsStringAsync(ct));
        }).ToList();

        // Meanwhile other learners submit and read, each answered quickly.
        await Task.Delay(300, ct);
        foreach (var other in others)
        {
            var started = clock.Elapsed;
            var submitted = await other.Client.PostAsync(SubmitUrl(other), null, ct);
            Assert.True(submitted.StatusCode == HttpStatusCode.Created, await submitted.Content.ReadAsStringAsync(ct));
            Assert.Equal(HttpStatusCode.OK, (await other.Client.GetAsync("/api/v1/users/me", ct)).StatusCode);
            Assert.True(clock.Elapsed - started < TimeSpan.FromSeconds(5), $"an unrelated learner waited {clock.Elapsed - started}");
        }

        var outcomes = await Task.WhenAll(queued);
        var shedWithin = clock.Elapsed;
        Assert.All(outcomes, o =>
        {
            Assert.True(o.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)o.StatusCode}: {o.Body}");
            Assert.NotNull(o.Delta);
        });
        Assert.True(shedWithin < TimeSpan.FromSeconds(25), $"the stuck submissions took {shedWithin} to end");
        // Still held: nothing of the stuck learner's submission was written.
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.results WHERE learner_id = $1", stuck.Learner));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.evidence WHERE learner_id = $1", stuck.Learner));

        await hold.RollbackAsync(ct);
        var submittedOnce = await stuck.Client.PostAsync(SubmitUrl(stuck), null, ct);
        Assert.True(submittedOnce.StatusCode == HttpStatusCode.Created, await submittedOnce.Content.ReadAsStringAsync(ct));
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.results WHERE learner_id = $1", stuck.Learner));
        Assert.Equal("submitted", await db.ScalarAsync<string>("SELECT status FROM hephaestus.attempts WHERE learner_id = $1", stuck.Learner));
        foreach (var other in others) Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.results WHERE learner_id = $1", other.Learner));
    }
}
