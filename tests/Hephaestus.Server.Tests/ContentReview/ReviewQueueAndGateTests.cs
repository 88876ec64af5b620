using System.Net;
using System.Text.Json;
using static Hephaestus.Server.Tests.ContentReview.ContentRows;

namespace Hephaestus.Server.Tests.ContentReview;

/// <summary>
/// The reads a review screen needs before any move: the queue of versions in review with their provenance and quality
/// so far, and the publish gate's verdict on a version as it stands (which a publish then agrees with).
/// </summary>
public class ReviewQueueAndGateTests(ContentReviewWorld w) : IClassFixture<ContentReviewWorld>
{
    static object Failing => new[] { new { dimension = "accuracy", score = 2m, rationale = "partly wrong" } };

    static async Task<List<JsonElement>> QueueAsync(HttpClient client, string query = "")
    {
        var page = await OkJsonAsync(await client.GetAsync("/api/v1/content/review-queue" + query));
        return [.. page.GetProperty("items").EnumerateArray()];
    }

    [Fact]
    public async Task The_queue_lists_versions_in_review_oldest_first_with_provenance_and_their_means_per_dimension()
    {
        var item = await ItemAsync(w, w.AuthorId);
        var draft = await VersionAsync(w, item, w.AuthorId);
        var first = await VersionAsync(w, item, w.AuthorId, "in_review");
        var second = await VersionAsync(w, item, w.AuthorId, "in_review");
        var approved = await VersionAsync(w, item, w.AuthorId, "approved");
        Assert.Equal(HttpStatusCode.Created, (await ScoreAsync(w.Reviewer, first, Passing)).StatusCode);
        // A judge's score on the same dimension counts into the mean beside the person's.
        Assert.Equal(HttpStatusCode.Created, (await ScoreAsync(w.Reviewer, first,
            new[] { new { dimension = "accuracy", score = 2m, rationale = "judged" } }, new { kind = "judge", modelId = "m", rubricId = "r", rubricVersion = "1" })).StatusCode);

        var queue = await QueueAsync(w.Reviewer);
        var ids = queue.Select(e => e.GetProperty("version").GetProperty("id").GetGuid()).ToList();
        Assert.Equal([first, second], ids.Where(id => id == first || id == second));
        Assert.DoesNotContain(draft, ids);
        Assert.DoesNotContain(approved, ids);

        var entry = queue.Single(e => e.GetProperty("version").GetProperty("id").GetGuid() == first);
        Assert.Equal("Fractions", entry.GetProperty("itemTitle").GetString());
        Assert.StartsWith("review/", entry.GetProperty("itemKey").GetString(), StringComparison.Ordinal);
        Assert.Equal("gpt-test", entry.GetProperty("version").GetProperty("provenance").GetProperty("model").GetString());
        var quality = entry.GetProperty("quality").EnumerateArray().ToDictionary(q => q.GetProperty("dimension").GetString()!);
        // accuracy: the person's 4 of 1..5 (0.75) and the judge's 2 (0.25): mean 0.5 over two current scores.
        Assert.Equal(2, quality["accuracy"].GetProperty("scores").GetInt32());
        Assert.Equal(0.5m, quality["accuracy"].GetProperty("meanNormalized").GetDecimal());
        Assert.Equal(1m, quality["safety_bias"].GetProperty("meanNormalized").GetDecimal());
        Assert.Equal(0, queue.Single(e => e.GetProperty("version").GetProperty("id").GetGuid() == second).GetProperty("quality").GetArrayLength());
    }

