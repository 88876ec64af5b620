using System.Net;
using System.Text.Json;
using Hephaestus.Testing;
using static Hephaestus.Server.Tests.ContentReview.ContentRows;

namespace Hephaestus.Server.Tests.ContentReview;

public class ContentReviewWorld : ApiDatabase
{
    public Guid AuthorId { get; private set; }
    public HttpClient Author { get; private set; } = null!;
    public Guid ReviewerId { get; private set; }
    public HttpClient Reviewer { get; private set; } = null!;
    public HttpClient Learner { get; private set; } = null!;
    public HttpClient Educator { get; private set; } = null!;
    public HttpClient Analyst { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        (AuthorId, Author) = await UserAsync("author@review.test", "author");
        (ReviewerId, Reviewer) = await UserAsync("reviewer@review.test", "reviewer");
        (_, Learner) = await UserAsync("learner@review.test", "learner");
        (_, Educator) = await UserAsync("educator@review.test", "educator");
        (_, Analyst) = await UserAsync("analyst@review.test", "analyst");
        (_, Admin) = await UserAsync("admin@review.test", "admin");
    }
}

public class ContentReviewTests(ContentReviewWorld w) : IClassFixture<ContentReviewWorld>
{
    async Task<Guid> ApprovedAsync(Guid item)
    {
        var version = await VersionAsync(w, item, w.AuthorId, "in_review");
        await OkJsonAsync(await ScoreAsync(w.Reviewer, version, Passing));
        await OkJsonAsync(await MoveNowAsync(w.Reviewer, version, "approved"));
        return version;
    }

    [Fact]
    public async Task A_version_goes_from_draft_to_published_and_every_move_is_audited_with_who_and_why()
    {
        var item = await ItemAsync(w, w.AuthorId);
        var version = await VersionAsync(w, item, w.AuthorId);

        var submitted = await OkJsonAsync(await MoveNowAsync(w.Author, version, "in_review", "ready"));
        Assert.Equal("in_review", submitted.GetProperty("status").GetString());
        await ScoreAsync(w.Reviewer, version, Passing);
        await OkJsonAsync(await MoveNowAsync(w.Reviewer, version, "approved", "looks right"));
        var published = await OkJsonAsync(await MoveNowAsync(w.Author, version, "published"));

        Assert.Equal("published", published.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, published.GetProperty("publishedAt").ValueKind);
        var events = published.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(["draft→in_review", "in_review→approved", "approved→published"],
            events.Select(e => $"{e.GetProperty("from").GetString()}→{e.GetProperty("to").GetString()}"));
        Assert.Equal([w.AuthorId, w.ReviewerId, w.AuthorId], events.Select(e => e.GetProperty("actorId").GetGuid()));
        Assert.Equal(["ready", "looks right", null], events.Select(e => e.GetProperty("reason").GetString()));
        Assert.Equal(3L, await w.ScalarAsync<long>("SELECT count(*) FROM hephaestus.content_review_events WHERE content_version_id = $1", version));
    }

    [Fact]
    public async Task Publishing_retires_the_published_version_in_the_same_transaction_and_audits_why()
    {
        var item = await ItemAsync(w, w.AuthorId);
        var first = await ApprovedAsync(item);
        await OkJsonAsync(await MoveNowAsync(w.Author, first, "published"));
        var second = await ApprovedAsync(item);
        await OkJsonAsync(await MoveNowAsync(w.Reviewer, second, "published"));

        Assert.Equal("retired", await StatusAsync(w, first));
        Assert.Equal("published", await StatusAsync(w, second));
        var number = await w.ScalarAsync<int>("SELECT version FROM hephaestus.content_versions WHERE id = $1", second);
        Assert.Equal($"superseded by version {number}", await w.ScalarAsync<string>(
            "SELECT reason FROM hephaestus.content_review_events WHERE content_version_id = $1 AND to_status = 'retired'", first));
    }

    [Theory]
    [InlineData("draft", "approved")]
    [InlineData("draft", "published")]
    [InlineData("in_review", "published")]
    [InlineData("retired", "published")]
    [InlineData("published", "draft")]
    public async Task An_illegal_move_is_a_409_naming_from_and_to_and_changes_nothing(string from, string to)
    {
        var item = await ItemAsync(w, w.AuthorId);
        var version = await VersionAsync(w, item, w.AuthorId, from);
        var problem = await Json.ProblemAsync(await MoveNowAsync(w.Admin, version, to, "try"), 409);
        Assert.Equal(from, problem.GetProperty("from").GetString());
        Assert.Equal(to, problem.GetProperty("to").GetString());
        Assert.Contains($"{from} cannot move to {to}", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(from, await StatusAsync(w, version));
        Assert.Equal(0L, await w.ScalarAsync<long>("SELECT count(*) FROM hephaestus.content_review_events WHERE content_version_id = $1", version));
    }

    [Fact]
    public async Task The_database_refuses_an_illegal_move_and_a_forged_audit_row_whatever_sends_it()
    {
        var item = await ItemAsync(w, w.AuthorId);
        var version = await VersionAsync(w, item, w.AuthorId);
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            w.ExecuteAsync("UPDATE hephaestus.content_versions SET status = 'published' WHERE id = $1", version));
        Assert.Equal("HE004", refused.SqlState);
        Assert.Equal("42501", await w.AppRefusalAsync(
            $"INSERT INTO hephaestus.content_review_events (content_version_id, from_status, to_status) VALUES ('{version}', 'draft', 'in_review')"));
    }

