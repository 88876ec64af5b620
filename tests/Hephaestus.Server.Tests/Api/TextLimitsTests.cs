using System.Net.Http.Json;
using Hephaestus.Server.Api;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Api;

/// <summary>Every free-text field has a maximum length, refused at the edge with a 400 that names the field by JSON pointer.</summary>
public sealed class TextLimitsTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    static readonly string Description = new('d', Validation.DescriptionLength + 1);

    static async Task AssertFieldRefusedAsync(HttpResponseMessage response, string pointer)
    {
        var problem = await Json.ProblemAsync(response, 400);
        Assert.True(problem.GetProperty("errors").TryGetProperty(pointer, out _), problem.ToString());
    }

    [Fact]
    public async Task Descriptions_of_paths_frameworks_and_skills_are_bounded()
    {
        var (_, author) = await db.UserAsync("limits-author@example.org", "author");
        var ct = TestContext.Current.CancellationToken;
        await AssertFieldRefusedAsync(await author.PostAsJsonAsync("/api/v1/paths", new { code = "long", title = "Long", description = Description }, ct), "/description");
        await AssertFieldRefusedAsync(await author.PostAsJsonAsync("/api/v1/frameworks", new { code = "long", title = "Long", description = Description }, ct), "/description");
        var framework = await Catalog.FrameworkAsync(db, "limits");
        await AssertFieldRefusedAsync(await author.PostAsJsonAsync($"/api/v1/frameworks/{framework}/skills", new { code = "long", title = "Long", description = Description }, ct), "/description");
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.learning_paths"));

        // At the limit is fine.
        var fits = await author.PostAsJsonAsync("/api/v1/paths", new { code = "fits", title = "Fits", description = Description[1..] }, ct);
        Assert.Equal(System.Net.HttpStatusCode.Created, fits.StatusCode);
    }

    [Fact]
    public async Task Override_step_keys_and_rubric_comments_are_bounded()
    {
        var (_, admin) = await db.UserAsync("limits-admin@example.org", "admin");
        var ct = TestContext.Current.CancellationToken;
        var learner = Guid.CreateVersion7();
        await AssertFieldRefusedAsync(await admin.PostAsJsonAsync($"/api/v1/learners/{learner}/enrollments/{Guid.CreateVersion7()}/overrides",
            new { kind = "skip", reason = "why", stepKey = new string('k', 65) }, ct), "/stepKey");
        await AssertFieldRefusedAsync(await admin.PostAsJsonAsync($"/api/v1/learners/{learner}/rubric-assessments",
            new { rubricId = Guid.CreateVersion7(), ratings = new[] { new { criterionId = Guid.CreateVersion7(), points = 1, comment = new string('c', Hephaestus.Server.Features.Mastery.RubricScoringApi.CommentLength + 1) } } }, ct),
            "/ratings/0/comment");
    }

    [Fact]
    public async Task Any_string_of_a_body_past_the_general_limit_is_refused_wherever_it_sits()
    {
        var (id, learner) = await db.UserAsync("limits-learner@example.org", "learner");
        var ct = TestContext.Current.CancellationToken;
        var etag = (await learner.GetAsync($"/api/v1/users/{id}", ct)).Headers.ETag!.ToString();
        var response = await learner.PatchAsync($"/api/v1/users/{id}", new { profile = new { goals = new[] { "ok", new string('g', TextInputGuard.MaxStringLength + 1) } } }, etag);
        var problem = await Json.ProblemAsync(response, 400);
        Assert.Equal(TextInputGuard.TooLong, problem.GetProperty("errors").GetProperty("/profile/goals/1")[0].GetString());
        Assert.Equal("{}", await db.ScalarAsync<string>("SELECT profile::text FROM hephaestus.users WHERE id = $1", id));
    }
}
