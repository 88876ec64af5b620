using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Hephaestus.Domain.Mastery;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Mastery;

public class MasteryTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    /// <summary>A learner in a cohort taught by an educator; a skill; a one-criterion rubric aligned to it (ratings 4..0).</summary>
    async Task<(Guid Learner, HttpClient LearnerClient, HttpClient Educator, Guid Skill, Guid Rubric, Guid Criterion)> ArrangeAsync(string method = "bkt")
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (learner, learnerClient) = await db.UserAsync($"l-{tag}@mastery.test", "learner");
        var (educator, educatorClient) = await db.UserAsync($"e-{tag}@mastery.test", "educator");
        var cohort = Guid.CreateVersion7();
        await db.ExecuteAsync("INSERT INTO hephaestus.cohorts (id, name) VALUES ($1, 'M')", cohort);
        await db.ExecuteAsync("INSERT INTO hephaestus.cohort_members (cohort_id, user_id, member_role) VALUES ($1, $2, 'learner'), ($1, $3, 'educator')", cohort, learner, educator);
        var framework = await Catalog.FrameworkAsync(db, "fw-" + tag);
        await db.ExecuteAsync("UPDATE hephaestus.competency_frameworks SET mastery_method = $2 WHERE id = $1", framework, method);
        var skill = await Catalog.SkillAsync(db, framework, "essay");
        var rubric = Guid.CreateVersion7();
        var criterion = Guid.CreateVersion7();
        await db.ExecuteAsync("INSERT INTO hephaestus.rubrics (id, title) VALUES ($1, 'Essay')", rubric);
        await db.ExecuteAsync("""
            INSERT INTO hephaestus.rubric_criteria (id, rubric_id, position, description, skill_id, ratings, mastery_points)
            VALUES ($1, $2, 0, 'Argument', $3, '[{"description":"Exemplary","points":4},{"description":"Proficient","points":3},{"description":"Developing","points":2},{"description":"Beginning","points":1},{"description":"None","points":0}]', 3)
            """, criterion, rubric, skill);
        return (learner, learnerClient, educatorClient, skill, rubric, criterion);
    }

    static object Rating(Guid rubric, Guid criterion, int points) => new { rubricId = rubric, ratings = new[] { new { criterionId = criterion, points } } };

    [Fact]
    public async Task Rubric_scores_become_evidence_and_mastery_in_the_same_transaction()
    {
        var w = await ArrangeAsync();
        var response = await w.Educator.PostAsJsonAsync($"/api/v1/learners/{w.Learner}/rubric-assessments", Rating(w.Rubric, w.Criterion, 4));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await Json.ReadAsync(response);
        var change = Assert.Single(body.GetProperty("mastery").EnumerateArray());
        // BKT with the default parameters, one correct observation from the prior 0.2:
        // P(L|c) = 0.2·0.9 / (0.2·0.9 + 0.8·0.2) = 0.18 / 0.34 = 0.529412; P(L') = 0.529412·0.98 + 0.470588·0.15 = 0.589412.
        Assert.Equal(0.589412, change.GetProperty("after").GetDouble(), 5);
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.evidence WHERE learner_id = $1 AND source = 'rubric'", w.Learner));

        var mastery = await Json.ReadAsync(await w.LearnerClient.GetAsync($"/api/v1/learners/{w.Learner}/mastery"));
        var row = Assert.Single(mastery.EnumerateArray());
        Assert.Equal("essay", row.GetProperty("skillCode").GetString());
        Assert.Equal("familiar", row.GetProperty("level").GetString());
    }

    [Fact]
    public async Task Only_the_learners_educators_score_their_work()
    {
        var w = await ArrangeAsync();
        await Json.ProblemAsync(await w.LearnerClient.PostAsJsonAsync($"/api/v1/learners/{w.Learner}/rubric-assessments", Rating(w.Rubric, w.Criterion, 4)), 403);
        var (_, stranger) = await db.UserAsync($"x-{Guid.NewGuid():N}@mastery.test", "educator");
        await Json.ProblemAsync(await stranger.PostAsJsonAsync($"/api/v1/learners/{w.Learner}/rubric-assessments", Rating(w.Rubric, w.Criterion, 4)), 404);
        var problem = await Json.ProblemAsync(await w.Educator.PostAsJsonAsync($"/api/v1/learners/{w.Learner}/rubric-assessments", Rating(w.Rubric, w.Criterion, 5)), 400);
        Assert.True(problem.GetProperty("errors").TryGetProperty("/ratings/0/points", out _));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.evidence WHERE learner_id = $1", w.Learner));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.rubric_assessments WHERE learner_id = $1", w.Learner));
    }

    [Fact]
    public async Task Sixty_four_concurrent_scorings_lose_no_update_and_mastery_equals_a_replay_of_the_log()
    {
        var w = await ArrangeAsync();
        var points = Enumerable.Range(0, 64).Select(i => (i * 7) % 5).ToArray();
        var responses = await Task.WhenAll(points.Select(p => w.Educator.PostAsJsonAsync($"/api/v1/learners/{w.Learner}/rubric-assessments", Rating(w.Rubric, w.Criterion, p))));
        foreach (var r in responses) Assert.True(r.StatusCode == HttpStatusCode.Created, await r.Content.ReadAsStringAsync());

        Assert.Equal(64L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.evidence WHERE learner_id = $1", w.Learner));
        Assert.Equal(64, await db.ScalarAsync<int>("SELECT evidence_count FROM hephaestus.learner_skill_mastery WHERE learner_id = $1", w.Learner));
        Assert.Equal(Enumerable.Range(1, 64).Sum(), await db.ScalarAsync<long>("SELECT sum(skill_seq) FROM hephaestus.evidence WHERE learner_id = $1", w.Learner));

        // Replay the log independently of the service and compare with the stored row.
        var observations = new List<Observation>();
        await using (var command = db.Owner.CreateCommand("SELECT score, observed_at FROM hephaestus.evidence WHERE learner_id = $1 ORDER BY observed_at, skill_seq"))
        {
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = w.Learner });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) observations.Add(new Observation((double)reader.GetDecimal(0), reader.GetFieldValue<DateTimeOffset>(1)));
        }

        var replayed = MasteryState.Replay(MasteryParameters.Default, observations).Value(MasteryParameters.Default)!.Value;
        var stored = (double)(await db.ScalarAsync<decimal>("SELECT value FROM hephaestus.learner_skill_mastery WHERE learner_id = $1", w.Learner));
        Assert.Equal(Math.Round(replayed, 5), stored, 5);
        Assert.Equal(points.Select(p => p / 4.0).Order(), observations.Select(o => o.Score).Order());
    }

    [Fact]
    public async Task Replay_answers_what_if_for_every_method_and_writes_nothing()
    {
        var w = await ArrangeAsync("bkt");
        // Canvas's worked example on a 5-point scale: scores 2, 3, 4 → 0.4, 0.6, 0.8 of the top rating (5 here: a 6-rating criterion).
        var criterion = Guid.CreateVersion7();
        var rubric = Guid.CreateVersion7();
        await db.ExecuteAsync("INSERT INTO hephaestus.rubrics (id, title) VALUES ($1, 'Five')", rubric);
        await db.ExecuteAsync("""
            INSERT INTO hephaestus.rubric_criteria (id, rubric_id, position, description, skill_id, ratings, mastery_points)
            VALUES ($1, $2, 0, 'Five point', $3, '[{"description":"5","points":5},{"description":"4","points":4},{"description":"3","points":3},{"description":"2","points":2},{"description":"1","points":1},{"description":"0","points":0}]', 3)
            """, criterion, rubric, w.Skill);
        foreach (var p in new[] { 2, 3, 4 })
        {
            Assert.Equal(HttpStatusCode.Created, (await w.Educator.PostAsJsonAsync($"/api/v1/learners/{w.Learner}/rubric-assessments", Rating(rubric, criterion, p))).StatusCode);
        }

        var before = await db.ScalarAsync<string>("SELECT state::text FROM hephaestus.learner_skill_mastery WHERE learner_id = $1", w.Learner);
        async Task<double> WhatIfAsync(string query)
        {
            var replay = await Json.ReadAsync(await w.LearnerClient.GetAsync($"/api/v1/learners/{w.Learner}/mastery/{w.Skill}/replay?{query}"));
            Assert.Equal(3, replay.GetProperty("evidenceCount").GetInt32());
            Assert.Equal(3, replay.GetProperty("trajectory").GetArrayLength());
            return replay.GetProperty("value").GetDouble();
        }

        Assert.Equal(3.48, Math.Round(await WhatIfAsync("method=weighted_average&calculationInt=65") * 5, 2));
        Assert.Equal(3.53, Math.Round(await WhatIfAsync("method=standard_decaying_average&calculationInt=65") * 5, 2));
        Assert.Equal(0.8, await WhatIfAsync("method=latest"), 6);
        Assert.Equal(0.8, await WhatIfAsync("method=highest"), 6);
        Assert.Equal(0.6, await WhatIfAsync("method=average"), 6);
        var bkt = await WhatIfAsync("method=bkt&prior=0.3&learn=0.2");
        Assert.InRange(bkt, 0, 1);
        Assert.Equal(before, await db.ScalarAsync<string>("SELECT state::text FROM hephaestus.learner_skill_mastery WHERE learner_id = $1", w.Learner));

        var problem = await Json.ProblemAsync(await w.LearnerClient.GetAsync($"/api/v1/learners/{w.Learner}/mastery/{w.Skill}/replay?method=guessing&ordering=sideways&slip=abc"), 400);
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("/method", out _));
        Assert.True(errors.TryGetProperty("/ordering", out _));
        Assert.True(errors.TryGetProperty("/slip", out _));
        _ = CultureInfo.InvariantCulture;
    }

    [Fact]
    public async Task The_learning_record_is_in_the_export_and_erasure_removes_it_despite_the_append_only_log()
    {
        var w = await ArrangeAsync();
        Assert.Equal(HttpStatusCode.Created, (await w.Educator.PostAsJsonAsync($"/api/v1/learners/{w.Learner}/rubric-assessments", Rating(w.Rubric, w.Criterion, 4))).StatusCode);
        var export = await Json.ReadAsync(await w.LearnerClient.GetAsync($"/api/v1/users/{w.Learner}/export"));
        var sections = export.GetProperty("sections");
        Assert.Equal("essay", Assert.Single(sections.GetProperty("mastery").EnumerateArray()).GetProperty("skillCode").GetString());
        Assert.Equal(1, sections.GetProperty("evidence").GetArrayLength());
        Assert.Equal(1, sections.GetProperty("rubricAssessments").GetArrayLength());
        Assert.Equal(0, sections.GetProperty("attempts").GetArrayLength());

        // The application role may not delete evidence, but erasing the learner cascades (run as the tables' owner).
        Assert.Equal(HttpStatusCode.NoContent, (await w.LearnerClient.DeleteAsync($"/api/v1/users/{w.Learner}")).StatusCode);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.evidence WHERE learner_id = $1", w.Learner));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.learner_skill_mastery WHERE learner_id = $1", w.Learner));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.rubric_assessments WHERE learner_id = $1", w.Learner));
    }

    [Fact]
    public async Task Another_learner_cannot_see_mastery_or_evidence()
    {
        var w = await ArrangeAsync();
        await w.Educator.PostAsJsonAsync($"/api/v1/learners/{w.Learner}/rubric-assessments", Rating(w.Rubric, w.Criterion, 3));
        var (_, other) = await db.UserAsync($"o-{Guid.NewGuid():N}@mastery.test", "learner");
        await Json.ProblemAsync(await other.GetAsync($"/api/v1/learners/{w.Learner}/mastery"), 404);
        await Json.ProblemAsync(await other.GetAsync($"/api/v1/learners/{w.Learner}/evidence"), 404);
        await Json.ProblemAsync(await other.GetAsync($"/api/v1/learners/{w.Learner}/mastery/{w.Skill}/replay"), 404);
        var evidence = await Json.ReadAsync(await w.Educator.GetAsync($"/api/v1/learners/{w.Learner}/evidence"));
        Assert.Equal(1, evidence.GetProperty("items").GetArrayLength());
    }

    // Issue 9, item 1: a skill with masteryPoints 0.6 and bktMasteryThreshold 0.95 on a scale whose mastery level sits at
    // 0.8. One full-credit rating from the prior 0.512: P(L|c) = 0.512·0.9 / (0.512·0.9 + 0.488·0.2) = 0.4608 / 0.5584 =
    // 0.825215; P(L') = 0.825215·0.98 + 0.174785·0.15 = 0.834929 ≈ 0.835: on the scale's "mastered" level, but below the
    // skill's BKT threshold, so not mastered. n_mastery (N 2, points 0.6) met by two 0.75s is mastered at 0.75, below the
    // scale's mastery level. Mastery reads, replay and the stored flag all agree.
    [Fact]
    public async Task Bug_9_mastered_follows_the_skills_own_thresholds_not_the_scales_mastery_level()
    {
        var w = await ArrangeAsync();
        var scale = Guid.CreateVersion7();
        await db.ExecuteAsync("INSERT INTO hephaestus.mastery_scales (id, family_id, version, name) VALUES ($1, $1, 1, 'Low bar')", scale);
        await db.ExecuteAsync("""
            INSERT INTO hephaestus.mastery_levels (scale_id, rank, name, threshold, is_mastery) VALUES
                ($1, 0, 'not_started', 0, false), ($1, 1, 'learning', 0.01, false), ($1, 2, 'mastered', 0.8, true)
            """, scale);
        await db.ExecuteAsync("UPDATE hephaestus.competency_frameworks SET scale_id = $2 WHERE id = (SELECT framework_id FROM hephaestus.skills WHERE id = $1)", w.Skill, scale);
        await db.ExecuteAsync("""
            UPDATE hephaestus.skills SET mastery_method = 'bkt', mastery_parameters = '{"masteryPoints":0.6,"bktMasteryThreshold":0.95,"prior":0.512}'
            WHERE id = $1
            """, w.Skill);
        var framework = await db.ScalarAsync<Guid>("SELECT framework_id FROM hephaestus.skills WHERE id = $1", w.Skill);
        var counted = await Catalog.SkillAsync(db, framework, "counted");
        await db.ExecuteAsync("""
            UPDATE hephaestus.skills SET mastery_method = 'n_mastery', mastery_parameters = '{"masteryPoints":0.6,"nMasteryCount":2}' WHERE id = $1
            """, counted);
        var rubric = Guid.CreateVersion7();
        var criterion = Guid.CreateVersion7();
        await db.ExecuteAsync("INSERT INTO hephaestus.rubrics (id, title) VALUES ($1, 'Counted')", rubric);
        await db.ExecuteAsync("""
            INSERT INTO hephaestus.rubric_criteria (id, rubric_id, position, description, skill_id, ratings, mastery_points)
            VALUES ($1, $2, 0, 'Counted', $3, '[{"description":"4","points":4},{"description":"3","points":3},{"description":"0","points":0}]', 3)
            """, criterion, rubric, counted);

        Assert.Equal(HttpStatusCode.Created, (await w.Educator.PostAsJsonAsync($"/api/v1/learners/{w.Learner}/rubric-assessments", Rating(w.Rubric, w.Criterion, 4))).StatusCode);
        foreach (var _ in new[] { 1, 2 })
        {
            Assert.Equal(HttpStatusCode.Created, (await w.Educator.PostAsJsonAsync($"/api/v1/learners/{w.Learner}/rubric-assessments", Rating(rubric, criterion, 3))).StatusCode);
        }

        var rows = (await Json.ReadAsync(await w.LearnerClient.GetAsync($"/api/v1/learners/{w.Learner}/mastery"))).EnumerateArray()
            .ToDictionary(r => r.GetProperty("skillCode").GetString()!);
        var bkt = rows["essay"];
        Assert.Equal(0.83493, bkt.GetProperty("value").GetDouble(), 5);
        Assert.Equal("mastered", bkt.GetProperty("level").GetString());
        Assert.False(bkt.GetProperty("mastered").GetBoolean());
        var n = rows["counted"];
        Assert.Equal(0.75, n.GetProperty("value").GetDouble(), 6);
        Assert.Equal("learning", n.GetProperty("level").GetString());
        Assert.True(n.GetProperty("mastered").GetBoolean());

        var replay = await Json.ReadAsync(await w.LearnerClient.GetAsync($"/api/v1/learners/{w.Learner}/mastery/{w.Skill}/replay"));
        Assert.False(replay.GetProperty("mastered").GetBoolean());
        // Replay answers under the parameters asked for, not the stored ones: a threshold of 0.8 makes the same P(L) mastered.
        var lowered = await Json.ReadAsync(await w.LearnerClient.GetAsync($"/api/v1/learners/{w.Learner}/mastery/{w.Skill}/replay?bktMasteryThreshold=0.8"));
        Assert.True(lowered.GetProperty("mastered").GetBoolean());
        Assert.True((await Json.ReadAsync(await w.LearnerClient.GetAsync($"/api/v1/learners/{w.Learner}/mastery/{counted}/replay"))).GetProperty("mastered").GetBoolean());
    }
}