    [Fact]
    public async Task A_rejection_needs_a_reason_and_sends_the_version_back_to_draft()
    {
        var item = await ItemAsync(w, w.AuthorId);
        var version = await VersionAsync(w, item, w.AuthorId, "in_review");
        var problem = await Json.ProblemAsync(await MoveNowAsync(w.Reviewer, version, "draft"), 400);
        Assert.True(problem.GetProperty("errors").TryGetProperty("/reason", out _));
        Assert.Equal("in_review", await StatusAsync(w, version));

        var rejected = await OkJsonAsync(await MoveNowAsync(w.Reviewer, version, "draft", "the second example is wrong"));
        Assert.Equal("draft", rejected.GetProperty("status").GetString());
        Assert.Equal("the second example is wrong", Assert.Single(rejected.GetProperty("events").EnumerateArray()).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Nobody_approves_a_version_they_wrote()
    {
        var (both, client) = await w.UserAsync("author-reviewer@review.test", "author", "reviewer");
        var item = await ItemAsync(w, both);
        var version = await VersionAsync(w, item, both, "in_review");
        await Json.ProblemAsync(await MoveNowAsync(client, version, "approved"), 403);
        Assert.Equal("in_review", await StatusAsync(w, version));
        await OkJsonAsync(await MoveNowAsync(w.Reviewer, version, "approved"));
    }

    [Fact]
    public async Task A_move_takes_if_match_428_without_and_412_when_stale()
    {
        var item = await ItemAsync(w, w.AuthorId);
        var version = await VersionAsync(w, item, w.AuthorId);
        var etag = await ETagAsync(w.Author, version);
        await Json.ProblemAsync(await MoveAsync(w.Author, version, "in_review", null), 428);
        await OkJsonAsync(await MoveAsync(w.Author, version, "in_review", etag));
        // Back to draft and submitted again: the stale ETag of the first read no longer applies.
        await OkJsonAsync(await MoveNowAsync(w.Author, version, "draft", "one more fix"));
        var stale = await Json.ProblemAsync(await MoveAsync(w.Author, version, "in_review", etag), 412);
        Assert.Equal(await ETagAsync(w.Author, version), stale.GetProperty("currentETag").GetString());
        Assert.Equal("draft", await StatusAsync(w, version));
    }

    [Fact]
    public async Task The_gate_refuses_below_a_threshold_naming_the_dimension_its_value_and_threshold()
    {
        var item = await ItemAsync(w, w.AuthorId);
        var version = await VersionAsync(w, item, w.AuthorId, "approved");
        await ScoreAsync(w.Reviewer, version, new[] { new { dimension = "accuracy", score = 3m }, new { dimension = "safety_bias", score = 5m } });
        var problem = await Json.ProblemAsync(await MoveNowAsync(w.Author, version, "published"), 409);
        var failure = Assert.Single(problem.GetProperty("gate").EnumerateArray());
        Assert.Equal("accuracy", failure.GetProperty("dimension").GetString());
        Assert.Equal(0.5m, failure.GetProperty("value").GetDecimal());
        Assert.Equal(0.6m, failure.GetProperty("threshold").GetDecimal());
        Assert.Contains("accuracy is 0.5 (threshold 0.6)", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("approved", await StatusAsync(w, version));

        // A re-score by the same reviewer replaces theirs in the mean: now it passes.
        await ScoreAsync(w.Reviewer, version, new[] { new { dimension = "accuracy", score = 4m } });
        await OkJsonAsync(await MoveNowAsync(w.Author, version, "published"));
    }

    [Fact]
    public async Task The_gate_refuses_without_a_human_review_by_someone_other_than_the_author()
    {
        var (both, authorReviewer) = await w.UserAsync("self-scorer@review.test", "author", "reviewer");
        var item = await ItemAsync(w, both);
        var version = await VersionAsync(w, item, both, "approved");
        var judge = new { kind = "judge", modelId = "judge-model-1", rubricId = "lesson-quality", rubricVersion = "3" };
        Assert.Equal(HttpStatusCode.Created, (await ScoreAsync(w.Reviewer, version, Passing, judge)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await ScoreAsync(authorReviewer, version, Passing)).StatusCode); // the author's own: not a review

        var problem = await Json.ProblemAsync(await MoveNowAsync(authorReviewer, version, "published"), 409);
        var failure = Assert.Single(problem.GetProperty("gate").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, failure.GetProperty("dimension").ValueKind);
        Assert.Contains("lacks a human review", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Created, (await ScoreAsync(w.Reviewer, version, Passing)).StatusCode);
        await OkJsonAsync(await MoveNowAsync(authorReviewer, version, "published"));
    }

    [Fact]
    public async Task Eight_concurrent_publishers_of_different_versions_leave_exactly_one_published_and_no_5xx()
    {
        var item = await ItemAsync(w, w.AuthorId);
        var versions = new List<Guid>();
        for (var i = 0; i < 8; i++) versions.Add(await ApprovedAsync(item));
        var etags = new List<string>();
        foreach (var version in versions) etags.Add(await ETagAsync(w.Author, version));

        var responses = await Task.WhenAll(versions.Select((version, i) => MoveAsync(i % 2 == 0 ? w.Author : w.Reviewer, version, "published", etags[i])));

        Assert.All(responses, r => Assert.Contains((int)r.StatusCode, new[] { 200, 409 }));
        Assert.Equal(1L, await w.ScalarAsync<long>("SELECT count(*) FROM hephaestus.content_versions WHERE content_item_id = $1 AND status = 'published'", item));
        var published = responses.Count(r => r.StatusCode == HttpStatusCode.OK);
        // Every publish that succeeded is audited, and each but the last was retired by the next.
        Assert.Equal(published, await w.ScalarAsync<long>("""
            SELECT count(*) FROM hephaestus.content_review_events e JOIN hephaestus.content_versions v ON v.id = e.content_version_id
            WHERE v.content_item_id = $1 AND e.to_status = 'published'
            """, item));
        Assert.Equal(published - 1, await w.ScalarAsync<long>("SELECT count(*) FROM hephaestus.content_versions WHERE content_item_id = $1 AND status = 'retired'", item));
    }

    [Fact]
    public async Task Eight_concurrent_publishes_of_one_version_publish_it_once_and_refuse_the_rest_with_409()
    {
        var item = await ItemAsync(w, w.AuthorId);
        var version = await ApprovedAsync(item);
        var etag = await ETagAsync(w.Author, version);

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => MoveAsync(w.Author, version, "published", etag)));

        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(7, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        Assert.Equal("published", await StatusAsync(w, version));
        Assert.Equal(1L, await w.ScalarAsync<long>("SELECT count(*) FROM hephaestus.content_review_events WHERE content_version_id = $1 AND to_status = 'published'", version));
    }

    [Fact]
    public async Task Learners_and_educators_neither_score_nor_move_and_authors_do_not_score()
    {
        var item = await ItemAsync(w, w.AuthorId);
        var version = await VersionAsync(w, item, w.AuthorId);
        var etag = await ETagAsync(w.Author, version);
        foreach (var client in new[] { w.Learner, w.Educator })
        {
            await Json.ProblemAsync(await ScoreAsync(client, version, Passing), 403);
            await Json.ProblemAsync(await MoveAsync(client, version, "in_review", etag), 403);
            await Json.ProblemAsync(await client.GetAsync($"/api/v1/content/versions/{version}/quality"), 403);
        }

        await Json.ProblemAsync(await ScoreAsync(w.Author, version, Passing), 403);
        // A reviewer may not submit an author's draft: the move exists, the role does not make it.
        var problem = await Json.ProblemAsync(await MoveAsync(w.Reviewer, version, "in_review", etag), 403);
        Assert.Contains("author or admin", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("draft", await StatusAsync(w, version));
        Assert.Equal(0L, await w.ScalarAsync<long>("SELECT count(*) FROM hephaestus.content_quality_scores WHERE content_version_id = $1", version));
    }

    [Fact]
    public async Task An_unknown_version_is_a_404_and_a_bad_target_a_400_naming_the_field()
    {
        await Json.ProblemAsync(await MoveAsync(w.Admin, Guid.NewGuid(), "in_review", "\"1\""), 404);
        var problem = await Json.ProblemAsync(await w.Admin.PostAsync($"/api/v1/content/versions/{Guid.NewGuid()}/transitions", Json.Body("""{"to":"live"}""")), 400);
        Assert.True(problem.GetProperty("errors").TryGetProperty("/to", out _));
        problem = await Json.ProblemAsync(await w.Admin.PostAsync($"/api/v1/content/versions/{Guid.NewGuid()}/transitions", Json.Body("{}")), 400);
        Assert.True(problem.GetProperty("errors").TryGetProperty("/to", out _));
    }
}
