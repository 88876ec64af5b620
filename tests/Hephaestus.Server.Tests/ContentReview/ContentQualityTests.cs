using System.Net;
using System.Text.Json;
using static Hephaestus.Server.Tests.ContentReview.ContentRows;

namespace Hephaestus.Server.Tests.ContentReview;

public class ContentQualityTests(ContentReviewWorld w) : IClassFixture<ContentReviewWorld>
{
    static JsonElement Dimension(JsonElement quality, string name) =>
        quality.GetProperty("dimensions").EnumerateArray().Single(d => d.GetProperty("dimension").GetString() == name);

    [Fact]
    public async Task A_rescore_keeps_history_and_the_aggregate_uses_each_evaluators_latest()
    {
        var item = await ItemAsync(w, w.AuthorId);
        var version = await VersionAsync(w, item, w.AuthorId, "in_review");
        var judge = new { kind = "judge", modelId = "judge-model-1", rubricId = "lesson-quality", rubricVersion = "3" };
        await OkJsonAsync(await ScoreAsync(w.Reviewer, version, new[] { new { dimension = "clarity", score = 2m, rationale = "dense" } }));
        await OkJsonAsync(await ScoreAsync(w.Reviewer, version, new[] { new { dimension = "clarity", score = 4m, rationale = "better on reread" } }));
        await OkJsonAsync(await ScoreAsync(w.Admin, version, new[] { new { dimension = "clarity", score = 5m, rationale = "clear" } }));
        await OkJsonAsync(await ScoreAsync(w.Reviewer, version, new[] { new { dimension = "clarity", score = 1m, rationale = "judge says" } }, judge));

        var quality = await OkJsonAsync(await w.Author.GetAsync($"/api/v1/content/versions/{version}/quality"));
        var clarity = Dimension(quality, "clarity");
        var all = clarity.GetProperty("all");
        // Current scores: the reviewer's 4 (their 2 superseded), the admin's 5, the judge's 1.
        Assert.Equal(3, all.GetProperty("count").GetInt32());
        Assert.Equal(3.3333m, all.GetProperty("mean").GetDecimal());
        Assert.Equal(0.5833m, all.GetProperty("meanNormalized").GetDecimal()); // ((4-1)/4 + (5-1)/4 + 0) / 3
        Assert.Equal(1m, all.GetProperty("min").GetDecimal());
        Assert.Equal(5m, all.GetProperty("max").GetDecimal());
        Assert.Equal(2, clarity.GetProperty("human").GetProperty("count").GetInt32());
        Assert.Equal(4.5m, clarity.GetProperty("human").GetProperty("mean").GetDecimal());
        Assert.Equal(1, clarity.GetProperty("judge").GetProperty("count").GetInt32());
        Assert.Equal(1m, clarity.GetProperty("judge").GetProperty("max").GetDecimal());

        var (history, _) = await Json.AllPagesAsync(w.Reviewer, $"/api/v1/content/versions/{version}/quality/history?limit=2");
        Assert.Equal([2m, 4m, 5m, 1m], history.Select(s => s.GetProperty("score").GetDecimal()));
        Assert.Equal([false, true, true, true], history.Select(s => s.GetProperty("supersededAt").ValueKind == JsonValueKind.Null));
        Assert.Equal("judge-model-1", history[3].GetProperty("judgeModelId").GetString());
    }

