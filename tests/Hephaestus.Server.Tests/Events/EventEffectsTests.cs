using System.Net;
using System.Net.Http.Json;
using Hephaestus.Data;
using Hephaestus.Data.Events;
using Hephaestus.Data.Learning;
using Hephaestus.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static Hephaestus.Server.Tests.Content.ContentWorld;

namespace Hephaestus.Server.Tests.Events;

/// <summary>What stored events do to learner state (issue 11, part 5): evidence exactly once, content views complete steps.</summary>
public class EventEffectsTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static string NewCode(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];

    async Task<(Guid LearnerId, Guid SkillId, string Activity, HttpClient Author)> WorldAsync()
    {
        var (_, author) = await db.UserAsync($"author-{Guid.NewGuid():N}@example.org", "author");
        var (learnerId, _) = await db.UserAsync($"learner-{Guid.NewGuid():N}@example.org", "learner");
        var framework = (await Json.ReadAsync(await author.PostAsJsonAsync("/api/v1/frameworks", new { code = NewCode("fw"), title = "Framework" }, Ct))).GetProperty("id").GetGuid();
        var skill = (await Json.ReadAsync(await author.PostAsJsonAsync($"/api/v1/frameworks/{framework}/skills", new { code = NewCode("sk"), title = "Skill" }, Ct))).GetProperty("id").GetGuid();
        var activity = $"https://tools.example.org/activities/{Guid.NewGuid():N}";
        var aligned = await author.PostAsJsonAsync("/api/v1/events/alignments", new { activityId = activity, skillId = skill, weight = 0.5 }, Ct);
        Assert.Equal(HttpStatusCode.Created, aligned.StatusCode);
        return (learnerId, skill, activity, author);
    }

    static StoredEvent Scored(Guid learner, string activity, double scaled, string verb = "http://adlnet.gov/expapi/verbs/scored") =>
        new(learner, DateTimeOffset.UtcNow, Guid.CreateVersion7(), "xapi", verb, "Activity", activity, scaled, null, null, null);

    /// <summary>One door's transaction: the stored rows' effects applied and committed as the learner.</summary>
    async Task<EventEffectsSummary> ApplyAsync(Guid learner, params StoredEvent[] stored)
    {
        var services = db.Api.Services;
        await using var scope = await ActorScope.BeginAsync(services.GetRequiredService<NpgsqlDataSource>(), new Actor(learner, ["learner"]), Ct);
        var summary = await EventEffects.ApplyAsync(scope, services.GetRequiredService<LearnerRecord>(), stored, Ct);
        await scope.CommitAsync(Ct);
        return summary;
    }

    Task<long> EvidenceAsync(Guid learner, Guid eventId) =>
        db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.evidence WHERE learner_id = $1 AND event_id = $2 AND source = 'event'", learner, eventId);

    [Fact]
    public async Task A_scored_event_on_an_aligned_activity_is_evidence_once_whether_replayed_or_sent_by_concurrent_batches()
    {
        var (learner, skill, activity, _) = await WorldAsync();
        var first = Scored(learner, activity, 0.8);
        Assert.Equal(1, (await ApplyAsync(learner, first)).Evidence);
        Assert.Equal(1L, await EvidenceAsync(learner, first.Id));
        // Scaled 0.8 counts as 0.8 (negatives clamp to 0), with the alignment's weight.
        Assert.Equal(0.8m, await db.ScalarAsync<decimal>("SELECT score FROM hephaestus.evidence WHERE event_id = $1", first.Id));
        Assert.Equal(0.5m, await db.ScalarAsync<decimal>("SELECT weight FROM hephaestus.evidence WHERE event_id = $1", first.Id));
        Assert.Equal(1, await db.ScalarAsync<int>("SELECT evidence_count FROM hephaestus.learner_skill_mastery WHERE learner_id = $1 AND skill_id = $2", learner, skill));

        // The same event in a second batch (a door that let it through again): nothing more.
        await ApplyAsync(learner, first, first);
        Assert.Equal(1L, await EvidenceAsync(learner, first.Id));

        // Two batches racing with the same new event: one of them records it, neither fails.
        var raced = Scored(learner, activity, -0.5);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => ApplyAsync(learner, raced, Scored(learner, activity, 0.1)))));
        Assert.Equal(1L, await EvidenceAsync(learner, raced.Id));
        Assert.Equal(0m, await db.ScalarAsync<decimal>("SELECT score FROM hephaestus.evidence WHERE event_id = $1", raced.Id));
        // Mastery folded each event once: the first, the raced one, and the four distinct ones.
        Assert.Equal(6, await db.ScalarAsync<int>("SELECT evidence_count FROM hephaestus.learner_skill_mastery WHERE learner_id = $1 AND skill_id = $2", learner, skill));
        Assert.Equal(6L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.evidence WHERE learner_id = $1 AND skill_id = $2", learner, skill));

        // The database holds it too: a second row for the same event and skill is refused.
        var duplicate = await Assert.ThrowsAsync<PostgresException>(() => db.ExecuteAsync("""
            INSERT INTO hephaestus.evidence (learner_id, id, skill_id, score, observed_at, source, skill_seq, event_id)
            VALUES ($1, gen_random_uuid(), $2, 1, now(), 'event', 99, $3)
            """, learner, skill, first.Id));
        Assert.Equal("ux_evidence_event", duplicate.ConstraintName);
    }

    [Fact]
    public async Task Through_the_native_door_a_scored_event_is_evidence_once_however_often_the_batch_is_sent()
    {
        var (learner, skill, activity, _) = await WorldAsync();
        var client = db.Api.ClientFor($"test|{await db.ScalarAsync<string>("SELECT email FROM hephaestus.users WHERE id = $1", learner)}");
        var occurredAt = DateTimeOffset.UtcNow.AddMinutes(-1);
        var batch = new[]
        {
            new { learnerId = learner, occurredAt, clientEventId = "q-1", verb = "answered", @object = new { type = "activity", id = activity },
                  result = new { score = new { scaled = 0.75 } } },
        };
        for (var i = 0; i < 2; i++)
        {
            var response = await client.PostAsJsonAsync("/api/v1/events", batch, Ct);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
        }

        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.evidence WHERE learner_id = $1 AND skill_id = $2 AND source = 'event'", learner, skill));
        Assert.Equal(0.75m, await db.ScalarAsync<decimal>("SELECT score FROM hephaestus.evidence WHERE learner_id = $1 AND skill_id = $2", learner, skill));
    }

    [Fact]
    public async Task An_unaligned_activity_or_an_event_without_a_score_writes_nothing()
    {
        var (learner, _, activity, _) = await WorldAsync();
        var unaligned = Scored(learner, "https://tools.example.org/activities/unknown", 1);
        var unscored = Scored(learner, activity, 0) with { ScoreScaled = null };
        Assert.Equal(EventEffectsSummary.None, await ApplyAsync(learner, unaligned, unscored));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.evidence WHERE learner_id = $1", learner));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.learner_skill_mastery WHERE learner_id = $1", learner));
    }

    [Fact]
    public async Task A_removed_alignment_stops_making_evidence_at_once_in_this_process()
    {
        var (learner, skill, activity, author) = await WorldAsync();
        var page = await Json.ReadAsync(await author.GetAsync($"/api/v1/events/alignments?skillId={skill}", Ct));
        var id = page.GetProperty("items")[0].GetProperty("id").GetGuid();
        Assert.Equal(activity, page.GetProperty("items")[0].GetProperty("activityId").GetString());
        // A second alignment of the same pair is a conflict; a learner may not align.
        await Json.ProblemAsync(await author.PostAsJsonAsync("/api/v1/events/alignments", new { activityId = activity, skillId = skill }, Ct), 409);
        await Json.ProblemAsync(await author.PostAsJsonAsync("/api/v1/events/alignments", new { activityId = activity }, Ct), 400);
        Assert.Equal(HttpStatusCode.NoContent, (await author.DeleteAsync($"/api/v1/events/alignments/{id}", Ct)).StatusCode);
        await Json.ProblemAsync(await author.GetAsync($"/api/v1/events/alignments/{id}", Ct), 404);

        Assert.Equal(0, (await ApplyAsync(learner, Scored(learner, activity, 1))).Evidence);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.evidence WHERE learner_id = $1", learner));
    }

    [Fact]
    public async Task A_content_viewed_event_completes_the_content_step_and_records_the_version_shown_once()
    {
        var (_, author) = await db.UserAsync($"author-{Guid.NewGuid():N}@example.org", "author");
        var (learnerId, learner) = await db.UserAsync($"learner-{Guid.NewGuid():N}@example.org", "learner");
        var (first, second) = (await ItemAsync(author), await ItemAsync(author));
        var v1 = (await VersionAsync(author, first, Human(await BodyAsync(author, Bytes(100, 41))))).GetProperty("id").GetGuid();
        var v2 = (await VersionAsync(author, second, Human(await BodyAsync(author, Bytes(100, 42))))).GetProperty("id").GetGuid();
        await PublishAsync(db, v1);
        await PublishAsync(db, v2);
        var path = await Json.ReadAsync(await author.PostAsJsonAsync("/api/v1/paths", new { code = "p-" + Guid.NewGuid().ToString("N")[..10], title = "Reading" }, Ct));
        var (pathId, draft) = (path.GetProperty("id").GetGuid(), path.GetProperty("versions")[0].GetProperty("id").GetGuid());
        // The second step waits for the first: one batch viewing both in order walks the path.
        var put = await author.SendJsonAsync(HttpMethod.Put, $"/api/v1/paths/{pathId}/versions/{draft}/steps", new
        {
            steps = new object[]
            {
                new { key = "read", kind = "content", refId = first, title = "Read" },
                new { key = "more", kind = "content", refId = second, title = "More", prerequisites = new[] { "read" } },
            },
        }, await author.ETagAsync($"/api/v1/paths/{pathId}/versions/{draft}"));
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync(Ct));
        Assert.True((await author.PostAsync($"/api/v1/paths/{pathId}/versions/{draft}/publish", null, Ct)).IsSuccessStatusCode);
        var enrollment = (await Json.ReadAsync(await learner.PostAsJsonAsync($"/api/v1/learners/{learnerId}/enrollments", new { pathId }, Ct))).GetProperty("id").GetGuid();
        Task<string?> StatusAsync(string step) =>
            db.ScalarAsync<string>("SELECT status FROM hephaestus.enrollment_step_states WHERE enrollment_id = $1 AND step_key = $2", enrollment, step);
        Assert.Equal("locked", await StatusAsync("more"));

        var now = DateTimeOffset.UtcNow;
        // Native form (object type content_version) and xAPI form (an activity IRI ending in /content/versions/<id>).
        var native = new StoredEvent(learnerId, now.AddSeconds(-2), Guid.CreateVersion7(), "native", "viewed", "content_version", v1.ToString(), null, null, null, null);
        var xapi = new StoredEvent(learnerId, now.AddSeconds(-1), Guid.CreateVersion7(), "xapi", "http://adlnet.gov/expapi/verbs/experienced", "Activity",
            $"https://hephaestus.example.org/content/versions/{v2}", null, null, null, null);
        var other = new StoredEvent(learnerId, now, Guid.CreateVersion7(), "native", "liked", "content_version", v1.ToString(), null, null, null, null);
        Assert.Equal(2, (await ApplyAsync(learnerId, xapi, native, other)).Views);

        Assert.Equal("completed", await StatusAsync("read"));
        Assert.Equal("completed", await StatusAsync("more"));
        Assert.Equal("content viewed", await db.ScalarAsync<string>(
            "SELECT reason FROM hephaestus.enrollment_step_states WHERE enrollment_id = $1 AND step_key = 'read'", enrollment));
        Assert.Equal("completed", await db.ScalarAsync<string>("SELECT status FROM hephaestus.enrollments WHERE id = $1", enrollment));
        Assert.Equal(enrollment, await db.ScalarAsync<Guid>(
            "SELECT enrollment_id FROM hephaestus.content_exposures WHERE learner_id = $1 AND event_id = $2 AND content_version_id = $3 AND step_key = 'read'",
            learnerId, native.Id, v1));
        // Shown when the event says, not when it arrived.
        Assert.Equal(xapi.OccurredAt.UtcDateTime, await db.ScalarAsync<DateTime>("SELECT shown_at FROM hephaestus.content_exposures WHERE event_id = $1", xapi.Id),
            TimeSpan.FromMilliseconds(1));

        // Replayed: no second exposure.
        await ApplyAsync(learnerId, native, xapi);
        Assert.Equal(2L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.content_exposures WHERE learner_id = $1", learnerId));
    }

    [Fact]
    public void The_rules_map_scaled_scores_and_read_content_versions_as_configured()
    {
        var e = new StoredEvent(Guid.NewGuid(), DateTimeOffset.UtcNow, Guid.NewGuid(), "xapi", "answered", "Activity", "a", -0.5, null, null, null);
        Assert.Equal(0, new EventEffectsRules().EvidenceScore(e));
        Assert.Equal(0.25, new EventEffectsRules { ScaledMapping = ScaledScoreMapping.Linear }.EvidenceScore(e));
        Assert.Null(new EventEffectsRules { EvidenceVerbs = ["scored"] }.EvidenceScore(e));
        var success = e with { ScoreScaled = null, Result = """{"success": true}""" };
        Assert.Null(new EventEffectsRules().EvidenceScore(success));
        Assert.Equal(0.9, new EventEffectsRules { SuccessScore = 0.9, FailureScore = 0.1 }.EvidenceScore(success));

        var version = Guid.NewGuid();
        var viewed = e with { Verb = "completed", ObjectId = $"https://lms.example.org/content/versions/{version}" };
        Assert.Equal(version, new EventEffectsRules().ViewedContentVersion(viewed));
        Assert.Null(new EventEffectsRules { ActivityHome = "https://hephaestus.example.org" }.ViewedContentVersion(viewed));
        Assert.Equal(version, new EventEffectsRules { ActivityHome = "https://lms.example.org/" }.ViewedContentVersion(viewed));
        Assert.Null(new EventEffectsRules().ViewedContentVersion(viewed with { ObjectId = "https://lms.example.org/content/versions/nope" }));
    }
}
