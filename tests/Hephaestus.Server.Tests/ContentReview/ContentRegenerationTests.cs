using static Hephaestus.Server.Tests.ContentReview.ContentRows;

namespace Hephaestus.Server.Tests.ContentReview;

/// <summary>A database of its own: the queue spans every version, so no other class's versions may appear in it.</summary>
public sealed class RegenerationWorld : ContentReviewWorld;

public class ContentRegenerationTests(RegenerationWorld w) : IClassFixture<RegenerationWorld>
{
    async Task<List<Guid>> QueueAsync()
    {
        var (items, _) = await Json.AllPagesAsync(w.Author, "/api/v1/content/regeneration-queue?limit=1");
        return [.. items.Select(i => i.GetProperty("versionId").GetGuid())];
    }

    [Fact]
    public async Task The_queue_holds_versions_below_a_threshold_or_flagged_until_a_regeneration_of_them_exists()
    {
        var item = await ItemAsync(w, w.AuthorId);
        var inaccurate = await VersionAsync(w, item, w.AuthorId, "in_review");
        var flagged = await VersionAsync(w, item, w.AuthorId, "published");
        var good = await VersionAsync(w, item, w.AuthorId, "in_review");
        await VersionAsync(w, item, w.AuthorId, "draft"); // unscored and unflagged: never in the queue
        var retired = await VersionAsync(w, item, w.AuthorId, "retired");
        await OkJsonAsync(await ScoreAsync(w.Reviewer, inaccurate, new[] { new { dimension = "accuracy", score = 2m }, new { dimension = "clarity", score = 1m } }));
        await OkJsonAsync(await ScoreAsync(w.Reviewer, good, Passing));
        await OkJsonAsync(await ScoreAsync(w.Reviewer, retired, new[] { new { dimension = "accuracy", score = 1m } }));
        var flag = await OkJsonAsync(await w.Analyst.PostAsync($"/api/v1/content/versions/{flagged}/flags",
            Json.Body("""{"source":"item_analysis","reason":"discrimination below 15"}""")));
        Assert.Equal("item_analysis", flag.GetProperty("source").GetString());

        Assert.Equal([inaccurate, flagged], await QueueAsync());
        var (page, _) = await Json.AllPagesAsync(w.Reviewer, "/api/v1/content/regeneration-queue?limit=50");
        var below = Assert.Single(page[0].GetProperty("below").EnumerateArray()); // clarity has no threshold by default
        Assert.Equal(("accuracy", 0.25m, 0.6m), (below.GetProperty("dimension").GetString(), below.GetProperty("value").GetDecimal(), below.GetProperty("threshold").GetDecimal()));
        Assert.Equal(1, page[1].GetProperty("flagCount").GetInt32());
        Assert.Equal("discrimination below 15", page[1].GetProperty("latestFlags")[0].GetProperty("reason").GetString());

        // A regenerated version (made by the content slice's create endpoint; here by SQL) takes its source off the queue.
        await VersionAsync(w, item, w.AuthorId, "draft", regeneratedFrom: inaccurate);
        Assert.Equal([flagged], await QueueAsync());
        await VersionAsync(w, item, w.AuthorId, "draft", regeneratedFrom: flagged);
        Assert.Empty(await QueueAsync());
    }

    [Fact]
    public async Task Flags_are_listed_and_refused_to_learners_and_bad_input()
    {
        var version = await VersionAsync(w, await ItemAsync(w, w.AuthorId), w.AuthorId, "retired");
        await OkJsonAsync(await w.Reviewer.PostAsync($"/api/v1/content/versions/{version}/flags", Json.Body("""{"reason":"off-topic"}""")));
        var flags = await OkJsonAsync(await w.Author.GetAsync($"/api/v1/content/versions/{version}/flags"));
        Assert.Equal("review", Assert.Single(flags.EnumerateArray()).GetProperty("source").GetString());

        await Json.ProblemAsync(await w.Learner.PostAsync($"/api/v1/content/versions/{version}/flags", Json.Body("""{"reason":"x"}""")), 403);
        await Json.ProblemAsync(await w.Learner.GetAsync("/api/v1/content/regeneration-queue"), 403);
        var problem = await Json.ProblemAsync(await w.Reviewer.PostAsync($"/api/v1/content/versions/{version}/flags", Json.Body("""{"source":"Item Analysis"}""")), 400);
        Assert.True(problem.GetProperty("errors").TryGetProperty("/source", out _));
        Assert.True(problem.GetProperty("errors").TryGetProperty("/reason", out _));
        await Json.ProblemAsync(await w.Reviewer.PostAsync($"/api/v1/content/versions/{Guid.NewGuid()}/flags", Json.Body("""{"reason":"x"}""")), 404);
        Assert.Equal(1L, await w.ScalarAsync<long>("SELECT count(*) FROM hephaestus.content_flags WHERE content_version_id = $1", version));
    }
}