    [Fact]
    public async Task The_queue_pages_by_version_id()
    {
        var item = await ItemAsync(w, w.AuthorId);
        for (var i = 0; i < 3; i++) await VersionAsync(w, item, w.AuthorId, "in_review");
        var all = (await QueueAsync(w.Author, "?limit=200")).Select(e => e.GetProperty("version").GetProperty("id").GetGuid()).ToList();

        var seen = new List<Guid>();
        string? after = null;
        do
        {
            var page = await OkJsonAsync(await w.Author.GetAsync("/api/v1/content/review-queue?limit=2" + (after is null ? "" : $"&after={after}")));
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("version").GetProperty("id").GetGuid()));
            after = page.GetProperty("next").GetString();
        }
        while (after is not null);
        Assert.Equal(all, seen);
        Assert.True(all.Count >= 3);
    }

    [Fact]
    public async Task Only_authors_reviewers_and_admins_read_the_queue()
    {
        Assert.Equal(HttpStatusCode.OK, (await w.Admin.GetAsync("/api/v1/content/review-queue")).StatusCode);
        await Json.ProblemAsync(await w.Analyst.GetAsync("/api/v1/content/review-queue"), 403);
        await Json.ProblemAsync(await w.Learner.GetAsync("/api/v1/content/review-queue"), 403);
        await Json.ProblemAsync(await w.Reviewer.GetAsync("/api/v1/content/review-queue?limit=0"), 400);
    }

    [Fact]
    public async Task The_gate_says_why_a_version_would_fail_and_a_publish_is_refused_for_the_same_reasons()
    {
        var item = await ItemAsync(w, w.AuthorId);
        var version = await VersionAsync(w, item, w.AuthorId, "in_review");
        Assert.Equal(HttpStatusCode.Created, (await ScoreAsync(w.Reviewer, version, Failing)).StatusCode);
        await OkJsonAsync(await MoveNowAsync(w.Reviewer, version, "approved"));

        var gate = await OkJsonAsync(await w.Analyst.GetAsync($"/api/v1/content/versions/{version}/gate"));
        Assert.False(gate.GetProperty("passes").GetBoolean());
        Assert.Equal("approved", gate.GetProperty("status").GetString());
        Assert.True(gate.GetProperty("hasHumanReview").GetBoolean());
        var thresholds = gate.GetProperty("thresholds").EnumerateArray().ToDictionary(t => t.GetProperty("dimension").GetString()!);
        Assert.Equal(0.25m, thresholds["accuracy"].GetProperty("value").GetDecimal());
        Assert.Equal(0.6m, thresholds["accuracy"].GetProperty("threshold").GetDecimal());
        Assert.False(thresholds["accuracy"].GetProperty("passes").GetBoolean());
        Assert.Equal(JsonValueKind.Null, thresholds["safety_bias"].GetProperty("value").ValueKind);
        var reasons = gate.GetProperty("failures").EnumerateArray().Select(f => f.GetProperty("problem").GetString()).ToList();
        Assert.Equal(["accuracy is 0.25 (threshold 0.6)", "safety_bias has no scores (threshold 0.8)"], reasons);

        var refused = await Json.ProblemAsync(await MoveNowAsync(w.Reviewer, version, "published"), 409);
        Assert.Equal(reasons, refused.GetProperty("gate").EnumerateArray().Select(f => f.GetProperty("problem").GetString()));
        Assert.Equal("approved", await StatusAsync(w, version));
    }

    [Fact]
    public async Task The_gate_passes_a_version_with_enough_quality_and_a_human_review_and_its_publish_goes_through()
    {
        var item = await ItemAsync(w, w.AuthorId);
        var version = await VersionAsync(w, item, w.AuthorId, "in_review");
        // A judge alone is not a human review.
        Assert.Equal(HttpStatusCode.Created, (await ScoreAsync(w.Reviewer, version, Passing, new { kind = "judge", modelId = "m", rubricId = "r", rubricVersion = "1" })).StatusCode);
        var judged = await OkJsonAsync(await w.Author.GetAsync($"/api/v1/content/versions/{version}/gate"));
        Assert.False(judged.GetProperty("passes").GetBoolean());
        Assert.False(judged.GetProperty("hasHumanReview").GetBoolean());
        Assert.Contains("lacks a human review", judged.GetProperty("failures")[0].GetProperty("problem").GetString(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Created, (await ScoreAsync(w.Reviewer, version, Passing)).StatusCode);
        var gate = await OkJsonAsync(await w.Author.GetAsync($"/api/v1/content/versions/{version}/gate"));
        Assert.True(gate.GetProperty("passes").GetBoolean());
        Assert.Equal(0, gate.GetProperty("failures").GetArrayLength());
        Assert.All(gate.GetProperty("thresholds").EnumerateArray(), t => Assert.True(t.GetProperty("passes").GetBoolean()));

        await OkJsonAsync(await MoveNowAsync(w.Reviewer, version, "approved"));
        await OkJsonAsync(await MoveNowAsync(w.Reviewer, version, "published"));
        Assert.Equal("published", await StatusAsync(w, version));
    }

    [Fact]
    public async Task The_gate_of_an_unknown_version_is_a_404_and_learners_are_refused()
    {
        await Json.ProblemAsync(await w.Reviewer.GetAsync($"/api/v1/content/versions/{Guid.NewGuid()}/gate"), 404);
        var version = await VersionAsync(w, await ItemAsync(w, w.AuthorId), w.AuthorId);
        await Json.ProblemAsync(await w.Learner.GetAsync($"/api/v1/content/versions/{version}/gate"), 403);
        await Json.ProblemAsync(await w.Educator.GetAsync($"/api/v1/content/versions/{version}/gate"), 403);
    }
}