    [Fact]
    public async Task A_score_off_its_dimensions_scale_is_a_422_naming_the_field_and_nothing_is_stored()
    {
        var item = await ItemAsync(w, w.AuthorId);
        var version = await VersionAsync(w, item, w.AuthorId, "in_review");
        var problem = await Json.ProblemAsync(await ScoreAsync(w.Reviewer, version, new[]
        {
            new { dimension = "accuracy", score = 4m }, new { dimension = "clarity", score = 7m }, new { dimension = "charm", score = 3m },
        }), 422);
        var errors = problem.GetProperty("errors");
        Assert.Contains("1 to 5", errors.GetProperty("/scores/1/score")[0].GetString(), StringComparison.Ordinal);
        Assert.True(errors.TryGetProperty("/scores/2/dimension", out _));
        Assert.False(errors.TryGetProperty("/scores/0/score", out _));
        Assert.Equal(0L, await w.ScalarAsync<long>("SELECT count(*) FROM hephaestus.content_quality_scores WHERE content_version_id = $1", version));

        // The database holds the scale too, whatever writes.
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => w.ExecuteAsync("""
            INSERT INTO hephaestus.content_quality_scores (id, content_version_id, dimension, scale_min, scale_max, score, evaluator_kind)
            VALUES (gen_random_uuid(), $1, 'clarity', 1, 5, 7, 'human')
            """, version));
        Assert.Equal("ck_content_quality_scores_on_scale", refused.ConstraintName);
        refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => w.ExecuteAsync("""
            INSERT INTO hephaestus.content_quality_scores (id, content_version_id, dimension, scale_min, scale_max, score, evaluator_kind)
            VALUES (gen_random_uuid(), $1, 'clarity', 0, 10, 7, 'human')
            """, version));
        Assert.Equal("fk_content_quality_scores_scale", refused.ConstraintName);
    }

    [Fact]
    public async Task Bad_batches_are_400s_naming_each_field()
    {
        var version = await VersionAsync(w, await ItemAsync(w), w.AuthorId);
        var problem = await Json.ProblemAsync(await ScoreAsync(w.Reviewer, version, new[] { new { dimension = "accuracy", score = 4m }, new { dimension = "accuracy", score = 3m } },
            new { kind = "judge", modelId = "m" }), 400);
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("/scores/1/dimension", out _));
        Assert.True(errors.TryGetProperty("/evaluator/rubricId", out _));
        problem = await Json.ProblemAsync(await ScoreAsync(w.Reviewer, version, Array.Empty<object>()), 400);
        Assert.True(problem.GetProperty("errors").TryGetProperty("/scores", out _));
        await Json.ProblemAsync(await ScoreAsync(w.Reviewer, Guid.NewGuid(), Passing), 404);
    }

    [Fact]
    public async Task The_dimensions_are_listed_with_their_scales()
    {
        var dimensions = await OkJsonAsync(await w.Learner.GetAsync("/api/v1/content/quality-dimensions"));
        Assert.Equal(["accuracy", "age_appropriateness", "clarity", "safety_bias", "skill_alignment"],
            dimensions.EnumerateArray().Select(d => d.GetProperty("name").GetString()));
        Assert.All(dimensions.EnumerateArray(), d => Assert.Equal((1m, 5m), (d.GetProperty("scaleMin").GetDecimal(), d.GetProperty("scaleMax").GetDecimal())));
    }

    [Fact]
    public async Task A_reviewers_scores_are_in_their_export_and_outlive_them_without_their_id()
    {
        var (id, reviewer) = await w.UserAsync("leaving-reviewer@review.test", "reviewer");
        var version = await VersionAsync(w, await ItemAsync(w), w.AuthorId, "in_review");
        await OkJsonAsync(await ScoreAsync(reviewer, version, Passing));
        await OkJsonAsync(await reviewer.PostAsync($"/api/v1/content/versions/{version}/flags", Json.Body("""{"reason":"example 2 is off"}""")));
        var export = await OkJsonAsync(await reviewer.GetAsync($"/api/v1/users/{id}/export"));
        var given = export.GetProperty("sections").GetProperty("contentReviewGiven");
        Assert.Equal(2, given.GetProperty("qualityScores").GetArrayLength());
        Assert.Equal(1, given.GetProperty("flags").GetArrayLength());

        Assert.Equal(HttpStatusCode.NoContent, (await w.Admin.DeleteAsync($"/api/v1/users/{id}")).StatusCode);
        Assert.Equal(2L, await w.ScalarAsync<long>("SELECT count(*) FROM hephaestus.content_quality_scores WHERE content_version_id = $1 AND scored_by IS NULL", version));
        Assert.Equal(1L, await w.ScalarAsync<long>("SELECT count(*) FROM hephaestus.content_flags WHERE content_version_id = $1 AND flagged_by IS NULL", version));
    }
}
